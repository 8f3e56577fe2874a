"""disclosure: the regulatory-disclosure extension module (a plain new subscription)."""
