"""distributor: pushes final events to the subscriber and emits their metrics (final_metrics)."""
