"""A size bound for the in-process memories (principals, verified tokens, token owners).

Plain dicts keep insertion order, so the oldest insertion is the first key: dropping it
when full bounds the memory without a cache library or any bookkeeping per hit.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def put_bounded(mapping: dict[K, V], key: K, value: V, limit: int) -> None:
    """Store ``key`` as the newest entry; when ``limit`` are held, the oldest goes first."""
    mapping.pop(key, None)
    if len(mapping) >= limit:
        del mapping[next(iter(mapping))]
    mapping[key] = value
