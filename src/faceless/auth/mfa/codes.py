"""One-time codes: RFC 6238 TOTP through pyotp, and single-use recovery codes.

Pure functions, no I/O: the clock is a parameter, so callers (and tests) decide what
"now" is. TOTP is pinned to the contract's parameters (SHA-1, 6 digits, 30-second
steps) rather than left to the library's defaults. A code is matched to the *step* it
belongs to, one step of clock skew either way (RFC 6238 section 5.2), and the step is
what the caller stores to refuse the same code (or any older one) a second time.

Recovery codes carry 80 random bits each (16 characters of base32), so a fast unkeyed
hash cannot be reversed by guessing; unlike a keyed HMAC it survives the rotation of
every key, and a code is only ever looked up for one user.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyotp

DIGITS = 6
STEP_SECONDS = 30
SKEW_STEPS = 1
ISSUER = "FacelessYouTube"
RECOVERY_CODE_COUNT = 10

_TOTP_CODE = re.compile(r"[0-9]{6}")
_BASE32 = string.ascii_lowercase + "234567"  # RFC 4648 base32, lower case
_RECOVERY_LENGTH = 16  # x 5 bits = 80 bits
_RECOVERY_CODE = re.compile(rf"[{_BASE32}]{{{_RECOVERY_LENGTH}}}")
_RECOVERY_PURPOSE = b"faceless/recovery-code/v1\x00"


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    import pyotp  # at first use: most API processes never see MFA set up (issue 11)

    return pyotp.random_base32(length=32)


def _totp(secret: str) -> pyotp.TOTP:
    import pyotp  # at first use, see new_secret

    return pyotp.TOTP(secret, digits=DIGITS, digest=hashlib.sha1, interval=STEP_SECONDS)


def otpauth_uri(secret: str, username: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read (usually from a QR code)."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def step_at(now: float) -> int:
    return int(now // STEP_SECONDS)


def code_at(secret: str, now: float) -> str:
    """The code of the step ``now`` falls in (for tests and tools)."""
    return _totp(secret).generate_otp(step_at(now))


def is_totp_code(code: str) -> bool:
    return _TOTP_CODE.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The step within one of ``now``'s whose code ``code`` is; None when none is."""
    if not is_totp_code(code):
        return None
    totp = _totp(secret)
    current = step_at(now)
    found = None
    # Every candidate is compared, in constant time, whichever matches.
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def new_recovery_codes() -> list[str]:
    """Ten codes shaped ``xxxx-xxxx-xxxx-xxxx`` (the dashes are for people, not checked)."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_BASE32) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def normalise_recovery_code(code: str) -> str | None:
    """The code as stored (lower case, no dashes or spaces); None if it cannot be one."""
    cleaned = code.replace("-", "").replace(" ", "").lower()
    return cleaned if _RECOVERY_CODE.fullmatch(cleaned) else None


def recovery_code_hash(normalised: str) -> str:
    return hashlib.sha256(_RECOVERY_PURPOSE + normalised.encode()).hexdigest()
