"""Rate limiting: tiers per route template, keyed by client IP and user, shared via Redis."""
