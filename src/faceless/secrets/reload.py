"""Reloading secrets in a running process: ``SIGHUP`` and the pid file behind
``faceless secrets reload``.

A reload re-reads every secret, validates the new set and only then swaps the keys in
(see ``Runtime.reload_secrets``); a rotation that fails validation is logged and the
process keeps serving with the keys it had. The pid file lets the CLI find the server:
``faceless serve`` writes it (0600) and removes it on exit. With ``--workers N`` it
names uvicorn's supervisor, which answers SIGHUP by restarting its workers gracefully,
and each new worker loads the secrets afresh.

SIGHUP's default action ends a process, and the pid file exists while the app is still
starting: ``faceless serve`` first makes the signal harmless (:func:`defer_sighup`), and
the app reloads at once for one that came before it could (:func:`install_sighup_reload`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.fileio import atomic_write, private_dirs
from faceless.logging import get_logger
from faceless.secrets.audit import record_secret_events
from faceless.secrets.errors import SafeSecretError, SecretsConfigError
from faceless.secrets.manager import SecretBackendError, SecretEvent, SecretManager

log = get_logger("faceless.secrets")


class Reloadable(Protocol):
    """The process's holder of secrets and the keys made from them (the runtime container)."""

    @property
    def secrets(self) -> SecretManager: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def secret_events(self) -> list[SecretEvent]: ...

    def reload_secrets(self) -> None:
        """Re-read every secret and swap the keys made from them in."""


async def reload_secrets(runtime: Reloadable) -> bool:
    """Reload, swap and audit; True when the new secrets are in use."""
    try:
        await asyncio.to_thread(runtime.reload_secrets)
    except (SafeSecretError, SecretBackendError, SecretsConfigError) as exc:
        # The reason names every problem; a traceback would add nothing but noise.
        log.error("secrets.reload_failed", reason=str(exc))  # noqa: TRY400
        ok = False
    else:
        log.info("secrets.reloaded", secrets=len(runtime.secrets.loaded()))
        ok = True
    await record_secret_events(runtime.sessions, runtime.secret_events)
    return ok


# A SIGHUP that came while no reload handler was installed (see defer_sighup).
_sighup_waiting = threading.Event()


def _remember_sighup(_signum: int, _frame: FrameType | None) -> None:
    _sighup_waiting.set()


def defer_sighup() -> None:
    """From now on a SIGHUP is remembered until the app can reload, instead of ending us.

    ``faceless secrets reload`` signals whatever pid the pid file names, as soon as it
    exists; before this, a reload sent right after a restart killed the starting server.
    Call it before writing the pid file, from the main thread.
    """
    signal.signal(signal.SIGHUP, _remember_sighup)


def install_sighup_reload(runtime: Reloadable) -> Callable[[], None]:
    """Reload on SIGHUP; returns the function that removes the handler.

    A SIGHUP remembered since :func:`defer_sighup` is answered at once: it may have come
    after the secrets were first read, and a reload too many costs one re-read.

    Only possible from the main thread's loop (where uvicorn runs the app); elsewhere,
    e.g. an app driven from a test's thread, nothing is installed.
    """
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[bool]] = set()

    def on_sighup() -> None:
        task = loop.create_task(reload_secrets(runtime))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    previous = signal.getsignal(signal.SIGHUP)
    try:
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    except (RuntimeError, ValueError, NotImplementedError):
        return lambda: None
    if _sighup_waiting.is_set():
        _sighup_waiting.clear()
        on_sighup()

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)
        # The loop puts back the default action, which would end a process that is only
        # shutting down; put back what was there (remembering, under `faceless serve`).
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)

    return uninstall


def pid_file(var_dir: Path) -> Path:
    return var_dir / "run" / "faceless.pid"


def write_pid_file(path: Path) -> None:
    private_dirs(path.parent)
    atomic_write(path, f"{os.getpid()}\n".encode("ascii"))


def remove_pid_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if read_pid(path) == os.getpid():
            path.unlink()


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None
