"""The backup file format: what it refuses, and that a consumer never sees a false end.

Small chunks (64 bytes) make every file many frames long, so reordering, dropping and
truncating frames are all exercised.
"""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceless.backup.archive import VerifiedStream
from faceless.backup.envelope import MAGIC, EnvelopeReader, EnvelopeWriter
from faceless.backup.errors import BackupFormatError
from faceless.backup.manifest import AuditHead, Manifest
from faceless.crypto.keys import Keyring, generate_keyring_value, parse_keyring

CHUNK = 64
PAYLOAD = bytes(range(256)) * 5  # 1280 bytes: 20 data frames
FRAME_HEAD = struct.Struct(">BI")


def keyring(value: str | None = None) -> Keyring:
    return parse_keyring("BACKUP_ENCRYPTION_KEY", value or generate_keyring_value("bk"))


KEYS = keyring()


def manifest_for(payload: bytes) -> Manifest:
    return Manifest(
        database="sqlite",
        schema_revision="0004",
        created_at="2026-01-01T00:00:00+00:00",
        payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        audit_head=AuditHead(3, "ab" * 32),
    )


def seal(payload: bytes = PAYLOAD, keys: Keyring = KEYS, manifest: Manifest | None = None) -> bytes:
    out = io.BytesIO()
    writer = EnvelopeWriter(out, keys, chunk_bytes=CHUNK)
    for start in range(0, len(payload), 100):  # writes that do not line up with chunks
        writer.write(payload[start : start + 100])
    writer.finish((manifest or manifest_for(payload)).encode())
    return out.getvalue()


SEALED = seal()


def open_all(raw: bytes, keys: Keyring = KEYS) -> tuple[bytes, Manifest]:
    stream = VerifiedStream(io.BytesIO(raw), keys)
    data = b"".join(stream)
    assert stream.manifest is not None
    return data, stream.manifest


def frames(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The prefix (magic and header) and each frame's raw bytes."""
    (length,) = struct.unpack(">H", raw[len(MAGIC) : len(MAGIC) + 2])
    offset = len(MAGIC) + 2 + length
    prefix, found = raw[:offset], []
    while offset < len(raw):
        _kind, size = FRAME_HEAD.unpack(raw[offset : offset + FRAME_HEAD.size])
        end = offset + FRAME_HEAD.size + size
        found.append(raw[offset:end])
        offset = end
    return prefix, found


def test_a_sealed_stream_opens_to_the_same_bytes_and_manifest() -> None:
    raw = seal()
    data, manifest = open_all(raw)
    assert data == PAYLOAD
    assert manifest == manifest_for(PAYLOAD)
    assert PAYLOAD[:32] not in raw  # nothing readable in the file
    _prefix, found = frames(raw)
    assert len(found) == len(PAYLOAD) // CHUNK + 1  # data frames and the manifest


def test_an_empty_payload_is_a_manifest_alone() -> None:
    data, manifest = open_all(seal(b""))
    assert data == b""
    assert manifest.payload_bytes == 0


def test_an_older_key_of_the_ring_still_opens_it() -> None:
    old = generate_keyring_value("old")
    raw = seal(keys=keyring(old))
    rotated = keyring(f"{generate_keyring_value('new')},{old}")
    assert open_all(raw, rotated)[0] == PAYLOAD


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[:-1], "truncated"),
        (lambda raw: raw[: len(raw) // 2], "truncated"),
        (lambda raw: raw[:100], "truncated"),
        (lambda raw: raw + b"\0", "after the manifest"),
        (lambda raw: b"NOT-A-BACKUP" + raw[12:], "not a faceless backup"),
    ],
    ids=["last-byte", "half", "inside-header", "trailing", "magic"],
)
def test_cut_or_padded_files_are_refused(damage: object, message: str) -> None:
    with pytest.raises(BackupFormatError, match=message):
        open_all(damage(seal()))  # type: ignore[operator]


REORDERINGS = {
    "dropped": lambda f: [*f[:3], *f[4:]],
    "duplicated": lambda f: [*f[:4], f[3], *f[4:]],
    "swapped": lambda f: [f[1], f[0], *f[2:]],
    "manifest-early": lambda f: [*f[:2], f[-1]],
}


@pytest.mark.parametrize("reorder", REORDERINGS.values(), ids=REORDERINGS.keys())
def test_frames_dropped_duplicated_or_reordered_fail_authentication(reorder: object) -> None:
    prefix, found = frames(SEALED)
    with pytest.raises(BackupFormatError, match="failed authentication"):
        open_all(prefix + b"".join(reorder(found)))  # type: ignore[operator]


def test_another_key_is_refused_by_name_or_by_authentication() -> None:
    raw = seal()
    with pytest.raises(BackupFormatError, match="BACKUP_ENCRYPTION_KEY does not hold"):
        open_all(raw, keyring())
    same_kid = keyring(f"{KEYS.current_kid}:{generate_keyring_value().partition(':')[2]}")
    with pytest.raises(BackupFormatError, match="frame 0 failed authentication"):
        open_all(raw, same_kid)


def test_an_edited_header_is_refused() -> None:
    raw = bytearray(SEALED)
    salt = raw.index(b'"salt":"') + len(b'"salt":"')
    raw[salt] = ord("0") if raw[salt] != ord("0") else ord("1")
    with pytest.raises(BackupFormatError, match="frame 0 failed authentication"):
        open_all(bytes(raw))


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_refused(position: int, bit: int) -> None:
    raw = bytearray(SEALED)
    raw[position % len(raw)] ^= 1 << bit
    with pytest.raises(BackupFormatError):
        open_all(bytes(raw))


def test_the_last_chunk_waits_until_the_manifest_authenticated() -> None:
    raw = bytearray(SEALED)
    raw[-1] ^= 1  # the manifest's tag
    received: list[bytes] = []

    def consume() -> None:
        received.extend(VerifiedStream(io.BytesIO(bytes(raw)), KEYS))

    with pytest.raises(BackupFormatError, match="failed authentication"):
        consume()
    # Everything but the end: a pg_restore or a SQLite file never gets a complete dump.
    assert b"".join(received) == PAYLOAD[: len(PAYLOAD) - CHUNK]


def test_a_manifest_that_disagrees_with_the_data_is_refused() -> None:
    lying = manifest_for(PAYLOAD[:-1])
    with pytest.raises(BackupFormatError, match="does not match the size and SHA-256"):
        open_all(seal(manifest=lying))


def test_oversized_frames_are_refused_before_reading_them() -> None:
    prefix, found = frames(SEALED)
    huge = FRAME_HEAD.pack(1, 2**31) + found[0][FRAME_HEAD.size :]
    with pytest.raises(BackupFormatError, match="frame 0 is malformed"):
        list(EnvelopeReader(io.BytesIO(prefix + huge), KEYS).chunks())
