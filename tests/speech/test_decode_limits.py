"""Decoding work is bounded by the limits, whatever the header says (API.md, ADR 0013).

The files come from ``tests.speech.crafted``: real audio whose header omits its length
or understates it. ``AudioTooLongError.decoded_seconds`` says how much was decoded before
decoding stopped; a CPU-time liveness bound checks the same thing from outside.
"""

from __future__ import annotations

import time
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from faceless.speech import AudioError, AudioTooLongError, decode_pcm16k_mono, probe_duration
from faceless.speech.decode import MAX_CHANNELS, MAX_SAMPLE_RATE

from .audio import write_tone_wav
from .crafted import CONSTANT_HOURS, LYING_SECONDS, declared_seconds, flac_constant

LIMIT = 2.0
# A FLAC frame holds up to 65,535 samples: 4.1 s at 16 kHz. Other codecs' frames are
# shorter. Decoding stops at the first frame that passes the limit.
LONGEST_FRAME_SECONDS = 65_535 / 16_000
# Decoding 2 s of audio costs about a millisecond of CPU; decoding the 100-hour file to
# its end costs several seconds. The bound sits far above the first, far below the second.
LIVENESS_CPU_SECONDS = 1.0


def test_the_crafted_headers_understate_the_content(lying_audio: dict[str, Path]) -> None:
    # The premise of every test below: FFmpeg reads no length, or one under the limit.
    for name, path in lying_audio.items():
        declared = declared_seconds(path)
        if name == "wav-unknown-size":
            assert declared == pytest.approx(LYING_SECONDS)  # estimated from the file size
        else:
            assert declared is None or declared <= 1.0, (name, declared)


@pytest.mark.parametrize("decode", [probe_duration, decode_pcm16k_mono])
def test_undeclared_or_understated_length_stops_at_the_limit(
    lying_audio: dict[str, Path], decode: Callable[..., object]
) -> None:
    for name, path in lying_audio.items():
        with pytest.raises(AudioTooLongError) as caught:
            decode(path, max_seconds=LIMIT)
        too_long = caught.value
        assert too_long.limit_seconds == LIMIT
        if name == "wav-unknown-size":  # refused on the estimate, before decoding
            assert too_long.declared_seconds == pytest.approx(LYING_SECONDS)
            assert too_long.decoded_seconds == 0
        else:
            assert too_long.declared_seconds is None, name
            assert LIMIT < too_long.decoded_seconds <= LIMIT + LONGEST_FRAME_SECONDS, name
        assert "longer than the 2 second limit" in str(too_long)


def test_a_hundred_hours_in_a_megabyte_costs_only_the_limit(lying_audio: dict[str, Path]) -> None:
    for name in ("flac-constant", "wav-constant-flac"):
        path = lying_audio[name]
        assert path.stat().st_size < 2_000_000
        started = time.process_time()
        with pytest.raises(AudioTooLongError):
            probe_duration(path, max_seconds=LIMIT)
        with pytest.raises(AudioTooLongError):
            decode_pcm16k_mono(path, max_seconds=LIMIT)
        assert time.process_time() - started < LIVENESS_CPU_SECONDS, name


def test_the_same_audio_under_a_higher_limit_is_measured_by_decoding(
    lying_audio: dict[str, Path],
) -> None:
    # What is accepted is what decodes, not what the header claims.
    for name, path in lying_audio.items():
        if name.endswith("constant-flac") or name == "flac-constant":
            continue
        assert probe_duration(path, max_seconds=60) == pytest.approx(LYING_SECONDS, abs=0.1), name


def test_constant_flac_is_long_indeed(tmp_path: Path) -> None:
    # The generator itself: a one-minute file decodes to one minute (so the hundred-hour
    # one is what it says, not a broken file that happens to stop early).
    path = flac_constant(tmp_path / "minute.flac", seconds=60)
    assert probe_duration(path, max_seconds=120) == pytest.approx(60, abs=4.1)
    assert CONSTANT_HOURS * 3600 > 1000 * LIMIT


def _wav(path: Path, *, rate: int, channels: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(2 * channels * rate // 10))
    return path


@pytest.mark.parametrize(
    ("rate", "channels", "message"),
    [
        (MAX_SAMPLE_RATE * 2, 1, "sample rates above"),
        (16_000, MAX_CHANNELS + 1, "more than 8 channels"),
    ],
)
def test_work_per_second_is_bounded_too(
    tmp_path: Path, rate: int, channels: int, message: str
) -> None:
    path = _wav(tmp_path / "wide.wav", rate=rate, channels=channels)
    for call in (probe_duration, decode_pcm16k_mono):
        with pytest.raises(AudioError, match=message):
            call(path, max_seconds=60)


def test_the_largest_accepted_shape_decodes(tmp_path: Path) -> None:
    path = _wav(tmp_path / "wide.wav", rate=MAX_SAMPLE_RATE, channels=MAX_CHANNELS)
    assert probe_duration(path, max_seconds=60) == pytest.approx(0.1)
    stereo = write_tone_wav(tmp_path / "tone.wav", rate=48_000, channels=2, seconds=1)
    assert probe_duration(stereo, max_seconds=60) == pytest.approx(1.0)


def test_probe_rejects_non_positive_limit(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "tone.wav", rate=16_000, channels=1, seconds=1)
    with pytest.raises(ValueError, match="max_seconds"):
        probe_duration(path, max_seconds=0)
