"""Small real videos and images, made with PyAV for the media tests (a few frames each)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from av.video.codeccontext import VideoCodecContext

# content type -> (PyAV muxer, encoder, file suffix)
VIDEO_FORMATS = {
    "video/mp4": ("mp4", "mpeg4", ".mp4"),
    "video/webm": ("webm", "libvpx", ".webm"),
    "video/quicktime": ("mov", "mpeg4", ".mov"),
}


def _frame(width: int, height: int, shade: int, pix_fmt: str = "yuv420p") -> av.VideoFrame:
    frame = av.VideoFrame(width, height, pix_fmt)
    for plane in frame.planes:
        plane.update(bytes([shade % 256]) * plane.buffer_size)
    return frame


def write_video(
    path: Path,
    content_type: str = "video/mp4",
    *,
    frames: int = 10,
    rate: int = 10,
    size: tuple[int, int] = (64, 48),
) -> Path:
    """A real ``frames / rate`` second video of ``content_type`` at ``path``."""
    muxer, codec, _suffix = VIDEO_FORMATS[content_type]
    with av.open(str(path), "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream.codec_context, VideoCodecContext)
        stream.codec_context.width, stream.codec_context.height = size
        stream.codec_context.pix_fmt = "yuv420p"
        for index in range(frames):
            for packet in stream.encode(_frame(*size, index * 20)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def image_bytes(content_type: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """A real PNG or JPEG of ``size``."""
    codec, pix_fmt = {"image/png": ("png", "rgb24"), "image/jpeg": ("mjpeg", "yuvj420p")}[
        content_type
    ]
    encoder = av.CodecContext.create(codec, "w")
    assert isinstance(encoder, VideoCodecContext)
    encoder.width, encoder.height = size
    encoder.pix_fmt = pix_fmt
    encoder.time_base = Fraction(1, 1)
    packets = [*encoder.encode(_frame(*size, 100, pix_fmt)), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)
