"""User accounts: admin management, roles, the first-run admin."""
