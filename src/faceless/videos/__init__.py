"""Video projects: a user's titles, descriptions, scripts and tags."""
