"""Keyed blind indexes: equality lookups and uniqueness on encrypted values.

``index = HMAC-SHA256(index_key, normalised value)``, hex. The index key of each keyring
entry is an HKDF subkey of it with its own purpose label (so it never equals the AES key
derived from the same entry). A database thief without the keyring cannot test guesses
against the index, unlike a plain hash of an e-mail address.

Rotation: stored indexes are computed with the *current* key. Until ``faceless keys
rotate`` has recomputed every row, older rows carry indexes under older keys, so a lookup
matches the candidates under every key in the ring (:meth:`BlindIndex.candidates`). After
rotation and retirement of the old key only the current candidate remains.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field

from faceless.crypto.aead import derive_subkey
from faceless.crypto.keys import Keyring

_PURPOSE = b"faceless/blind-index/v1"


def normalise(value: str) -> str:
    """Case- and Unicode-form-insensitive equality (e-mail addresses compare this way)."""
    return unicodedata.normalize("NFC", value.strip()).casefold()


@dataclass(frozen=True)
class BlindIndex:
    keyring: Keyring
    label: str
    _keys: dict[str, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        purpose = _PURPOSE + b"/" + self.label.encode()
        keys = {kid: derive_subkey(key, purpose) for kid, key in self.keyring.keys.items()}
        object.__setattr__(self, "_keys", keys)

    def _digest(self, kid: str, normalised: str) -> str:
        return hmac.new(self._keys[kid], normalised.encode(), hashlib.sha256).hexdigest()

    def compute(self, normalised: str) -> str:
        """The index to store, under the current key."""
        return self._digest(self.keyring.current_kid, normalised)

    def candidates(self, normalised: str) -> list[str]:
        """Every index the value may be stored under while older keys are in the ring."""
        current = self.keyring.current_kid
        kids = [current, *(kid for kid in self.keyring.keys if kid != current)]
        return [self._digest(kid, normalised) for kid in kids]
