"""subscription_mock: the push subscriber mock (test harness)."""
