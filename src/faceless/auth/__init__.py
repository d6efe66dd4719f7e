"""Authentication: login, rotating refresh tokens, logout, the current-user dependency."""
