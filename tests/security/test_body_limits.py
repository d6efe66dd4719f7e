"""Request bodies: size limits (413), media types (415), hostile JSON (400/422).

Every refusal is a problem document and leaves the database and the uploads
directory exactly as they were. Sizes are enforced on the byte stream: a declared
``Content-Length`` over the limit is refused before a byte of the body is read, and
a chunked body without one is cut off as soon as it crosses the limit. The
real-socket tests run the app under uvicorn in the test's own event loop, so the
HTTP framing (chunked encoding, an unread body) is uvicorn's, not a test double's.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from faceless.models import Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.fixtures import free_port
from tests.security.conftest import EdgeApp, edge_app, edge_settings

MAX_JSON = 64 * 1024
MAX_UPLOAD = 16 * 1024
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
async def edge(tmp_path: Path, sqlite_url: str) -> AsyncIterator[EdgeApp]:
    settings = edge_settings(
        tmp_path,
        sqlite_url,
        max_json_bytes=MAX_JSON,
        max_upload_bytes=MAX_UPLOAD,
        # The limiter is not under test here; keep it out of the way.
        rate_limits=["default=10000/minute", "login=10000/minute", "transcribe=10000/minute"],
    )
    async with edge_app(settings) as app:
        yield app


@pytest.fixture
async def auth(edge: EdgeApp) -> dict[str, str]:
    return await edge.bearer("uploader", Role.ADMIN)


def uploads(services: Runtime) -> list[str]:
    directory = services.settings.paths.uploads
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@asynccontextmanager
async def unchanged(services: Runtime) -> AsyncIterator[None]:
    """Asserts that the block stored nothing: no row changed, no upload left behind."""
    before = await snapshot(services)
    files = uploads(services)
    yield
    assert await snapshot(services) == before
    assert uploads(services) == files


def tone_wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(
            b"".join(
                (((i * 37) % 2000) - 1000).to_bytes(2, "little", signed=True) for i in range(frames)
            )
        )
    return buffer.getvalue()


class Tracked:
    """A request body as an async stream that records how much of it was consumed."""

    def __init__(self, total: int, chunk: int = 16 * 1024, fill: bytes = b" ") -> None:
        self.total = total
        self.chunk = chunk
        self.fill = fill
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            size = min(self.chunk, self.total - self.sent)
            self.sent += size
            yield self.fill * size


# -- sizes, in process -----------------------------------------------------------------


async def test_declared_oversized_json_is_413_before_the_body_is_read(
    edge: EdgeApp, auth: dict[str, str]
) -> None:
    http = edge.client()
    async with unchanged(edge.services):
        body = Tracked(10 * MAX_JSON)
        response = await http.post(
            "/api/v1/videos",
            content=body,
            headers={**auth, **JSON_HEADERS, "content-length": str(body.total)},
        )
        problem = assert_problem(response, 413)
        assert str(MAX_JSON) in problem["detail"]
        assert body.sent == 0  # not one chunk was pulled from the client
        # Exactly at the limit is fine (and invalid JSON: 400, so it was read and parsed).
        response = await http.post(
            "/api/v1/videos", content=b"{" * MAX_JSON, headers={**auth, **JSON_HEADERS}
        )
        assert_problem(response, 400)
        response = await http.post(
            "/api/v1/videos", content=b"{" * (MAX_JSON + 1), headers={**auth, **JSON_HEADERS}
        )
        assert_problem(response, 413)
        # The same on the public login route and on routes the caller may not even use.
        response = await http.post(
            "/api/v1/auth/login", content=b"{" * (MAX_JSON + 1), headers=JSON_HEADERS
        )
        assert_problem(response, 413)
        response = await http.post(
            "/api/v1/users", content=b"{" * (MAX_JSON + 1), headers=JSON_HEADERS
        )
        assert_problem(response, 413)
        response = await http.post(
            "/api/v1/videos", content=b"x", headers={**JSON_HEADERS, "content-length": "nope"}
        )
        assert_problem(response, 400)


async def test_chunked_oversized_json_is_413_while_streaming(
    edge: EdgeApp, auth: dict[str, str]
) -> None:
    http = edge.client()
    async with unchanged(edge.services):
        body = Tracked(20 * MAX_JSON)
        request = http.build_request(
            "POST", "/api/v1/videos", content=body, headers={**auth, **JSON_HEADERS}
        )
        assert "content-length" not in request.headers
        assert request.headers["transfer-encoding"] == "chunked"
        response = await http.send(request)
        assert_problem(response, 413)
        # Cut off at the limit: at most one chunk past it was pulled.
        assert body.sent <= MAX_JSON + body.chunk


async def test_a_lying_content_length_does_not_smuggle_a_bigger_body(
    edge: EdgeApp, auth: dict[str, str]
) -> None:
    """Declared 10 bytes, sent 4 MiB: the bytes that arrive are counted, not the claim."""
    http = edge.client()
    async with unchanged(edge.services):
        payload = json.dumps({"title": "t", "description": "d" * (4 * 1024 * 1024)}).encode()
        response = await http.post(
            "/api/v1/videos",
            content=Tracked(len(payload), fill=b" "),
            headers={**auth, **JSON_HEADERS, "content-length": "10"},
        )
        assert_problem(response, 413)


async def test_upload_over_max_upload_bytes_is_413_and_nothing_is_kept(
    edge: EdgeApp, auth: dict[str, str]
) -> None:
    http = edge.client()
    big = tone_wav(2.0)  # 32 KB of valid audio, twice the configured limit
    assert MAX_UPLOAD < len(big) < MAX_UPLOAD + 64 * 1024
    async with unchanged(edge.services):
        # Under the framing allowance: refused by the upload check while it is copied.
        response = await http.post(
            "/api/v1/transcribe", headers=auth, files={"file": ("big.wav", big, "audio/wav")}
        )
        assert str(MAX_UPLOAD) in assert_problem(response, 413)["detail"]
        # Far over: refused up front from Content-Length.
        huge = big * 40
        response = await http.post(
            "/api/v1/transcribe", headers=auth, files={"file": ("huge.wav", huge, "audio/wav")}
        )
        assert_problem(response, 413)
        # Chunked, with no Content-Length at all.
        boundary = "edgeboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()

        async def multipart() -> AsyncIterator[bytes]:
            yield head
            for _ in range(40):
                yield big
            yield f"\r\n--{boundary}--\r\n".encode()

        response = await http.post(
            "/api/v1/transcribe",
            content=multipart(),
            headers={**auth, "content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_problem(response, 413)
    # The positive control: the same audio under the limit is accepted.
    small = tone_wav(0.5)
    assert len(small) < MAX_UPLOAD
    response = await http.post(
        "/api/v1/transcribe", headers=auth, files={"file": ("ok.wav", small, "audio/wav")}
    )
    assert response.status_code == 202, response.text


# -- sizes, over a real socket -------------------------------------------------------------


@asynccontextmanager
async def served(edge: EdgeApp) -> AsyncIterator[tuple[str, int]]:
    """The app under a real uvicorn in this event loop (its lifespan already runs)."""
    port = free_port()
    config = uvicorn.Config(
        edge.app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        ws="none",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server._serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def raw_exchange(host: str, port: int, head: bytes, body: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()


async def test_real_server_answers_413_without_waiting_for_the_body(
    edge: EdgeApp, auth: dict[str, str]
) -> None:
    async with unchanged(edge.services), served(edge) as (host, port):
        # 50 MiB announced, nothing sent: the answer comes anyway, at once.
        started = time.perf_counter()
        head = (
            "POST /api/v1/videos HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: {auth['Authorization']}\r\n"
            "Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        ).encode()
        answer = await raw_exchange(host, port, head)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"application/problem+json" in answer
        assert time.perf_counter() - started < 2
        # A chunked upload over a real socket is cut off too.
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            body = Tracked(8 * 1024 * 1024, chunk=64 * 1024)
            response = await http.post(
                "/api/v1/videos", content=body, headers={**auth, **JSON_HEADERS}
            )
            assert_problem(response, 413)


# -- media types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/api/v1/videos", "text/plain", b'{"title": "t"}'),
        ("/api/v1/videos", "application/x-www-form-urlencoded", b"title=t"),
        ("/api/v1/videos", "multipart/form-data; boundary=x", b"--x--\r\n"),
        ("/api/v1/videos", "application/json-patch+json", b'{"title": "t"}'),
        ("/api/v1/videos", "application/xml", b"<title>t</title>"),
        ("/api/v1/analyze", "text/plain", b'{"title": "t", "script": "s"}'),
        ("/api/v1/transcribe", "application/json", b'{"file": "UklGRg=="}'),
        ("/api/v1/transcribe", "application/x-www-form-urlencoded", b"file=x"),
        ("/api/v1/auth/login", "text/plain", b'{"username": "a", "password": "b"}'),
        ("/api/v1/auth/login", "multipart/form-data; boundary=x", b"--x--\r\n"),
        ("/api/v1/users", "text/plain", b"{}"),
    ],
)
async def test_wrong_content_type_is_415_and_nothing_is_stored(
    edge: EdgeApp, auth: dict[str, str], path: str, content_type: str, body: bytes
) -> None:
    async with unchanged(edge.services):
        response = await edge.client().post(
            path, content=body, headers={**auth, "content-type": content_type}
        )
        assert_problem(response, 415)


async def test_no_content_type_with_a_body_is_415(edge: EdgeApp, auth: dict[str, str]) -> None:
    http = edge.client()
    async with unchanged(edge.services):
        for path in ("/api/v1/videos", "/api/v1/transcribe", "/api/v1/auth/login"):
            request = http.build_request("POST", path, content=b'{"title": "t"}', headers=auth)
            assert "content-type" not in request.headers
            assert_problem(await http.send(request), 415)
        # Chunked, no Content-Type: the same.
        response = await http.post("/api/v1/videos", content=Tracked(100), headers=auth)
        assert_problem(response, 415)


async def test_accepted_spellings_of_json(edge: EdgeApp, auth: dict[str, str]) -> None:
    http = edge.client()
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        response = await http.post(
            "/api/v1/videos",
            content=b'{"title": "t"}',
            headers={**auth, "content-type": content_type},
        )
        assert response.status_code == 201, (content_type, response.text)


# -- hostile JSON within the limit ---------------------------------------------------------


def hostile_bodies() -> Iterator[tuple[str, bytes, int]]:
    depth = 30_000  # 60 KB: inside MAX_JSON, far beyond any parser's recursion limit
    yield "deep-unclosed", b"[" * depth, 400
    yield "deep-closed", b"[" * depth + b"]" * depth, 400
    yield (
        "deep-object",
        b'{"title":' + b'{"a":' * (depth // 6) + b"1" + b"}" * (depth // 6 + 1),
        400,
    )
    yield "deep-in-field", b'{"title": "t", "tags": ' + b"[" * depth + b"]" * depth + b"}", 400
    yield "huge-array", b"[" + b",".join([b"1"] * 30_000) + b"]", 422
    yield "huge-tag-list", b'{"title": "t", "tags": [' + b",".join([b'"a"'] * 15_000) + b"]}", 422
    yield "huge-number", b'{"title": "t", "privacy": ' + b"9" * 60_000 + b"}", 400
    yield "truncated", b'{"title": "t"', 400
    yield "nul-bytes", b'{"title": "\x00\x00"}', 400
    yield "bad-utf8", b'{"title": "\xff\xfe"}', 400
    yield "not-an-object", b"[]", 422
    yield "null", b"null", 422
    yield "string", b'"title"', 422
    yield "empty", b"", 422


@pytest.mark.parametrize(
    ("name", "body", "status"),
    list(hostile_bodies()),
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_hostile_json_is_a_clean_4xx(
    edge: EdgeApp, auth: dict[str, str], name: str, body: bytes, status: int
) -> None:
    http = edge.client()
    async with unchanged(edge.services):
        for path in ("/api/v1/videos", "/api/v1/analyze", "/api/v1/schedule"):
            started = time.perf_counter()
            response = await http.post(path, content=body, headers={**auth, **JSON_HEADERS})
            elapsed = time.perf_counter() - started
            assert 400 <= response.status_code < 500, (name, path, response.text[:300])
            assert_problem(response, status)
            assert elapsed < 2, (name, path, elapsed)
            assert len(response.content) < 256 * 1024, (name, path, len(response.content))
        # Login parses its own body (JSON or form): the same rules.
        response = await http.post("/api/v1/auth/login", content=body, headers=JSON_HEADERS)
        assert 400 <= response.status_code < 500 and response.status_code != 415


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/videos", {"title": "t", "owner_id": "00000000-0000-0000-0000-000000000000"}),
        ("/api/v1/videos", {"title": "t", "status": "published"}),
        ("/api/v1/videos", {"title": "t", "id": "00000000-0000-0000-0000-000000000001"}),
        ("/api/v1/videos", {"title": "t", "Title": "t"}),
        ("/api/v1/videos", {"title": "t", "tags": [], "__proto__": {}}),
        ("/api/v1/analyze", {"title": "t", "script": "s", "llm": True}),
        ("/api/v1/auth/login", {"username": "uploader", "password": "x" * 12, "admin": True}),
        (
            "/api/v1/users",
            {
                "username": "newbie",
                "password": "a long password 1",
                "role": "viewer",
                "is_admin": True,
            },
        ),
        (
            "/api/v1/schedule",
            {
                "video_id": "00000000-0000-0000-0000-000000000000",
                "publish_at": "2099-01-01T00:00:00Z",
                "force": True,
            },
        ),
    ],
)
async def test_unknown_fields_are_422_and_nothing_is_stored(
    edge: EdgeApp, auth: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    async with unchanged(edge.services):
        response = await edge.client().post(path, json=body, headers=auth)
        problem = assert_problem(response, 422)
        assert problem["errors"], problem
        assert all(set(error) == {"loc", "msg"} for error in problem["errors"])
        # The offending key is named by its location; the client's values are not echoed.
        assert "published" not in response.text
        assert "2099" not in response.text


async def test_a_lone_surrogate_is_never_a_500(edge: EdgeApp, auth: dict[str, str]) -> None:
    """JSON may encode a lone UTF-16 surrogate, which no UTF-8 store can hold."""
    http = edge.client()
    for path, body in (
        ("/api/v1/videos", b'{"title": "a\\ud800b"}'),
        ("/api/v1/videos", b'{"title": "t", "script": "\\udfff"}'),
        ("/api/v1/videos", b'{"title": "t", "tags": ["\\ud83d"]}'),
        ("/api/v1/analyze", b'{"title": "\\ud800", "script": "x \\udc00 y"}'),
        ("/api/v1/auth/login", b'{"username": "\\ud800\\ud800\\ud800", "password": "\\ud800"}'),
    ):
        response = await http.post(path, content=body, headers={**auth, **JSON_HEADERS})
        assert response.status_code < 500, (path, response.text)


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "t", "tags": [' + b",".join([b'""'] * 20_000) + b"]}",
        b'{"title": "t", ' + b",".join(b'"k%d": 0' % n for n in range(6_000)) + b"}",
    ],
    ids=["20k-empty-tags", "6k-unknown-keys"],
)
async def test_a_body_full_of_errors_gets_a_bounded_answer(
    edge: EdgeApp, auth: dict[str, str], body: bytes
) -> None:
    """A 60 KB body must not buy a megabyte-sized 422 (nor the CPU to build it)."""
    assert len(body) < MAX_JSON
    response = await edge.client().post(
        "/api/v1/videos", content=body, headers={**auth, **JSON_HEADERS}
    )
    assert_problem(response, 422)
    assert len(response.content) <= 2 * len(body), len(response.content)
