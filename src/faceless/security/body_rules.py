"""Request body limits and content types, enforced on the byte stream.

``Content-Length`` is checked up front (413 before reading anything), and the
actual bytes are counted as they arrive, so a chunked or lying request is cut
off at the limit instead of being buffered. Each route class has its own cap and
accepted media types: JSON everywhere, multipart for uploads, JSON or a form for
login (the docs page's OAuth2 form).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BodyRule:
    max_bytes: int
    media_types: frozenset[str]


@dataclass(frozen=True, slots=True)
class BodyRules:
    default: BodyRule
    by_path: dict[str, BodyRule]

    def for_path(self, path: str) -> BodyRule:
        return self.by_path.get(path.rstrip("/") or "/", self.default)


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def build_body_rules(*, max_json_bytes: int, max_upload_bytes: int) -> BodyRules:
    json_rule = BodyRule(max_json_bytes, frozenset({JSON}))
    # Multipart framing adds a little over the file itself.
    upload_rule = BodyRule(max_upload_bytes + 64 * 1024, frozenset({MULTIPART}))
    login_rule = BodyRule(max_json_bytes, frozenset({JSON, FORM}))
    return BodyRules(
        default=json_rule,
        by_path={"/api/v1/transcribe": upload_rule, "/api/v1/auth/login": login_rule},
    )


# An early answer to a request whose body was not read closes the connection: kept
# open, the server would go on receiving (and discarding) whatever the client sends.
CLOSE_UNREAD = {"Connection": "close"}


def announces_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether an ASGI request's headers announce a body (chunked, or a length over 0)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (
            name == b"content-length" and value.strip() not in (b"", b"0")
        ):
            return True
    return False
