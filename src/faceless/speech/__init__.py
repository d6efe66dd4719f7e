"""Offline transcription: upload decoding, speech engines and caption formats.

Typical use by a worker::

    pcm = decode_pcm16k_mono(path, max_seconds=limit, checkpoint=report)
    engine = create_engine(whisper_model_path=settings.whisper_model_path)
    transcript = engine.transcribe(pcm, language="en", checkpoint=report)
    result = to_json_dict(transcript)

``report(progress)`` may raise TranscriptionCancelled to stop either step.
"""

from __future__ import annotations

from .decode import (
    SNIFF_BYTES,
    AudioError,
    AudioTooLongError,
    decode_pcm16k_mono,
    probe_duration,
    sniff_audio_format,
)
from .engines import (
    Checkpoint,
    Engine,
    Segment,
    Transcript,
    TranscriptionCancelled,
    UnsupportedLanguageError,
    WhisperUnavailableError,
    create_engine,
)
from .formats import InvalidTranscriptError, from_json_dict, to_json_dict, to_srt, to_text, to_vtt

__all__ = [
    "SNIFF_BYTES",
    "AudioError",
    "AudioTooLongError",
    "Checkpoint",
    "Engine",
    "InvalidTranscriptError",
    "Segment",
    "Transcript",
    "TranscriptionCancelled",
    "UnsupportedLanguageError",
    "WhisperUnavailableError",
    "Word",
    "create_engine",
    "decode_pcm16k_mono",
    "from_json_dict",
    "probe_duration",
    "sniff_audio_format",
    "to_json_dict",
    "to_srt",
    "to_text",
    "to_vtt",
]
