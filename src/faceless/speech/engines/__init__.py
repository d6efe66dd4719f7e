"""Speech engines behind one Protocol, and the factory that picks one from settings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import (
    Checkpoint,
    Engine,
    Segment,
    Transcript,
    TranscriptionCancelled,
    UnsupportedLanguageError,
    Word,
)
from .whisper import WhisperEngine, WhisperUnavailableError

if TYPE_CHECKING:
    from .pocketsphinx import PocketSphinxEngine

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


def __getattr__(name: str) -> Any:
    # PocketSphinx (its library and models) is loaded when first used, not when an API
    # process imports the job code: only workers transcribe (issue 11: idle memory).
    if name == "PocketSphinxEngine":
        from .pocketsphinx import PocketSphinxEngine

        return PocketSphinxEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _pocketsphinx_engine() -> PocketSphinxEngine:
    from .pocketsphinx import PocketSphinxEngine

    return PocketSphinxEngine()


@functools.cache
def _whisper_engine(model_path: Path) -> WhisperEngine:
    return WhisperEngine(model_path)
