"""A fake of Google's OAuth token endpoint and the YouTube Data API v3 upload endpoints.

Google cannot be reached from the tests, so this local HTTP server on 127.0.0.1 stands
in for it, following Google's published protocol as far as the publisher uses it:

- **Token endpoint** (Google's "Using OAuth 2.0 for Web Server Applications", refreshing
  an access token): ``POST /token`` with a form body ``grant_type=refresh_token``,
  ``client_id``, ``client_secret``, ``refresh_token``. Success is ``200 {"access_token",
  "expires_in", "scope", "token_type": "Bearer"}``; a revoked or expired refresh token is
  ``400 {"error": "invalid_grant", "error_description": "Token has been expired or
  revoked."}``; an unknown client is ``401 {"error": "invalid_client", ...}`` (RFC 6749
  section 5.2).
- **videos.insert, resumable** (the Data API guide "Resumable uploads"): ``POST
  /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with ``Authorization:
  Bearer``, ``X-Upload-Content-Length``, ``X-Upload-Content-Type`` and the JSON video
  resource answers ``200`` with the session URI in ``Location``. ``PUT <session>`` with
  ``Content-Range: bytes first-last/total`` stores a chunk (non-final chunks are multiples
  of 256 KiB) and answers ``308`` with ``Range: bytes=0-<last>`` until the last byte, then
  ``201`` with the video resource. ``PUT`` with ``Content-Range: bytes */total`` and no body
  asks for the status: ``308`` with ``Range`` (absent when nothing arrived). After a
  dropped connection only whole 256 KiB blocks are kept, as Google may keep less than
  was sent.
- **captions.insert** (reference page): ``POST /upload/youtube/v3/captions?part=snippet
  &uploadType=multipart`` with a ``multipart/related`` body of the JSON caption resource
  and the caption file; answers the caption resource.
- **thumbnails.set** (reference page): ``POST /upload/youtube/v3/thumbnails/set?videoId=ID``
  with the image as the body (``image/jpeg`` or ``image/png``, at most 2 MB); answers
  ``{"kind": "youtube#thumbnailSetResponse", "items": [...]}``.
- **channels.list** (reference page): ``GET /youtube/v3/channels?part=id&mine=true`` answers
  the authorised user's channel.
- **Errors** have Google's JSON shape ``{"error": {"code", "message", "errors":
  [{"message", "domain", "reason"}], "status"}}``: ``quotaExceeded`` (403, domain
  ``youtube.quota``), ``rateLimitExceeded`` (403, ``usageLimits``), ``authError`` (401)
  for a missing or unknown bearer token, ``backendError`` for a 5xx.

Tests script faults per operation (``token``, ``insert``, ``upload``, ``captions``,
``thumbnail``) with :meth:`FakeYouTube.fail` and read back everything it received.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

BLOCK = 256 * 1024
MAX_THUMBNAIL = 2 * 1024 * 1024
INSERT = "/upload/youtube/v3/videos"
CAPTIONS = "/upload/youtube/v3/captions"
THUMBNAILS = "/upload/youtube/v3/thumbnails/set"
CHANNELS = "/youtube/v3/channels"
Operation = Literal["token", "insert", "upload", "captions", "thumbnail"]
REASONS = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        "The request cannot be completed because you have exceeded your quota.",
    ),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "backendError": (503, "global", "Backend Error"),
}


@dataclass
class Fault:
    """What one request of an operation gets instead of its normal answer."""

    status: int = 503
    reason: str = "backendError"
    # For "upload": keep this many bytes of the body, then close without answering.
    drop_after: int | None = None


@dataclass
class Session:
    resource: dict[str, Any]
    headers: dict[str, str]
    total: int
    data: bytearray = field(default_factory=bytearray)
    video_id: str | None = None


@dataclass(frozen=True)
class Upload:
    """One file a test can inspect: captions or a thumbnail."""

    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    body: bytes
    metadata: dict[str, Any] | None = None


class FakeYouTube:
    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str) -> None:
        self.client = {"client_id": client_id, "client_secret": client_secret}
        self.refresh_token = refresh_token
        self.revoked = False
        self.token_lifetime = 3599
        self.token_requests: list[dict[str, str]] = []
        self.access_tokens: set[str] = set()
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, Session] = {}
        self.captions: list[Upload] = []
        self.thumbnails: list[Upload] = []
        self.puts: list[str] = []  # every Content-Range received, in order
        self.faults: dict[str, list[Fault | None]] = {}
        # Where session URIs point (a test sets another origin to see the client refuse).
        self.session_origin: str | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # -- for tests --------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def settings_env(self) -> dict[str, str]:
        """The operator variables that point the publisher here."""
        return {
            "YOUTUBE_TOKEN_URL": f"{self.url}/token",
            "YOUTUBE_API_BASE_URL": self.url,
            "YOUTUBE_UPLOAD_BASE_URL": f"{self.url}/upload",
        }

    def fail(self, operation: Operation, *faults: Fault | None) -> None:
        """The next requests of ``operation`` get these faults, one each, in order
        (``None``: that request is answered normally)."""
        with self._lock:
            self.faults.setdefault(operation, []).extend(faults)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # -- the protocol -----------------------------------------------------------------

    def next_fault(self, operation: Operation) -> Fault | None:
        with self._lock:
            queue = self.faults.get(operation)
            return queue.pop(0) if queue else None

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        fault = self.next_fault("token")
        if fault is not None:
            return fault.status, {"error": "internal_failure"}
        if form.get("grant_type") != "refresh_token" or "refresh_token" not in form:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Invalid grant_type",
            }
        if {k: form.get(k) for k in self.client} != self.client:
            return 401, {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
        if self.revoked or form["refresh_token"] != self.refresh_token:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.access_tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.force-ssl",
            "token_type": "Bearer",
        }

    def authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and token in self.access_tokens

    def start_session(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        fault = self.next_fault("insert")
        if fault is not None:
            return fault.status, {}, google_error(fault.status, fault.reason)
        try:
            resource = json.loads(body)
            total = int(headers["x-upload-content-length"])
        except (ValueError, KeyError):
            return 400, {}, google_error(400, "badRequest", "Bad Request")
        if not headers.get("x-upload-content-type", "").startswith(
            ("video/", "application/octet-stream")
        ):
            return 400, {}, google_error(400, "invalidContentType", "Invalid media type")
        upload_id = secrets.token_urlsafe(16)
        self.sessions[upload_id] = Session(resource, headers, total)
        origin = self.session_origin or self.url
        location = f"{origin}{INSERT}?uploadType=resumable&upload_id={upload_id}"
        return 200, {"Location": location}, None

    def finish(self, session: Session) -> dict[str, Any]:
        if session.video_id is None:
            session.video_id = secrets.token_urlsafe(8)[:11]
            self.videos[session.video_id] = session
        return {
            "kind": "youtube#video",
            "etag": uuid.uuid4().hex,
            "id": session.video_id,
            "snippet": {**session.resource.get("snippet", {}), "channelId": "UCfake"},
            "status": {**session.resource.get("status", {}), "uploadStatus": "uploaded"},
        }

    def range_headers(self, session: Session) -> dict[str, str]:
        received = len(session.data)
        return {"Range": f"bytes=0-{received - 1}"} if received else {}


def google_error(status: int, reason: str, message: str | None = None) -> dict[str, Any]:
    _code, domain, default = REASONS.get(reason, (status, "global", reason))
    text = message or default
    return {
        "error": {
            "code": status,
            "message": text,
            "errors": [{"message": text, "domain": domain, "reason": reason}],
            "status": {
                400: "INVALID_ARGUMENT",
                401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED",
                404: "NOT_FOUND",
            }.get(status, "UNAVAILABLE"),
        }
    }


def _handler_class(fake: FakeYouTube) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: object) -> None:
            pass  # keep the test output clean

        @property
        def lower_headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def answer(
            self, status: int, payload: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            raw = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if payload is not None:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/token":
                form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
                status, payload = fake.token(form)
                self.answer(status, payload)
                return
            body = self.body()
            if not fake.authorized(self.lower_headers):
                self.answer(401, google_error(401, "authError", "Invalid Credentials"))
            elif parts.path == INSERT and query.get("uploadType") == "resumable":
                status, headers, payload = fake.start_session(self.lower_headers, body)
                self.answer(status, payload, headers)
            elif parts.path == CAPTIONS and query.get("uploadType") == "multipart":
                self.captions(query, body)
            elif parts.path == THUMBNAILS:
                self.thumbnail(query, body)
            else:
                self.answer(404, google_error(404, "notFound", "Not Found"))

        def do_GET(self) -> None:
            # channels.list?part=id&mine=true: what `faceless publisher check` asks.
            if not fake.authorized(self.lower_headers):
                self.answer(401, google_error(401, "authError", "Invalid Credentials"))
            elif urlsplit(self.path).path == CHANNELS:
                channel = {"kind": "youtube#channel", "etag": "e", "id": "UCfake"}
                self.answer(200, {"kind": "youtube#channelListResponse", "items": [channel]})
            else:
                self.answer(404, google_error(404, "notFound", "Not Found"))

        def do_PUT(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            session = fake.sessions.get(query.get("upload_id", ""))
            if session is None:
                self.body()
                self.answer(404, google_error(404, "notFound", "Upload session not found"))
                return
            content_range = self.headers.get("content-range", "")
            fake.puts.append(content_range)
            fault = fake.next_fault("upload")
            if fault is not None and fault.drop_after is not None:
                self.drop(session, fault.drop_after)
            elif fault is not None:
                self.body()  # nothing of this request is kept
                self.answer(fault.status, google_error(fault.status, fault.reason))
            elif content_range.startswith("bytes */"):
                self.body()
                self.status_of(session)
            else:
                self.chunk(session, content_range)

        def status_of(self, session: Session) -> None:
            if len(session.data) == session.total:
                self.answer(201, fake.finish(session))
            else:
                self.answer(308, None, fake.range_headers(session))

        def chunk(self, session: Session, content_range: str) -> None:
            data = self.body()
            first = 0
            if content_range:
                span, _, total = content_range.removeprefix("bytes ").partition("/")
                first_text, _, last_text = span.partition("-")
                first, last = int(first_text), int(last_text)
                if int(total) != session.total or last - first + 1 != len(data):
                    self.answer(400, google_error(400, "badRequest", "Invalid Content-Range"))
                    return
            if first != len(session.data):
                # Not where the server is: it answers with what it has.
                self.answer(308, None, fake.range_headers(session))
                return
            final = first + len(data) == session.total
            if not final and len(data) % BLOCK:
                self.answer(
                    400, google_error(400, "badRequest", "Chunk size must be a multiple of 256 KiB")
                )
                return
            session.data.extend(data)
            self.status_of(session)

        def drop(self, session: Session, keep: int) -> None:
            data = self.rfile.read(keep)
            # Google may keep less than it read: here, whole 256 KiB blocks.
            session.data.extend(data[: len(data) // BLOCK * BLOCK])
            self.close_connection = True
            self.connection.close()

        def captions(self, query: dict[str, str], body: bytes) -> None:
            fault = fake.next_fault("captions")
            if fault is not None:
                self.answer(fault.status, google_error(fault.status, fault.reason))
                return
            parts = _multipart_related(self.headers.get("content-type", ""), body)
            if parts is None or len(parts) != 2:
                self.answer(400, google_error(400, "badRequest", "Expected multipart/related"))
                return
            (meta_type, meta), (file_type, content) = parts
            metadata = json.loads(meta) if meta_type.startswith("application/json") else None
            video_id = ((metadata or {}).get("snippet") or {}).get("videoId")
            if video_id not in fake.videos:
                self.answer(404, google_error(404, "videoNotFound", "Video not found"))
                return
            fake.captions.append(Upload(query, self.lower_headers, file_type, content, metadata))
            self.answer(
                200, {"kind": "youtube#caption", "id": uuid.uuid4().hex, **(metadata or {})}
            )

        def thumbnail(self, query: dict[str, str], body: bytes) -> None:
            fault = fake.next_fault("thumbnail")
            content_type = self.headers.get("content-type", "")
            if fault is not None:
                self.answer(fault.status, google_error(fault.status, fault.reason))
            elif query.get("videoId") not in fake.videos:
                self.answer(404, google_error(404, "videoNotFound", "Video not found"))
            elif content_type not in ("image/jpeg", "image/png", "application/octet-stream"):
                self.answer(400, google_error(400, "invalidImage", "Invalid image"))
            elif not body or len(body) > MAX_THUMBNAIL:
                self.answer(400, google_error(400, "mediaBodyRequired", "Bad image size"))
            else:
                fake.thumbnails.append(Upload(query, self.lower_headers, content_type, body))
                url = f"https://i.ytimg.com/vi/{query['videoId']}/default.jpg"
                self.answer(
                    200,
                    {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": url}}]},
                )

    return Handler


def _multipart_related(content_type: str, body: bytes) -> list[tuple[str, bytes]] | None:
    if not content_type.startswith("multipart/related"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    return [
        (part.get_content_type(), part.get_payload(decode=True) or b"")
        for part in message.iter_parts()  # type: ignore[attr-defined]
    ]


def fresh_credentials() -> dict[str, str]:
    """client_id, client_secret and refresh_token values made up for one test run."""
    return {
        key: f"{key}-{uuid.uuid4().hex}" for key in ("client_id", "client_secret", "refresh_token")
    }


@contextmanager
def fake_youtube(
    *, client_id: str, client_secret: str, refresh_token: str
) -> Iterator[FakeYouTube]:
    fake = FakeYouTube(
        client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
    )
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
