"""Tidying an engine's timed words, and grouping them into caption-sized segments."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from .base import Segment, Word

__all__ = [
    "MAX_CAPTION_CHARS",
    "MAX_CAPTION_SECONDS",
    "PAUSE_SECONDS",
    "group_words",
    "tidy_words",
]

# A pause this long reads as the end of a phrase, so the caption breaks there.
PAUSE_SECONDS = 0.6
# Common subtitle guidance: at most ~7 s on screen and ~42 characters per line.
MAX_CAPTION_SECONDS = 7.0
MAX_CAPTION_CHARS = 42


def tidy_words(words: Iterable[Word], *, duration: float) -> tuple[Word, ...]:
    """Words (in spoken order) made ordered, non-overlapping and within [0, duration].

    Times are rounded to milliseconds, then clamped so that rounding or an engine's
    slightly overlapping word spans can never produce overlapping or out-of-range times;
    blank words are dropped and text is stripped. Applying it twice changes nothing.
    """
    # The last whole millisecond of the audio, so that clamped times stay on the same
    # millisecond grid as the rest (and a second pass leaves them as they are).
    limit = math.floor(Fraction(duration) * 1000) / 1000
    tidy: list[Word] = []
    floor = 0.0  # no word may start before the previous one ended
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        start = min(max(round(word.start, 3), floor), limit)
        end = min(max(round(word.end, 3), start), limit)
        floor = end
        tidy.append(Word(start, end, text))
    return tuple(tidy)


def group_words(
    words: Iterable[Word],
    *,
    duration: float,
    pause: float = PAUSE_SECONDS,
    max_seconds: float = MAX_CAPTION_SECONDS,
    max_chars: int = MAX_CAPTION_CHARS,
) -> tuple[Segment, ...]:
    """Group words (in spoken order) into ordered, non-overlapping segments in [0, duration].

    The words are tidied first (see tidy_words), so a segment starts where its first
    tidied word starts and ends where its last one ends.
    """
    segments: list[Segment] = []
    texts: list[str] = []
    seg_start = seg_end = 0.0
    for word in tidy_words(words, duration=duration):
        if texts and (
            word.start - seg_end >= pause
            or word.end - seg_start > max_seconds
            or len(" ".join(texts)) + 1 + len(word.text) > max_chars
        ):
            segments.append(Segment(seg_start, seg_end, " ".join(texts)))
            texts = []
        if not texts:
            seg_start = word.start
        texts.append(word.text)
        seg_end = word.end
    if texts:
        segments.append(Segment(seg_start, seg_end, " ".join(texts)))
    return tuple(segments)
