"""vehicle_connector: hands commands to the broker API; FAILED/BROKER_UNAVAILABLE when it is down."""
