-- Runs once, when the data directory is first initialised (as the POSTGRES_USER owner).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS pgaudit;
-- Nobody but the owner may create objects in public (PostgreSQL 15's default, stated).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
