"""A child process for the concurrency test: N asyncio writers appending audit events.

Run as ``python writer_process.py TAG WRITERS EVENTS_PER_WRITER GO_FILE`` with the
operator environment (DATABASE_URL, FACELESS_VAR_DIR, ...). Prints ``ready`` once its
services are built, waits for ``GO_FILE`` (so both processes write at the same time),
and runs a head exporter as the API would, exporting once more on the way out.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from faceless.db.audit.head_export_schedule import HeadExporter
from faceless.db.audit.writer import record
from faceless.db.session import transaction
from faceless.runtime.container import build_runtime
from faceless.settings import load_settings


async def main(tag: str, writers: int, per_writer: int, go_file: Path) -> None:
    services = build_runtime(load_settings())
    exporter = HeadExporter.for_runtime(services)
    exporter.start()

    async def writer(number: int) -> None:
        for n in range(per_writer):
            # Each event in its own session and transaction, like concurrent requests.
            async with transaction(services.sessions) as session:
                await record(
                    session,
                    action="test.concurrent",
                    actor_id=None,
                    target=f"{tag}:{number}:{n}",
                    ctx=None,
                )

    try:
        print("ready", flush=True)
        while not go_file.exists():
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await asyncio.gather(*(writer(number) for number in range(writers)))
        print(f"wrote in {time.monotonic() - started:.2f} s", flush=True)
    finally:
        await exporter.close()
        await services.close()
    print("done", flush=True)


if __name__ == "__main__":
    tag, writers, per_writer, go_file = sys.argv[1:5]
    asyncio.run(main(tag, int(writers), int(per_writer), Path(go_file)))
