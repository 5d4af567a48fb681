"""Load masks (1 = regenerate) from images, ``.npy`` arrays, arrays and PIL images, and
hand box strings and JSON files to :mod:`inpaintkit.imageio.mask_geometry`.

Decisions worth knowing:

* An image mask is its luminance, unless it carries alpha: ``alpha="auto"`` uses the
  alpha channel when the colour is flat and the alpha is not (a cut-out painted as
  transparency); ``"opaque"``/``"transparent"`` force it.
* JPEG masks (always) and 8-bit masks whose values sit almost all near 0 or 1 have the
  compression ringing within 0.1 of 0 or 1 snapped away, with a finding that says so.
* A mask of another size is an error unless ``resize`` is set; then binary masks are
  resized nearest (they stay binary) and soft ones by area averaging or bilinear.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from inpaintkit.convert import dtype_scale, to_float32
from inpaintkit.errors import (
    EmptyMaskError,
    ImageTooLargeError,
    InvalidMaskError,
    InvalidParameterError,
    SizeMismatchError,
    UnreadableFileError,
)
from inpaintkit.imageio._shared import _one_line, _read_file
from inpaintkit.imageio.mask_geometry import (
    _looks_like_box_string,
    _mask_from_box_string,
    _mask_from_json,
)
from inpaintkit.imageio.read_image import (
    DEFAULT_MAX_PIXELS,
    ImageData,
    _decode_image,
    _image_from_pil,
    _is_pil_image,
)
from inpaintkit.types import Extent, LintFinding

_JPEG_NOISE = 0.1  # a JPEG mask's ringing stays within this of 0 or 1
_SNAP_SHARE = 0.99  # "almost all" values near 0 or 1 before an 8-bit mask is cleaned

# ITU-R BT.601 weights, the ones Pillow uses for RGB -> L.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class MaskData:
    """A mask ready for the pipeline: float32 H×W in [0, 1], 1 = regenerate."""

    mask: np.ndarray
    findings: list[LintFinding] = field(default_factory=list)
    source: str = "<array>"

    @property
    def size(self) -> Extent:
        return Extent(int(self.mask.shape[1]), int(self.mask.shape[0]))


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
