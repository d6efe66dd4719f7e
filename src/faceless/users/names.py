"""What a username is: ``[A-Za-z0-9_.-]{3,32}`` as sent, then lower-cased (ASCII).

Checked on the name exactly as sent: nothing is stripped or normalised first, so no
other string (a padded one, U+212A KELVIN SIGN, which ``str.lower`` turns into
``k``) can stand for an account's name.
"""

from __future__ import annotations

import re

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
_USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")


def canonical_username(sent: str) -> str | None:
    """The stored form of the username ``sent``, or None when it cannot be a username."""
    if _USERNAME.fullmatch(sent) is None:
        return None
    return sent.lower()  # ASCII only by now, so ASCII lower-casing
