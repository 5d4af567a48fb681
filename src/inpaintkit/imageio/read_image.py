"""Decode images: file, bytes, PIL image or array in; :class:`ImageData` out.

Decisions worth knowing:

* Pixels keep the source's own dtype (uint8 or uint16 for files; uint8, uint16, float16,
  float32 or float64 for arrays) so that pixels outside the mask can be written back bit
  for bit; :meth:`ImageData.as_float` gives float32 [0, 1]. ``pixels`` is always H×W×3;
  what is needed to give the result back in the caller's own form is kept beside it
  (``input_shape`` of an array, the file's ``mode``, a palette file's ``palette``), and
  :func:`inpaintkit.imageio.to_input_layout` uses it.
* 16-bit RGB(A) PNGs and TIFFs are decoded with OpenCV, because Pillow reduces them to
  8 bits; Pillow still reads their header, EXIF and ICC profile. Complete 8-bit RGB(A)
  and 8/16-bit grey PNGs without ``tRNS`` are decoded with OpenCV too: it is about 25 %
  faster than Pillow on a 6000×4000 photo (see ``benchmarks/io_bench.py``).
* A PNG's EXIF block is found by scanning its chunks, not with Pillow's ``getexif``,
  which decodes every pixel first when the ``eXIf`` chunk follows the pixel data.
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

from inpaintkit.convert import is_pil_image, to_float32
from inpaintkit.errors import (
    NAME_ONLY,
    ImageTooLargeError,
    InvalidInputError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from inpaintkit.imageio._shared import _literal, _one_line, _read_file
from inpaintkit.types import Extent

DEFAULT_MAX_PIXELS = 100_000_000

SUPPORTED_FORMATS = ("PNG", "JPEG", "WebP", "TIFF", "BMP")

ImageSource = str | os.PathLike[str] | bytes | np.ndarray


# File modes whose pixels are one grey value (alpha aside).
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N"})


@dataclass
class ImageData:
    """A decoded image in its own dtype, with what is needed to write it back faithfully.

    ``pixels`` is H×W×3 in the source's dtype whatever the source's layout; ``alpha`` is
    H×W or None. ``input_shape`` is an array source's own shape (None for files),
    ``mode`` the file's pixel mode (``"L"``, ``"I;16"``, ``"P"``, ...), and ``palette``
    a palette file's colours (N×3 uint8, or N×4 when entries carry transparency).
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    icc_profile: bytes | None = None
    source: str = "<array>"
    format: str = "array"
    exif_orientation: int = 1
    mode: str = "RGB"
    input_shape: tuple[int, ...] | None = None
    palette: np.ndarray | None = None
    # The caller's own array when it holds exactly ``pixels``' values: it never changes,
    # so it can be hashed while ``pixels`` is being composited into.
    unchanged: np.ndarray | None = None

    @property
    def size(self) -> Extent:
        """Width and height after EXIF orientation."""
        return Extent(int(self.pixels.shape[1]), int(self.pixels.shape[0]))

    @property
    def is_grey(self) -> bool:
        """True when the source was greyscale: an H×W, H×W×1 or H×W×2 (grey + alpha)
        array, or a file in mode L, LA, I;16 or 1.

        >>> load_image(np.zeros((2, 3), np.uint8)).is_grey
        True
        """
        if self.input_shape is not None:
            return len(self.input_shape) == 2 or self.input_shape[2] in (1, 2)
        return self.mode in _GREY_MODES

    def as_float(self) -> np.ndarray:
        """The pixels as float32 RGB in [0, 1]; the dtype alone decides the scale.

        >>> ImageData(np.full((1, 1, 3), 255, np.uint8)).as_float().tolist()
        [[[1.0, 1.0, 1.0]]]
        """
        return to_float32(self.pixels, copy=True)


def load_image(
    source: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS, copy: bool = True
) -> ImageData:
    """Load an image file, encoded bytes, a PIL image or an array.

    Arrays may be uint8, uint16 (the dtype decides the scale) or float in [0, 1] (float16,
    float32 or float64, kept as they are), shaped H×W, H×W×1, H×W×2 (grey + alpha),
    H×W×3 or H×W×4 (the fourth channel is alpha). ``pixels`` is always a new array the
    caller may change, except for an RGB array loaded with ``copy=False``: then it is
    the array itself (``unchanged`` says so), for a caller that copies it later.

    >>> load_image(np.zeros((2, 3), np.uint8)).size
    Extent(width=3, height=2)
    """
    if isinstance(source, np.ndarray):
        return _image_from_array(source, max_pixels=max_pixels, copy=copy)
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode_image(bytes(source), "<bytes>", max_pixels=max_pixels, what="image")
    if is_pil_image(source):
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
            f"{what} {_literal(name)} is {width}×{height} = {width * height:,} pixels, over "
            f"the limit of {max_pixels:,}; downscale it or raise {{max_pixels}}",
            options={"max_pixels": NAME_ONLY},
        )


def _decode_image(
    data: bytes, name: str, *, max_pixels: int, what: str, grey_2d: bool = False
) -> ImageData:
    """Decode ``data``; with ``grey_2d`` a grey source's ``pixels`` stay H×W (masks)."""
    from PIL import Image

    from inpaintkit.imageio.png_chunks import PngScan

    fmt = _sniff_format(data)
    if fmt is None:
        raise _unknown_format_error(data, name, what)
    scan: PngScan | None = None
    if fmt == "PNG":
        from inpaintkit.imageio.png_chunks import read_header, scan_chunks

        # Pillow does not verify the pixel chunks' checksums; damaged bytes would decode
        # silently into wrong pixels.
        header = read_header(data)
        if header is not None:
            # Pillow rejects a zero dimension as "not identified"; say what it is.
            _check_pixel_count((header.width, header.height), name, what, max_pixels)
        scan = scan_chunks(data)
        if scan.bad_chunk is not None:
            raise UnreadableFileError(
                f"{what} {name} is corrupt: its {scan.bad_chunk.decode('latin-1', 'replace')} "
                "chunk fails its checksum; export the file again"
            )
    with warnings.catch_warnings():
        # The size is checked against max_pixels below; Pillow's own global limit must
        # neither warn nor raise on the caller's behalf.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = _open_header(data, name, fmt, what)
        _check_pixel_count(image.size, name, what, max_pixels)
        orientation = _exif_orientation(image, scan)
        icc = image.info.get("icc_profile") or None
        try:
            pixels, alpha, mode, palette = _decode_pixels(
                image, data, fmt, scan, name, what, grey_2d=grey_2d
            )
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
        palette=palette,
    )


def _exif_orientation(image: Any, scan: Any = None) -> int:
    from PIL import Image

    try:
        if scan is not None:
            # PngImageFile.getexif decodes every pixel when no eXIf chunk precedes the
            # pixel data; the chunk scan has found it wherever it is.
            if "exif" not in image.info and scan.exif is not None:
                image.info["exif"] = scan.exif
            exif = Image.Image.getexif(image)
        else:
            exif = image.getexif()
        value = int(exif.get(0x0112, 1))
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


def _needs_opencv(image: Any, data: bytes, fmt: str, scan: Any) -> bool:
    """True for 16-bit colour files, which Pillow would reduce to 8 bits, and for
    complete 8-bit RGB(A) and 8/16-bit grey PNGs without tRNS, which OpenCV decodes
    faster (a tRNS chunk is colour-keyed transparency, which Pillow turns into alpha)."""
    from inpaintkit.imageio.png_chunks import read_header

    if fmt == "PNG":
        header = read_header(data)
        if header is None:
            return False
        if header.bit_depth == 16 and header.color_type in (2, 4, 6):
            return True
        return (
            scan is not None
            and scan.complete
            and b"tRNS" not in scan.kinds
            and "transparency" not in image.info
            and header.bit_depth in (8, 16)
            and header.color_type in (0, 2, 6)
        )
    if fmt == "TIFF":
        bits = image.tag_v2.get(258, (8,))
        bits = bits if isinstance(bits, tuple) else (bits,)
        return max(bits) == 16 and len(bits) >= 2
    return False


_Decoded = tuple[np.ndarray, np.ndarray | None, str, np.ndarray | None]


def _decode_pixels(
    image: Any, data: bytes, fmt: str, scan: Any, name: str, what: str, *, grey_2d: bool
) -> _Decoded:
    """Pixels (H×W×3, or H×W for a grey source with ``grey_2d``), alpha (H×W or None),
    the file's PIL mode and a palette file's palette, before orientation."""
    mode = str(image.mode)
    if _needs_opencv(image, data, fmt, scan):
        pixels, alpha = _decode_with_opencv(data, name, what, grey_2d=grey_2d)
        if fmt == "PNG" and data[25] == 4:  # IHDR colour type 4: grey + alpha
            # Pillow calls a 16-bit grey + alpha PNG "RGBA"; it is grey.
            mode = "LA"
            if grey_2d and pixels.ndim == 3:
                pixels = np.ascontiguousarray(pixels[..., 0])
        return pixels, alpha, mode, None
    image.load()
    palette = _palette_of(image)
    pixels, alpha = _pil_to_arrays(image, name, what, grey_2d=grey_2d)
    return pixels, alpha, mode, palette


def _palette_of(image: Any) -> np.ndarray | None:
    """A P image's palette: N×3 uint8, or N×4 when its entries carry transparency."""
    if image.mode != "P":
        return None
    colours = image.getpalette("RGB")
    if not colours:
        return None
    palette = np.array(colours, np.uint8).reshape(-1, 3)
    transparency = image.info.get("transparency")
    if transparency is None:
        return palette
    opacity = np.full(len(palette), 255, np.uint8)
    if isinstance(transparency, int):
        if 0 <= transparency < len(palette):
            opacity[transparency] = 0
    else:
        given = np.frombuffer(bytes(transparency), np.uint8)[: len(palette)]
        opacity[: len(given)] = given
    return np.column_stack([palette, opacity])


def _grey_to_rgb(grey: np.ndarray, grey_2d: bool = False) -> np.ndarray:
    """``grey`` (H×W) as a new H×W×3 array, or a contiguous H×W one with ``grey_2d``."""
    if grey_2d:
        return np.array(grey, order="C")
    if grey.dtype in (np.uint8, np.uint16, np.float32):
        import cv2

        return cv2.cvtColor(np.ascontiguousarray(grey), cv2.COLOR_GRAY2RGB)
    rgb = np.empty((*grey.shape, 3), grey.dtype)
    rgb[...] = grey[..., None]
    return rgb


def _decode_with_opencv(
    data: bytes, name: str, what: str, *, grey_2d: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise UnreadableFileError(
            f"{what} {name} is truncated or corrupt (its pixels cannot be decoded); "
            "export the file again"
        )
    if decoded.ndim == 2:
        return _grey_to_rgb(decoded, grey_2d), None
    channels = decoded.shape[2]
    if channels == 1:
        return _grey_to_rgb(decoded[..., 0], grey_2d), None
    if channels == 2:
        return _grey_to_rgb(decoded[..., 0], grey_2d), decoded[..., 1].copy()
    if channels == 3:
        # In place: the decoded buffer is ours, and a 6000×4000 copy costs more than the swap.
        return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=decoded), None
    return cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGB), decoded[..., 3].copy()


def _pil_to_arrays(
    image: Any, name: str, what: str, *, grey_2d: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
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
        return _grey_to_rgb(grey, grey_2d), None
    if mode == "L":
        return _grey_to_rgb(np.asarray(image), grey_2d), None
    if mode == "LA":
        both = np.asarray(image)
        return _grey_to_rgb(both[..., 0], grey_2d), both[..., 1].copy()
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


def _image_from_pil(
    image: Any, name: str, *, max_pixels: int, what: str = "image", grey_2d: bool = False
) -> ImageData:
    buffer = io.BytesIO()
    # Re-encoding as PNG (lossless) keeps one decoding path with all its checks.
    try:
        image.save(buffer, format="PNG", compress_level=1)
    except (OSError, ValueError, KeyError) as error:
        raise UnsupportedFormatError(
            f"{name} has pixel mode {image.mode}, which inpaintkit does not read; "
            "convert it to greyscale or RGB(A)"
        ) from error
    return _decode_image(buffer.getvalue(), name, max_pixels=max_pixels, what=what, grey_2d=grey_2d)


def _image_from_array(array: np.ndarray, *, max_pixels: int, copy: bool = True) -> ImageData:
    name = "<array>"
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        channels = array.shape[2]
    elif array.ndim == 2:
        channels = 0
    else:
        raise InvalidInputError(
            f"image array has shape {array.shape}; pass H×W, H×W×1, H×W×2 (grey + alpha), "
            "H×W×3 or H×W×4"
        )
    if array.size == 0:
        raise InvalidInputError(
            f"image array has shape {array.shape} with no pixels; pass an image with pixels"
        )
    height, width = array.shape[:2]
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image array is {width}×{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}; downscale it or raise {{max_pixels}}",
            options={"max_pixels": NAME_ONLY},
        )
    values = _checked_image_values(array, name)
    shape = tuple(int(n) for n in array.shape)
    if channels in (0, 1):
        grey = values.reshape(height, width)
        return ImageData(_grey_to_rgb(grey), source=name, mode="L", input_shape=shape)
    if channels == 2:
        return ImageData(
            _grey_to_rgb(values[..., 0]),
            alpha=np.array(values[..., 1], order="C"),
            source=name,
            mode="LA",
            input_shape=shape,
        )
    if channels == 3:
        # Our own copy: the pipeline composites into it in place, and may hash the
        # caller's array (same values, never changed) meanwhile.
        return ImageData(
            np.array(values, order="C") if copy or values is not array else values,
            source=name,
            mode="RGB",
            input_shape=shape,
            unchanged=values if values is array else None,
        )
    return ImageData(
        np.ascontiguousarray(values[..., :3]),
        alpha=np.ascontiguousarray(values[..., 3]),
        source=name,
        mode="RGBA",
        input_shape=shape,
    )


def _checked_image_values(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` itself when its dtype and values are usable; floats keep their precision.

    Only min and max are computed (no temporaries the size of the image): NaN propagates
    through both and an infinity is out of range.
    """
    if array.dtype in (np.uint8, np.uint16):
        return array
    if array.dtype in (np.float16, np.float32, np.float64):
        low, high = float(array.min()), float(array.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InvalidInputError(
                f"image {name} contains NaN or infinite values; pass finite values in [0, 1]"
            )
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"image {name} is float with values in [{low:g}, {high:g}], outside [0, 1]; "
                "divide by 255 (or 65535), or pass a uint8/uint16 array"
            )
        return array
    raise InvalidInputError(
        f"image {name} has dtype {array.dtype}; pass uint8, uint16 or float in [0, 1]"
    )


def digest_of(source: Any) -> str:
    """``blake3:<hex>`` of decoded pixels + shape + dtype: what a recipe records to know
    its inputs again. One image in two files digests the same.

    BLAKE3 is a cryptographic hash like SHA-256, about five times faster here (an 8K
    photo in 20 ms instead of 100 ms), which keeps the recipe off a large photo's
    critical path.

    >>> digest_of(np.zeros((2, 2), np.uint8)) == digest_of(np.zeros((2, 2), np.uint8))
    True
    >>> digest_of(np.zeros((2, 2), np.uint8))[:7]
    'blake3:'
    """
    import blake3

    if not isinstance(source, np.ndarray):
        source = load_image(source).pixels
    array = np.ascontiguousarray(source, dtype=source.dtype.newbyteorder("<"))
    hasher = blake3.blake3(f"{array.dtype.str}{array.shape}".encode())
    if array.size:
        hasher.update(array.data.cast("B"))  # no copy: these can be 8K images
    return "blake3:" + hasher.hexdigest()


def sha256_of(source: Any) -> str:
    """SHA-256 of decoded pixels + shape + dtype, as recipes of format 1 recorded them
    (:func:`digest_of` replaced it). A path (or bytes) is decoded with :func:`load_image`.

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
