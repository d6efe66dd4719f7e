"""Micro-benchmark of the local script analyzer.

Run: ``.venv/bin/python bench/analyzer_bench.py [--runs N]``

Times ``faceless.analyze.analyzer.analyze`` with ``time.perf_counter`` on generated
scripts (seeded, so every run measures the same text): a 2,000-word script (the target:
well under 5 ms), the same script in Hindi-like Devanagari, and the largest script the API
accepts (100,000 characters). The generator draws words from a Zipf-like distribution
over a few thousand pseudo-English words, so the number of distinct words resembles real
prose (which is what the per-word work scales with). A last case adds building and
serializing the response model, as the endpoint does. Prints min, median, p99 and max; on
a shared machine the minimum is the least noisy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from functools import partial

from faceless.analyze.analyzer import analyze, tokenize, warm_up
from faceless.analyze.schemas import AnalysisResponse

_SYLLABLES = ["ta", "ren", "o", "mi", "stra", "ble", "con", "ver", "sa", "tion", "pro", "duc"]
_DEVANAGARI = ["न", "म", "स्", "ते", "दु", "नि", "या", "क", "हि", "न्दी", "प्र", "का"]
_FUNCTION_WORDS = ["the", "a", "of", "and", "to", "in", "is", "you", "it's", "that", "for"]
_TARGET_MS = 5.0


def _vocabulary(rng: random.Random, size: int, syllables: list[str]) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def make_script(
    words: int, *, seed: int = 2024, syllables: list[str] = _SYLLABLES, stop: bool = True
) -> str:
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 4000, syllables)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    out: list[str] = []
    count = 0
    while count < words:
        length = min(rng.randint(6, 22), words - count)
        count += length
        sentence = [
            rng.choice(_FUNCTION_WORDS) if stop and rng.random() < 0.4 else w
            for w in rng.choices(vocab, weights, k=length)
        ]
        sentence[0] = sentence[0].capitalize()
        out.append(" ".join(sentence) + rng.choice([".", ".", ".", "?", "!"]))
        if rng.random() < 0.1:
            out.append("\n\n")
    return " ".join(out)


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm caches and branch predictors outside the measurement
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)


def _p99(samples: list[float]) -> float:
    return samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]


def _english_with_response(script: str, title: str, tags: list[str]) -> bytes:
    analysis = analyze(title=title, script=script, tags=tags)
    return AnalysisResponse.from_analysis(analysis).model_dump_json().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    start = time.perf_counter()
    warm_up()
    warm_ms = (time.perf_counter() - start) * 1000

    title = "How the algorithm decides what you watch next (and why)"
    tags = ["algorithm", "recommendations", "watch time"]
    english = make_script(2000)
    cases: dict[str, tuple[str, Callable[[], object]]] = {}
    for name, script in {
        "2,000 words (English-like)": english,
        "2,000 words (Devanagari)": make_script(2000, syllables=_DEVANAGARI, stop=False),
        "100,000 chars (API maximum)": make_script(20_000)[:100_000],
    }.items():
        cases[name] = (script, partial(analyze, title=title, script=script, tags=tags))
    cases["2,000 words + response JSON"] = (
        english,
        partial(_english_with_response, english, title, tags),
    )

    print(f"analyze() micro-benchmark, {args.runs} runs per case; warm_up() {warm_ms:.1f} ms\n")
    header = (
        f"{'case':28} {'words':>6} {'distinct':>8} {'min ms':>7} {'median ms':>9} "
        f"{'p99 ms':>7} {'max ms':>7}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, float] = {}
    for name, (script, fn) in cases.items():
        tokens = tokenize(script)
        samples = _time(fn, args.runs)
        medians[name] = statistics.median(samples)
        print(
            f"{name:28} {len(tokens):>6} {len({t.lower() for t in tokens}):>8} "
            f"{samples[0]:>7.3f} {medians[name]:>9.3f} {_p99(samples):>7.3f} "
            f"{samples[-1]:>7.3f}"
        )
    median = medians["2,000 words (English-like)"]
    verdict = "within" if median < _TARGET_MS else "OVER"
    print(f"\n2,000-word median {median:.3f} ms: {verdict} the {_TARGET_MS} ms target")


if __name__ == "__main__":
    main()
