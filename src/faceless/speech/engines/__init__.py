"""Speech engines behind one Protocol, and the factory that picks one from settings."""

from __future__ import annotations

import functools
from pathlib import Path

from .base import (
    Checkpoint,
    Engine,
    Segment,
    Transcript,
    TranscriptionCancelled,
    UnsupportedLanguageError,
    Word,
)
from .pocketsphinx import PocketSphinxEngine
from .whisper import WhisperEngine, WhisperUnavailableError

__all__ = [
    "Checkpoint",
    "Engine",
    "PocketSphinxEngine",
    "Segment",
    "Transcript",
    "TranscriptionCancelled",
    "UnsupportedLanguageError",
    "WhisperEngine",
    "WhisperUnavailableError",
    "Word",
    "create_engine",
]


def create_engine(*, whisper_model_path: Path | None = None) -> Engine:
    """faster-whisper when a local model directory is configured, else PocketSphinx.

    Engines are cached per process: loading a model is far more expensive than a short
    transcription, and both engines are safe to share between threads.
    """
    if whisper_model_path is not None:
        return _whisper_engine(whisper_model_path)
    return _pocketsphinx_engine()


@functools.cache
def _pocketsphinx_engine() -> PocketSphinxEngine:
    return PocketSphinxEngine()


@functools.cache
def _whisper_engine(model_path: Path) -> WhisperEngine:
    return WhisperEngine(model_path)
