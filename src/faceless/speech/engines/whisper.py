"""Optional faster-whisper engine, used only when a local model directory is configured.

faster-whisper is an optional extra (``pip install 'faceless[whisper]'``) and is not
installed in development, so most of this module is exercised only in deployments that
ship a model; those lines are marked.
"""

from __future__ import annotations

import tempfile
import threading
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..decode import BYTES_PER_SECOND, SAMPLE_RATE
from .base import Checkpoint, Segment, Transcript, UnsupportedLanguageError, Word
from .captions import tidy_words

__all__ = ["WhisperEngine", "WhisperUnavailableError", "timed_words"]


class WhisperUnavailableError(RuntimeError):
    """faster-whisper or the configured model cannot be used."""


class WhisperEngine:
    """faster-whisper on CPU with int8 weights, loaded once from a local directory."""

    name = "faster-whisper"

    def __init__(self, model_path: Path) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise WhisperUnavailableError(
                "WHISPER_MODEL_PATH is set but faster-whisper is not installed; "
                "install it with: pip install 'faceless[whisper]'"
            ) from exc
        # Not exercised here (faster-whisper is not installed in development).
        if not model_path.is_dir():
            # WhisperModel treats anything that is not a directory as a model name to
            # download from the Hugging Face Hub; a typo must not trigger a download.
            raise WhisperUnavailableError(f"whisper model directory not found: {model_path}")
        self._model: Any = WhisperModel(
            str(model_path), device="cpu", compute_type="int8", local_files_only=True
        )
        self.languages: frozenset[str] = frozenset(self._model.supported_languages)
        # One model shared by all worker threads; serialise calls rather than rely on
        # CTranslate2's internal queueing, so memory stays at one inference at a time.
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes, *, language: str, checkpoint: Checkpoint) -> Transcript:
        """Transcribe 16 kHz mono s16le PCM; ``checkpoint`` may raise to cancel."""
        # Not exercised here (needs faster-whisper and a model).
        if language not in self.languages:
            raise UnsupportedLanguageError(f"language {language!r} is not supported by {self.name}")
        duration = len(pcm) / BYTES_PER_SECOND
        segments: list[Segment] = []
        words: list[Word] = []
        checkpoint(0.0)
        with self._lock, tempfile.TemporaryDirectory(prefix="faceless-whisper-") as tmp:
            # numpy is not a dependency of this project, so the audio goes to
            # faster-whisper as a WAV file rather than as an array.
            wav_path = Path(tmp) / "audio.wav"
            _write_wav(wav_path, pcm)
            # transcribe() returns a lazy generator: the work happens while iterating,
            # which is what lets the checkpoint between segments cancel it.
            results, _info = self._model.transcribe(
                str(wav_path),
                language=language,
                beam_size=5,
                vad_filter=True,
                word_timestamps=True,
            )
            floor = 0.0
            for result in results:
                text = " ".join(str(result.text).split())
                start = min(max(round(float(result.start), 3), floor), duration)
                end = min(max(round(float(result.end), 3), start), duration)
                if text:
                    segments.append(Segment(start, end, text))
                    floor = end
                words.extend(timed_words(result))
                checkpoint(min(1.0, end / duration) if duration else 1.0)
        checkpoint(1.0)
        return Transcript(
            text=" ".join(segment.text for segment in segments),
            language=language,
            duration_seconds=duration,
            engine=self.name,
            segments=tuple(segments),
            words=tidy_words(words, duration=duration),
        )


class WhisperWord(Protocol):
    """The part of faster-whisper's ``Word`` used here."""

    start: float
    end: float
    word: str


class WhisperSegment(Protocol):
    """The part of faster-whisper's ``Segment`` used for word timings."""

    words: Sequence[WhisperWord] | None


def timed_words(segment: WhisperSegment) -> list[Word]:
    """A segment's words; ``words`` is None unless word_timestamps was asked for."""
    # The word text carries its own leading space; tidy_words strips it.
    return [Word(float(w.start), float(w.end), str(w.word)) for w in segment.words or ()]


def _write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
