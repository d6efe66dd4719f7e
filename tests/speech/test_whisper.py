"""The faster-whisper engine's word timings, from objects shaped like its results.

faster-whisper is an optional extra that is not installed here, so the engine itself is
not run; ``timed_words`` reads the attributes faster-whisper documents for a segment's
``words`` (``start``, ``end``, ``word``) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from faceless.speech.engines import Word
from faceless.speech.engines.whisper import timed_words


@dataclass(frozen=True)
class ResultWord:
    start: float
    end: float
    word: str
    probability: float = 0.9


@dataclass(frozen=True)
class ResultSegment:
    words: list[ResultWord] | None


def test_words_of_a_segment_keep_their_timings() -> None:
    segment = ResultSegment([ResultWord(0.0, 0.42, " Hello,"), ResultWord(0.5, 0.9, " world.")])
    assert timed_words(segment) == [Word(0.0, 0.42, " Hello,"), Word(0.5, 0.9, " world.")]


def test_a_segment_without_word_timings_gives_none() -> None:
    assert timed_words(ResultSegment(None)) == []
    assert timed_words(ResultSegment([])) == []
