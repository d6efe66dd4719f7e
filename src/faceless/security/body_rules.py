"""Request body limits and content types, enforced on the byte stream.

``Content-Length`` is checked up front (413 before reading anything), and the
actual bytes are counted as they arrive, so a chunked or lying request is cut
off at the limit instead of being buffered. Each route class has its own cap and
accepted media types: JSON everywhere, multipart for uploads, JSON or a form for
login (the docs page's OAuth2 form), and the raw bodies of a video's media and
thumbnail (paths with an id: matched by pattern, after the exact paths).
"""

from __future__ import annotations

import re
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
    # Paths with an id in them, tried in order when no exact path matches.
    by_pattern: tuple[tuple[re.Pattern[str], BodyRule], ...] = ()

    def for_path(self, path: str) -> BodyRule:
        exact = self.by_path.get(path.rstrip("/") or "/")
        if exact is not None:
            return exact
        for pattern, rule in self.by_pattern:
            if pattern.match(path):
                return rule
        return self.default


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
# The raw-body uploads of one video; a path that is not a UUID goes on to the app's 404.
MEDIA_PATH = re.compile(r"^/api/v1/videos/[^/]+/media$")
THUMBNAIL_PATH = re.compile(r"^/api/v1/videos/[^/]+/thumbnail$")
# API.md: a thumbnail is at most 2 MiB (YouTube's own limit for thumbnails.set).
MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024


def build_body_rules(
    *, max_json_bytes: int, max_upload_bytes: int, max_media_bytes: int = 2 * 1024**3
) -> BodyRules:
    json_rule = BodyRule(max_json_bytes, frozenset({JSON}))
    # Multipart framing adds a little over the file itself.
    upload_rule = BodyRule(max_upload_bytes + 64 * 1024, frozenset({MULTIPART}))
    login_rule = BodyRule(max_json_bytes, frozenset({JSON, FORM}))
    return BodyRules(
        default=json_rule,
        by_path={"/api/v1/transcribe": upload_rule, "/api/v1/auth/login": login_rule},
        by_pattern=(
            (MEDIA_PATH, BodyRule(max_media_bytes, VIDEO_TYPES)),
            (THUMBNAIL_PATH, BodyRule(MAX_THUMBNAIL_BYTES, IMAGE_TYPES)),
        ),
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
