"""Media uploads against a real ``faceless serve`` process.

The upload gate decides before the body is read: a client that announces 20 MiB and
sends 64 KiB gets its 401/403/404 while the rest was never sent, and nothing reaches
``var/media``. A real video is then uploaded and read back over HTTP.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.served import ServedApi, bearer
from tests.media.samples import write_video

ANNOUNCED = 20 * 1024 * 1024
SENT = 64 * 1024
# A liveness bound: the refusal takes milliseconds; a server waiting for the body
# would never answer at all.
ANSWER_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    with ServedApi(tmp_path_factory.mktemp("media-served"), env={"RATE_LIMITS": None}) as api:
        yield api


@pytest.fixture(scope="module")
def tokens(served: ServedApi) -> dict[str, str]:
    admin = served.admin_token()
    for name, role in (("owner1", "editor"), ("other1", "editor"), ("viewer1", "viewer")):
        served.create_user(admin, name, role)
    return {name: served.login(name) for name in ("owner1", "other1", "viewer1")}


@pytest.fixture(scope="module")
def video_id(served: ServedApi, tokens: dict[str, str]) -> str:
    with served.client() as http_client:
        response = http_client.post(
            "/api/v1/videos", headers=bearer(tokens["owner1"]), json={"title": "Served"}
        )
    assert response.status_code == 201
    created: str = response.json()["id"]
    return created


def media_files(served: ServedApi) -> list[str]:
    media = served.var_dir / "media"
    return sorted(p.name for p in media.iterdir()) if media.exists() else []


def partial_put(
    served: ServedApi, path: str, authorization: str | None
) -> http.client.HTTPResponse:
    """Announce 20 MiB of video, send the first 64 KiB, then only read the answer."""
    head = [
        f"PUT {path} HTTP/1.1",
        f"Host: 127.0.0.1:{served.port}",
        "Content-Type: video/mp4",
        f"Content-Length: {ANNOUNCED}",
    ]
    if authorization is not None:
        head.append(f"Authorization: {authorization}")
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=ANSWER_TIMEOUT)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"\0" * SENT)
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        response.read()
    finally:
        sock.close()
    return response


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("viewer1", 403), ("other1", 404)])
def test_refused_before_the_body_is_read(
    served: ServedApi, tokens: dict[str, str], video_id: str, who: str | None, status: int
) -> None:
    authorization = f"Bearer {tokens[who]}" if who else None
    response = partial_put(served, f"/api/v1/videos/{video_id}/media", authorization)
    assert response.status == status
    assert response.getheader("content-type") == "application/problem+json"
    assert response.getheader("connection") == "close"
    assert media_files(served) == []


def test_the_owner_uploads_and_reads_back(
    served: ServedApi, tokens: dict[str, str], video_id: str, tmp_path: Path
) -> None:
    mp4 = write_video(tmp_path / "clip.mp4", frames=30).read_bytes()
    auth = bearer(tokens["owner1"])
    url = f"/api/v1/videos/{video_id}/media"
    with served.client() as http_client:
        response = http_client.put(url, headers={**auth, "Content-Type": "video/mp4"}, content=mp4)
        assert response.status_code == 200, response.text
        assert response.json()["size"] == len(mp4)
        download = http_client.get(url, headers=auth)
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content == mp4
    assert media_files(served) == [video_id]
