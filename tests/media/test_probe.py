"""Videos are checked by content with the real decoder: container, video stream, duration."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pytest
from av.audio.frame import AudioFrame

from faceless.media import probe
from faceless.media.probe import MediaError, probe_video
from tests.media.samples import VIDEO_FORMATS, image_bytes, write_video


@pytest.mark.parametrize("content_type", sorted(VIDEO_FORMATS))
def test_real_videos_are_measured(tmp_path: Path, content_type: str) -> None:
    path = write_video(tmp_path / "v", content_type, frames=15, rate=10, size=(80, 64))
    info = probe_video(path, content_type)
    assert info.duration_seconds == pytest.approx(1.5, abs=0.11)
    assert (info.width, info.height) == (80, 64)


def test_quicktime_and_mp4_share_the_iso_container(tmp_path: Path) -> None:
    # An MP4 is a valid QuickTime file (same box structure), and a .mov with a ftyp box
    # passes as MP4: both go to the one demuxer FFmpeg has for the family.
    assert probe_video(write_video(tmp_path / "a", "video/mp4"), "video/quicktime")
    assert probe_video(write_video(tmp_path / "b", "video/quicktime"), "video/mp4")


@pytest.mark.parametrize(
    ("made_as", "declared"),
    [("video/webm", "video/mp4"), ("video/mp4", "video/webm"), ("video/webm", "video/quicktime")],
)
def test_a_container_that_is_not_the_declared_one_is_refused(
    tmp_path: Path, made_as: str, declared: str
) -> None:
    path = write_video(tmp_path / "v", made_as)
    with pytest.raises(MediaError, match=f"not a {declared} file"):
        probe_video(path, declared)


def test_garbage_images_and_unknown_types_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(bytes(range(256)) * 64)
    png = tmp_path / "png"
    png.write_bytes(image_bytes("image/png"))
    for path in (garbage, png):
        for content_type in VIDEO_FORMATS:
            with pytest.raises(MediaError):
                probe_video(path, content_type)
    with pytest.raises(MediaError, match="not a supported video type"):
        probe_video(write_video(tmp_path / "v"), "video/x-msvideo")


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    data = write_video(tmp_path / "v").read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end
    with pytest.raises(MediaError):
        probe_video(cut, "video/mp4")


def test_garbage_behind_valid_headers_is_refused(tmp_path: Path) -> None:
    data = bytearray(write_video(tmp_path / "v").read_bytes())
    start = data.find(b"mdat") - 4
    (size,) = struct.unpack(">I", data[start : start + 4])
    data[start + 8 : start + size] = b"\x55" * (size - 8)
    path = tmp_path / "damaged"
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="could not be decoded"):
        probe_video(path, "video/mp4")


def test_audio_alone_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "audio.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        for index in range(5):
            frame = AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.sample_rate, frame.pts = 16000, index * 1024
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(MediaError, match="no video stream"):
        probe_video(path, "video/mp4")


def test_frame_size_and_duration_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_video(tmp_path / "v", size=(64, 48))
    monkeypatch.setattr(probe, "MAX_DIMENSION", 63)
    with pytest.raises(MediaError, match="over 63 pixels"):
        probe_video(path, "video/mp4")
    monkeypatch.setattr(probe, "MAX_DIMENSION", 64)
    monkeypatch.setattr(probe, "MAX_DURATION_SECONDS", 0.5)
    with pytest.raises(MediaError, match="longer than"):
        probe_video(path, "video/mp4")
