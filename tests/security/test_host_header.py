"""One ``Host`` header, shaped ``host[:port]``, or a 400 before any other work.

The parser on its own, then the API in process (the allow-list layer). The plain-HTTP
redirect listener and the HTTPS listener are tried as real processes in
``tests/security/tls/test_redirect.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faceless.security.host_header import HostHeaderError, parse_host, request_host
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import PASSWORD
from tests.security.conftest import EdgeApp, edge_app, edge_settings

WELL_FORMED = {
    "localhost": "localhost",
    "LocalHost:8443": "localhost",
    "api.example.com": "api.example.com",
    "api.example.com.": "api.example.com.",
    "my_service-2:80": "my_service-2",
    "127.0.0.1:65535": "127.0.0.1",
    "[::1]": "::1",
    "[0:0:0:0:0:0:0:1]:8443": "::1",
    "[2001:DB8::7]": "2001:db8::7",
    "x" * 63 + ".example": "x" * 63 + ".example",
}
MALFORMED = [
    "",
    "localhost:1@evil.example",
    "localhost@evil.example",
    "user:pass@localhost",
    "localhost:",
    "localhost:99999",
    "localhost:123456",
    "localhost:1:2",
    "localhost:8443/path",
    "localhost/",
    "localhost?x",
    "localhost#x",
    "local host",
    " localhost",
    "localhost,evil.example",
    "[::1",
    "::1",
    "[::1]x",
    "[zz::1]",
    "[::1%25eth0]",
    "-leading.example",
    "a..b",
    ".localhost",
    "x" * 64 + ".example",
    "a." * 127 + "ab",
    "évil.example",
    "localhost\x00",
    "localhost:٣",
]


@pytest.mark.parametrize(("value", "host"), WELL_FORMED.items())
def test_well_formed_hosts_parse_to_the_bare_host(value: str, host: str) -> None:
    assert parse_host(value) == host
    assert request_host([(b"accept", b"*/*"), (b"host", value.encode("latin-1"))]) == host


@pytest.mark.parametrize("value", MALFORMED)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(HostHeaderError):
        parse_host(value)


def test_exactly_one_host_header() -> None:
    assert request_host([(b"accept", b"*/*")]) is None
    with pytest.raises(HostHeaderError, match="more than one"):
        request_host([(b"host", b"localhost"), (b"host", b"localhost")])


# -- the API, in process --------------------------------------------------------------


@pytest.fixture
async def edge(tmp_path: Path, sqlite_url: str) -> AsyncIterator[EdgeApp]:
    async with edge_app(edge_settings(tmp_path, sqlite_url)) as app:
        yield app


async def test_two_host_headers_are_a_400_not_a_redirect_elsewhere(edge: EdgeApp) -> None:
    http = edge.client()
    # The trailing slash makes the router redirect, building the URL from a Host header.
    alone = await http.get("/api/v1/videos/", headers={"host": "localhost"})
    assert alone.status_code == 307
    assert alone.headers["location"] == "http://localhost/api/v1/videos"
    for pair in (("localhost", "evil.example"), ("evil.example", "localhost")):
        response = await http.get("/api/v1/videos/", headers=[("host", pair[0]), ("host", pair[1])])
        body = assert_problem(response, 400)
        assert body["detail"] == "The Host header must be given once, as host[:port]."
        assert "location" not in response.headers
        assert "evil" not in response.text


@pytest.mark.parametrize("host", ["localhost:1@evil.example", "localhost:8443/x", "[::1]:1:2"])
async def test_a_host_that_is_not_host_port_is_a_400_and_changes_nothing(
    edge: EdgeApp, host: str
) -> None:
    await edge.create_user("hosted")
    before = await snapshot(edge.services)
    http = edge.client("203.0.113.7")
    redirect = await http.get("/api/v1/videos/", headers={"host": host})
    assert_problem(redirect, 400)
    assert "location" not in redirect.headers
    for _ in range(7):  # more than the login tier allows: none of them is even counted
        login = await http.post(
            "/api/v1/auth/login",
            json={"username": "hosted", "password": PASSWORD},
            headers={"host": host},
        )
        assert_problem(login, 400)
        assert "x-ratelimit-limit" not in login.headers
    assert await snapshot(edge.services) == before


async def test_any_host_still_means_well_formed(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(tmp_path, sqlite_url, allowed_hosts=["*"])
    async with edge_app(settings) as edge:
        http = edge.client()
        assert (
            await http.get("/health", headers={"host": "anything.example:81"})
        ).status_code == 200
        assert_problem(await http.get("/health", headers={"host": "localhost:1@evil"}), 400)
        twice = [("host", "localhost"), ("host", "localhost")]
        assert_problem(await http.get("/health", headers=twice), 400)


async def test_allowed_ipv6_hosts_match_in_any_spelling(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(tmp_path, sqlite_url, allowed_hosts=["[2001:db8::1]", "::1"])
    async with edge_app(settings) as edge:
        http = edge.client()
        for host in ("[2001:DB8:0::1]:8443", "[::1]", "[0::1]"):
            assert (await http.get("/health", headers={"host": host})).status_code == 200, host
        assert_problem(await http.get("/health", headers={"host": "[2001:db8::2]"}), 400)
