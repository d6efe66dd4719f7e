"""Idle RSS (issue 11): ours next to the floor of its stack and to bare FastAPI, in one run.

Four processes, each warmed by the same 20 rounds of requests, then read from /proc:

- bare FastAPI + uvicorn (``bench/bare_app.py``, its synthetic bodies);
- the stack's floor (``bench/stack_floor_app.py``): DESIGN.md's libraries for an API
  process, each used once, no application, on the same PostgreSQL and Redis;
- the same floor under the interpreter flags of our API process (``-OO`` and no
  debug ranges, ADR 0033), so that ours minus the floor compares like with like;
- ours, ``faceless serve --behind-proxy`` of the production shape, set up and filled as
  ``data_path_bench.py`` does (``data_path_setup.launch``).

Prints VmRSS with its anonymous and file-backed parts (shared libraries' pages the kernel
mapped in), so what the application adds is ours minus the floor. Everything listens on
127.0.0.1 and stops when the run ends.

    .venv/bin/python bench/rss_floor_bench.py
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from data_path_setup import launch, production_cluster, production_env, status_mb, warm
from our_server import FACELESS
from references import start_uvicorn

from tests.fixtures import RedisServer

FIELDS = ("VmRSS", "RssAnon", "RssFile")
# The environment form of api_process.INTERPRETER_FLAGS, for a process uvicorn's CLI starts.
OPTIMIZED = {"PYTHONOPTIMIZE": "2", "PYTHONNODEBUGRANGES": "1"}


def memory_mb(pid: int) -> dict[str, float]:
    return {name: status_mb(pid, name) for name in FIELDS}


def main() -> None:
    rows: dict[str, dict[str, float]] = {}
    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="faceless-rss-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        pg = stack.enter_context(production_cluster(fsync=False))
        redis = stack.enter_context(RedisServer())

        bare, base = start_uvicorn("bare", "bare_app:app")
        stack.callback(bare.close)
        warm(base, ["/health", "/api/v1/videos"])
        rows["bare FastAPI + uvicorn"] = memory_mb(bare.pid)

        for label, flags in (("", {}), (", -OO", OPTIMIZED)):
            database = "floor_oo" if flags else "floor"
            pg.create_database(database)
            floor_env = {
                "FLOOR_DATABASE_URL": pg.dsn(database),
                "FLOOR_REDIS_URL": redis.url(db=2),
                **flags,
            }
            floor, base = start_uvicorn("floor", "stack_floor_app:app", env=floor_env)
            stack.callback(floor.close)
            warm(base, ["/health", "/floor"])
            rows[f"the stack's floor{label}"] = memory_mb(floor.pid)

        ours = launch(
            "ours", [FACELESS], production_env(pg, "ours", redis.url(db=1)), work, extra=False
        )
        stack.callback(ours.process.close)
        rows["ours, PostgreSQL + Redis (-OO)"] = memory_mb(ours.process.pid)

    print(f"\n{'idle, after 20 warm-up rounds':<38} {'VmRSS':>8} {'anon':>8} {'file':>8}  MB")
    for label, row in rows.items():
        print(f"{label:<38} " + " ".join(f"{row[name]:>8.1f}" for name in FIELDS))


if __name__ == "__main__":
    main()
