"""Rendering transcripts as the API's JSON, SRT, WebVTT and plain text (and JSON back)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from .engines.base import Segment, Transcript, Word

__all__ = [
    "InvalidTranscriptError",
    "format_timestamp",
    "from_json_dict",
    "to_json_dict",
    "to_srt",
    "to_text",
    "to_vtt",
]


class InvalidTranscriptError(ValueError):
    """A value handed to from_json_dict is not a transcription result."""


_TRANSCRIPT_KEYS = frozenset({"text", "language", "duration_seconds", "engine", "segments"})
_SEGMENT_KEYS = frozenset({"start", "end", "text"})
_WORD_KEYS = _SEGMENT_KEYS


def to_json_dict(t: Transcript) -> dict[str, object]:
    """The API's transcription result object."""
    return {
        "text": t.text,
        "language": t.language,
        "duration_seconds": t.duration_seconds,
        "engine": t.engine,
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in t.segments],
        "words": [{"start": w.start, "end": w.end, "text": w.text} for w in t.words],
    }


def from_json_dict(d: object) -> Transcript:
    """Inverse of to_json_dict; raises InvalidTranscriptError for anything of another shape.

    ``words`` may be absent: results stored before word timings existed have none.
    """
    data = _mapping(d, _TRANSCRIPT_KEYS, "transcript")
    segments = [
        Segment(*_timed(item, f"transcript.segments[{index}]", _SEGMENT_KEYS))
        for index, item in enumerate(_list(data["segments"], "transcript.segments"))
    ]
    words = [
        Word(*_timed(item, f"transcript.words[{index}]", _WORD_KEYS))
        for index, item in enumerate(_list(data.get("words", []), "transcript.words"))
    ]
    return Transcript(
        text=_string(data["text"], "transcript.text"),
        language=_string(data["language"], "transcript.language"),
        duration_seconds=_seconds(data["duration_seconds"], "transcript.duration_seconds"),
        engine=_string(data["engine"], "transcript.engine"),
        segments=tuple(segments),
        words=tuple(words),
    )


def to_srt(t: Transcript) -> str:
    """SubRip: numbered cues separated by a blank line. No segments gives an empty file."""
    cues = [
        f"{number}\n{format_timestamp(s.start)} --> {format_timestamp(s.end)}\n"
        f"{_one_line(s.text)}\n"
        for number, s in enumerate(t.segments, start=1)
    ]
    return "\n".join(cues)


def to_vtt(t: Transcript) -> str:
    """WebVTT; a transcript without segments is just the header."""
    cues = [
        f"{format_timestamp(s.start, '.')} --> {format_timestamp(s.end, '.')}\n"
        f"{_vtt_escape(_one_line(s.text))}\n"
        for s in t.segments
    ]
    return "\n".join(["WEBVTT\n", *cues])


def to_text(t: Transcript) -> str:
    """The transcript's text, newline-terminated (empty for an empty transcript)."""
    return f"{t.text}\n" if t.text else ""


def format_timestamp(seconds: float, separator: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT) or, with separator ".", ``HH:MM:SS.mmm`` (WebVTT).

    Rounds to the nearest millisecond using the float's exact value, so any finite
    non-negative float works; hours simply grow past two digits.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("timestamps must be finite and non-negative")
    millis = round(Fraction(seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A newline (let alone a blank line) inside cue text would end the cue early.
    return " ".join(text.split())


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: "&" and "<" start entities and tags, and "-->" is
    # forbidden; escaping ">" as well takes care of the latter.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mapping(value: object, keys: frozenset[str], where: str) -> Mapping[str, object]:
    # Unknown extra keys are ignored so results stored by a newer release still render.
    if not isinstance(value, Mapping) or not keys <= value.keys():
        raise InvalidTranscriptError(f"{where} must be an object with the keys {sorted(keys)}")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidTranscriptError(f"{where} must be a list")
    return value


def _timed(value: object, where: str, keys: frozenset[str]) -> tuple[float, float, str]:
    """A segment's or word's start, end and text."""
    item = _mapping(value, keys, where)
    start = _seconds(item["start"], f"{where}.start")
    end = _seconds(item["end"], f"{where}.end")
    if end < start:
        raise InvalidTranscriptError(f"{where} ends before it starts")
    return start, end, _string(item["text"], f"{where}.text")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidTranscriptError(f"{where} must be a string")
    return value


def _seconds(value: object, where: str) -> float:
    # bool is an int subclass but never a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTranscriptError(f"{where} must be a number")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidTranscriptError(f"{where} must be finite and non-negative")
    return seconds
