"""Audio upload validation and decoding to the 16 kHz mono PCM the engines consume.

Everything untrusted about an upload is handled here: the format is recognised from its
magic bytes, FFmpeg (through PyAV) is pinned to the matching demuxer, and decoded length is
checked against a limit while decoding rather than trusted from the header.

Decoding work is bounded by the limits, whatever the file claims (ADR 0013):

- a header that declares more than the limit is refused before anything is decoded;
- otherwise the header is not believed: samples are counted as they are decoded and
  decoding stops as soon as they pass the limit. A file whose header declares no length
  (FLAC with ``total_samples = 0``) or a false one (an MP3 Info frame count, Ogg granule
  positions, an MP4 ``mvhd``) costs at most the limit, never its whole content;
- the work per second of audio is bounded too: sample rates above ``MAX_SAMPLE_RATE``
  and more than ``MAX_CHANNELS`` channels are refused, at open and for every frame
  (a chained Ogg stream may change both midway).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # PyAV (FFmpeg's libraries, tens of MB) is imported by the functions that decode, so
    # an API process pays for it at its first upload, not at start (issue 11).
    from av.audio.frame import AudioFrame
    from av.audio.resampler import AudioResampler
    from av.audio.stream import AudioStream
    from av.container import InputContainer

__all__ = [
    "BYTES_PER_SECOND",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "SAMPLE_RATE",
    "SNIFF_BYTES",
    "AudioError",
    "AudioTooLongError",
    "decode_pcm16k_mono",
    "probe_duration",
    "sniff_audio_format",
]

SAMPLE_RATE = 16_000
BYTES_PER_SECOND = SAMPLE_RATE * 2  # signed 16-bit mono
# The longest signature checked below is the ISO BMFF brand at offset 8..12.
SNIFF_BYTES = 12

# Decoding costs per sample and channel, so seconds alone do not bound it: FLAC allows
# 655 kHz and 8 channels (40 times the samples of 16 kHz mono per second), Vorbis 255
# channels. 96 kHz covers every rate speech is recorded at; 8 channels covers 7.1.
MAX_SAMPLE_RATE = 96_000
MAX_CHANNELS = 8

# How often decode_pcm16k_mono reports progress, in seconds of decoded audio.
_REPORT_EVERY_SECONDS = 5.0

# Brands of ISO BMFF files that commonly carry plain audio (iTunes audio/audiobook,
# generic MP4, DASH segments). Video-only brands such as "qt  " are left out on purpose.
_M4A_BRANDS = frozenset(
    {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ", b"mp41", b"mp42", b"isom", b"iso2"}
    | {b"iso4", b"iso5", b"iso6", b"dash"}
)

# The sniffed format decides the demuxer: FFmpeg never probes the file itself, so an upload
# cannot smuggle in a playlist or concat script that would make it open other files or URLs.
_DEMUXERS = {"wav": "wav", "mp3": "mp3", "flac": "flac", "ogg": "ogg", "m4a": "mp4"}
_OPEN_OPTIONS = {"protocol_whitelist": "file"}


class AudioError(ValueError):
    """The upload is not acceptable audio.

    The message is written for API clients: it never contains a path or library internals.
    """


class AudioTooLongError(AudioError):
    """The audio is longer than the limit: its header said so, or decoding passed it.

    ``declared_seconds`` is the header's length when that alone refused the file (nothing
    was decoded then); ``decoded_seconds`` is how much was decoded before stopping, which
    is at most the limit plus one frame.
    """

    def __init__(
        self,
        *,
        limit_seconds: float,
        declared_seconds: float | None = None,
        decoded_seconds: float = 0.0,
    ) -> None:
        super().__init__(f"the audio is longer than the {limit_seconds:g} second limit")
        self.limit_seconds = limit_seconds
        self.declared_seconds = declared_seconds
        self.decoded_seconds = decoded_seconds


def sniff_audio_format(head: bytes) -> str | None:
    """Name the audio format from the first SNIFF_BYTES bytes, or None if not supported."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return "m4a"
    if head[:3] == b"ID3" or _is_mpeg_audio_frame(head):
        return "mp3"
    return None


def _is_mpeg_audio_frame(head: bytes) -> bool:
    # An 11-bit sync word alone matches too much random data, so the reserved values of the
    # version, layer, bitrate and sample-rate fields are rejected as well. Layer bits 00 are
    # reserved for MPEG audio (ADTS AAC uses them), which keeps raw AAC out of "mp3".
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and sample_rate != 0b11


def probe_duration(path: Path, *, max_seconds: float) -> float:
    """Return the audio's duration in seconds, decoding at most ``max_seconds`` of it.

    The duration is what decodes, not what the header says. Raises AudioTooLongError when
    the header declares more than ``max_seconds`` (nothing is decoded then) or as soon as
    more than that has been decoded, and AudioError for undecodable input.
    """
    _require_positive(max_seconds)
    decoded = 0.0
    with _open_audio(path) as (container, stream):
        _refuse_declared_over(container, stream, max_seconds)
        for frame in _frames(container, stream):
            decoded += frame.samples / frame.sample_rate
            if decoded > max_seconds:
                raise AudioTooLongError(limit_seconds=max_seconds, decoded_seconds=decoded)
    if decoded <= 0:
        raise AudioError("the file contains no audio")
    return decoded


def decode_pcm16k_mono(
    path: Path,
    *,
    max_seconds: float,
    checkpoint: Callable[[float], None] | None = None,
) -> bytes:
    """Decode to signed 16-bit little-endian, 16 kHz, mono PCM.

    Raises AudioError for undecodable input, for input without audio and once more than
    ``max_seconds`` has been decoded (the header's duration is not trusted for the limit).
    ``checkpoint(progress)`` is called every few seconds of decoded audio; whatever it
    raises propagates, which lets a caller cancel a long decode.
    """
    _require_positive(max_seconds)
    limit_bytes = math.floor(max_seconds * SAMPLE_RATE) * 2
    out = io.BytesIO()
    with _open_audio(path) as (container, stream):
        _refuse_declared_over(container, stream, max_seconds)
        expected = _declared_duration(container, stream) or max_seconds
        report_at = _REPORT_EVERY_SECONDS * BYTES_PER_SECOND
        for chunk in _pcm_chunks(container, stream):
            out.write(chunk)
            written = out.tell()
            if written > limit_bytes:
                raise AudioTooLongError(
                    limit_seconds=max_seconds, decoded_seconds=written / BYTES_PER_SECOND
                )
            if checkpoint is not None and written >= report_at:
                checkpoint(min(1.0, written / BYTES_PER_SECOND / expected))
                report_at += _REPORT_EVERY_SECONDS * BYTES_PER_SECOND
    if out.tell() == 0:
        raise AudioError("the file contains no audio")
    if checkpoint is not None:
        checkpoint(1.0)
    return out.getvalue()


@contextmanager
def _open_audio(path: Path) -> Iterator[tuple[InputContainer, AudioStream]]:
    # Reading the head with plain open() first means a missing file raises OSError (a
    # server fault) instead of being reported to the client as bad audio.
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    fmt = sniff_audio_format(head)
    if fmt is None:
        raise AudioError("unsupported audio format; use WAV, MP3, FLAC, OGG or M4A")
    import av  # loaded at first use (see the imports above)
    from av.audio.stream import AudioStream

    try:
        container = av.open(
            str(path),
            mode="r",
            format=_DEMUXERS[fmt],
            options=_OPEN_OPTIONS,
            metadata_errors="replace",
        )
    except av.error.FFmpegError as exc:
        raise AudioError(f"the file is not valid {fmt.upper()} audio") from exc
    with container:
        stream = container.streams.best("audio")
        if not isinstance(stream, AudioStream):
            raise AudioError("the file has no audio stream")
        if stream.codec_context is None:  # a codec this FFmpeg cannot decode
            raise AudioError("the audio codec is not supported")
        # Unknown (0) here is fine: every decoded frame is checked as well.
        _check_shape(stream.codec_context.rate, stream.codec_context.channels)
        try:
            yield container, stream
        except av.error.FFmpegError as exc:
            raise AudioError("the audio data could not be decoded") from exc


def _declared_duration(container: InputContainer, stream: AudioStream) -> float | None:
    import av  # loaded at first use (see the imports above)

    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _require_positive(max_seconds: float) -> None:
    if not max_seconds > 0:
        raise ValueError("max_seconds must be positive")


def _refuse_declared_over(
    container: InputContainer, stream: AudioStream, max_seconds: float
) -> None:
    # A header that claims too much is believed: the lie would only hurt its author.
    declared = _declared_duration(container, stream)
    if declared is not None and declared > max_seconds:
        raise AudioTooLongError(limit_seconds=max_seconds, declared_seconds=declared)


def _check_shape(sample_rate: int, channels: int) -> None:
    if sample_rate > MAX_SAMPLE_RATE:
        raise AudioError(f"sample rates above {MAX_SAMPLE_RATE} Hz are not accepted")
    if channels > MAX_CHANNELS:
        raise AudioError(f"audio with more than {MAX_CHANNELS} channels is not accepted")


def _frames(container: InputContainer, stream: AudioStream) -> Iterator[AudioFrame]:
    # Demuxing packet by packet keeps only one compressed packet in memory at a time.
    for packet in container.demux(stream):
        for frame in packet.decode():
            if frame.sample_rate <= 0:
                raise AudioError("the audio data could not be decoded")
            _check_shape(frame.sample_rate, frame.layout.nb_channels)
            yield frame


def _pcm_chunks(container: InputContainer, stream: AudioStream) -> Iterator[bytes]:
    from av.audio.resampler import AudioResampler  # loaded at first use

    resampler: AudioResampler | None = None
    source: tuple[str, str, int] | None = None
    for frame in _frames(container, stream):
        # A resampler is bound to one input layout/rate; some files (chained Ogg, MP3
        # joined from different sources) change mid-stream, so start a fresh one then.
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if resampler is None or shape != source:
            if resampler is not None:
                yield from _s16_bytes(resampler.resample(None))
            resampler = AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            source = shape
        # Timestamps are irrelevant here (samples are simply concatenated) and broken ones
        # in damaged files would otherwise upset the resampler's filter graph.
        frame.pts = None
        yield from _s16_bytes(resampler.resample(frame))
    if resampler is not None:
        yield from _s16_bytes(resampler.resample(None))


def _s16_bytes(frames: list[AudioFrame]) -> Iterator[bytes]:
    for frame in frames:
        # Plane buffers are padded for SIMD; only samples * 2 bytes are real audio.
        yield bytes(frame.planes[0])[: frame.samples * 2]
