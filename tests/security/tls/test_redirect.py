"""The plain-HTTP listener redirects to PUBLIC_URL; HSTS only over HTTPS; headers once each."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest

from faceless.security.headers import build_header_policy
from faceless.security.redirect import RedirectApp, redirect_target
from tests.security.tls.conftest import Server
from tests.security.tls.helpers import client_context

POLICY = build_header_policy()
COMMON = POLICY.as_dict(https=False)
HSTS = "strict-transport-security"


@pytest.fixture(scope="module")
def http(tls_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{tls_server.redirect_port}", follow_redirects=False
    ) as client:
        yield client


@pytest.fixture(scope="module")
def https(tls_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=tls_server.public_url, verify=client_context(tls_server.tls.ca_cert)
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "status"),
    [("GET", 301), ("HEAD", 301), ("POST", 308), ("PUT", 308), ("PATCH", 308), ("DELETE", 308)],
)
def test_redirect_status_and_target_ignore_the_host_header(
    tls_server: Server, http: httpx.Client, method: str, status: int
) -> None:
    response = http.request(
        method,
        "/path?q=1",
        headers={"Host": "evil.example"},
        content=b'{"a": 1}' if status == 308 else None,
    )
    assert response.status_code == status
    assert response.headers["location"] == f"{tls_server.public_url}/path?q=1"
    assert response.content == b""


def test_absolute_form_request_target_cannot_pick_the_host(tls_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", tls_server.redirect_port), timeout=5) as raw:
        raw.sendall(
            b"GET http://evil.example/x?y=1 HTTP/1.1\r\nHost: evil.example\r\n"
            b"Connection: close\r\n\r\n"
        )
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    head = answer.decode("latin-1").lower()
    assert head.startswith("http/1.1 301")
    assert f"\r\nlocation: {tls_server.public_url}/x?y=1\r\n" in head


def exchange(port: int, request: bytes, *, tls: ssl.SSLContext | None = None) -> bytes:
    """Send one raw request (headers exactly as written) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        if tls is None:
            return _talk(raw, request)
        with tls.wrap_socket(raw, server_hostname="localhost") as conn:
            return _talk(conn, request)


def _talk(conn: socket.socket, request: bytes) -> bytes:
    conn.sendall(request)
    answer = b""
    while chunk := conn.recv(4096):
        answer += chunk
    return answer


def split_answer(answer: bytes) -> tuple[int, dict[str, list[str]], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), headers, body


BAD_HOSTS = [
    pytest.param(b"Host: localhost\r\nHost: evil.example\r\n", id="two-hosts"),
    pytest.param(b"Host: evil.example\r\nHost: localhost\r\n", id="two-hosts-reversed"),
    pytest.param(b"Host: localhost:1@evil.example\r\n", id="user-info"),
    pytest.param(b"Host: localhost:8443/x\r\n", id="path"),
    pytest.param(b"Host: [::1\r\n", id="open-bracket"),
]


@pytest.mark.parametrize("hosts", BAD_HOSTS)
def test_redirect_listener_refuses_repeated_or_malformed_host(
    tls_server: Server, hosts: bytes
) -> None:
    request = b"GET /x HTTP/1.1\r\n" + hosts + b"Connection: close\r\n\r\n"
    status, headers, body = split_answer(exchange(tls_server.redirect_port, request))
    assert status == 400
    assert "location" not in headers
    assert headers["content-type"] == ["application/problem+json"]
    problem = json.loads(body)
    assert problem["status"] == 400 and "Host" in problem["detail"]
    assert headers["x-request-id"] == [problem["request_id"]]
    for name, value in COMMON.items():
        assert headers.get(name) == [value], name
    assert b"evil" not in body


def test_redirect_listener_redirects_without_a_host(tls_server: Server) -> None:
    # HTTP/1.0 may leave Host out; the target never depended on it anyway.
    answer = exchange(tls_server.redirect_port, b"GET /x HTTP/1.0\r\n\r\n")
    status, headers, _ = split_answer(answer)
    assert status == 301 and headers["location"] == [f"{tls_server.public_url}/x"]


@pytest.mark.parametrize("hosts", BAD_HOSTS)
def test_https_listener_refuses_repeated_or_malformed_host(
    tls_server: Server, hosts: bytes
) -> None:
    # A trailing slash is what makes the router redirect using the Host header.
    request = b"GET /api/v1/videos/ HTTP/1.1\r\n" + hosts + b"Connection: close\r\n\r\n"
    tls = client_context(tls_server.tls.ca_cert)
    status, headers, body = split_answer(exchange(tls_server.port, request, tls=tls))
    assert status == 400
    assert "location" not in headers
    assert json.loads(body)["detail"] == "The Host header must be given once, as host[:port]."


def test_redirect_carries_security_headers_but_not_hsts(http: httpx.Client) -> None:
    response = http.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 301
    assert HSTS not in response.headers
    for name, value in COMMON.items():
        assert response.headers.get_list(name) == [value], name
    assert response.headers.get_list("x-request-id") == ["abc-123"]
    assert "server" not in response.headers


def test_https_responses_carry_each_header_once_with_hsts(https: httpx.Client) -> None:
    expected = POLICY.as_dict(https=True)
    assert expected[HSTS] == "max-age=63072000; includeSubDomains"
    for path, status in (("/health", 200), ("/no-such-page", 404)):
        response = https.get(path)
        assert response.status_code == status
        for name, value in expected.items():
            assert response.headers.get_list(name) == [value], (path, name)
        assert len(response.headers.get_list("x-request-id")) == 1
        assert "server" not in response.headers


def test_https_is_the_scheme_the_app_sees(https: httpx.Client) -> None:
    # The app must see scope["scheme"] == "https" from uvicorn's own TLS: that is what
    # turns HSTS on without any proxy header.
    response = https.get("/health", headers={"X-Forwarded-Proto": "http"})
    assert HSTS in response.headers


def test_redirect_target_encoding() -> None:
    assert redirect_target("https://h:1", b"/a%20b/%zz", b"q=%41&x=<>") == (
        b"https://h:1/a%20b/%25zz?q=%41&x=%3C%3E"
    )
    assert redirect_target("https://h:1", b"//evil.example/\xc3\xa9\r\n", b"") == (
        b"https://h:1//evil.example/%C3%A9%0D%0A"
    )
    assert redirect_target("https://h:1", b"*", b"") == b"https://h:1/"


def test_redirect_app_refuses_a_plain_http_target() -> None:
    with pytest.raises(ValueError, match="https"):
        RedirectApp(public_url="http://localhost:8080", policy=POLICY)
