"""distributor: pushes final events to the subscriber and emits EndToEndLatency."""
