"""The Observatory engine's retrieval (``src/retriever/``), over the posture wire client.

Two sessions start side by side, one at the plain-HTTP URL and one at the HTTPS URL,
each following redirects (at most 10) and verifying certificates; on a certificate
error a session starts over without verification and its answers count as unverified.
The HTTPS session is the one graded when it answered at all. A CORS preflight from
the Observatory's origin goes to where that session ended; an unverified session
first asks for ``/robots.txt`` (the engine's extra client records it as a hop, so the
preflight then goes there). Redirects to another host are recorded, never followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from faceless.posture.observatory.cookie_jar import CookieJar
from faceless.posture.observatory.html import http_equiv
from faceless.posture.observatory.page import Hop, Page, Retrieval, node_headers
from faceless.posture.wire import CertificateError, Response, Wire, WireError

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ROBOTS_ACCEPT = "text/plain,*/*;q=0.8"
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
MAX_REDIRECTS = 10
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(slots=True)
class _Session:
    url: str
    page: Page | None = None
    history: list[Hop] = field(default_factory=list)
    verified: bool = True
    jar: CookieJar = field(default_factory=CookieJar)

    @property
    def live(self) -> bool:
        return self.page is not None


def _page(response: Response, *, verified: bool) -> Page:
    return Page(
        response.url, response.status, node_headers(response.headers), response.text, verified
    )


def _follow(
    wire: Wire,
    url: str,
    *,
    method: str = "GET",
    headers: list[tuple[str, str]],
    verify: bool,
    jar: CookieJar | None,
    history: list[Hop] | None,
) -> Response:
    """Request ``url`` and follow its redirects on the target; record hops and cookies."""
    for count in range(MAX_REDIRECTS + 1):
        response = wire.request(url, method, headers=headers, verify=verify)
        if history is not None:
            history.append(Hop(url, response.status))
        if jar is not None:
            jar.store(url, response.all("set-cookie"))
        location = response.first("location")
        if count == MAX_REDIRECTS or response.status not in REDIRECT_CODES or not location:
            return response
        target = urljoin(url, location)
        if (urlsplit(target).hostname or "") not in wire.allowed_hosts:
            if history is not None:
                history.append(Hop(target, None))
            return response
        url = target
    raise AssertionError("unreachable")


def _start(wire: Wire, url: str | None) -> _Session:
    if url is None:
        return _Session(url="")
    session = _Session(url)
    for verify in (True, False):
        session.history, session.verified = [], verify
        try:
            response = _follow(
                wire,
                url,
                headers=[("Accept", ACCEPT)],
                verify=verify,
                jar=session.jar,
                history=session.history,
            )
        except CertificateError:
            continue
        except WireError:
            break
        session.page = _page(response, verified=verify)
        return session
    session.history = []
    return session


def retrieve(
    wire: Wire, *, hostname: str, http_url: str | None, https_url: str | None
) -> Retrieval:
    http, https = _start(wire, http_url), _start(wire, https_url)
    retrieval = Retrieval(hostname, http=http.page, https=https.page)
    retrieval.http_redirects = list(http.history)
    session = https if https.live else http
    retrieval.session_url = session.url or None
    retrieval.auto = session.page
    if session.page is None:
        return retrieval
    auto = session.page
    mime = (auto.first("content-type") or "").split(";")[0]
    if mime in HTML_TYPES and auto.text:
        auto.http_equiv = http_equiv(auto.text)
    if not session.verified:
        _robots(wire, session)
    retrieval.cors = _preflight(wire, session)
    retrieval.cors_origin_sent = CORS_ORIGIN
    retrieval.cookies = session.jar.all()
    return retrieval


def _robots(wire: Wire, session: _Session) -> None:
    url = urljoin(session.url, "/robots.txt")
    try:
        _follow(
            wire,
            url,
            headers=[("Accept", ROBOTS_ACCEPT)],
            verify=False,
            jar=session.jar,
            history=None,
        )
    except WireError:
        return
    session.history.append(Hop(url, None))


def _preflight(wire: Wire, session: _Session) -> Page | None:
    url = session.history[-1].url if session.history else session.url
    headers = [
        ("Accept", ACCEPT),
        ("Access-Control-Request-Method", "GET"),
        ("Origin", CORS_ORIGIN),
    ]
    try:
        response = _follow(
            wire,
            url,
            method="OPTIONS",
            headers=headers,
            verify=session.verified,
            jar=None if session.verified else session.jar,
            history=None,
        )
    except WireError:
        return None
    return _page(response, verified=session.verified)
