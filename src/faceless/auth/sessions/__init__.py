"""A user's own sign-in sessions: listed and revoked by their owner (``/api/v1/auth/sessions``)."""
