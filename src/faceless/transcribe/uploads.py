"""Storing an upload safely: server-chosen name, size cap, content sniffing.

The client's file name is never used as a path. The bytes are streamed to a
fresh random name under the uploads directory (0600) and checked by content:
magic bytes first, then a real decoder probe for duration, which decodes at most
the configured limit whatever the header claims (speech.decode).
"""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio
from anyio.to_thread import run_sync

from faceless.errors import ProblemError, unprocessable
from faceless.fileio import private_dirs
from faceless.speech.decode import (
    SNIFF_BYTES,
    AudioError,
    AudioTooLongError,
    probe_duration,
    sniff_audio_format,
)

CHUNK = 256 * 1024


class Upload(Protocol):
    """An uploaded file being received (FastAPI's ``UploadFile`` is one)."""

    async def read(self, size: int = -1) -> bytes: ...


async def store_upload(upload: Upload, directory: Path, *, max_bytes: int) -> str:
    """Copy the upload to ``directory``; returns the stored name. Raises problems on bad input."""
    name = secrets.token_hex(16) + ".audio"
    path = directory / name
    out = anyio.wrap_file(await run_sync(_create_private, path))
    size = 0
    head = b""
    try:
        async with out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ProblemError(413, f"The upload exceeds {max_bytes} bytes.")
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                await out.write(chunk)
        if size == 0:
            raise unprocessable("The uploaded file is empty.", loc=("body", "file"))
        if sniff_audio_format(head) is None:
            raise ProblemError(
                415, "The upload is not a supported audio file (WAV, MP3, FLAC, OGG or M4A)."
            )
    except BaseException:
        with suppress(FileNotFoundError):
            path.unlink()
        raise
    return name


def _create_private(path: Path) -> BinaryIO:
    private_dirs(path.parent)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


async def check_duration(path: Path, *, max_seconds: float) -> float:
    """The audio's decoded duration; a 422 problem when it is not audio or too long."""
    try:
        return await run_sync(partial(probe_duration, path, max_seconds=max_seconds))
    except AudioTooLongError as exc:
        length = (
            f"{exc.declared_seconds:.0f} s long"
            if exc.declared_seconds is not None
            else f"longer than {max_seconds:.0f} s"
        )
        message = f"The audio is {length}; at most {max_seconds:.0f} s is accepted."
        raise unprocessable(message, loc=("body", "file")) from None
    except AudioError as exc:
        raise unprocessable(str(exc), loc=("body", "file")) from None
