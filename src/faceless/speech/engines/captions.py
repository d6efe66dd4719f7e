"""Grouping timed words into caption-sized segments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .base import Segment

__all__ = ["MAX_CAPTION_CHARS", "MAX_CAPTION_SECONDS", "PAUSE_SECONDS", "Word", "group_words"]

# A pause this long reads as the end of a phrase, so the caption breaks there.
PAUSE_SECONDS = 0.6
# Common subtitle guidance: at most ~7 s on screen and ~42 characters per line.
MAX_CAPTION_SECONDS = 7.0
MAX_CAPTION_CHARS = 42


@dataclass(frozen=True, slots=True)
class Word:
    """A recognised word and its time span in seconds."""

    start: float
    end: float
    text: str


def group_words(
    words: Iterable[Word],
    *,
    duration: float,
    pause: float = PAUSE_SECONDS,
    max_seconds: float = MAX_CAPTION_SECONDS,
    max_chars: int = MAX_CAPTION_CHARS,
) -> tuple[Segment, ...]:
    """Group words (in spoken order) into ordered, non-overlapping segments in [0, duration].

    Times are rounded to milliseconds, then clamped so that rounding or an engine's
    slightly overlapping word spans can never produce overlapping or out-of-range captions.
    """
    segments: list[Segment] = []
    texts: list[str] = []
    seg_start = seg_end = 0.0
    floor = 0.0  # no word may start before the previous one ended
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        start = min(max(round(word.start, 3), floor), duration)
        end = min(max(round(word.end, 3), start), duration)
        floor = end
        if texts and (
            start - seg_end >= pause
            or end - seg_start > max_seconds
            or len(" ".join(texts)) + 1 + len(text) > max_chars
        ):
            segments.append(Segment(seg_start, seg_end, " ".join(texts)))
            texts = []
        if not texts:
            seg_start = start
        texts.append(text)
        seg_end = end
    if texts:
        segments.append(Segment(seg_start, seg_end, " ".join(texts)))
    return tuple(segments)
