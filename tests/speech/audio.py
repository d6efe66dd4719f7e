"""Audio helpers for the transcription tests: the test sentence and PyAV re-encoding."""

from __future__ import annotations

import array
import math
import wave
from dataclasses import dataclass
from pathlib import Path

import av
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.codec.codec import UnknownCodecError

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

# Ordinary words that PocketSphinx's generic US English model copes with reasonably well
# when spoken by espeak-ng; about 7 seconds at 140 words per minute.
SENTENCE = (
    "we will meet at the park tomorrow morning. "
    "i would like to order a large pizza with cheese and a cold drink."
)
SENTENCE_WORDS = tuple(SENTENCE.replace(".", "").split())


@dataclass(frozen=True)
class Encoding:
    """How to turn the reference WAV into one of the formats the API accepts."""

    codec: str
    layout: str = "mono"
    rate: int | None = None  # None: keep the source rate
    options: dict[str, str] | None = None
    container_options: dict[str, str] | None = None


# First encoder present in the bundled FFmpeg wins. FFmpeg's own Vorbis encoder is
# "experimental" and stereo-only; Opus needs 48 kHz.
ENCODINGS: dict[str, tuple[Encoding, ...]] = {
    "mp3": (Encoding("libmp3lame"), Encoding("mp3")),
    "flac": (Encoding("flac"),),
    "ogg": (
        Encoding("libvorbis"),
        Encoding("vorbis", layout="stereo", options={"strict": "experimental"}),
        Encoding("libopus", rate=48_000),
        Encoding("opus", rate=48_000, options={"strict": "experimental"}),
    ),
    "m4a": (Encoding("aac"), Encoding("libfdk_aac")),
}


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except UnknownCodecError:
        return False
    return True


def reencode(source: Path, target: Path, encoding: Encoding) -> None:
    """Decode ``source`` and encode it into ``target`` (container chosen by extension)."""
    with (
        av.open(str(source)) as inp,
        av.open(str(target), "w", container_options=encoding.container_options) as out,
    ):
        in_stream = inp.streams.audio[0]
        rate = encoding.rate or in_stream.rate
        stream = out.add_stream(
            encoding.codec, rate=rate, layout=encoding.layout, options=encoding.options or {}
        )
        assert isinstance(stream, AudioStream)
        # Fixed-frame codecs (MP3, AAC, Vorbis, Opus) need exactly frame_size samples.
        resampler = AudioResampler(
            format=stream.format.name,
            layout=encoding.layout,
            rate=rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        for frame in inp.decode(in_stream):
            for resampled in resampler.resample(frame):
                out.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def write_tone_wav(path: Path, *, rate: int, channels: int, seconds: float) -> Path:
    """A 440 Hz tone (peak 8000) written with the stdlib, independent of PyAV."""
    frames = round(rate * seconds)
    samples = array.array(
        "h",
        (
            round(8000 * math.sin(2 * math.pi * 440 * (i // channels) / rate))
            for i in range(frames * channels)
        ),
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path
