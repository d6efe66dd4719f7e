"""A fake of Anthropic's Messages API: a local HTTP server on 127.0.0.1.

Anthropic cannot be reached from the tests, so this stands in for it, following the
published Messages API as far as the client here uses it:

- ``POST /v1/messages`` with the key in the ``x-api-key`` header (the documented form)
  or as ``Authorization: Bearer`` (how the 2.x SDK sends an API key), an
  ``anthropic-version`` header and a JSON body with ``model``, ``max_tokens`` and
  ``messages`` (plus ``system``, ``tools`` and ``tool_choice``);
- a success is a ``message`` object (``id``, ``type``, ``role``, ``model``, ``content``
  as a list of content blocks, ``stop_reason``, ``stop_sequence``, ``usage``) with a
  ``request-id`` header; a forced tool call answers with one ``tool_use`` block
  (``id``, ``name``, ``input``) and ``stop_reason: "tool_use"``;
- errors are ``{"type": "error", "error": {"type", "message"}, "request_id"}`` with the
  documented statuses: 401 ``authentication_error`` for a wrong or missing key, 400
  ``invalid_request_error`` for a malformed request, 404 ``not_found_error``.

The real ``anthropic`` SDK talks to it over HTTP. Tests choose the answer (the tool
input, a raw body, a delay) and read back every request it received.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The longest a delayed answer is ever held; teardown releases it sooner.
MAX_DELAY_SECONDS = 60.0


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Behaviour:
    """What the next requests get. ``raw`` (status, bytes) replaces the normal answer."""

    tool_input: object = field(
        default_factory=lambda: {
            "suggestions": [
                {"area": "title", "text": "Lead with the surprise: Why rivers beat rock"},
                {"area": "hook", "text": "Open with the question, not a greeting."},
                {"area": "script", "text": "Cut the second paragraph; it repeats the first."},
            ]
        }
    )
    delay_seconds: float = 0.0
    raw: tuple[int, bytes] | None = None
    answering_model: str | None = None
    # Called (in the server's thread) while the request is being answered.
    while_answering: Callable[[], None] | None = None


class FakeMessagesApi:
    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.received.append(Received(self.path, headers, body))
                status, payload = fake.respond(self.path, headers, body)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", f"req_{uuid.uuid4().hex}")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, fmt: str, *args: object) -> None:
                pass  # keep the test output clean

        return Handler

    def respond(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
        if path != "/v1/messages":
            return error(404, "not_found_error", "Not found")
        if presented_key(headers) != self.api_key:
            return error(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in headers:
            return error(400, "invalid_request_error", "anthropic-version header is required")
        if not isinstance(body, dict) or not {"model", "max_tokens", "messages"} <= body.keys():
            return error(400, "invalid_request_error", "model, max_tokens, messages required")
        behaviour = self.behaviour
        if behaviour.while_answering is not None:
            behaviour.while_answering()
        if behaviour.delay_seconds:
            self._release.wait(min(behaviour.delay_seconds, MAX_DELAY_SECONDS))
        if behaviour.raw is not None:
            return behaviour.raw
        tool = (body.get("tool_choice") or {}).get("name", "tool")
        return 200, json.dumps(
            {
                "id": f"msg_{uuid.uuid4().hex}",
                "type": "message",
                "role": "assistant",
                "model": behaviour.answering_model or body["model"],
                "content": [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{uuid.uuid4().hex}",
                        "name": tool,
                        "input": behaviour.tool_input,
                    }
                ],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {"input_tokens": 812, "output_tokens": 95},
            }
        ).encode()


def presented_key(headers: dict[str, str]) -> str | None:
    """The API key a request carries, in either accepted header."""
    if "x-api-key" in headers:
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def error(status: int, kind: str, message: str) -> tuple[int, bytes]:
    body = {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_{uuid.uuid4().hex}",
    }
    return status, json.dumps(body).encode()


@contextmanager
def fake_messages_api(*, api_key: str) -> Iterator[FakeMessagesApi]:
    fake = FakeMessagesApi(api_key=api_key)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
