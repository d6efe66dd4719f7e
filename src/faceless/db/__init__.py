"""Database access: declarative base, engine, sessions."""
