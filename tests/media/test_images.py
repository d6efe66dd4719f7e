"""Thumbnails are checked by decoding; their size is bounded before anything is decoded."""

from __future__ import annotations

import struct

import pytest

from faceless.media.images import MAX_SIDE, ImageError, check_image
from tests.media.samples import image_bytes


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg"])
def test_real_images_report_their_size(content_type: str) -> None:
    info = check_image(image_bytes(content_type, (48, 27)), content_type)
    assert (info.width, info.height) == (48, 27)


@pytest.mark.parametrize(
    ("made_as", "declared"), [("image/png", "image/jpeg"), ("image/jpeg", "image/png")]
)
def test_a_lying_content_type_is_refused(made_as: str, declared: str) -> None:
    with pytest.raises(ImageError, match=f"not a valid {declared} image"):
        check_image(image_bytes(made_as), declared)


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg"])
def test_truncated_and_garbage_images_are_refused(content_type: str) -> None:
    data = image_bytes(content_type)
    for bad in (data[: len(data) // 2], data[:20], b"", bytes(range(256)) * 4):
        with pytest.raises(ImageError):
            check_image(bad, content_type)
    with pytest.raises(ImageError, match="not a supported image type"):
        check_image(data, "image/gif")


def test_a_png_declaring_a_huge_size_is_refused_before_decoding() -> None:
    data = bytearray(image_bytes("image/png"))
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR width and height
    with pytest.raises(ImageError, match=f"at most {MAX_SIDE} pixels"):
        check_image(bytes(data), "image/png")


def test_a_jpeg_declaring_a_huge_size_is_refused_before_decoding() -> None:
    data = bytearray(image_bytes("image/jpeg"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)  # height, width
    with pytest.raises(ImageError, match=f"at most {MAX_SIDE} pixels"):
        check_image(bytes(data), "image/jpeg")
