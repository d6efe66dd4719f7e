"""Issue 12's attacks in bulk against a real ``faceless serve``, while ``/health`` is watched.

One ``faceless serve --behind-proxy`` on the embedded default (SQLite, the in-process
worker, in-memory limits, the real rate-limit tiers). Each attack runs while a probe
in a process of its own asks ``GET /health`` every 50 ms over fresh connections; each
answer must be a 200 within 1 s (a liveness bound: the normal figure is a few ms), a
503 or a timeout counts as a failure. The attacks, each with bounded loops, all on
loopback (distinct 127.x source addresses stand for distinct clients):

- oversized bodies without a token: refused 413 from the declared length, the
  connection closed (the server never reads what follows);
- many unauthenticated uploads: 401 (or 429 once the address's budget is spent)
  before the body, nothing written to the uploads directory;
- a login flood: hashed guesses queue behind the hashing cap, the rest are 429;
- a readiness flood: served from the 5-second cache, never a backend call each;
- slow-body uploads: unauthenticated ones are refused at once; authenticated ones
  that trickle hold connections (fewer than ``MAX_CONNECTIONS`` - 50) without
  slowing anyone else.

- oversized request heads (one 17 KiB header, or thousands of small ones): 431/400 or
  closed, never served;
- slow heads (slowloris, a byte at a time): cut after ``HEADER_TIMEOUT_SECONDS``;
- a connection flood: ``MAX_CONNECTIONS`` - 50 idle sockets leave ``/health``
  answering, and a request beyond the cap is a 503.

The head attacks run against a server of their own with short timeouts and a cap of
300, so the cuts happen within the test.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.fixtures.served import ServedApi, bearer

pytestmark = pytest.mark.slow

HEALTH_BOUND_SECONDS = 1.0  # liveness: /health answers in milliseconds
ANSWER_TIMEOUT = 30.0
SUSTAIN_SECONDS = 6.0  # each attack keeps going this long (its loop is bounded too)
# What a client sends of a refused body: less than the server reads ahead (64 KiB), so
# closing after the answer is a clean FIN, never a reset that could eat the answer.
BODY_PREFIX = 16 * 1024
MIB = 1024 * 1024
BOUNDARY = "adversary"

PROBE = """
import json, sys, threading, time
import httpx

base = sys.argv[1]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
samples = []
# A new connection for every probe, as a new visitor would open.
with httpx.Client(base_url=base, timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as http:
    assert http.get("/health").status_code == 200
    print("probing", flush=True)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status = http.get("/health").status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        samples.append([status, time.perf_counter() - started])
        time.sleep(0.05)
print(json.dumps(samples), flush=True)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    with ServedApi(tmp_path_factory.mktemp("adversarial"), name="adversarial-api") as api:
        yield api


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    closed_after: bool  # the server closed the connection right after answering


@dataclass
class Report:
    statuses: Counter[int | str] = field(default_factory=Counter)

    def add(self, answer: Answer | str) -> None:
        self.statuses[answer.status if isinstance(answer, Answer) else answer] += 1


# -- raw HTTP/1.1 over asyncio streams ---------------------------------------------------


def request_head(served: ServedApi, method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{served.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_answer(reader: asyncio.StreamReader, *, check_close: bool = False) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get("content-length", "0")))
    closed = False
    if check_close:
        with contextlib.suppress(TimeoutError):
            closed = await asyncio.wait_for(reader.read(1), 5) == b""
    return Answer(int(status_line.split()[1]), headers, closed)


@contextlib.asynccontextmanager
async def connection(
    served: ServedApi, source: str
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port, local_addr=(source, 0))
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def exchange(
    served: ServedApi, source: str, data: bytes, *, check_close: bool = False
) -> Answer:
    """Send ``data`` (a head and part of a body) and read the answer; never send more."""
    async with connection(served, source) as (reader, writer):
        writer.write(data)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return await asyncio.wait_for(read_answer(reader, check_close=check_close), ANSWER_TIMEOUT)


async def bounded(
    total: int, width: int, attempt: Callable[[int], Awaitable[None]], *, seconds: float = 0
) -> int:
    """Run ``attempt(0, 1, ...)`` with at most ``width`` in flight: ``total`` of them, or
    as many as fit in ``seconds`` (at most ``total``) when given. Returns how many ran."""
    deadline = time.monotonic() + seconds
    started = 0

    async def worker() -> None:
        nonlocal started
        while started < total and (not seconds or time.monotonic() < deadline):
            n, started = started, started + 1
            await attempt(n)

    await asyncio.gather(*(worker() for _ in range(width)))
    return started


def source(block: int, n: int) -> str:
    return f"127.0.{block}.{n % 250 + 1}"


def multipart_start() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\nRIFF"
    ).encode()


def forged_token() -> str:
    """A well-formed access token under a key the server does not have."""

    def part(value: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = part({"alg": "HS256", "typ": "access+jwt", "kid": "stolen"})
    return f"{header}.{part({'sub': 'admin'})}.{'A' * 43}"


def upload_headers(length: int, token: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


# -- the /health probe -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def health_watched(served: ServedApi, attack: str) -> AsyncIterator[None]:
    """Probe /health from another process for as long as the block runs."""
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        served.base_url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert probe.stdin is not None and probe.stdout is not None
    assert await asyncio.wait_for(probe.stdout.readline(), 30) == b"probing\n"
    try:
        yield
    finally:
        probe.stdin.close()
        out, _ = await asyncio.wait_for(probe.communicate(), 60)
    samples = json.loads(out.decode().strip().splitlines()[-1])
    statuses = Counter(status for status, _ in samples)
    latencies = sorted(seconds for _, seconds in samples)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"\n{attack}: /health {len(samples)} probes, {dict(statuses)}, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    assert len(samples) >= 5
    assert statuses == Counter({200: len(samples)}), statuses
    assert latencies[-1] < HEALTH_BOUND_SECONDS


# -- the attacks -----------------------------------------------------------------------


async def test_oversized_bodies_without_a_token(served: ServedApi) -> None:
    report = Report()
    kept_open = 0

    async def attempt(n: int) -> None:
        nonlocal kept_open
        path, kind = (
            ("/api/v1/transcribe", f"multipart/form-data; boundary={BOUNDARY}")
            if n % 2
            else ("/api/v1/videos", "application/json")
        )
        head = request_head(
            served, "POST", path, {"Content-Type": kind, "Content-Length": str(400 * MIB)}
        )
        answer = await exchange(served, source(10, n), head + b"x" * BODY_PREFIX, check_close=True)
        report.add(answer)
        kept_open += not answer.closed_after

    async with health_watched(served, "400 MiB bodies announced"):
        ran = await bounded(20_000, 50, attempt, seconds=SUSTAIN_SECONDS)
    print(f"oversized: {ran} requests, {dict(report.statuses)}")
    assert report.statuses == Counter({413: ran})
    assert kept_open == 0  # every connection was closed: the 400 MiB were never read
    assert served.uploaded_files() == []


async def test_many_unauthenticated_uploads(served: ServedApi) -> None:
    report = Report()
    forged = forged_token()

    async def attempt(n: int) -> None:
        token = None if n % 3 == 0 else (forged if n % 3 == 1 else "not-a-token")
        head = request_head(served, "POST", "/api/v1/transcribe", upload_headers(20 * MIB, token))
        data = head + multipart_start() + b"\0" * BODY_PREFIX
        answer = await exchange(served, source(20, n), data, check_close=True)
        report.add(answer)
        assert answer.closed_after

    async with health_watched(served, "unauthenticated 20 MiB uploads"):
        ran = await bounded(20_000, 50, attempt, seconds=SUSTAIN_SECONDS)
    print(f"unauthenticated uploads: {ran} requests, {dict(report.statuses)}")
    assert set(report.statuses) <= {401, 429}
    # 10 a minute per address pass the rate limiter and meet the authentication layer.
    assert report.statuses[401] >= min(ran, 250)
    assert served.uploaded_files() == []


async def test_login_flood(served: ServedApi) -> None:
    report = Report()

    async def attempt(n: int) -> None:
        body = json.dumps({"username": f"guess{n % 7}", "password": f"wrong guess {n}"})
        head = request_head(
            served,
            "POST",
            "/api/v1/auth/login",
            {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "Connection": "close",
            },
        )
        # 40 addresses: 200 guesses reach the hashing, the others meet the 5/minute tier.
        report.add(await exchange(served, source(30, n % 40), head + body.encode()))

    async with health_watched(served, "login flood from 40 addresses"):
        ran = await bounded(20_000, 60, attempt, seconds=SUSTAIN_SECONDS)
    print(f"login flood: {ran} requests, {dict(report.statuses)}")
    assert set(report.statuses) <= {401, 423, 429}
    assert report.statuses[401] + report.statuses[423] <= 200  # 5 a minute per address
    with served.client() as http:  # the real admin is unaffected
        assert http.get("/api/v1/auth/me", headers=bearer(served.admin_token())).status_code == 200


async def test_readiness_flood(served: ServedApi) -> None:
    report = Report()
    head = request_head(served, "GET", "/health/ready", {"Connection": "close"})

    async def attempt(n: int) -> None:
        report.add(await exchange(served, source(40, n), head))

    async with health_watched(served, "anonymous readiness checks"):
        ran = await bounded(50_000, 100, attempt, seconds=SUSTAIN_SECONDS)
    print(f"readiness flood: {ran} requests, {dict(report.statuses)}")
    assert report.statuses == Counter({200: ran})


@pytest.fixture(scope="module")
def editors(served: ServedApi) -> list[str]:
    admin = served.admin_token()
    names = [f"slowpoke{n}" for n in range(3)]
    for name in names:
        served.create_user(admin, name, "editor")
    return [served.login(name) for name in names]


async def trickle(
    served: ServedApi, from_address: str, token: str | None, until: float
) -> Answer | str:
    """Announce 10 MiB, then send a byte every 0.5 s until answered or ``until``."""
    head = request_head(served, "POST", "/api/v1/transcribe", upload_headers(10 * MIB, token))
    async with connection(served, from_address) as (reader, writer):
        writer.write(head + multipart_start())
        answer = asyncio.ensure_future(read_answer(reader, check_close=True))
        try:
            while time.monotonic() < until:
                await asyncio.wait([answer], timeout=0.5)
                if answer.done():
                    return answer.result()
                writer.write(b"\0")
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
            return "still reading"
        finally:
            answer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await answer


async def test_slow_body_uploads(served: ServedApi, editors: list[str]) -> None:
    anonymous, authenticated = Report(), Report()
    until = time.monotonic() + SUSTAIN_SECONDS

    async def anonymous_one(n: int) -> None:
        anonymous.add(await trickle(served, source(50, n), None, until))

    async def authenticated_one(n: int) -> None:
        # 10 a minute per address and per user pass the transcribe tier.
        token = editors[n % len(editors)]
        authenticated.add(await trickle(served, source(60, n % 3), token, until))

    async with health_watched(served, "100 anonymous + 30 authenticated slow bodies"):
        await asyncio.gather(bounded(100, 100, anonymous_one), bounded(30, 30, authenticated_one))
    print(f"slow bodies: {dict(anonymous.statuses)} / {dict(authenticated.statuses)}")
    assert set(anonymous.statuses) <= {401, 429} and anonymous.statuses[401] >= 10
    assert set(authenticated.statuses) <= {"still reading", 429}
    # Dropped mid-upload: nothing of theirs was stored.
    assert served.uploaded_files() == []


# -- request-head attacks --------------------------------------------------------------
# A server of their own with short head and body timeouts and a small connection cap, so
# that the cuts happen within the test and the cap can be reached on loopback.

HEAD_TIMEOUT = 2.0
CAP = 300


@pytest.fixture(scope="module")
def bounded_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    env = {
        "HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        "BODY_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        "MAX_CONNECTIONS": str(CAP),
    }
    var_dir = tmp_path_factory.mktemp("adversarial-bounds")
    with ServedApi(var_dir, env=env, name="adversarial-bounds") as api:
        yield api


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> Answer | str:
    """What the server did with a connection: an answer, a close, or nothing in time."""
    try:
        data = await asyncio.wait_for(reader.read(65536), seconds)
    except TimeoutError:
        return "still open"
    except ConnectionError:
        return "reset"
    if not data:
        return "closed"
    return Answer(int(data.split(b" ", 2)[1]), {}, closed_after=False)


async def test_oversized_heads(bounded_served: ServedApi) -> None:
    report = Report()
    big = request_head(bounded_served, "GET", "/health", {"X-Pad": "a" * 17 * 1024})
    many = request_head(bounded_served, "GET", "/health", {f"X-{n}": "v" for n in range(3000)})

    async def one(n: int) -> None:
        async with connection(bounded_served, source(70, n)) as (reader, writer):
            writer.write(big if n % 2 else many)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            report.add(await closed_within(reader, ANSWER_TIMEOUT))

    async with health_watched(bounded_served, "oversized request heads"):
        await bounded(5000, 40, one, seconds=SUSTAIN_SECONDS)
    print(f"oversized heads: {dict(report.statuses)}")
    # Refused (431/400) or cut; never served.
    assert not [s for s in report.statuses if isinstance(s, int) and s < 400]
    assert set(report.statuses) <= {431, 400, "closed", "reset"}


async def test_slow_heads(bounded_served: ServedApi) -> None:
    """Slowloris: a byte at a time, the head never finished; cut after the head timeout."""
    report = Report()
    started = time.monotonic()

    async def one(n: int) -> None:
        async with connection(bounded_served, source(71, n)) as (reader, writer):
            for byte in b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
                writer.write(bytes([byte]))
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                outcome = await closed_within(reader, 0.5)
                if outcome != "still open":
                    report.add(outcome)
                    return
                if time.monotonic() - started > HEAD_TIMEOUT * 10:
                    report.add("never cut")
                    return

    async with health_watched(bounded_served, "200 slow heads"):
        await bounded(200, 200, one)
    print(f"slow heads: {dict(report.statuses)}")
    assert set(report.statuses) <= {"closed", "reset", 408}, report.statuses


async def test_connection_flood(bounded_served: ServedApi) -> None:
    """Idle sockets up to the cap minus 50 leave /health answering; beyond the cap, 503."""
    async with contextlib.AsyncExitStack() as stack:
        async with health_watched(bounded_served, f"{CAP - 50} idle connections"):
            for n in range(CAP - 50):
                await stack.enter_async_context(connection(bounded_served, source(72, n)))
            await asyncio.sleep(HEAD_TIMEOUT / 2)
        # The idle ones are cut by the head timeout: open the flood anew, past the cap,
        # and ask on the last connection before the timeout frees any seat.
        await stack.aclose()
    async with contextlib.AsyncExitStack() as stack:
        for n in range(CAP + 10):
            await stack.enter_async_context(connection(bounded_served, source(73, n)))
        reader, writer = await stack.enter_async_context(connection(bounded_served, source(74, 0)))
        writer.write(request_head(bounded_served, "GET", "/health", {}))
        answer = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)
        assert answer.status == 503
    # Once the flood is gone, everyone is served again.
    async with connection(bounded_served, source(75, 0)) as (reader, writer):
        writer.write(request_head(bounded_served, "GET", "/health", {}))
        assert (await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)).status == 200
