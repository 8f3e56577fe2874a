"""Thin Lambda handlers, one folder each."""
