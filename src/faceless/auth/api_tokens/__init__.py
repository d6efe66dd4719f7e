"""API tokens for scripts: created, listed and revoked by their owner (``/api/v1/tokens``)."""
