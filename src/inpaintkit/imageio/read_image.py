"""Decode images: file, bytes, PIL image or array in; :class:`ImageData` out.

Decisions worth knowing:

* Pixels keep the file's own dtype (uint8, uint16 or float32) so that pixels outside the
  mask can be written back bit for bit; :meth:`ImageData.as_float` gives float32 [0, 1].
* 16-bit RGB(A) PNGs and TIFFs are decoded with OpenCV, because Pillow reduces them to
  8 bits; Pillow still reads their header, EXIF and ICC profile.
* EXIF orientation is applied with numpy on the decoded array (one code path for the
  Pillow and OpenCV routes), before anything else looks at the pixels.
* Pillow's decompression-bomb check runs inside ``Image.open``; inpaintkit opens files
  through the format's plugin directly and compares the header size with its own
  ``max_pixels`` before decoding, so the limit is the caller's, never a global.
* CMYK images are converted to RGB (through their ICC profile when they carry one) and
  the CMYK profile is dropped, since it no longer describes the pixels.
* PNG chunk checksums are verified first: Pillow does not check the pixel chunks', so
  damaged bytes would otherwise decode silently into wrong pixels.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from inpaintkit.convert import to_float32
from inpaintkit.errors import (
    ImageTooLargeError,
    InvalidInputError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from inpaintkit.imageio._shared import _one_line, _read_file
from inpaintkit.types import Extent

DEFAULT_MAX_PIXELS = 100_000_000

SUPPORTED_FORMATS = ("PNG", "JPEG", "WebP", "TIFF", "BMP")

ImageSource = str | os.PathLike[str] | bytes | np.ndarray


@dataclass
class ImageData:
    """A decoded image in its own dtype, with what is needed to write it back faithfully."""

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    icc_profile: bytes | None = None
    source: str = "<array>"
    format: str = "array"
    exif_orientation: int = 1
    mode: str = "RGB"

    @property
    def size(self) -> Extent:
        """Width and height after EXIF orientation."""
        return Extent(int(self.pixels.shape[1]), int(self.pixels.shape[0]))

    def as_float(self) -> np.ndarray:
        """The pixels as float32 RGB in [0, 1]; the dtype alone decides the scale.

        >>> ImageData(np.full((1, 1, 3), 255, np.uint8)).as_float().tolist()
        [[[1.0, 1.0, 1.0]]]
        """
        return to_float32(self.pixels, copy=True)


def load_image(source: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageData:
    """Load an image file, encoded bytes, a PIL image or an array.

    Arrays may be uint8, uint16 (the dtype decides the scale) or float in [0, 1], shaped
    H×W, H×W×1, H×W×3 or H×W×4 (the fourth channel is alpha).

    >>> load_image(np.zeros((2, 3), np.uint8)).size
    Extent(width=3, height=2)
    """
    if isinstance(source, np.ndarray):
        return _image_from_array(source, max_pixels=max_pixels)
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode_image(bytes(source), "<bytes>", max_pixels=max_pixels, what="image")
    if _is_pil_image(source):
        return _image_from_pil(source, "<PIL image>", max_pixels=max_pixels)
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        data = _read_file(name, what="image")
        return _decode_image(data, name, max_pixels=max_pixels, what="image")
    raise InvalidInputError(
        f"cannot load an image from a {type(source).__name__}: "
        "pass a file path, encoded bytes or a numpy array"
    )


def _sniff_format(data: bytes) -> str | None:
    """The container format from the first bytes, independent of the file name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:4] in (b"II*\0", b"MM\0*"):
        return "TIFF"
    if data.startswith(b"BM"):
        return "BMP"
    return None


_OTHER_FORMATS = {
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"\0\0\1\0": "ICO",
    b"8BPS": "PSD",
    b"\0\0\0\x0cjP": "JPEG 2000",
    b"\xff\x0a": "JPEG XL",
    b"P1": "PNM",
    b"P2": "PNM",
    b"P3": "PNM",
    b"P4": "PNM",
    b"P5": "PNM",
    b"P6": "PNM",
}


def _unknown_format_error(data: bytes, name: str, what: str) -> InvalidInputError:
    for magic, label in _OTHER_FORMATS.items():
        if data.startswith(magic):
            return UnsupportedFormatError(
                f"{what} {name} is a {label} file, which inpaintkit does not read; "
                f"convert it to one of {', '.join(SUPPORTED_FORMATS)}"
            )
    if data[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1"):
        return UnsupportedFormatError(
            f"{what} {name} is an AVIF/HEIC file, which inpaintkit does not read; "
            "convert it to PNG or JPEG"
        )
    if _looks_like_text(data):
        return UnreadableFileError(
            f"{what} {name} is not an image: it contains text; pass a real "
            f"{'/'.join(SUPPORTED_FORMATS)} file (renaming a file does not convert it)"
        )
    return UnreadableFileError(
        f"{what} {name} is not a recognised image (corrupt or unknown format); "
        f"pass a {'/'.join(SUPPORTED_FORMATS)} file"
    )


def _looks_like_text(data: bytes) -> bool:
    # Incremental decoding tolerates a multi-byte character cut at the 4096-byte mark.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(data[:4096], final=False)
    except UnicodeDecodeError:
        return False
    return bool(text) and all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def _open_header(data: bytes, name: str, fmt: str, what: str) -> Any:
    """Open with the format's own plugin: reads the header only, no bomb check."""
    from PIL import Image

    Image.init()
    factory, _accept = Image.OPEN[fmt]
    try:
        return factory(io.BytesIO(data), name)
    except Exception as error:  # Pillow raises many kinds for damaged headers
        raise UnreadableFileError(
            f"{what} {name} is corrupt: its {fmt} header cannot be read "
            f"({_one_line(error)}); export the file again"
        ) from error


def _check_pixel_count(size: tuple[int, int], name: str, what: str, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise UnreadableFileError(
            f"{what} {name} has zero size ({width}×{height}); pass an image with pixels"
        )
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{what} {name} is {width}×{height} = {width * height:,} pixels, over the limit "
            f"of {max_pixels:,}; downscale it or raise max_pixels (--max-pixels)"
        )


def _decode_image(data: bytes, name: str, *, max_pixels: int, what: str) -> ImageData:
    from PIL import Image

    fmt = _sniff_format(data)
    if fmt is None:
        raise _unknown_format_error(data, name, what)
    if fmt == "PNG":
        from inpaintkit.imageio.png_chunks import first_bad_chunk, read_header

        # Pillow does not verify the pixel chunks' checksums; damaged bytes would decode
        # silently into wrong pixels.
        header = read_header(data)
        if header is not None:
            # Pillow rejects a zero dimension as "not identified"; say what it is.
            _check_pixel_count((header.width, header.height), name, what, max_pixels)
        bad = first_bad_chunk(data)
        if bad is not None:
            raise UnreadableFileError(
                f"{what} {name} is corrupt: its {bad.decode('latin-1', 'replace')} chunk fails "
                "its checksum; export the file again"
            )
    with warnings.catch_warnings():
        # The size is checked against max_pixels below; Pillow's own global limit must
        # neither warn nor raise on the caller's behalf.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = _open_header(data, name, fmt, what)
        _check_pixel_count(image.size, name, what, max_pixels)
        orientation = _exif_orientation(image)
        icc = image.info.get("icc_profile") or None
        try:
            pixels, alpha, mode = _decode_pixels(image, data, fmt, name, what)
        except InvalidInputError:
            raise
        except Image.DecompressionBombError as error:
            raise ImageTooLargeError(
                f"{what} {name} is beyond Pillow's decompression limit ({_one_line(error)}); "
                "downscale it"
            ) from error
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as error:
            raise UnreadableFileError(
                f"{what} {name} is truncated or corrupt ({_one_line(error)}); export the file again"
            ) from error
    if mode == "CMYK":
        icc = None
    pixels = _apply_orientation(pixels, orientation)
    if alpha is not None:
        alpha = _apply_orientation(alpha, orientation)
    return ImageData(
        pixels=np.ascontiguousarray(pixels),
        alpha=None if alpha is None else np.ascontiguousarray(alpha),
        icc_profile=icc if isinstance(icc, bytes) else None,
        source=name,
        format="JPEG" if image.format == "MPO" else str(image.format),
        exif_orientation=orientation,
        mode=mode,
    )


def _exif_orientation(image: Any) -> int:
    try:
        value = int(image.getexif().get(0x0112, 1))
    except Exception:
        # A damaged EXIF block should not make the pixels unreadable.
        return 1
    return value if 1 <= value <= 8 else 1


def _apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright as EXIF ``orientation`` says (same as exif_transpose).

    >>> a = np.arange(6).reshape(2, 3)
    >>> _apply_orientation(a, 6).tolist()  # stored rotated; show it turned 90° clockwise
    [[3, 0], [4, 1], [5, 2]]
    """
    if orientation == 2:
        return array[:, ::-1]
    if orientation == 3:
        return array[::-1, ::-1]
    if orientation == 4:
        return array[::-1]
    if orientation == 5:
        return np.swapaxes(array, 0, 1)
    if orientation == 6:
        return np.rot90(array, k=-1)
    if orientation == 7:
        return np.rot90(array, k=2).swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(array, k=1)
    return array


def _needs_opencv(image: Any, data: bytes, fmt: str) -> bool:
    """True for 16-bit colour files, which Pillow would reduce to 8 bits."""
    from inpaintkit.imageio.png_chunks import read_header

    if fmt == "PNG":
        header = read_header(data)
        return header is not None and header.bit_depth == 16 and header.color_type in (2, 4, 6)
    if fmt == "TIFF":
        bits = image.tag_v2.get(258, (8,))
        bits = bits if isinstance(bits, tuple) else (bits,)
        return max(bits) == 16 and len(bits) >= 2
    return False


def _decode_pixels(
    image: Any, data: bytes, fmt: str, name: str, what: str
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Pixels (H×W×3), alpha (H×W or None) and the file's PIL mode, before orientation."""
    mode = str(image.mode)
    if _needs_opencv(image, data, fmt):
        return (*_decode_with_opencv(data, name, what), mode)
    image.load()
    return (*_pil_to_arrays(image, name, what), mode)


def _decode_with_opencv(data: bytes, name: str, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise UnreadableFileError(
            f"{what} {name} is truncated or corrupt (its 16-bit pixels cannot be decoded); "
            "export the file again"
        )
    if decoded.ndim == 2:
        return np.repeat(decoded[..., None], 3, axis=2), None
    channels = decoded.shape[2]
    if channels == 1:
        return np.repeat(decoded, 3, axis=2), None
    if channels == 2:
        return np.repeat(decoded[..., :1], 3, axis=2), decoded[..., 1].copy()
    if channels == 3:
        return decoded[..., ::-1].copy(), None
    return decoded[..., 2::-1].copy(), decoded[..., 3].copy()


def _pil_to_arrays(image: Any, name: str, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode == "1":
        image = image.convert("L")
    elif mode == "CMYK":
        image = _cmyk_to_rgb(image)
    elif mode in ("YCbCr", "RGBX"):
        image = image.convert("RGB")
    elif mode in ("RGBa", "La"):
        image = image.convert("RGBA" if mode == "RGBa" else "LA")
    elif mode == "L" and "transparency" in image.info:
        image = image.convert("LA")
    elif mode == "RGB" and "transparency" in image.info:
        image = image.convert("RGBA")
    mode = image.mode
    if mode.startswith("I;16"):
        grey = np.asarray(image).astype(np.uint16)
        return np.repeat(grey[..., None], 3, axis=2), None
    if mode == "L":
        grey = np.asarray(image)
        return np.repeat(grey[..., None], 3, axis=2), None
    if mode == "LA":
        both = np.asarray(image)
        return np.repeat(both[..., :1], 3, axis=2), both[..., 1].copy()
    if mode == "RGB":
        return np.array(image), None
    if mode == "RGBA":
        both = np.asarray(image)
        return both[..., :3].copy(), both[..., 3].copy()
    raise UnsupportedFormatError(
        f"{what} {name} has pixel mode {mode}, which inpaintkit does not read; "
        "convert it to 8- or 16-bit greyscale or RGB(A)"
    )


def _cmyk_to_rgb(image: Any) -> Any:
    profile = image.info.get("icc_profile")
    if profile:
        try:
            from PIL import ImageCms

            return ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except Exception:
            # A broken profile falls back to the plain conversion below.
            pass
    return image.convert("RGB")


def _image_from_pil(image: Any, name: str, *, max_pixels: int) -> ImageData:
    buffer = io.BytesIO()
    # Re-encoding as PNG (lossless) keeps one decoding path with all its checks.
    try:
        image.save(buffer, format="PNG")
    except (OSError, ValueError, KeyError) as error:
        raise UnsupportedFormatError(
            f"{name} has pixel mode {image.mode}, which inpaintkit does not read; "
            "convert it to greyscale or RGB(A)"
        ) from error
    return _decode_image(buffer.getvalue(), name, max_pixels=max_pixels, what="image")


def _is_pil_image(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("PIL.") and hasattr(value, "mode") and hasattr(value, "size")


def _image_from_array(array: np.ndarray, *, max_pixels: int) -> ImageData:
    name = "<array>"
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        channels = array.shape[2]
    elif array.ndim == 2:
        channels = 0
    else:
        raise InvalidInputError(
            f"image array has shape {array.shape}; pass H×W, H×W×1, H×W×3 or H×W×4"
        )
    if array.size == 0:
        raise InvalidInputError(
            f"image array has shape {array.shape} with no pixels; pass an image with pixels"
        )
    height, width = array.shape[:2]
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image array is {width}×{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}; downscale it or raise max_pixels"
        )
    values = _checked_image_values(array, name)
    if channels in (0, 1):
        grey = values.reshape(height, width)
        return ImageData(np.repeat(grey[..., None], 3, axis=2), source=name, mode="L")
    if channels == 3:
        return ImageData(values.copy(), source=name, mode="RGB")
    return ImageData(
        np.ascontiguousarray(values[..., :3]),
        alpha=np.ascontiguousarray(values[..., 3]),
        source=name,
        mode="RGBA",
    )


def _checked_image_values(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype in (np.uint8, np.uint16):
        return array
    if array.dtype in (np.float32, np.float64, np.float16):
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            raise InvalidInputError(
                f"image {name} contains NaN or infinite values; pass finite values in [0, 1]"
            )
        low, high = float(values.min()), float(values.max())
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"image {name} is float with values in [{low:g}, {high:g}], outside [0, 1]; "
                "divide by 255 (or 65535), or pass a uint8/uint16 array"
            )
        return values
    raise InvalidInputError(
        f"image {name} has dtype {array.dtype}; pass uint8, uint16 or float in [0, 1]"
    )


def sha256_of(source: Any) -> str:
    """Hash of decoded pixels + shape + dtype, so one image in two files hashes the same.

    A path (or bytes) is decoded with :func:`load_image` and its RGB pixels are hashed.

    >>> sha256_of(np.zeros((2, 2), np.uint8)) == sha256_of(np.zeros((2, 2), np.uint8))
    True
    """
    if not isinstance(source, np.ndarray):
        source = load_image(source).pixels
    array = np.ascontiguousarray(source, dtype=source.dtype.newbyteorder("<"))
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data.cast("B"))  # no copy: these can be 8K images
    return digest.hexdigest()
