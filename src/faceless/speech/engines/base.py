"""The engine contract: what every speech engine takes, returns and must honour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Checkpoint",
    "Engine",
    "Segment",
    "Transcript",
    "TranscriptionCancelled",
    "UnsupportedLanguageError",
    "Word",
]

# checkpoint(progress_0_to_1): engines call it periodically; the caller raises from it
# (typically TranscriptionCancelled) to stop the work, and engines must let that propagate.
Checkpoint = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Segment:
    """One caption: seconds from the start of the audio, and the words spoken."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Word:
    """A recognised word and its time span in seconds from the start of the audio."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """A finished transcription. Segments are ordered and do not overlap; nor do words.

    ``words`` are the recognised words with their own timings, in spoken order; engines
    that cannot time single words leave it empty.
    """

    text: str
    language: str
    duration_seconds: float
    engine: str
    segments: tuple[Segment, ...]
    words: tuple[Word, ...] = ()


class TranscriptionCancelled(Exception):  # noqa: N818 - the name is part of the public API
    """Raised from a checkpoint to abandon a transcription."""


class UnsupportedLanguageError(ValueError):
    """The engine has no model for the requested language."""


class Engine(Protocol):
    """An offline speech-to-text engine.

    ``pcm`` is signed 16-bit little-endian, 16 kHz, mono (see decode.decode_pcm16k_mono).
    Implementations must be safe to call from several threads at once.
    """

    name: str
    languages: frozenset[str]

    def transcribe(self, pcm: bytes, *, language: str, checkpoint: Checkpoint) -> Transcript:
        """Transcribe ``pcm``; raise UnsupportedLanguageError for a language not offered."""
        ...
