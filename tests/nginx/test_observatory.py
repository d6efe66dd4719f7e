"""MDN HTTP Observatory through nginx: nginx's redirect and TLS plus the app's headers."""

from __future__ import annotations

import pytest

from tests.nginx.conftest import Stack
from tests.security.observatory import scan_paths

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_grade_through_nginx_is_a_plus_with_at_least_130(nginx_stack: Stack) -> None:
    results = scan_paths(
        ["/health", "/docs"],
        host="localhost",
        https_port=nginx_stack.nginx.https_port,
        http_port=nginx_stack.nginx.http_port,
        ca_file=nginx_stack.certs.ca_cert,
    )
    for path, result in results.items():
        assert result.failed() == {}, (path, result.raw)
        assert result.tests["redirection"]["result"] == "redirection-to-https", result.raw
        assert result.grade == "A+", (path, result.raw)
    scores = {path: result.score for path, result in results.items()}
    assert min(scores.values()) >= 130, scores
