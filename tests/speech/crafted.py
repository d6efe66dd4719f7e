"""Audio files whose headers omit or misstate their length, made by patching real files.

Each helper takes a file PyAV encoded (``tests.speech.audio``) and rewrites the header
field FFmpeg reads the length from, keeping every checksum valid so the demuxer accepts
it: the content still decodes to its full length, only the header says otherwise.
``flac_constant`` writes FLAC frames by hand, which makes hours of audio in a few
hundred kilobytes without encoding them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import av

from .audio import ENCODINGS, has_encoder, reencode, write_tone_wav

# -- FLAC (https://xiph.org/flac/format.html) ----------------------------------------

_STREAMINFO_SAMPLES = 8 + 10  # "fLaC", block header, block sizes and frame sizes


def flac_without_length(source: Path, target: Path) -> Path:
    """STREAMINFO's 36-bit total sample count set to 0, which means "unknown"."""
    data = bytearray(source.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0, "STREAMINFO must come first"
    at = _STREAMINFO_SAMPLES + 3  # the count is the low 4 bits of this byte and 4 more
    data[at] &= 0xF0
    data[at + 1 : at + 5] = bytes(4)
    target.write_bytes(data)
    return target


def _crc_table(poly: int, width: int) -> list[int]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
        table.append(crc)
    return table


_CRC8 = _crc_table(0x07, 8)
_CRC16 = _crc_table(0x8005, 16)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _utf8_number(n: int) -> bytes:
    # FLAC codes frame numbers like UTF-8 (extended to 31 bits).
    if n < 0x80:
        return bytes([n])
    length = next(
        (
            size
            for size, limit in ((2, 0x800), (3, 0x10000), (4, 0x200000), (5, 0x4000000))
            if n < limit
        ),
        6,
    )
    tail = [0x80 | ((n >> (6 * i)) & 0x3F) for i in reversed(range(length - 1))]
    lead = (0xFF << (8 - length)) & 0xFF | (n >> (6 * (length - 1)))
    return bytes([lead, *tail])


def flac_constant(
    path: Path, *, seconds: float, rate: int = 16_000, declared_samples: int = 0
) -> Path:
    """``seconds`` of 16-bit mono silence in 65,535-sample CONSTANT frames (~15 bytes each).

    ``declared_samples`` goes into STREAMINFO (0: length unknown).
    """
    block = 65_535
    frames = max(1, round(seconds * rate / block))
    info = struct.pack(">HH", block, block) + bytes(6)  # frame sizes unknown
    packed = (rate << 44) | (0 << 41) | (15 << 36) | declared_samples  # mono, 16 bits
    info += packed.to_bytes(8, "big") + bytes(16)  # MD5 unknown
    with path.open("wb") as out:
        out.write(b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info)
        for number in range(frames):
            # Sync + fixed blocking; block size from the 16 bits after the number (0111),
            # rate and sample size from STREAMINFO, one channel.
            head = b"\xff\xf8\x70\x00" + _utf8_number(number) + (block - 1).to_bytes(2, "big")
            head += bytes([_crc8(head)])
            frame = head + b"\x00" + b"\x00\x00"  # CONSTANT subframe, value 0
            out.write(frame + _crc16(frame).to_bytes(2, "big"))
    return path


# -- MP3: the Xing/Info frame (as LAME and FFmpeg write it) ---------------------------


def mp3_with_false_frame_count(source: Path, target: Path, *, frames: int) -> Path:
    """The Info/Xing header's frame count set to ``frames`` (FFmpeg trusts it)."""
    data = bytearray(source.read_bytes())
    at = max(data.find(b"Info"), data.find(b"Xing"))
    assert at > 0, "no Info/Xing frame in the source"
    (flags,) = struct.unpack(">I", data[at + 4 : at + 8])
    assert flags & 1, "the Info/Xing frame carries no frame count"
    data[at + 8 : at + 12] = struct.pack(">I", frames)
    target.write_bytes(data)
    return target


# -- Ogg (RFC 3533) -------------------------------------------------------------------


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_pages(data: bytes) -> Iterator[tuple[int, int]]:
    at = 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS", "not an Ogg page"
        segments = data[at + 26]
        size = 27 + segments + sum(data[at + 27 : at + 27 + segments])
        yield at, size
        at += size


def ogg_with_false_granules(source: Path, target: Path, *, last_granule: int) -> Path:
    """Every audio page's granule position clamped to ``last_granule`` (CRCs redone).

    FFmpeg takes an Ogg stream's length from its last granule position.
    """
    data = bytearray(source.read_bytes())
    for at, size in _ogg_pages(bytes(data)):
        (granule,) = struct.unpack("<q", data[at + 6 : at + 14])
        if granule > last_granule:
            data[at + 6 : at + 14] = struct.pack("<q", last_granule)
            data[at + 22 : at + 26] = bytes(4)
            data[at + 22 : at + 26] = struct.pack("<I", _ogg_crc(bytes(data[at : at + size])))
    target.write_bytes(data)
    return target


# -- MP4 / M4A (ISO/IEC 14496-12) ---------------------------------------------------------


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in ``data[start:end]``."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
            header = 16
        elif size == 0:
            size = end - at
        yield kind, at + header, at + size
        at += size


def _set_duration(data: bytearray, payload: int, kind: bytes, value: int) -> None:
    version = data[payload]
    # version+flags, creation and modification times; tkhd has a track id and a reserved
    # word before its duration, mvhd and mdhd a timescale.
    times = 8 if version == 0 else 16
    at = payload + 4 + times + 4 + (4 if kind == b"tkhd" else 0)
    if version == 0:
        data[at : at + 4] = struct.pack(">I", value)
    else:
        data[at : at + 8] = struct.pack(">Q", value)


def m4a_with_false_duration(source: Path, target: Path, *, ticks: int) -> Path:
    """``mvhd``, ``tkhd`` and ``mdhd`` durations all set to ``ticks`` of their timescale."""
    data = bytearray(source.read_bytes())
    found: set[bytes] = set()

    def walk(start: int, end: int) -> None:
        for kind, payload, box_end in _boxes(bytes(data), start, end):
            if kind in (b"mvhd", b"tkhd", b"mdhd"):
                _set_duration(data, payload, kind, ticks)
                found.add(kind)
            elif kind in (b"moov", b"trak", b"mdia"):
                walk(payload, box_end)

    walk(0, len(data))
    assert found == {b"mvhd", b"tkhd", b"mdhd"}, found
    target.write_bytes(data)
    return target


# -- WAV ---------------------------------------------------------------------------------


def wav_with_data_size(source: Path, target: Path, *, size: int) -> Path:
    """The ``data`` chunk's (and RIFF's) size field set to ``size``; 0xFFFFFFFF is the
    streaming writer's "unknown"."""
    data = bytearray(source.read_bytes())
    at = data.find(b"data", 12)
    assert at > 0, "no data chunk"
    data[at + 4 : at + 8] = struct.pack("<I", size)
    data[4:8] = struct.pack("<I", min(size + at, 0xFFFFFFFF))
    target.write_bytes(data)
    return target


def wav_holding(source: Path, target: Path, *, fact_samples: int) -> Path:
    """``source``'s compressed stream (FLAC, say) remuxed into WAV, whose ``fact`` chunk
    then claims ``fact_samples`` samples and whose ``data`` size is "unknown"."""
    with av.open(str(source)) as inp, av.open(str(target), "w", format="wav") as out:
        stream = inp.streams.audio[0]
        copy = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is not None:  # the demuxer's final empty packet
                packet.stream = copy
                out.mux(packet)
    data = bytearray(target.read_bytes())
    fact = data.find(b"fact", 12)
    assert fact > 0, "no fact chunk"
    data[fact + 8 : fact + 12] = struct.pack("<I", fact_samples)
    target.write_bytes(data)
    return wav_with_data_size(target, target, size=0xFFFFFFFF)


# -- The set the tests use ----------------------------------------------------------------

LYING_SECONDS = 30.0
"""How long the files of :func:`lying_files` really are, except the ``constant`` ones."""
CONSTANT_HOURS = 100
"""How long the ``constant`` files really are (in 1.3 MB)."""


def lying_files(directory: Path) -> dict[str, Path]:
    """Audio longer than its header says: one or two per accepted format (those this
    FFmpeg can encode). Their headers declare no length or at most one second, except
    ``wav-unknown-size``, whose length FFmpeg estimates from the file size."""
    source = write_tone_wav(directory / "tone.wav", rate=16_000, channels=1, seconds=LYING_SECONDS)
    encoded = {}
    for fmt, candidates in ENCODINGS.items():
        encoding = next((e for e in candidates if has_encoder(e.codec)), None)
        if encoding is not None:
            encoded[fmt] = directory / f"tone.{fmt}"
            reencode(source, encoded[fmt], encoding)
    makers = {
        "flac-no-length": ("flac", flac_without_length),
        "mp3-false-info": ("mp3", lambda s, t: mp3_with_false_frame_count(s, t, frames=10)),
        "ogg-false-granules": ("ogg", lambda s, t: ogg_with_false_granules(s, t, last_granule=1)),
        "m4a-false-duration": ("m4a", lambda s, t: m4a_with_false_duration(s, t, ticks=10)),
    }
    files = {
        name: make(encoded[fmt], directory / f"{name}.{fmt}")
        for name, (fmt, make) in makers.items()
        if fmt in encoded
    }
    files["wav-unknown-size"] = wav_with_data_size(
        source, directory / "wav-unknown-size.wav", size=0xFFFFFFFF
    )
    constant = flac_constant(directory / "flac-constant.flac", seconds=CONSTANT_HOURS * 3600)
    files["flac-constant"] = constant
    files["wav-constant-flac"] = wav_holding(
        constant, directory / "wav-constant-flac.wav", fact_samples=16_000
    )
    return files


def declared_seconds(path: Path) -> float | None:
    """The length FFmpeg reads from the header (or estimates), None when it has none."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return container.duration / av.time_base if container.duration else None
