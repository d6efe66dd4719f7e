"""The PostgreSQL roles of a hardened deployment and what each may do.

Design:

* **Migration owner** (a LOGIN role, ``DATABASE_MIGRATION_URL``): owns the database, the
  schema objects and runs every DDL statement. Not a superuser; it needs no CREATEROLE
  when ``deploy/postgres/pg_audit_init.sh`` has created the roles below.
* **Runtime group** :data:`RUNTIME_GROUP` (NOLOGIN): holds the application's table
  privileges. Migrations grant to it as they create tables, so the grants are versioned
  with the schema and no migration needs to know the name or password of a login.
* **Runtime login** (``DATABASE_URL``): the API and workers, a member of the group and
  nothing more: NOSUPERUSER NOCREATEDB NOCREATEROLE, no CREATE on the database or the
  ``public`` schema, so no DDL; created with a SCRAM verifier by the init script.
* **Audit role** :data:`AUDIT_ROLE` (NOLOGIN, no members): ``pgaudit.role``. Its column
  grants on the encrypted columns select which statements pgaudit's object audit logs.

:func:`runtime_policy` is the privilege matrix the runtime role must have, derived from
the models, so ``faceless db verify`` notices a table that a migration forgot to grant.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import MetaData

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_ROLE",
    "CHECKED_PRIVILEGES",
    "RUNTIME_GROUP",
    "runtime_policy",
]

RUNTIME_GROUP = "faceless_runtime"
AUDIT_ROLE = "pgaudit_admin"

# Every table privilege PostgreSQL knows; the runtime role must hold exactly its policy.
CHECKED_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
DML = ("SELECT", "INSERT", "UPDATE", "DELETE")

# The audit trail is append-only for the application; the chain head is only advanced;
# inbox rows (events not chained yet) are written, then chained and removed, never changed.
SPECIAL_TABLES: Mapping[str, tuple[str, ...]] = {
    "audit_events": ("SELECT", "INSERT"),
    "audit_head": ("SELECT", "UPDATE"),
    "audit_inbox": ("SELECT", "INSERT", "DELETE"),
}

# The encrypted columns, audited at column level by pgaudit's object audit.
AUDIT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "users": ("email",),
    "videos": ("script",),
    "jobs": ("result",),
    "publisher_credentials": ("credentials",),
    "totp_credentials": ("secret", "pending_secret"),
}
AUDIT_PRIVILEGES = ("SELECT", "INSERT", "UPDATE")


def runtime_policy(metadata: MetaData) -> dict[str, frozenset[str]]:
    """Table name -> the privileges the runtime role must hold (and no others)."""
    return {name: frozenset(SPECIAL_TABLES.get(name, DML)) for name in sorted(metadata.tables)}
