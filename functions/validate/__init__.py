"""validate: check and normalise a service request (pure; raises ValidationError)."""
