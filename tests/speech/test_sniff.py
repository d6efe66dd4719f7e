"""Magic-byte sniffing of uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceless.speech import SNIFF_BYTES, sniff_audio_format

from .audio import PNG_HEAD, Encoding, has_encoder, reencode


def head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(SNIFF_BYTES)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "m4a"])
def test_sniffs_each_real_format(fmt: str, speech_files: dict[str, Path]) -> None:
    if fmt not in speech_files:
        pytest.skip(f"the bundled FFmpeg has no {fmt} encoder")
    assert sniff_audio_format(head(speech_files[fmt])) == fmt


def test_sniffs_mp3_without_id3_tag_by_frame_sync(speech_wav: Path, audio_dir: Path) -> None:
    if not has_encoder("libmp3lame"):
        pytest.skip("the bundled FFmpeg has no libmp3lame encoder")
    target = audio_dir / "untagged.mp3"
    reencode(speech_wav, target, Encoding("libmp3lame", container_options={"id3v2_version": "0"}))
    data = head(target)
    assert data[0] == 0xFF, "fixture should start with an MPEG frame, not a tag"
    assert sniff_audio_format(data) == "mp3"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"hello, this is plain text\n", id="text"),
        pytest.param(PNG_HEAD, id="png"),
        pytest.param(b"%PDF-1.7\n", id="pdf"),
        pytest.param(b"#EXTM3U\n#EXT-X-VERSION:3\n", id="hls-playlist"),
        pytest.param(b"RIFF\x24\x00\x00\x00AVI ", id="riff-avi"),
        pytest.param(b"RIFF", id="truncated-riff"),
        pytest.param(b"\x00\x00\x00\x18ftypqt  ", id="quicktime-brand"),
        pytest.param(b"\xff\xf1\x50\x80\x02\x1f\xfc", id="adts-aac"),
        pytest.param(b"\xff\xfb\xf0\x00", id="mpeg-bad-bitrate"),
        pytest.param(b"\xff\xfb\x9c\x00", id="mpeg-bad-samplerate"),
        pytest.param(b"\xff\xff", id="short-sync"),
    ],
)
def test_rejects_non_audio(data: bytes) -> None:
    assert sniff_audio_format(data) is None


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"RF64\xff\xff\xff\xffWAVEds64", "wav"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00", "mp3"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", "m4a"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "m4a"),
    ],
)
def test_recognises_minimal_signatures(data: bytes, fmt: str) -> None:
    assert len(data[:SNIFF_BYTES]) <= SNIFF_BYTES
    assert sniff_audio_format(data[:SNIFF_BYTES]) == fmt
