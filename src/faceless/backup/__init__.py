"""Encrypted, verified backups of the database and their restore (``faceless backup``)."""
