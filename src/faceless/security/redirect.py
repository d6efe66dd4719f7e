"""The plain-HTTP listener's whole application: a redirect to the configured HTTPS origin.

Design points:

- The target is ``PUBLIC_URL`` + path + query. The request's ``Host`` header is never
  used for it: building the target from it would make this an open redirect (anyone
  could send a victim's browser, via a link, to ``http://us/?`` with ``Host: evil.example``).
  It is only checked, like the API checks it: two ``Host`` headers or one that is not
  ``host[:port]`` are a 400 problem document (security.host_header); one well-formed
  foreign host is redirected like any other, and so is a request without one (HTTP/1.0).
- 301 for GET and HEAD; 308 for every other method, so a client re-sends a POST as a
  POST (a 301/302 lets it silently become a GET and drop the body).
- The path and query are carried over byte for byte from the request line, except that
  anything outside RFC 3986's visible characters is percent-encoded, so the Location
  header cannot carry control characters or raw non-ASCII.
- Security headers come from the same :class:`HeaderPolicy` as the API's, minus HSTS,
  which a browser ignores over plain HTTP (RFC 6797 §8.1) and which the HTTPS answer
  will set. The request id layer wraps this app as it wraps the API.
- The body is empty and the request body is never read: there is nothing to say.
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.headers import HeaderPolicy
from faceless.security.host_header import HostHeaderError, request_host
from faceless.security.middleware.response_edge import ResponseEdgeMiddleware

# RFC 3986 unreserved + reserved + "%" (already-encoded octets stay as they are).
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


# A "%" that does not start an escape is a literal percent sign.
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _encode(raw: bytes, safe: str) -> str:
    return _STRAY_PERCENT.sub("%25", quote_from_bytes(raw, safe=safe))


def redirect_target(public_url: str, raw_path: bytes, query: bytes) -> bytes:
    """``public_url`` (an origin) + the request's path and query, safely encoded."""
    if not raw_path.startswith(b"/"):  # "OPTIONS *" and the like: the site root
        raw_path = b"/"
    location = public_url.rstrip("/") + _encode(raw_path, _SAFE_PATH)
    if query:
        location += "?" + _encode(query, _SAFE_QUERY)
    return location.encode("ascii")


class RedirectApp:
    """Pure ASGI: answers every HTTP request with a redirect to ``public_url``."""

    def __init__(self, *, public_url: str, policy: HeaderPolicy) -> None:
        if not public_url.startswith("https://"):
            raise ValueError(f"the redirect target must be an https:// origin, not {public_url!r}")
        if not public_url.isascii():
            raise ValueError("the redirect target must be ASCII (write an IDN host as punycode)")
        self.public_url = public_url.rstrip("/")
        # Only the headers valid over plain HTTP, whatever the scope's scheme claims.
        self.common = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in policy.common
        }
        self.headers = [*policy.common, (b"content-length", b"0")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets are off on this listener
            return
        try:
            request_host(scope["headers"])
        except HostHeaderError:
            response = problem_response(
                400,
                "The Host header must be given once, as host[:port].",
                request_id=request_state.request_id(scope),
                headers=self.common,
            )
            await response(scope, receive, send)
            return
        status = 301 if scope["method"] in ("GET", "HEAD") else 308
        raw_path = scope.get("raw_path") or scope["path"].encode()
        location = redirect_target(self.public_url, raw_path, scope.get("query_string", b""))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*self.headers, (b"location", location)],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_redirect_app(*, public_url: str, policy: HeaderPolicy) -> ASGIApp:
    """The redirect app inside an edge that adds only the request id and the access log."""
    app = RedirectApp(public_url=public_url, policy=policy)
    return ResponseEdgeMiddleware(app, policy=None, counted=False)
