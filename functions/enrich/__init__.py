"""enrich: vehicle generation, country and MQTT topic from the registry item (pure)."""
