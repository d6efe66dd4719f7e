"""What a backup says about itself, sealed as the last frame of the file.

The manifest travels inside the authenticated envelope, so nothing in it can be edited
without the file failing verification: the database kind and schema revision the dump
belongs to, when it was taken, the dump's size and SHA-256 (checked again as the data
is decrypted), and the audit chain head at the moment of the snapshot, which a restore
re-anchors the head export to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import orjson

from faceless.backup.errors import BackupFormatError

FORMAT = 1
Database = Literal["sqlite", "postgresql"]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class AuditHead:
    last_id: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class Manifest:
    database: Database
    schema_revision: str | None
    created_at: str
    payload_bytes: int
    payload_sha256: str
    audit_head: AuditHead

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "database": self.database,
                "schema_revision": self.schema_revision,
                "created_at": self.created_at,
                "payload": {"bytes": self.payload_bytes, "sha256": self.payload_sha256},
                "audit_head": {
                    "last_id": self.audit_head.last_id,
                    "last_hash": self.audit_head.last_hash,
                },
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = orjson.loads(raw)
            manifest = cls(
                database=data["database"],
                schema_revision=data["schema_revision"],
                created_at=data["created_at"],
                payload_bytes=data["payload"]["bytes"],
                payload_sha256=data["payload"]["sha256"],
                audit_head=AuditHead(
                    data["audit_head"]["last_id"], data["audit_head"]["last_hash"]
                ),
            )
            supported = data["format"] == FORMAT
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise BackupFormatError("the manifest is malformed") from None
        if not supported:
            raise BackupFormatError("the manifest has a format this version cannot read")
        if not manifest._valid():
            raise BackupFormatError("the manifest is malformed")
        return manifest

    def _valid(self) -> bool:
        head = self.audit_head
        return (
            self.database in ("sqlite", "postgresql")
            and (self.schema_revision is None or isinstance(self.schema_revision, str))
            and isinstance(self.created_at, str)
            and isinstance(self.payload_bytes, int)
            and self.payload_bytes >= 0
            and isinstance(self.payload_sha256, str)
            and _HEX64.match(self.payload_sha256) is not None
            and isinstance(head.last_id, int)
            and head.last_id >= 0
            and isinstance(head.last_hash, str)
        )

    def lines(self) -> list[str]:
        """As ``faceless backup verify`` prints it."""
        return [
            f"database         {self.database}",
            f"schema revision  {self.schema_revision or '(none)'}",
            f"created at       {self.created_at}",
            f"payload          {self.payload_bytes} bytes, SHA-256 {self.payload_sha256}",
            f"audit head       entry {self.audit_head.last_id} ({self.audit_head.last_hash})",
        ]
