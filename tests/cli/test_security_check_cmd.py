"""``faceless security-check``'s exit codes: 0 at or above --min-score, 1 below, 2 when
the target cannot be reached or is not an http(s) URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from faceless.cli.main import app
from tests.fixtures import free_port


class _Plain(BaseHTTPRequestHandler):
    """A bare plain-HTTP site: 200 and a tiny body for everything."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_OPTIONS = do_PUT = do_TRACE = _answer


@pytest.fixture
def plain_site() -> Iterator[str]:
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()
    thread.join(timeout=5)


def test_unreachable_target_exits_2() -> None:
    result = CliRunner().invoke(app, ["security-check", f"https://127.0.0.1:{free_port()}"])
    assert result.exit_code == 2
    assert "cannot connect" in result.output


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "not a url"])
def test_a_url_that_is_not_http_exits_2(url: str) -> None:
    result = CliRunner().invoke(app, ["security-check", url])
    assert result.exit_code == 2
    assert "must be an http:// or https:// URL" in result.output


def test_below_min_score_exits_1_and_at_it_0(plain_site: str) -> None:
    low = CliRunner().invoke(app, ["security-check", plain_site, "--json"])
    assert low.exit_code == 1, low.output
    report = json.loads(low.stdout)
    assert report["score"] < 90
    assert report["grade"] == "F"
    passing = CliRunner().invoke(app, ["security-check", plain_site, "--min-score", "0"])
    assert passing.exit_code == 0
    assert f"score        {report['score']}/100, grade F" in passing.stdout
