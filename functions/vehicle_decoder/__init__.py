"""vehicle_decoder: the incoming pipe enrichment that decodes vehicle messages (pure)."""
