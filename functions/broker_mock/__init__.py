"""broker_mock: the broker API mock (test harness)."""
