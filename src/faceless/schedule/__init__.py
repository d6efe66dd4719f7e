"""Scheduled publishing: the API side (create, list, cancel)."""
