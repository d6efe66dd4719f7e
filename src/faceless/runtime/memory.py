"""Large allocations go back to the system when freed (glibc's malloc).

A password hash (Argon2id, 19 MiB of memory cost, ``security.passwords``) allocates
its 19 MiB in one block. glibc serves a block that large with its own mmap and unmaps
it on free, but its *dynamic* mmap threshold then rises to the freed size, so the next
hashes take their 19 MiB from a malloc arena instead, where it stays resident after the
hash returns: an idle API process held 19 MiB per hashing thread this way (issue 11).
Setting the threshold fixes it (and turns the dynamic adjustment off): every block of
at least ``MMAP_THRESHOLD`` bytes is mapped for its lifetime only.

Other C libraries (musl, macOS) have no ``mallopt``; there this does nothing.

Also here: what the API process leaves out of its memory by choice (issue 11, ADR 0033).
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

# glibc's M_MMAP_THRESHOLD and its default (initial) value.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def return_large_blocks() -> bool:
    """Fix malloc's mmap threshold; whether this C library took it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return False


def refuse_pydantic_v1() -> None:
    """Make ``import pydantic.v1`` fail in this process, before FastAPI is imported.

    FastAPI imports pydantic's v1 compatibility package (about 1.5 MB resident, 23
    modules) at the first route with a parameter, only to refuse v1 models with a clear
    error; it treats an ImportError as "no v1 model". We define none, and no library of
    the API process uses v1, so the API process goes without it. A ``None`` entry in
    ``sys.modules`` is Python's documented way to make an import raise.
    """
    sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]
