"""Micro-benchmark of column encryption: seal + open per field value.

Run: ``.venv/bin/python bench/crypto_bench.py [--runs N]``

Times :class:`faceless.crypto.aead.ColumnCipher` (AES-256-GCM, random 96-bit nonce,
row-bound associated data, base64url envelope) with ``time.perf_counter``: seal alone,
open alone and the round trip, for a 100-byte value (an e-mail, a short script) and a
100 KB one (a long transcript). A blind-index HMAC is timed beside them. Prints the
median and p99 in microseconds; the median over many runs is the figure to quote.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial

from faceless.crypto.aead import ColumnCipher
from faceless.crypto.hashing import BlindIndex, normalise
from faceless.crypto.keys import generate_keyring_value, parse_keyring


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(min(runs, 50)):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    cipher = ColumnCipher(parse_keyring("DATA_ENCRYPTION_KEY", generate_keyring_value("bench")))
    index = BlindIndex(cipher.keyring, "users.email")
    row_id = uuid.uuid4()

    def seal(value: str) -> str:
        return cipher.seal(value, table="videos", column="script", row_id=row_id)

    def open_(sealed: str) -> str:
        return cipher.open(sealed, table="videos", column="script", row_id=row_id)

    def round_trip(value: str) -> str:
        return open_(seal(value))

    rows: list[tuple[str, list[float]]] = []
    for label, size in (("100 B", 100), ("100 KB", 100_000)):
        value = secrets.token_hex(size // 2)
        sealed = seal(value)
        runs = args.runs if size < 10_000 else max(args.runs // 10, 200)
        rows.append((f"seal {label}", _time(partial(seal, value), runs)))
        rows.append((f"open {label}", _time(partial(open_, sealed), runs)))
        rows.append((f"seal+open {label}", _time(partial(round_trip, value), runs)))
    email = "someone.with.a.long.name@example.org"
    rows.append(("blind index (e-mail)", _time(lambda: index.compute(normalise(email)), args.runs)))
    print(f"{'operation':<22} {'median µs':>10} {'p99 µs':>10} {'runs':>6}")
    for name, samples in rows:
        p99 = statistics.quantiles(samples, n=100)[98]
        print(f"{name:<22} {statistics.median(samples):>10.1f} {p99:>10.1f} {len(samples):>6}")


if __name__ == "__main__":
    main()
