"""Probing and decoding real files with PyAV."""

from __future__ import annotations

import array
import contextlib
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceless.speech import (
    AudioError,
    TranscriptionCancelled,
    decode_pcm16k_mono,
    probe_duration,
)

from .audio import PNG_HEAD, write_tone_wav

# Encoders add priming/padding (AAC ~1024 samples, Opus pre-skip), hence the slack.
TOLERANCE_SECONDS = 0.1


def test_probe_duration_matches_source(speech_file: Path, speech_seconds: float) -> None:
    assert probe_duration(speech_file, max_seconds=60) == pytest.approx(
        speech_seconds, abs=TOLERANCE_SECONDS
    )


def test_decode_yields_16k_mono_s16(speech_file: Path, speech_seconds: float) -> None:
    pcm = decode_pcm16k_mono(speech_file, max_seconds=60)
    assert len(pcm) % 2 == 0
    assert len(pcm) == pytest.approx(speech_seconds * 16_000 * 2, abs=TOLERANCE_SECONDS * 32_000)
    assert any(pcm), "speech must not decode to silence"


def test_decode_downmixes_and_resamples(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "tone.wav", rate=44_100, channels=2, seconds=1.5)
    pcm = decode_pcm16k_mono(path, max_seconds=10)
    assert len(pcm) == pytest.approx(1.5 * 32_000, abs=64)
    samples = array.array("h", pcm)
    rms = math.sqrt(sum(s * s for s in samples[1000:20000]) / 19000)
    # A 8000-peak sine has RMS ~5657; both channels carry it, so the mono mix keeps it.
    assert rms == pytest.approx(8000 / math.sqrt(2), rel=0.05)


def test_decode_reports_progress_and_finishes_at_one(speech_wav: Path) -> None:
    seen: list[float] = []
    decode_pcm16k_mono(speech_wav, max_seconds=60, checkpoint=seen.append)
    assert len(seen) >= 2
    assert seen == sorted(seen)
    assert all(0.0 <= p <= 1.0 for p in seen)
    assert seen[-1] == 1.0


def test_decode_checkpoint_can_cancel(speech_wav: Path) -> None:
    def cancel(progress: float) -> None:
        raise TranscriptionCancelled

    with pytest.raises(TranscriptionCancelled):
        decode_pcm16k_mono(speech_wav, max_seconds=60, checkpoint=cancel)


def test_decode_rejects_audio_longer_than_limit(speech_file: Path) -> None:
    with pytest.raises(AudioError, match="longer than the 2 second limit"):
        decode_pcm16k_mono(speech_file, max_seconds=2)


def test_decode_accepts_audio_just_under_limit(speech_wav: Path, speech_seconds: float) -> None:
    assert decode_pcm16k_mono(speech_wav, max_seconds=speech_seconds + 0.01)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"just some text, not audio at all\n" * 20, id="text"),
        pytest.param(PNG_HEAD + bytes(200), id="png"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVE" + b"garbage!" * 100, id="riff-header-garbage"),
        pytest.param(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8, id="id3-garbage"),
        pytest.param(b"OggS" + b"\x00" * 500, id="ogg-garbage"),
    ],
)
def test_non_audio_named_wav_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.wav"
    path.write_bytes(content)
    for call in (
        lambda: probe_duration(path, max_seconds=60),
        lambda: decode_pcm16k_mono(path, max_seconds=60),
    ):
        with pytest.raises(AudioError) as caught:
            call()
        message = str(caught.value)
        # The message goes to API clients: no paths, no FFmpeg internals.
        assert str(tmp_path) not in message
        assert "upload.wav" not in message
        assert "avformat" not in message
        assert "Errno" not in message


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(AudioError):
        probe_duration(path, max_seconds=60)
    with pytest.raises(AudioError):
        decode_pcm16k_mono(path, max_seconds=60)


def test_wav_without_samples_is_rejected(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "silent.wav", rate=16_000, channels=1, seconds=0)
    with pytest.raises(AudioError, match="no audio"):
        probe_duration(path, max_seconds=60)
    with pytest.raises(AudioError, match="no audio"):
        decode_pcm16k_mono(path, max_seconds=60)


def test_truncated_file_decodes_what_is_there(speech_wav: Path, tmp_path: Path) -> None:
    data = speech_wav.read_bytes()
    path = tmp_path / "truncated.wav"
    path.write_bytes(data[: len(data) // 2])
    pcm = decode_pcm16k_mono(path, max_seconds=60)
    assert 0 < len(pcm) < len(decode_pcm16k_mono(speech_wav, max_seconds=60))


def test_missing_file_is_a_server_error_not_bad_audio(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_duration(tmp_path / "nope.wav", max_seconds=60)


def test_rejects_non_positive_limit(speech_wav: Path) -> None:
    with pytest.raises(ValueError, match="max_seconds"):
        decode_pcm16k_mono(speech_wav, max_seconds=0)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "m4a"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_damaged_files_fail_only_with_audio_error(
    fmt: str, speech_files: dict[str, Path], audio_dir: Path, data: st.DataObject
) -> None:
    if fmt not in speech_files:
        pytest.skip(f"the bundled FFmpeg has no {fmt} encoder")
    damaged = bytearray(speech_files[fmt].read_bytes())
    # Keep the magic bytes so the damage reaches FFmpeg instead of stopping at sniffing.
    if data.draw(st.booleans(), label="truncate"):
        del damaged[data.draw(st.integers(17, len(damaged) - 1), label="cut") :]
    for _ in range(data.draw(st.integers(1, 40), label="flips")):
        index = data.draw(st.integers(16, len(damaged) - 1), label="index")
        damaged[index] = data.draw(st.integers(0, 255), label="byte")
    path = audio_dir / f"damaged.{fmt}"
    path.write_bytes(damaged)
    for call in (
        lambda: probe_duration(path, max_seconds=60),
        lambda: decode_pcm16k_mono(path, max_seconds=60),
    ):
        # Success is fine too; anything but AudioError would surface as a server error.
        with contextlib.suppress(AudioError):
            call()
