"""The envelope: AES-256-GCM bound to table, column and row, under a rotating keyring."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from faceless.crypto.aead import (
    OPENED_ENTRIES,
    OPENED_MAX_CHARS,
    ColumnCipher,
    DecryptionError,
    envelope_kid,
    is_envelope,
)
from faceless.crypto.hashing import BlindIndex, normalise
from faceless.crypto.keys import parse_keyring

KEY1 = bytes(range(32))
KEY2 = bytes(range(100, 132))
RING1 = parse_keyring("DATA_ENCRYPTION_KEY", f"kid1:{KEY1.hex()}")
RING21 = parse_keyring("DATA_ENCRYPTION_KEY", f"kid2:{KEY2.hex()},kid1:{KEY1.hex()}")
ROW = uuid.uuid4()
WHERE: dict[str, Any] = {"table": "videos", "column": "script", "row_id": ROW}


def test_round_trip_and_envelope_format() -> None:
    cipher = ColumnCipher(RING1)
    sealed = cipher.seal("a secret script ✓", **WHERE)
    assert sealed.startswith("v1:kid1:") and is_envelope(sealed)
    assert envelope_kid(sealed) == "kid1"
    body = sealed.split(":", 2)[2]
    assert "=" not in body and "+" not in body and "/" not in body
    # 12-byte nonce + ciphertext (same length as the UTF-8 plaintext) + 16-byte tag
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) == 12 + len("a secret script ✓".encode()) + 16
    assert "secret" not in sealed
    assert cipher.open(sealed, **WHERE) == "a secret script ✓"


def test_fresh_nonce_per_value() -> None:
    cipher = ColumnCipher(RING1)
    sealed = {cipher.seal("same", **WHERE) for _ in range(50)}
    assert len(sealed) == 50


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ({"table": "videos", "column": "script", "row_id": uuid.uuid4()}, "videos.script"),
        ({"table": "videos", "column": "description", "row_id": ROW}, "videos.description"),
        ({"table": "jobs", "column": "script", "row_id": ROW}, "jobs.script"),
    ],
    ids=["other-row", "other-column", "other-table"],
)
def test_moved_ciphertext_is_refused_by_name(where: dict[str, Any], named: str) -> None:
    cipher = ColumnCipher(RING1)
    sealed = cipher.seal("row bound", **WHERE)
    with pytest.raises(DecryptionError) as caught:
        cipher.open(sealed, **where)
    message = str(caught.value)
    assert named in message and str(where["row_id"]) in message
    assert "authentication failed" in message


def test_tampering_and_bad_envelopes() -> None:
    cipher = ColumnCipher(RING1)
    sealed = cipher.seal("integrity", **WHERE)
    body = sealed.split(":", 2)[2]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    cases = {
        "v1:kid1:" + flipped: "authentication failed",
        sealed.replace("v1:kid1:", "v1:kid9:"): "'kid9' is not in the keyring",
        "v1:kid1:" + body[:20]: "malformed",
        "v1:kid1:***": "malformed",
        "v1:": "malformed",
        "plain old text": "not an encrypted envelope",
    }
    for value, reason in cases.items():
        with pytest.raises(DecryptionError, match=reason) as caught:
            cipher.open(value, **WHERE)
        assert caught.value.table == "videos" and caught.value.row_id == ROW


def test_kid_is_authenticated_too() -> None:
    # Same key material under two ids: relabelling the envelope still fails.
    ring = parse_keyring("K", f"a:{KEY1.hex()},b:{KEY1.hex()[::-1]}")
    cipher = ColumnCipher(ring)
    sealed = cipher.seal("x", **WHERE)
    twin = ColumnCipher(parse_keyring("K", f"b:{KEY1.hex()},a:{KEY1.hex()}"))
    with pytest.raises(DecryptionError, match="authentication failed"):
        twin.open(sealed.replace("v1:a:", "v1:b:"), **WHERE)


def test_errors_never_carry_key_material_or_plaintext() -> None:
    cipher = ColumnCipher(RING1)
    sealed = cipher.seal("the plaintext", **WHERE)
    with pytest.raises(DecryptionError) as caught:
        cipher.open(sealed, table="videos", column="script", row_id=uuid.uuid4())
    text = str(caught.value) + repr(caught.value) + repr(cipher)
    for secret in (KEY1.hex(), base64.b64encode(KEY1).decode(), "the plaintext"):
        assert secret not in text


def test_rotation_keyring_reads_old_writes_new() -> None:
    old = ColumnCipher(RING1).seal("carried over", **WHERE)
    cipher = ColumnCipher(RING21)
    assert cipher.open(old, **WHERE) == "carried over"
    assert cipher.needs_rotation(old)
    new = cipher.seal("carried over", **WHERE)
    assert new.startswith("v1:kid2:") and not cipher.needs_rotation(new)
    only_new = ColumnCipher(parse_keyring("K", f"kid2:{KEY2.hex()}"))
    assert only_new.open(new, **WHERE) == "carried over"
    with pytest.raises(DecryptionError, match="'kid1' is not in the keyring"):
        only_new.open(old, **WHERE)


def test_blind_index_is_keyed_normalised_and_rotatable() -> None:
    assert normalise("  Ed@Example.COM ") == "ed@example.com"
    one = BlindIndex(RING1, "users.email")
    assert one.compute("ed@example.com") == one.compute(normalise("ED@example.com"))
    assert len(one.compute("x")) == 64
    assert BlindIndex(RING1, "other.label").compute("x") != one.compute("x")
    both = BlindIndex(RING21, "users.email")
    old_index = one.compute("ed@example.com")
    assert both.compute("ed@example.com") != old_index
    assert both.candidates("ed@example.com") == [both.compute("ed@example.com"), old_index]


class _CountingAead:
    """The cipher's AESGCM for one key, counting the decryptions it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.decrypted = inner, 0

    def encrypt(self, *args: Any) -> bytes:
        return bytes(self.inner.encrypt(*args))

    def decrypt(self, *args: Any) -> bytes:
        self.decrypted += 1
        return bytes(self.inner.decrypt(*args))


def _counted(cipher: ColumnCipher) -> _CountingAead:
    counting = _CountingAead(cipher._ciphers["kid1"])
    cipher._ciphers["kid1"] = counting  # type: ignore[assignment]
    return counting


def test_a_value_opened_before_is_not_decrypted_again() -> None:
    cipher = ColumnCipher(RING1)
    aead = _counted(cipher)
    sealed = cipher.seal("read on every page", **WHERE)
    assert [cipher.open(sealed, **WHERE) for _ in range(5)] == ["read on every page"] * 5
    assert aead.decrypted == 1


@pytest.mark.parametrize(
    "where",
    [
        {"table": "videos", "column": "script", "row_id": uuid.uuid4()},
        {"table": "videos", "column": "description", "row_id": ROW},
        {"table": "jobs", "column": "script", "row_id": ROW},
    ],
    ids=["other-row", "other-column", "other-table"],
)
def test_a_remembered_value_is_still_bound_to_its_place(where: dict[str, Any]) -> None:
    cipher = ColumnCipher(RING1)
    sealed = cipher.seal("row bound", **WHERE)
    assert cipher.open(sealed, **WHERE) == "row bound"
    with pytest.raises(DecryptionError, match="authentication failed"):
        cipher.open(sealed, **where)
    body = sealed.split(":", 2)[2]
    flipped = "v1:kid1:" + body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(DecryptionError, match="authentication failed"):
        cipher.open(flipped, **WHERE)
    assert cipher.open(sealed, **WHERE) == "row bound"


def test_what_a_cipher_remembers_is_bounded() -> None:
    cipher = ColumnCipher(RING1)
    aead = _counted(cipher)
    rows = [uuid.uuid4() for _ in range(OPENED_ENTRIES + 10)]
    sealed = [
        cipher.seal(f"script {i}", table="videos", column="script", row_id=r)
        for i, r in enumerate(rows)
    ]
    for value, row in zip(sealed, rows, strict=True):
        cipher.open(value, table="videos", column="script", row_id=row)
    assert len(cipher._opened) == OPENED_ENTRIES
    assert aead.decrypted == OPENED_ENTRIES + 10
    cipher.open(sealed[-1], table="videos", column="script", row_id=rows[-1])  # kept
    assert aead.decrypted == OPENED_ENTRIES + 10
    cipher.open(sealed[0], table="videos", column="script", row_id=rows[0])  # the oldest went
    assert aead.decrypted == OPENED_ENTRIES + 11

    long = cipher.seal("x" * (OPENED_MAX_CHARS + 1), **WHERE)
    for _ in range(3):
        assert cipher.open(long, **WHERE) == "x" * (OPENED_MAX_CHARS + 1)
    assert aead.decrypted == OPENED_ENTRIES + 14  # too long to keep: opened each time
    assert "x" * 100 not in repr(cipher)
