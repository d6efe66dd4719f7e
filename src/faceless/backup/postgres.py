"""PostgreSQL: ``pg_dump``/``pg_restore`` (custom format) as the migration owner.

Design:

* The connection comes from ``DATABASE_MIGRATION_URL`` (the owner of every object) and
  reaches the tools as libpq environment variables in the child's environment only.
  The password goes into a ``0600`` passfile in a private temporary directory
  (``PGPASSFILE``), removed afterwards: never in argv, never in our own environment.
* The dump is taken in the snapshot the caller exported (``--snapshot``), the same one
  in which it read the schema revision and the audit chain head for the manifest.
* A restore runs ``pg_restore --single-transaction --exit-on-error``: it applies all or
  nothing. Its table of contents is read first (``--list``) and the extensions are left
  out: creating, dropping or commenting on them needs the superuser, and
  ``deploy/postgres/pg_audit_init.sh`` has already made them in the target database.
  ``--no-owner``: the restoring owner owns what it creates, as after ``faceless migrate``;
  the grants to the runtime group are restored with the tables.
* Data reaches ``pg_restore`` on its stdin straight from the decrypting reader, so no
  plaintext dump is ever written to disk. Output goes to files, never to a pipe nobody
  reads, so a chatty child cannot block while we are writing to it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from faceless.backup.errors import BackupError

READ_BYTES = 1024 * 1024
STDERR_TAIL = 2000
# TOC lines of superuser-owned objects: "<id>; <oid> <oid> EXTENSION - pgaudit <owner>".
_SUPERUSER_ENTRY = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")


@dataclass(frozen=True)
class Target:
    """A database as libpq sees it: the child environment and the database name."""

    env: dict[str, str]
    database: str


def _passfile_line(password: str) -> str:
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


@contextlib.contextmanager
def connect_to(url: str) -> Iterator[Target]:
    """libpq settings for ``url``; the password lives in a passfile for the duration."""
    parsed = make_url(url)
    if not parsed.database:
        raise BackupError("DATABASE_MIGRATION_URL names no database")
    query = {key: value for key, value in parsed.query.items() if isinstance(value, str)}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    env["PGAPPNAME"] = "faceless-backup"
    env["PGCONNECT_TIMEOUT"] = "10"
    libpq = {
        "PGHOST": parsed.host or query.get("host"),
        "PGPORT": str(parsed.port) if parsed.port else query.get("port"),
        "PGUSER": parsed.username,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": query.get("sslmode") or query.get("ssl"),
        "PGSSLROOTCERT": query.get("sslrootcert") or os.environ.get("PGSSLROOTCERT"),
    }
    env.update({variable: value for variable, value in libpq.items() if value})
    workdir = Path(tempfile.mkdtemp(prefix="faceless-pg-"))
    try:
        if parsed.password is not None:
            passfile = workdir / "pgpass"
            fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_passfile_line(parsed.password))
            env["PGPASSFILE"] = str(passfile)
        yield Target(env, parsed.database)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return found


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    text = stream.read().decode("utf-8", errors="replace").strip()
    return text[-STDERR_TAIL:] or "(no message)"


def dump(target: Target, *, snapshot: str, sink: Callable[[bytes], None]) -> None:
    """Stream ``pg_dump -Fc`` of the exported ``snapshot`` into ``sink``."""
    argv = [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell, no secret in it
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=target.env
        )
        assert process.stdout is not None
        try:
            while chunk := process.stdout.read(READ_BYTES):
                sink(chunk)
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.wait() != 0:
            raise BackupError(f"pg_dump failed: {_tail(errors)}")


def _feed(argv: list[str], target: Target, chunks: Iterable[bytes], out: IO[bytes]) -> None:
    """Run ``argv`` with ``chunks`` on its stdin; a child that stops reading ends the feed."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell, no secret in it
            argv, stdin=subprocess.PIPE, stdout=out, stderr=errors, env=target.env
        )
        stdin = process.stdin
        assert stdin is not None
        try:
            for chunk in chunks:
                stdin.write(chunk)
        except BrokenPipeError:
            pass  # the child stopped reading: its exit status says whether that is fine
        except BaseException:
            # A damaged file: killed before it sees the end of its input, so the child's
            # transaction never commits.
            process.kill()
            process.wait()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()
        if process.wait() != 0:
            raise BackupError(f"{Path(argv[0]).name} failed: {_tail(errors)}")


def restore(target: Target, chunks: Callable[[], Iterable[bytes]], *, clean: bool) -> None:
    """Restore the dump ``chunks()`` yields (called twice: contents, then the restore)."""
    with tempfile.TemporaryDirectory(prefix="faceless-restore-") as workdir:
        listing = Path(workdir) / "toc"
        with listing.open("w+b") as out:
            _feed([_tool("pg_restore"), "--list"], target, chunks(), out)
            out.seek(0)
            kept = [
                line
                for line in out.read().decode("utf-8").splitlines()
                if not _SUPERUSER_ENTRY.match(line)
            ]
        listing.write_text("\n".join(kept) + "\n", encoding="utf-8")
        argv = [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            f"--use-list={listing}",
            f"--dbname={target.database}",
            *(["--clean", "--if-exists"] if clean else []),
        ]
        with open(os.devnull, "wb") as discard:
            _feed(argv, target, chunks(), discard)
