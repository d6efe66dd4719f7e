"""Is this upload a JPEG or PNG thumbnail? Checked by decoding it (FFmpeg via PyAV).

The frame size is read from the image's own header first (PNG's IHDR, JPEG's SOF
segment) and bounded before anything is decoded: a 2 MiB file can declare a size whose
pixels would take gigabytes (a decompression bomb). Then the whole image is decoded
with the format's decoder alone (no demuxer, no probing), and the decoded frame must
have the size the header declared.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "IMAGE_CONTENT_TYPES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "ImageError",
    "ImageInfo",
    "check_image",
]

# YouTube recommends 1280x720; a generous bound keeps decoding memory small.
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
IMAGE_CONTENT_TYPES = {"image/jpeg": "mjpeg", "image/png": "png"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8 and CC
# share the range but are tables and reserved.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


class ImageError(ValueError):
    """The upload is not an acceptable thumbnail; the message is written for API clients."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int


def check_image(data: bytes, content_type: str) -> ImageInfo:
    """Check ``data`` as a ``content_type`` image (blocking); raises :class:`ImageError`."""
    codec = IMAGE_CONTENT_TYPES.get(content_type)
    if codec is None:
        raise ImageError("the content type is not a supported image type")
    size = _png_size(data) if codec == "png" else _jpeg_size(data)
    if size is None:
        raise ImageError(f"the body is not a valid {content_type} image")
    width, height = size
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise ImageError(
            f"the image must be at most {MAX_SIDE} pixels on each side "
            f"and {MAX_PIXELS} pixels in all"
        )
    # PyAV (FFmpeg's libraries, about 20 MB) is imported at the first thumbnail, so an
    # API process does not carry it from start (issue 11).
    import av
    from av.video.codeccontext import VideoCodecContext

    decoder = av.CodecContext.create(codec, "r")
    assert isinstance(decoder, VideoCodecContext)
    try:
        frames = [*decoder.decode(av.Packet(data)), *decoder.decode(None)]
    except av.error.FFmpegError:
        raise ImageError(f"the body is not a valid {content_type} image") from None
    if not frames or (frames[0].width, frames[0].height) != size:
        raise ImageError(f"the body is not a valid {content_type} image")
    return ImageInfo(width, height)


def _png_size(data: bytes) -> tuple[int, int] | None:
    # Signature, then the IHDR chunk first: length (13), type, width, height.
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker in _JPEG_STANDALONE:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if marker in _JPEG_SOF:
            if length < 7 or offset + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        if marker in (0xD9, 0xDA) or length < 2:  # end of image or scan before any frame
            return None
        offset += 2 + length
    return None
