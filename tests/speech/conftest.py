"""Session fixtures: espeak-ng speech in every accepted format, and its transcript.

Everything is generated once per session with real tools; nothing is mocked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from faceless.speech import Transcript, create_engine, decode_pcm16k_mono

from .audio import ENCODINGS, has_encoder, reencode, wav_duration


@pytest.fixture(scope="session")
def speech_seconds(speech_wav: Path) -> float:
    return wav_duration(speech_wav)


@pytest.fixture(scope="session")
def speech_files(speech_wav: Path, audio_dir: Path) -> dict[str, Path]:
    """The speech in every accepted format whose encoder this FFmpeg build has."""
    files = {"wav": speech_wav}
    for fmt, candidates in ENCODINGS.items():
        for encoding in candidates:
            if has_encoder(encoding.codec):
                target = audio_dir / f"speech.{fmt}"
                reencode(speech_wav, target, encoding)
                files[fmt] = target
                break
    return files


@pytest.fixture(params=["wav", "mp3", "flac", "ogg", "m4a"])
def speech_file(request: pytest.FixtureRequest, speech_files: dict[str, Path]) -> Path:
    fmt: str = request.param
    if fmt not in speech_files:
        pytest.skip(f"the bundled FFmpeg has no {fmt} encoder")
    return speech_files[fmt]


@dataclass(frozen=True)
class Transcribed:
    """The PocketSphinx transcript of the speech WAV, with what it took to get it."""

    transcript: Transcript
    pcm_bytes: int
    wall_seconds: float
    progress: tuple[float, ...]


@pytest.fixture(scope="session")
def speech_pcm(speech_wav: Path) -> bytes:
    return decode_pcm16k_mono(speech_wav, max_seconds=60)


@pytest.fixture(scope="session")
def speech_transcript(speech_pcm: bytes) -> Transcribed:
    engine = create_engine()
    progress: list[float] = []
    started = time.perf_counter()
    transcript = engine.transcribe(speech_pcm, language="en", checkpoint=progress.append)
    return Transcribed(transcript, len(speech_pcm), time.perf_counter() - started, tuple(progress))
