"""How long the script runs when read aloud and how hard it is to follow by ear.

Split from :mod:`faceless.analyze.analyzer`; its module docstring states the rounding
rules the contract leaves open.
"""

from __future__ import annotations

WORDS_PER_MINUTE = 150
SECONDS_PER_WORD = 60 / WORDS_PER_MINUTE


def estimated_duration(word_count: int) -> float:
    """Seconds of narration at ``WORDS_PER_MINUTE``, to one decimal rounded half up."""
    # words / wpm * 60 in tenths of a second, rounded half up in integers (exact).
    return (word_count * 1200 + WORDS_PER_MINUTE) // (2 * WORDS_PER_MINUTE) / 10


def flesch_kincaid(words: int, sentences: int, syllables: int) -> float:
    """0.39 * words/sentences + 11.8 * syllables/words - 15.59, to one decimal rounded half
    up, floored at 0.0. Computed in integers so that ties (4.45) round the same way
    everywhere rather than by the accident of float error."""
    if not words:
        return 0.0
    # 100 * sentences * words * grade, exactly.
    num = 39 * words * words + 1180 * syllables * sentences - 1559 * sentences * words
    den = 100 * sentences * words
    tenths = (20 * num + den) // (2 * den)  # floor(10 * grade + 1/2)
    return max(tenths, 0) / 10
