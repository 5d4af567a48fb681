"""Read and write images and masks: formats, modes, bit depth, EXIF, limits, recipe chunk.

Everything that crosses the file boundary is checked here, so later stages can trust
their inputs. Errors name the file and the fix, on one line.

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
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import math
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from inpaintkit.convert import dtype_scale, to_dtype, to_float32
from inpaintkit.errors import (
    EmptyMaskError,
    ImageTooLargeError,
    InvalidInputError,
    InvalidMaskError,
    InvalidParameterError,
    OutputExistsError,
    SizeMismatchError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from inpaintkit.types import Box, Extent, LintFinding

DEFAULT_MAX_PIXELS = 100_000_000
RECIPE_KEYWORD = "inpaintkit"
SUPPORTED_FORMATS = ("PNG", "JPEG", "WebP", "TIFF", "BMP")
_SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
_MASK_IMAGE_SUFFIXES = {*_SAVE_FORMATS, ".gif"}
_JPEG_NOISE = 0.1  # a JPEG mask's ringing stays within this of 0 or 1
_SNAP_SHARE = 0.99  # "almost all" values near 0 or 1 before an 8-bit mask is cleaned
# ITU-R BT.601 weights, the ones Pillow uses for RGB -> L.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

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


@dataclass
class MaskData:
    """A mask ready for the pipeline: float32 H×W in [0, 1], 1 = regenerate."""

    mask: np.ndarray
    findings: list[LintFinding] = field(default_factory=list)
    source: str = "<array>"

    @property
    def size(self) -> Extent:
        return Extent(int(self.mask.shape[1]), int(self.mask.shape[0]))


# --------------------------------------------------------------------------- images


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


def _read_file(name: str, *, what: str) -> bytes:
    path = Path(name)
    if path.is_dir():
        article = "an" if what[:1] in "aeiou" else "a"
        raise UnreadableFileError(
            f"{what} {name} is a folder, not a file; pass the path of {article} {what} file"
        )
    if not path.exists():
        raise UnreadableFileError(f"{what} {name} does not exist; check the path")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFileError(
            f"{what} {name} cannot be read ({_one_line(error)}); check its permissions"
        ) from error
    if not data:
        raise UnreadableFileError(
            f"{what} {name} is empty (0 bytes); it was probably not written completely — "
            "export it again"
        )
    return data


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
        from inpaintkit.png_chunks import first_bad_chunk, read_header

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
    from inpaintkit.png_chunks import read_header

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


# --------------------------------------------------------------------------- masks


def load_mask(
    source: Any,
    *,
    size: Extent | None = None,
    resize: bool = False,
    alpha: Literal["auto", "opaque", "transparent"] = "auto",
    invert: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> MaskData:
    """Load a mask (1 = regenerate) from an image, ``.npy``, ``.json``, box string or array.

    ``size`` is the image's size: geometry is drawn at it and any other mask size is an
    error unless ``resize`` is set.

    >>> load_mask("1,0,3,2", size=Extent(4, 2)).mask.tolist()
    [[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    """
    if alpha not in ("auto", "opaque", "transparent"):
        raise InvalidParameterError(
            f"mask alpha option is {alpha!r}; use 'auto', 'opaque' or 'transparent'"
        )
    findings: list[LintFinding] = []
    name, mask, was_8bit, from_jpeg = _mask_from_source(
        source, size=size, alpha=alpha, max_pixels=max_pixels
    )
    if from_jpeg or was_8bit:
        mask = _clean_jpeg_noise(mask, name, always=from_jpeg, findings=findings)
    if invert:
        mask = (1.0 - mask).astype(np.float32)
    if size is not None:
        mask = _fit_size(mask, Extent(*size), name, resize=resize, findings=findings)
    if not mask.any():
        raise EmptyMaskError(
            f"mask {name} selects no pixels: nothing to inpaint; white (1) marks the area "
            "to regenerate — did you mean --invert?"
        )
    return MaskData(
        mask=np.ascontiguousarray(mask, dtype=np.float32), findings=findings, source=name
    )


def _mask_from_source(
    source: Any, *, size: Extent | None, alpha: str, max_pixels: int
) -> tuple[str, np.ndarray, bool, bool]:
    """(name, float32 mask, came from 8-bit values, came from a JPEG)."""
    if isinstance(source, np.ndarray):
        mask, was_8bit = _mask_from_array(source, "<array>", max_pixels=max_pixels)
        return "<array>", mask, was_8bit, False
    if isinstance(source, bytes | bytearray | memoryview):
        return _mask_from_image_bytes(bytes(source), "<bytes>", alpha, max_pixels)
    if _is_pil_image(source):
        picture = _image_from_pil(source, "<PIL image>", max_pixels=max_pixels)
        mask = _mask_from_image(picture, alpha)
        return "<PIL image>", mask, picture.pixels.dtype == np.uint8, False
    if isinstance(source, str) and _looks_like_box_string(source):
        return source, _mask_from_box_string(source, size), False, False
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        suffix = Path(name).suffix.lower()
        data = _read_file(name, what="mask")
        if suffix == ".npy":
            array = _read_npy(data, name)
            mask, was_8bit = _mask_from_array(array, name, max_pixels=max_pixels)
            return name, mask, was_8bit, False
        if suffix == ".json":
            return name, _mask_from_json(data, name, size, max_pixels), False, False
        return _mask_from_image_bytes(data, name, alpha, max_pixels)
    raise InvalidMaskError(
        f"cannot load a mask from a {type(source).__name__}: pass a file path, "
        "a box string 'x0,y0,x1,y1' or a numpy array"
    )


def _mask_from_image_bytes(
    data: bytes, name: str, alpha: str, max_pixels: int
) -> tuple[str, np.ndarray, bool, bool]:
    picture = _decode_image(data, name, max_pixels=max_pixels, what="mask")
    mask = _mask_from_image(picture, alpha)
    return name, mask, picture.pixels.dtype == np.uint8, picture.format == "JPEG"


def _mask_from_image(picture: ImageData, alpha: str) -> np.ndarray:
    colours = picture.pixels
    if picture.alpha is not None:
        opacity = to_float32(picture.alpha, copy=True)
        if alpha == "opaque":
            return opacity
        if alpha == "transparent":
            return (1.0 - opacity).astype(np.float32)
        flat_colour = colours.min() == colours.max()
        if flat_colour and picture.alpha.min() != picture.alpha.max():
            return opacity
    elif alpha != "auto":
        raise InvalidMaskError(
            f"mask {picture.source} has no alpha channel, but alpha={alpha!r} asks to use it; "
            "pass alpha='auto' (--mask-alpha auto) or save the mask with transparency"
        )
    return _luminance(colours)


def _luminance(colours: np.ndarray) -> np.ndarray:
    if (colours[..., 0] == colours[..., 1]).all() and (colours[..., 1] == colours[..., 2]).all():
        # Greyscale: the value itself, exactly (weights summing to 1 in float32 are not).
        return to_float32(colours[..., 0], copy=True)
    weighted = colours.astype(np.float32) @ _LUMA / np.float32(dtype_scale(colours.dtype))
    return np.clip(weighted, 0.0, 1.0).astype(np.float32)


def _read_npy(data: bytes, name: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise UnreadableFileError(
            f"mask {name} is not a readable .npy array ({_one_line(error)}); "
            "save it with numpy.save"
        ) from error


def _mask_from_array(array: Any, name: str, *, max_pixels: int) -> tuple[np.ndarray, bool]:
    if not isinstance(array, np.ndarray):
        raise InvalidMaskError(f"mask {name} does not hold an array; save one with numpy.save")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise InvalidMaskError(
            f"mask {name} has shape {array.shape}; a mask is H×W (or H×W×1) — "
            "take one channel, e.g. mask[..., 0]"
        )
    if array.size == 0:
        raise InvalidMaskError(
            f"mask {name} has shape {array.shape} with no pixels; pass a mask with pixels"
        )
    if array.size > max_pixels:
        raise ImageTooLargeError(
            f"mask {name} is {array.shape[1]}×{array.shape[0]} = {array.size:,} pixels, over the "
            f"limit of {max_pixels:,}; downscale it or raise max_pixels (--max-pixels)"
        )
    if array.dtype == np.bool_:
        return array.astype(np.float32), False
    if array.dtype in (np.uint8, np.uint16):
        return to_float32(array), array.dtype == np.uint8
    if array.dtype.kind == "f":
        # No copy and no temporary the size of the mask: min and max already expose NaN
        # (it propagates) and infinities (out of range), and masks can be 8K.
        values = array.astype(np.float32, copy=False)
        low, high = float(values.min()), float(values.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InvalidMaskError(
                f"mask {name} contains NaN or infinite values; replace them, e.g. "
                "numpy.nan_to_num(mask)"
            )
        if low < 0.0 or high > 1.0:
            raise InvalidMaskError(
                f"mask {name} has values in [{low:g}, {high:g}], outside [0, 1]; "
                "scale it to [0, 1] (1 = regenerate) or save it as uint8"
            )
        return values, False
    raise InvalidMaskError(
        f"mask {name} has dtype {array.dtype}; save it as bool, uint8, uint16 or float in [0, 1]"
    )


def _clean_jpeg_noise(
    mask: np.ndarray, name: str, *, always: bool, findings: list[LintFinding]
) -> np.ndarray:
    """Snap values within 0.1 of 0 or 1, the ringing JPEG adds to a black-and-white mask."""
    low = mask < _JPEG_NOISE
    high = mask > 1.0 - _JPEG_NOISE
    near = low | high
    if not always and near.mean() < _SNAP_SHARE:
        return mask  # a genuinely soft mask, leave it
    noisy = int(np.count_nonzero(low & (mask > 0))) + int(np.count_nonzero(high & (mask < 1)))
    if noisy == 0:
        return mask
    cleaned = mask.copy()
    cleaned[low] = 0.0
    cleaned[high] = 1.0
    findings.append(
        LintFinding(
            code="jpeg-noise-cleaned",
            severity="info",
            message=(
                f"mask {name}: snapped {noisy} near-black/near-white pixels (compression noise) "
                "to exactly 0 or 1; save masks as PNG to avoid this"
            ),
        )
    )
    return cleaned


def _fit_size(
    mask: np.ndarray, size: Extent, name: str, *, resize: bool, findings: list[LintFinding]
) -> np.ndarray:
    actual = Extent(int(mask.shape[1]), int(mask.shape[0]))
    if actual == size:
        return mask
    if not resize:
        raise SizeMismatchError(
            f"mask {name} is {actual} but image is {size}; pass --mask-resize "
            "(resize=True) or supply a mask of the same size"
        )
    import cv2

    binary = bool(np.isin(mask, (0.0, 1.0)).all())
    if binary:
        interpolation = cv2.INTER_NEAREST
        how = "nearest (binary mask)"
    elif size.width <= actual.width and size.height <= actual.height:
        interpolation = cv2.INTER_AREA
        how = "area averaging (soft mask)"
    else:
        interpolation = cv2.INTER_LINEAR
        how = "bilinear (soft mask)"
    resized = cv2.resize(mask, (size.width, size.height), interpolation=interpolation)
    findings.append(
        LintFinding(
            code="mask-resized",
            severity="info",
            message=f"mask {name} was resized from {actual} to {size} with {how}",
        )
    )
    return np.clip(resized, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------- geometry masks

_BOX_STRING = re.compile(r"^\s*[-+\d.,;\s]+$")


def _looks_like_box_string(text: str) -> bool:
    """Box strings are numbers and commas; other comma names without a file suffix too."""
    if "," not in text or os.path.exists(text):
        return False
    if _BOX_STRING.match(text):
        return True
    known = {*_MASK_IMAGE_SUFFIXES, ".npy", ".json"}
    has_folder = "/" in text or os.sep in text
    return Path(text).suffix.lower() not in known and not has_folder


def _mask_from_box_string(text: str, size: Extent | None) -> np.ndarray:
    if size is None:
        raise InvalidMaskError(
            f"box mask '{text}' needs the image size; pass size=Extent(width, height)"
        )
    size = Extent(*size)
    boxes: list[Box] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        fields = [f.strip() for f in part.split(",")]
        try:
            numbers = [float(f) for f in fields]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) and n == int(n) for n in numbers):
            raise InvalidMaskError(
                f"box mask '{text}': '{part.strip()}' is not 4 whole numbers; "
                "write boxes as 'x0,y0,x1,y1' (pixels, end exclusive), several joined by ';'"
            )
        box = Box(*(int(n) for n in numbers))
        if box.is_empty:
            raise InvalidMaskError(
                f"box mask '{text}': box {part.strip()} is empty; x1 must exceed x0 and "
                "y1 must exceed y0 ('x0,y0,x1,y1')"
            )
        if box.x1 <= 0 or box.y1 <= 0 or box.x0 >= size.width or box.y0 >= size.height:
            raise InvalidMaskError(
                f"box mask '{text}': box {part.strip()} lies outside the {size} image; "
                f"use coordinates within 0..{size.width} and 0..{size.height}"
            )
        boxes.append(box)
    if not boxes:
        raise InvalidMaskError(
            f"box mask '{text}' holds no boxes; write boxes as 'x0,y0,x1,y1', joined by ';'"
        )
    from inpaintkit.mask.create import mask_from_boxes

    return _checked_geometry(mask_from_boxes(size, boxes), text, size)


def _mask_from_json(data: bytes, name: str, size: Extent | None, max_pixels: int) -> np.ndarray:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFileError(
            f"mask {name} is not valid JSON ({_one_line(error)}); fix the file or export it again"
        ) from error
    from inpaintkit.mask import create

    if isinstance(document, list):
        # A bare COCO polygon segmentation: [[x0, y0, x1, y1, ...], ...]
        target = _geometry_size({}, name, size, "polygon")
        _check_area(target, name, max_pixels)
        return _draw(name, target, create.mask_from_polygons, document)
    if not isinstance(document, dict):
        raise _unknown_json(name)
    if "counts" in document and "size" in document:
        return _rle_mask(document, name, max_pixels)
    segmentation = document.get("segmentation")
    if isinstance(segmentation, dict):
        return _rle_mask(segmentation, name, max_pixels)
    if isinstance(segmentation, list) or "polygons" in document:
        polygons = segmentation if segmentation is not None else document["polygons"]
        if not isinstance(polygons, list):
            raise InvalidMaskError(
                f"mask {name}: 'polygons' must be a list of [[x, y], ...] lists; fix the file"
            )
        target = _geometry_size(document, name, size, "polygon")
        _check_area(target, name, max_pixels)
        return _draw(name, target, create.mask_from_polygons, polygons)
    if "strokes" in document:
        strokes = document["strokes"]
        if not isinstance(strokes, list) or not all(isinstance(s, dict) for s in strokes):
            raise InvalidMaskError(
                f"mask {name}: 'strokes' must be a list of "
                '{"points": [[x, y], ...], "radius": r, "softness": s} objects; fix the file'
            )
        target = _geometry_size(document, name, size, "stroke")
        _check_area(target, name, max_pixels)
        return _draw(name, target, create.mask_from_strokes, strokes)
    raise _unknown_json(name)


def _draw(name: str, size: Extent, draw: Any, shapes: Any) -> np.ndarray:
    """Run a geometry drawer, making its errors name the mask file."""
    try:
        drawn = draw(size, shapes)
    except (InvalidInputError, ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidMaskError(f"mask {name}: {_one_line(error)}") from error
    return _checked_geometry(drawn, name, size)


def _unknown_json(name: str) -> InvalidMaskError:
    return InvalidMaskError(
        f"mask {name} has a JSON structure inpaintkit does not recognise; use COCO RLE "
        '{"size": [h, w], "counts": ...}, a COCO annotation with "segmentation", '
        '{"polygons": [...]} or {"strokes": [...]}'
    )


def _geometry_size(
    document: Mapping[str, Any], name: str, size: Extent | None, kind: str
) -> Extent:
    has_width, has_height = "width" in document, "height" in document
    if has_width != has_height:
        missing = "height" if has_width else "width"
        raise InvalidMaskError(
            f'{kind} mask {name} gives only one of width/height; add "{missing}" '
            "or remove both and pass the image size"
        )
    if has_width:
        try:
            stored = Extent(int(document["width"]), int(document["height"]))
        except (TypeError, ValueError) as error:
            raise InvalidMaskError(
                f"{kind} mask {name} has a non-numeric width/height; write whole pixel counts"
            ) from error
        if stored.width <= 0 or stored.height <= 0:
            raise InvalidMaskError(
                f"{kind} mask {name} has size {stored}; width and height must be positive"
            )
        return stored
    if size is None:
        raise InvalidMaskError(
            f"{kind} mask {name} needs the image size: pass size=Extent(width, height) "
            'or add "width" and "height" to the file'
        )
    return Extent(*size)


def _check_area(size: Extent, name: str, max_pixels: int) -> None:
    _check_pixel_count((size.width, size.height), name, "mask", max_pixels)


def _rle_mask(rle: Mapping[str, Any], name: str, max_pixels: int) -> np.ndarray:
    stated = rle.get("size")
    if (
        not isinstance(stated, list | tuple)
        or len(stated) != 2
        or not all(isinstance(v, int) and v > 0 for v in stated)
    ):
        raise InvalidMaskError(
            f'mask {name} has an RLE size of {stated!r}; COCO RLE needs "size": [height, width]'
        )
    target = Extent(stated[1], stated[0])
    _check_area(target, name, max_pixels)
    from inpaintkit.mask.create import mask_from_rle

    return _draw(name, target, lambda _size, shapes: mask_from_rle(shapes), rle)


def _checked_geometry(mask: np.ndarray, name: str, size: Extent) -> np.ndarray:
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != (size.height, size.width):
        raise InvalidMaskError(
            f"mask {name} drew a {mask.shape[1]}×{mask.shape[0]} mask, expected {size}; "
            "check its size fields"
        )
    return np.clip(mask, 0.0, 1.0)


# --------------------------------------------------------------------------- saving


def save_image(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    recipe: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    quality: int = 95,
) -> list[str]:
    """Write ``pixels`` (H×W×3 or H×W; uint8, uint16 or float32 [0, 1]) atomically.

    Returns warnings for the user (lossy format, dropped alpha or recipe, ...).

    The format follows the extension. uint16 stays 16-bit in PNG and TIFF; float32 is
    written as 8-bit (rounded). ``recipe`` is stored as JSON in a PNG ``iTXt`` chunk.
    """
    target = Path(path)
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {target}: unknown extension '{target.suffix}'; use one of "
            f"{', '.join(sorted(_SAVE_FORMATS))}"
        )
    if target.is_dir():
        raise OutputExistsError(f"{target} is a folder; pass a file name such as {target}/out.png")
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
    if not 1 <= quality <= 100:
        raise InvalidParameterError(f"quality is {quality}; pass a value from 1 to 100")
    warnings_out: list[str] = []
    colours, opacity = _checked_output(pixels, alpha, target)
    if colours.dtype == np.uint16 and fmt not in ("PNG", "TIFF"):
        colours = to_dtype(colours, np.uint8)
        opacity = None if opacity is None else to_dtype(opacity, np.uint8)
        warnings_out.append(
            f"{target.suffix} stores 8 bits per channel: 16-bit pixels were rounded to 8 bits "
            "— use .png or .tiff to keep them"
        )
    if fmt == "JPEG":
        warnings_out.append(
            "JPEG re-encodes every pixel; outside-mask pixels will no longer be bit-identical "
            "— use .png to keep them"
        )
        if opacity is not None:
            opacity = None
            warnings_out.append("JPEG has no alpha channel: transparency was dropped — use .png")
    if fmt == "WEBP" and quality < 100:
        warnings_out.append(
            "lossy WebP re-encodes every pixel; outside-mask pixels will no longer be "
            "bit-identical — use .png, or quality=100 for lossless WebP"
        )
    if recipe is not None and fmt != "PNG":
        warnings_out.append(f"the recipe is only stored in PNG files; {target.name} has none")
    recipe_text = None if recipe is None else json.dumps(recipe, sort_keys=True, default=str)
    if colours.dtype == np.uint16:
        encoded = _encode_16bit(colours, opacity, fmt, icc_profile, recipe_text, target)
        if icc_profile and fmt == "TIFF":
            warnings_out.append(
                "the ICC profile is not stored in 16-bit TIFF output; use .png to keep it"
            )
    else:
        encoded = _encode_8bit(colours, opacity, fmt, icc_profile, recipe_text, quality)
    _write_atomically(target, encoded, overwrite=overwrite)
    return warnings_out


def _checked_output(
    pixels: np.ndarray, alpha: np.ndarray | None, target: Path
) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and alpha is None:
        pixels, alpha = pixels[..., :3], pixels[..., 3]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    is_grey = pixels.ndim == 2
    if not (is_grey or (pixels.ndim == 3 and pixels.shape[2] == 3)) or pixels.size == 0:
        raise InvalidInputError(
            f"cannot write {target}: pixels have shape {pixels.shape}; "
            "pass H×W×3 (RGB) or H×W (greyscale)"
        )
    if is_grey and alpha is not None:
        # Grey plus alpha is written as RGBA: every format here stores that.
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    colours = _to_output_dtype(pixels, target, "pixels")
    if alpha is None:
        return colours, None
    alpha = np.asarray(alpha)
    if alpha.shape != pixels.shape[:2]:
        raise InvalidInputError(
            f"cannot write {target}: alpha has shape {alpha.shape} but pixels are "
            f"{pixels.shape[:2]}; pass an H×W alpha"
        )
    opacity = _to_output_dtype(alpha, target, "alpha")
    if opacity.dtype != colours.dtype:
        # Bring alpha to the pixels' bit depth: 8 -> 16 bits is an exact ×257.
        opacity = to_dtype(opacity, colours.dtype)
    return colours, opacity


def _to_output_dtype(values: np.ndarray, target: Path, what: str) -> np.ndarray:
    if values.dtype in (np.uint8, np.uint16):
        return np.ascontiguousarray(values)
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise InvalidInputError(f"cannot write {target}: {what} contain NaN or infinite values")
        low, high = float(values.min()), float(values.max())
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"cannot write {target}: float {what} are in [{low:g}, {high:g}], "
                "outside [0, 1]; clip or rescale them"
            )
        return to_dtype(values, np.uint8)
    raise InvalidInputError(
        f"cannot write {target}: {what} have dtype {values.dtype}; pass uint8, uint16 or "
        "float32 in [0, 1]"
    )


def _encode_16bit(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    fmt: str,
    icc_profile: bytes | None,
    recipe_text: str | None,
    target: Path,
) -> bytes:
    import cv2

    from inpaintkit.png_chunks import icc_chunk, insert_chunks, text_chunk

    bgr = colours if colours.ndim == 2 else colours[..., ::-1]
    if opacity is not None:
        bgr = np.dstack([bgr, opacity])
    ok, buffer = cv2.imencode(".png" if fmt == "PNG" else ".tiff", np.ascontiguousarray(bgr))
    if not ok:
        raise InvalidInputError(f"cannot encode 16-bit pixels for {target}; try .png")
    encoded = buffer.tobytes()
    if fmt != "PNG":
        return encoded
    chunks = []
    if icc_profile:
        chunks.append(icc_chunk(icc_profile))
    if recipe_text is not None:
        chunks.append(text_chunk(RECIPE_KEYWORD, recipe_text))
    return insert_chunks(encoded, chunks) if chunks else encoded


def _encode_8bit(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    fmt: str,
    icc_profile: bytes | None,
    recipe_text: str | None,
    quality: int,
) -> bytes:
    from PIL import Image, PngImagePlugin

    if opacity is None:
        image = Image.fromarray(np.ascontiguousarray(colours))
    else:
        image = Image.fromarray(np.ascontiguousarray(np.dstack([colours, opacity])))
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if recipe_text is not None:
            info.add_itxt(RECIPE_KEYWORD, recipe_text)
        options["pnginfo"] = info
    elif fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        options.update(quality=quality, lossless=quality >= 100, exact=True)
    elif fmt == "TIFF":
        options["compression"] = "tiff_deflate"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _write_atomically(target: Path, data: bytes, *, overwrite: bool) -> None:
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if not overwrite and target.exists():
            raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_recipe(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The recipe JSON stored in a PNG written by :func:`save_image`, or None."""
    from inpaintkit.png_chunks import find_text

    name = os.fspath(path)
    data = _read_file(name, what="file")
    try:
        text = find_text(data, RECIPE_KEYWORD)
    except Exception as error:  # any damage in the chunk bytes
        raise UnreadableFileError(
            f"{name} has a damaged inpaintkit recipe chunk ({_one_line(error)})"
        ) from error
    if text is None:
        return None
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFileError(
            f"{name} has an inpaintkit recipe that is not valid JSON ({_one_line(error)})"
        ) from error
    return recipe if isinstance(recipe, dict) else None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_FORMATS",
    "ImageData",
    "MaskData",
    "load_image",
    "load_mask",
    "read_recipe",
    "save_image",
    "sha256_of",
]
