"""JSON, SRT, WebVTT and text renderings of transcripts."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceless.speech import (
    InvalidTranscriptError,
    Segment,
    Transcript,
    from_json_dict,
    to_json_dict,
    to_srt,
    to_text,
    to_vtt,
)
from faceless.speech.engines import Word
from faceless.speech.formats import format_timestamp

from .conftest import Transcribed

SAMPLE = Transcript(
    text="hello world this is a test",
    language="en",
    duration_seconds=3725.5,
    engine="pocketsphinx",
    segments=(
        Segment(0.0, 1.5, "hello world"),
        Segment(61.25, 62.0004, "this is\na <test> & more"),
        Segment(3599.9996, 3725.5, "the end"),
    ),
    words=(
        Word(0.0, 0.7, "hello"),
        Word(0.8, 1.5, "world"),
        Word(3599.9996, 3600.3, "the"),
        Word(3600.4, 3725.5, "end"),
    ),
)
EMPTY = Transcript(text="", language="en", duration_seconds=2.0, engine="x", segments=())

_TIME = r"(\d{{2,}}):([0-5]\d):([0-5]\d){}(\d{{3}})"
SRT_TIME = _TIME.format(",")
VTT_TIME = _TIME.format(r"\.")


def test_srt_exact() -> None:
    assert to_srt(SAMPLE) == (
        "1\n00:00:00,000 --> 00:00:01,500\nhello world\n"
        "\n"
        "2\n00:01:01,250 --> 00:01:02,000\nthis is a <test> & more\n"
        "\n"
        "3\n01:00:00,000 --> 01:02:05,500\nthe end\n"
    )


def test_vtt_exact() -> None:
    assert to_vtt(SAMPLE) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:01.500\nhello world\n"
        "\n"
        "00:01:01.250 --> 00:01:02.000\nthis is a &lt;test&gt; &amp; more\n"
        "\n"
        "01:00:00.000 --> 01:02:05.500\nthe end\n"
    )


def test_text() -> None:
    assert to_text(SAMPLE) == "hello world this is a test\n"


def test_empty_transcript() -> None:
    assert to_srt(EMPTY) == ""
    assert to_vtt(EMPTY) == "WEBVTT\n"
    assert to_text(EMPTY) == ""
    assert from_json_dict(to_json_dict(EMPTY)) == EMPTY


def test_json_shape_matches_api() -> None:
    assert to_json_dict(SAMPLE) == {
        "text": "hello world this is a test",
        "language": "en",
        "duration_seconds": 3725.5,
        "engine": "pocketsphinx",
        "segments": [
            {"start": 0.0, "end": 1.5, "text": "hello world"},
            {"start": 61.25, "end": 62.0004, "text": "this is\na <test> & more"},
            {"start": 3599.9996, "end": 3725.5, "text": "the end"},
        ],
        "words": [
            {"start": 0.0, "end": 0.7, "text": "hello"},
            {"start": 0.8, "end": 1.5, "text": "world"},
            {"start": 3599.9996, "end": 3600.3, "text": "the"},
            {"start": 3600.4, "end": 3725.5, "text": "end"},
        ],
    }


def test_json_round_trip_through_text() -> None:
    assert from_json_dict(json.loads(json.dumps(to_json_dict(SAMPLE)))) == SAMPLE


def test_json_tolerates_integers_and_extra_keys() -> None:
    data = to_json_dict(EMPTY) | {"duration_seconds": 2, "future_field": True}
    assert from_json_dict(data) == EMPTY


def test_json_from_before_word_timings_reads_without_words() -> None:
    stored = {k: v for k, v in to_json_dict(SAMPLE).items() if k != "words"}
    transcript = from_json_dict(stored)
    assert transcript.words == ()
    assert transcript.segments == SAMPLE.segments
    assert to_srt(transcript) == to_srt(SAMPLE)


def valid() -> dict[str, object]:
    return to_json_dict(SAMPLE)


def with_segment(**changes: object) -> dict[str, object]:
    return valid() | {"segments": [{"start": 0.0, "end": 1.0, "text": "hi"} | changes]}


def with_word(**changes: object) -> dict[str, object]:
    return valid() | {"words": [{"start": 0.0, "end": 1.0, "text": "hi"} | changes]}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="not-an-object"),
        pytest.param(None, id="null"),
        pytest.param({k: v for k, v in valid().items() if k != "engine"}, id="missing-key"),
        pytest.param(valid() | {"segments": {}}, id="segments-not-list"),
        pytest.param(valid() | {"text": 3}, id="text-not-string"),
        pytest.param(valid() | {"duration_seconds": "3"}, id="duration-string"),
        pytest.param(valid() | {"duration_seconds": True}, id="duration-bool"),
        pytest.param(valid() | {"duration_seconds": math.nan}, id="duration-nan"),
        pytest.param(valid() | {"segments": ["x"]}, id="segment-not-object"),
        pytest.param(with_segment(start=-1.0), id="negative-start"),
        pytest.param(with_segment(end=math.inf), id="infinite-end"),
        pytest.param(with_segment(start=2.0), id="ends-before-start"),
        pytest.param(with_segment(text=None), id="segment-text-null"),
        pytest.param(valid() | {"words": None}, id="words-null"),
        pytest.param(valid() | {"words": [["hi"]]}, id="word-not-object"),
        pytest.param(with_word(start=-0.5), id="word-negative-start"),
        pytest.param(with_word(end=0.0, start=0.5), id="word-ends-before-start"),
        pytest.param(with_word(end=math.nan), id="word-end-nan"),
        pytest.param(with_word(text=7), id="word-text-number"),
        pytest.param(valid() | {"words": [{"start": 0.0, "end": 1.0}]}, id="word-missing-text"),
    ],
)
def test_from_json_rejects_wrong_shapes(data: object) -> None:
    with pytest.raises(InvalidTranscriptError):
        from_json_dict(data)


def parse_cues(body: str, *, vtt: bool) -> list[tuple[float, float, str]]:
    time = VTT_TIME if vtt else SRT_TIME
    blocks = body.split("\n\n")
    cues = []
    for number, block in enumerate(blocks, start=1):
        lines = block.rstrip("\n").split("\n")
        if not vtt:
            assert lines.pop(0) == str(number)
        match = re.fullmatch(f"{time} --> {time}", lines[0])
        assert match, lines[0]
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert len(lines) == 2, block
        cues.append((start, end, lines[1]))
    return cues


@pytest.mark.parametrize("vtt", [False, True], ids=["srt", "vtt"])
def test_real_transcript_renders_valid_cues(speech_transcript: Transcribed, vtt: bool) -> None:
    transcript = speech_transcript.transcript
    rendered = to_vtt(transcript) if vtt else to_srt(transcript)
    assert rendered.endswith("\n")
    assert not rendered.endswith("\n\n")
    if vtt:
        assert rendered.startswith("WEBVTT\n\n")
        rendered = rendered.removeprefix("WEBVTT\n\n")
    cues = parse_cues(rendered, vtt=vtt)
    assert len(cues) == len(transcript.segments) > 0
    previous_end = 0.0
    for (start, end, text), segment in zip(cues, transcript.segments, strict=True):
        assert previous_end <= start <= end <= transcript.duration_seconds + 0.0005
        assert text == segment.text
        previous_end = end


def test_real_transcript_json_round_trip(speech_transcript: Transcribed) -> None:
    transcript = speech_transcript.transcript
    assert from_json_dict(json.loads(json.dumps(to_json_dict(transcript)))) == transcript


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_srt_timestamp_is_well_formed_for_any_non_negative_float(seconds: float) -> None:
    stamp = format_timestamp(seconds)
    match = re.fullmatch(SRT_TIME, stamp)
    assert match, stamp
    hours, minutes, secs, millis = map(int, match.groups())
    total_ms = ((hours * 60 + minutes) * 60 + secs) * 1000 + millis
    # Exact arithmetic: the stamp is the nearest millisecond, whatever the magnitude.
    assert abs(Fraction(total_ms, 1000) - Fraction(seconds)) <= Fraction(1, 2000)
    assert format_timestamp(seconds, ".") == stamp.replace(",", ".")


@pytest.mark.parametrize("bad", [-0.001, math.nan, math.inf, -math.inf])
def test_timestamp_rejects_negative_and_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        format_timestamp(bad)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.0, "00:00:00,000"),
        (0.0004, "00:00:00,000"),
        (0.0006, "00:00:00,001"),
        (59.9996, "00:01:00,000"),
        (3661.001, "01:01:01,001"),
        (360000.0, "100:00:00,000"),
    ],
)
def test_timestamp_examples(seconds: float, expected: str) -> None:
    assert format_timestamp(seconds) == expected
