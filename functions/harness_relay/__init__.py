"""harness_relay: relays vehicle messages due past 900 s (test harness)."""
