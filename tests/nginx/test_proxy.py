"""Through the project's nginx, for real: TLS, redirects, headers, proxy headers, limits.

Header ownership under test: every security header appears exactly once, whether the
response was made by the app (nginx adds nothing) or by nginx itself (the redirect, a
413 for a body over ``client_max_body_size``, a 429 from the login wall, a 502 with no
upstream): there the values come from the app's own header policy.
"""

from __future__ import annotations

import socket
import ssl
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faceless.nginx.render import client_max_body_size
from faceless.security.body_rules import build_body_rules
from faceless.security.headers import build_header_policy
from faceless.settings import HttpSettings, Settings
from tests.fixtures import free_port
from tests.media.samples import write_video
from tests.nginx.conftest import Stack
from tests.nginx.server import NginxServer, trusting
from tests.security.tls.helpers import (
    LocalTlsServer,
    client_context,
    handshake,
    weak_server_context,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POLICY = build_header_policy()
HTTPS_HEADERS = POLICY.as_dict(https=True)
HTTP_HEADERS = POLICY.as_dict(https=False)


def assert_headers_once(response: httpx.Response, expected: dict[str, str]) -> None:
    counts = Counter(name.lower() for name, _ in response.headers.multi_items())
    for name, value in expected.items():
        assert counts[name] == 1, f"{name} appears {counts[name]} times on {response}"
        if name != "content-security-policy" or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            assert response.headers[name] == value, name
    assert counts["x-request-id"] == 1
    # nginx's Server header, without a version; the app adds none of its own.
    assert response.headers.get_list("server") == ["nginx"]


def test_tls_1_0_and_1_1_are_refused(nginx_stack: Stack) -> None:
    certs = nginx_stack.certs
    with LocalTlsServer(weak_server_context(certs.cert, certs.key)) as weak:
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx = client_context(certs.ca_cert, version=version)
            # Control: the same client does speak it to a server that allows it...
            assert handshake(ctx, weak.port)[0] in ("TLSv1", "TLSv1.1")
            # ...so nginx's refusal is nginx's doing.
            with pytest.raises(ssl.SSLError):
                handshake(ctx, nginx_stack.nginx.https_port)


def test_tls_1_2_and_1_3_are_accepted(nginx_stack: Stack) -> None:
    for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
        ctx = client_context(nginx_stack.certs.ca_cert, version=version)
        negotiated, cipher, _ = handshake(ctx, nginx_stack.nginx.https_port)
        assert negotiated == name
        if version is ssl.TLSVersion.TLSv1_2:
            assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)


def test_chain_verifies_with_the_dev_ca_for_localhost(nginx_stack: Stack) -> None:
    ctx = ssl.create_default_context(cafile=str(nginx_stack.certs.ca_cert))
    with (
        socket.create_connection(("127.0.0.1", nginx_stack.nginx.https_port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cert = tls.getpeercert()
        assert ("DNS", "localhost") in cert["subjectAltName"]
    # The same chain for another name must not verify.
    with (
        socket.create_connection(("127.0.0.1", nginx_stack.nginx.https_port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ctx.wrap_socket(raw, server_hostname="evil.example")


def test_http2_is_negotiated(nginx_stack: Stack) -> None:
    ctx = ssl.create_default_context(cafile=str(nginx_stack.certs.ca_cert))
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", nginx_stack.nginx.https_port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"


@pytest.mark.parametrize(
    ("method", "status"), [("GET", 301), ("HEAD", 301), ("POST", 308), ("DELETE", 308)]
)
def test_plain_http_redirects_to_the_configured_origin(
    nginx_stack: Stack, method: str, status: int
) -> None:
    with httpx.Client(base_url=nginx_stack.nginx.http_url, timeout=10) as http:
        for host in ("localhost", "evil.example"):
            response = http.request(
                method, "/api/v1/videos?limit=5&x=%2F", headers={"Host": host}, content=b""
            )
            assert response.status_code == status
            assert response.headers["location"] == (
                f"{nginx_stack.https_url}/api/v1/videos?limit=5&x=%2F"
            )
            assert "strict-transport-security" not in response.headers
            assert_headers_once(response, HTTP_HEADERS)


def test_app_responses_carry_each_header_once_with_hsts(nginx_stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {nginx_stack.admin_token}"}
    with nginx_stack.client() as http:
        for response in (
            http.get("/health"),
            http.get("/api/v1/no-such-route"),
            http.get("/api/v1/videos", headers=auth),
            http.post("/api/v1/videos", headers=auth, content=b"{}"),  # 415 from the app
            http.get("/docs"),
        ):
            assert response.status_code in (200, 404, 415), response.text
            assert_headers_once(response, HTTPS_HEADERS)
            # Not nginx's page: the app's own answer came through untouched.
            assert response.headers["content-type"].startswith(
                ("application/json", "application/problem+json", "text/html")
            )


def test_nginx_413_carries_each_header_once(nginx_stack: Stack) -> None:
    limit = client_max_body_size(Settings())
    # nginx's limit is the app's largest (upload) limit, with the same multipart margin.
    rules = build_body_rules(max_json_bytes=1024 * 1024, max_upload_bytes=25 * 1024 * 1024)
    assert limit == rules.for_path("/api/v1/transcribe").max_bytes
    auth = {"Authorization": f"Bearer {nginx_stack.admin_token}"}
    with nginx_stack.client() as http:
        response = http.post(
            "/api/v1/transcribe",
            headers={**auth, "Content-Type": "multipart/form-data; boundary=x"},
            content=b"\0" * (limit + 1),
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert_headers_once(response, HTTPS_HEADERS)
    body = response.json()
    assert body["status"] == 413
    assert body["request_id"] == response.headers["x-request-id"]
    # Made by nginx: no upstream saw it.
    assert all(
        e["status"] != 413 or e["upstream"] == "" for e in nginx_stack.nginx.access_entries()
    )


def test_nginx_own_404_carries_each_header_once(nginx_stack: Stack) -> None:
    with nginx_stack.client() as http:
        response = http.get("/_faceless/error", headers={"X-Request-ID": "probe-404"})
    assert response.status_code == 404
    assert response.json()["request_id"] == "probe-404"
    assert_headers_once(response, HTTPS_HEADERS)


def test_client_forwarded_headers_are_overwritten(nginx_stack: Stack) -> None:
    username = f"xff-{uuid.uuid4().hex[:10]}"
    spoof = {
        "X-Forwarded-For": "1.2.3.4",
        "X-Real-IP": "1.2.3.4",
        "Forwarded": "for=1.2.3.4;proto=http",
        "X-Forwarded-Proto": "http",
    }
    with nginx_stack.client() as http:
        failed = http.post(
            "/api/v1/auth/login",
            headers=spoof,
            json={"username": username, "password": "not the password"},
        )
        assert failed.status_code == 401
        # The scheme came from nginx, not from the client's X-Forwarded-Proto: HSTS stays.
        assert "strict-transport-security" in failed.headers
        audit = http.get(
            "/api/v1/audit",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {nginx_stack.admin_token}"},
        )
    assert audit.status_code == 200, audit.text
    events = [e for e in audit.json()["items"] if e["target"] == f"user:{username}"]
    assert events, audit.json()
    assert {e["actor_ip"] for e in events} == {"127.0.0.1"}


def test_requests_are_spread_across_both_upstreams(nginx_stack: Stack) -> None:
    marker = uuid.uuid4().hex
    with nginx_stack.client() as http:
        for _ in range(20):
            assert http.get("/health", headers={"X-Request-ID": marker}).status_code == 200
    upstreams = Counter(
        e["upstream"] for e in nginx_stack.nginx.access_entries() if e["request_id"] == marker
    )
    assert set(upstreams) == {f"127.0.0.1:{port}" for port in nginx_stack.api_ports}
    assert min(upstreams.values()) >= 5, upstreams


@pytest.fixture
def own_nginx(nginx_stack: Stack, public_dir: Path) -> Iterator[NginxServer]:
    """A second nginx in front of the same API processes, with its own login-limit zone."""
    directory = public_dir
    settings = Settings(http=HttpSettings(public_url=nginx_stack.https_url))
    server = NginxServer(
        settings=settings,
        directory=directory,
        cert=nginx_stack.certs.cert,
        key=nginx_stack.certs.key,
        upstreams=[f"127.0.0.1:{port}" for port in nginx_stack.api_ports],
    )
    with server:
        yield server


def test_login_wall_answers_429_before_the_app(own_nginx: NginxServer, nginx_stack: Stack) -> None:
    statuses = []
    with httpx.Client(
        base_url=own_nginx.https_url, verify=trusting(nginx_stack.certs.ca_cert), timeout=30
    ) as http:
        for _ in range(10):
            response = http.post(
                "/api/v1/auth/login",
                json={"username": f"wall-{uuid.uuid4().hex[:8]}", "password": "wrong password"},
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                last = response
    # 10/minute with a burst of 5: six reach the app (401), the rest stop at nginx (a seventh
    # may get through if the six took over six seconds: the bucket refills every 6 s).
    assert statuses[:6] == [401] * 6, statuses
    assert statuses.count(401) <= 7 and statuses[-1] == 429, statuses
    assert last.headers["retry-after"] == "6"
    assert "x-ratelimit-limit" not in last.headers  # nginx's answer, not the app's limiter
    assert last.json()["status"] == 429
    assert_headers_once(last, HTTPS_HEADERS)
    assert len([e for e in own_nginx.access_entries() if e["upstream"]]) == statuses.count(401)


def test_nginx_502_without_upstream_carries_each_header_once(
    nginx_stack: Stack, public_dir: Path
) -> None:
    certs = nginx_stack.certs
    settings = Settings(http=HttpSettings(public_url="https://localhost:8443"))
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    with (
        NginxServer(
            settings=settings,
            directory=public_dir,
            cert=certs.cert,
            key=certs.key,
            upstreams=[closed],
        ) as server,
        httpx.Client(base_url=server.https_url, verify=trusting(certs.ca_cert), timeout=30) as http,
    ):
        response = http.get("/health")
    assert response.status_code == 502
    assert response.json()["title"] == "Bad Gateway"
    assert_headers_once(response, HTTPS_HEADERS)


def test_media_uploads_pass_nginx_unbuffered_up_to_max_media_bytes(
    nginx_stack: Stack, tmp_path: Path
) -> None:
    """Over the upload limit but within MAX_MEDIA_BYTES: the app answers, before the body."""
    announced = client_max_body_size(Settings()) + 1024 * 1024
    head = (
        f"PUT /api/v1/videos/{uuid.uuid4()}/media HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {nginx_stack.admin_token}\r\nContent-Type: video/mp4\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    ).encode()
    ctx = ssl.create_default_context(cafile=str(nginx_stack.certs.ca_cert))
    with (
        socket.create_connection(("127.0.0.1", nginx_stack.nginx.https_port), timeout=15) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(head + b"\0" * (64 * 1024))
        status_line = tls.recv(65536).split(b"\r\n", 1)[0]
    # The app's gate (no such video), not nginx's 413: the body was never all sent.
    assert status_line == b"HTTP/1.1 404 Not Found"
    mp4 = write_video(tmp_path / "clip.mp4").read_bytes()
    auth = {"Authorization": f"Bearer {nginx_stack.admin_token}"}
    with nginx_stack.client() as http:
        video = http.post("/api/v1/videos", headers=auth, json={"title": "via nginx"}).json()
        url = f"/api/v1/videos/{video['id']}/media"
        response = http.put(url, headers={**auth, "Content-Type": "video/mp4"}, content=mp4)
        assert response.status_code == 200, response.text
        assert http.get(url, headers=auth).content == mp4
