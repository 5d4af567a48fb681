"""A corpus of bad images and masks, each with the error a user should get.

``make_bad_inputs(folder)`` writes the files into ``folder`` and returns the cases; it
needs no pytest fixture, so CLI tests can reuse it. Every case pairs an image with a mask
(``mask=None`` means only the image is loaded) and records the error class and a message
fragment. The failing input is ``mask`` when given, else ``image``; its name must appear
in the message.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from inpaintkit.errors import (
    EmptyMaskError,
    ImageTooLargeError,
    InvalidMaskError,
    SizeMismatchError,
    UnreadableFileError,
    UnsupportedFormatError,
)

IMAGE_WIDTH, IMAGE_HEIGHT = 32, 24


class BadCase(NamedTuple):
    name: str
    image: str
    mask: str | None
    error: type[Exception]
    fragment: str

    @property
    def culprit(self) -> str:
        """The input the error is about (and that the message must name)."""
        return self.mask if self.mask is not None else self.image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header declaring a huge size, with one tiny IDAT: cheap to make."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return (
        b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"\0")) + _chunk(b"IEND", b"")
    )


def _png_zero_width() -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 10, 8, 0, 0, 0, 0))
    return (
        b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")
    )


def _encode(array: np.ndarray, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def make_bad_inputs(folder: str | Path) -> list[BadCase]:
    """Write the bad files into ``folder`` and return one :class:`BadCase` per input."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    photo = rng.integers(0, 256, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    png = _encode(photo, "PNG")
    jpeg = _encode(photo, "JPEG", quality=90)

    def write(name: str, data: bytes) -> str:
        path = root / name
        path.write_bytes(data)
        return str(path)

    good_image = write("good.png", png)
    good_mask_array = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), np.uint8)
    good_mask_array[4:12, 6:20] = 255
    (root / "a_folder.png").mkdir(exist_ok=True)
    folder_path = str(root / "a_folder.png")
    text = b"just some notes, not a picture\nsecond line\n"
    huge = _png_header_only(20_000, 20_000)  # 400 M pixels > default limit of 100 M
    gif = _encode(photo, "GIF")
    float_tiff = _encode(rng.random((IMAGE_HEIGHT, IMAGE_WIDTH)).astype(np.float32), "TIFF")
    corrupt_png = bytearray(png)
    middle = len(corrupt_png) // 2
    corrupt_png[middle : middle + 64] = bytes(64)  # damage the compressed pixel stream

    def npy(name: str, array: np.ndarray) -> str:
        buffer = io.BytesIO()
        np.save(buffer, array)
        return write(name, buffer.getvalue())

    nan_mask = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), np.float32)
    nan_mask[3, 3] = np.nan
    out_of_range = np.full((IMAGE_HEIGHT, IMAGE_WIDTH), 2.0, np.float32)
    three_channel = np.ones((IMAGE_HEIGHT, IMAGE_WIDTH, 3), np.float32)
    polygon = [[2, 2], [20, 2], [10, 15]]

    image_cases = [
        BadCase(
            "image-missing", str(root / "missing.png"), None, UnreadableFileError, "does not exist"
        ),
        BadCase("image-empty", write("empty.png", b""), None, UnreadableFileError, "empty"),
        BadCase("image-directory", folder_path, None, UnreadableFileError, "folder"),
        BadCase(
            "image-truncated-png",
            write("truncated.png", png[: len(png) // 2]),
            None,
            UnreadableFileError,
            "truncated",
        ),
        BadCase(
            "image-truncated-jpeg",
            write("truncated.jpg", jpeg[: len(jpeg) // 2]),
            None,
            UnreadableFileError,
            "truncated",
        ),
        BadCase(
            "image-corrupt-png",
            write("corrupt.png", bytes(corrupt_png)),
            None,
            UnreadableFileError,
            "corrupt",
        ),
        BadCase(
            "image-garbage",
            write("garbage.png", bytes(rng.integers(0, 256, 512, dtype=np.uint8))),
            None,
            UnreadableFileError,
            "not a recognised image",
        ),
        BadCase(
            "image-text-renamed",
            write("notes.png", text),
            None,
            UnreadableFileError,
            "contains text",
        ),
        BadCase(
            "image-too-many-pixels",
            write("huge.png", huge),
            None,
            ImageTooLargeError,
            "over the limit",
        ),
        BadCase(
            "image-zero-size",
            write("zero.png", _png_zero_width()),
            None,
            UnreadableFileError,
            "zero size",
        ),
        BadCase("image-gif", write("animation.gif", gif), None, UnsupportedFormatError, "GIF"),
        BadCase(
            "image-float-tiff",
            write("float.tif", float_tiff),
            None,
            UnsupportedFormatError,
            "pixel mode F",
        ),
    ]
    mask_cases = [
        BadCase(
            "mask-missing",
            good_image,
            str(root / "missing-mask.png"),
            UnreadableFileError,
            "does not exist",
        ),
        BadCase(
            "mask-empty", good_image, write("empty-mask.png", b""), UnreadableFileError, "empty"
        ),
        BadCase("mask-directory", good_image, folder_path, UnreadableFileError, "folder"),
        BadCase(
            "mask-truncated-png",
            good_image,
            write("truncated-mask.png", _encode(good_mask_array, "PNG")[:60]),
            UnreadableFileError,
            "corrupt",
        ),
        BadCase(
            "mask-garbage",
            good_image,
            write("garbage-mask.png", bytes(range(256)) * 2),
            UnreadableFileError,
            "not a recognised image",
        ),
        BadCase(
            "mask-text-renamed",
            good_image,
            write("notes-mask.png", text),
            UnreadableFileError,
            "contains text",
        ),
        BadCase(
            "mask-too-many-pixels",
            good_image,
            write("huge-mask.png", huge),
            ImageTooLargeError,
            "over the limit",
        ),
        BadCase(
            "mask-size-mismatch",
            good_image,
            write("small-mask.png", _encode(good_mask_array[:10, :10], "PNG")),
            SizeMismatchError,
            "--mask-resize",
        ),
        BadCase(
            "mask-all-zero",
            good_image,
            write("black-mask.png", _encode(np.zeros_like(good_mask_array), "PNG")),
            EmptyMaskError,
            "selects no pixels",
        ),
        BadCase("mask-npy-nan", good_image, npy("nan.npy", nan_mask), InvalidMaskError, "NaN"),
        BadCase(
            "mask-npy-out-of-range",
            good_image,
            npy("range.npy", out_of_range),
            InvalidMaskError,
            "outside [0, 1]",
        ),
        BadCase(
            "mask-npy-three-channels",
            good_image,
            npy("rgb.npy", three_channel),
            InvalidMaskError,
            "H×W",
        ),
        BadCase(
            "mask-npy-int64",
            good_image,
            npy("int64.npy", np.ones((IMAGE_HEIGHT, IMAGE_WIDTH), np.int64)),
            InvalidMaskError,
            "dtype int64",
        ),
        BadCase(
            "mask-npy-corrupt",
            good_image,
            write("corrupt.npy", b"\x93NUMPY garbage"),
            UnreadableFileError,
            ".npy",
        ),
        BadCase(
            "mask-json-syntax",
            good_image,
            write("broken.json", b'{"polygons": [[1, 2],'),
            UnreadableFileError,
            "not valid JSON",
        ),
        BadCase(
            "mask-json-unknown",
            good_image,
            write("unknown.json", json.dumps({"shapes": []}).encode()),
            InvalidMaskError,
            "does not recognise",
        ),
        BadCase(
            "mask-json-rle-wrong-counts",
            good_image,
            write(
                "rle.json",
                json.dumps({"size": [IMAGE_HEIGHT, IMAGE_WIDTH], "counts": [5, 5]}).encode(),
            ),
            InvalidMaskError,
            "counts",
        ),
        BadCase(
            "mask-polygon-only-width",
            good_image,
            write(
                "polygon-width.json",
                json.dumps({"polygons": [polygon], "width": IMAGE_WIDTH}).encode(),
            ),
            InvalidMaskError,
            "height",
        ),
        BadCase(
            "mask-polygon-other-size",
            good_image,
            write(
                "polygon-size.json",
                json.dumps({"polygons": [polygon], "width": 64, "height": 64}).encode(),
            ),
            SizeMismatchError,
            "64×64",
        ),
        BadCase(
            "mask-stroke-no-radius",
            good_image,
            write("stroke.json", json.dumps({"strokes": [{"points": [[1, 1], [9, 9]]}]}).encode()),
            InvalidMaskError,
            "radius",
        ),
        BadCase("mask-box-malformed", good_image, "10,20,30", InvalidMaskError, "x0,y0,x1,y1"),
        BadCase("mask-box-outside", good_image, "100,100,120,120", InvalidMaskError, "outside"),
        BadCase("mask-box-inverted", good_image, "20,5,10,15", InvalidMaskError, "empty"),
        BadCase(
            "mask-gif",
            good_image,
            write("mask.gif", _encode(good_mask_array, "GIF")),
            UnsupportedFormatError,
            "GIF",
        ),
    ]
    return image_cases + mask_cases


__all__ = ["IMAGE_HEIGHT", "IMAGE_WIDTH", "BadCase", "make_bad_inputs"]
