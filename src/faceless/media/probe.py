"""Is this upload a video? Checked by content with the real decoder (FFmpeg via PyAV).

Like the audio checks (``speech.decode``), nothing about the file is trusted before it
is needed, and the work is bounded whatever the file claims:

- the container is recognised from its magic bytes and must belong to the declared
  ``Content-Type`` (ISO BMFF for ``video/mp4`` and ``video/quicktime``, EBML with the
  ``webm`` doctype for ``video/webm``); FFmpeg is pinned to that demuxer and to the
  ``file`` protocol, so it never probes, and a playlist or concat script cannot make it
  open other files or URLs;
- the container must open and declare a duration, and hold a video stream whose codec
  this FFmpeg decodes and whose frame size is at most ``MAX_DIMENSION`` on each side
  (checked from the headers, before a frame is decoded: a forged size would otherwise
  make the decoder allocate for it);
- one frame must decode, from at most ``MAX_PROBE_PACKETS`` packets of that stream, so a
  file whose video is garbage behind valid headers is refused without reading it all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # PyAV (FFmpeg's libraries, about 20 MB) is imported by the functions that decode,
    # so an API process pays for it at its first video upload, not at start (issue 11).
    from av.container import InputContainer
    from av.video.stream import VideoStream

__all__ = [
    "MAX_DIMENSION",
    "MAX_DURATION_SECONDS",
    "MAX_PROBE_PACKETS",
    "VIDEO_CONTENT_TYPES",
    "MediaError",
    "VideoInfo",
    "probe_video",
]

# 8K UHD (7680x4320) fits; YouTube accepts nothing larger.
MAX_DIMENSION = 8192
# YouTube's longest upload (12 hours); a longer declared duration is refused.
MAX_DURATION_SECONDS = 12 * 3600.0
# Enough to reach the first frame of any stream (the first packet, for keyframe-first
# files); a stream that yields no frame by then is not a video we can publish.
MAX_PROBE_PACKETS = 256
SNIFF_BYTES = 64

# Content type -> the FFmpeg demuxer pinned for it.
VIDEO_CONTENT_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "matroska"}
_OPEN_OPTIONS = {"protocol_whitelist": "file"}
# Top-level atoms an ISO BMFF / QuickTime file may start with (old QuickTime has no ftyp).
_QUICKTIME_FIRST_ATOMS = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


class MediaError(ValueError):
    """The upload is not an acceptable video; the message is written for API clients."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    duration_seconds: float
    width: int
    height: int
    codec: str


def matches_content_type(head: bytes, content_type: str) -> bool:
    """Whether the first bytes are the container ``content_type`` names."""
    if content_type == "video/mp4":
        return head[4:8] == b"ftyp"
    if content_type == "video/quicktime":
        return head[4:8] in _QUICKTIME_FIRST_ATOMS
    if content_type == "video/webm":
        # The EBML header comes first and names its DocType within a few dozen bytes.
        return head[:4] == _EBML_MAGIC and b"webm" in head[:SNIFF_BYTES]
    return False


def probe_video(path: Path, content_type: str) -> VideoInfo:
    """Check ``path`` as a ``content_type`` video (blocking); raises :class:`MediaError`."""
    demuxer = VIDEO_CONTENT_TYPES.get(content_type)
    if demuxer is None:
        raise MediaError("the content type is not a supported video type")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not matches_content_type(head, content_type):
        raise MediaError(f"the body is not a {content_type} file")
    with _open(path, demuxer, content_type) as container:
        stream = _video_stream(container)
        duration = _duration(container, stream)
        _decode_one_frame(container, stream)
        codec = stream.codec_context.name
        return VideoInfo(duration, stream.codec_context.width, stream.codec_context.height, codec)


@contextmanager
def _open(path: Path, demuxer: str, content_type: str) -> Iterator[InputContainer]:
    import av  # loaded at first use (see the imports above)

    try:
        container = av.open(
            str(path), mode="r", format=demuxer, options=_OPEN_OPTIONS, metadata_errors="replace"
        )
    except av.error.FFmpegError as exc:
        raise MediaError(f"the body is not a valid {content_type} file") from exc
    with container:
        try:
            yield container
        except av.error.FFmpegError as exc:
            raise MediaError("the video data could not be decoded") from exc


def _video_stream(container: InputContainer) -> VideoStream:
    from av.video.stream import VideoStream

    stream = container.streams.best("video")
    if not isinstance(stream, VideoStream):
        raise MediaError("the file has no video stream")
    codec = stream.codec_context
    if codec is None:  # a codec this FFmpeg cannot decode
        raise MediaError("the video codec is not supported")
    if codec.width <= 0 or codec.height <= 0:  # the headers were unreadable
        raise MediaError("the video stream could not be decoded")
    if codec.width > MAX_DIMENSION or codec.height > MAX_DIMENSION:
        raise MediaError(f"the video's frame size is over {MAX_DIMENSION} pixels on a side")
    return stream


def _duration(container: InputContainer, stream: VideoStream) -> float:
    import av

    seconds = 0.0
    if container.duration is not None and container.duration > 0:
        seconds = container.duration / av.time_base
    elif stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        seconds = float(stream.duration * stream.time_base)
    if not seconds > 0:
        raise MediaError("the file declares no duration")
    if seconds > MAX_DURATION_SECONDS:
        raise MediaError(f"the video is longer than {MAX_DURATION_SECONDS / 3600:g} hours")
    return seconds


def _decode_one_frame(container: InputContainer, stream: VideoStream) -> None:
    for count, packet in enumerate(container.demux(stream), start=1):
        if packet.decode():  # the last, empty packet flushes the decoder
            return
        if count >= MAX_PROBE_PACKETS:
            break
    raise MediaError("no frame of the video stream could be decoded")
