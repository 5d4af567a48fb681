"""Outpainting: grow the canvas and pre-fill the new border for an engine to regenerate.

:func:`extend_canvas` returns the bigger image and a mask of the new area, so outpainting
is just inpainting that mask. The pre-fill matters: diffusion engines start from it
(``blur`` gives smooth colour without fake structure), classical engines ignore it.
"""

from __future__ import annotations

from typing import Literal, get_args

import cv2
import numpy as np

from inpaintkit.convert import IMAGE_DTYPES, from_float, to_float32
from inpaintkit.errors import InvalidInputError, InvalidParameterError

__all__ = ["Fill", "extend_canvas", "extend_with_mask", "seam_ramp"]

Fill = Literal["edge", "mirror", "blur", "noise", "telea"]
_FILLS: tuple[str, ...] = get_args(Fill)


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 0:
        raise InvalidParameterError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _box_blur_gaussian(canvas: np.ndarray, sigma: float) -> np.ndarray:
    # Three box blurs approximate a Gaussian and cost O(1) per pixel whatever the radius,
    # so a strong blur on a wide border stays cheap.
    size = max(3, 2 * round(sigma) + 1)
    blurred = canvas
    for _ in range(3):
        blurred = cv2.blur(blurred, (size, size), borderType=cv2.BORDER_REPLICATE)
    return blurred


def _telea(canvas: np.ndarray, hole: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return cv2.inpaint(np.ascontiguousarray(canvas), hole, 3, cv2.INPAINT_TELEA)
    # OpenCV fills 3-channel images only as uint8; one float32 channel at a time keeps
    # 16-bit and float inputs from being quantised to 8 bits.
    values = to_float32(canvas)
    channels = [
        cv2.inpaint(np.ascontiguousarray(values[..., c]), hole, 3, cv2.INPAINT_TELEA)
        for c in range(values.shape[2])
    ]
    return from_float(np.stack(channels, axis=-1), dtype)


def extend_canvas(
    image: np.ndarray,
    *,
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    fill: Fill = "edge",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Add ``left``/``top``/``right``/``bottom`` pixels around ``image`` and pre-fill them.

    Returns ``(canvas, mask)``: the canvas has the input's dtype (uint8, uint16 or float)
    and channel count (3 or 4; new alpha is opaque), with the original bit-identical at
    ``(left, top)``; the float32 mask is 1 on the new area, 0 on the original.

    Fills: ``edge`` repeats the border pixels, ``mirror`` reflects the image, ``blur`` is
    ``edge`` followed by a strong blur of the new area only, ``noise`` is noise around the
    image's mean colour (seeded by ``seed``), ``telea`` is OpenCV's Telea inpainting.

    >>> img = np.zeros((4, 6, 3), np.uint8)
    >>> canvas, mask = extend_canvas(img, left=2, bottom=3)
    >>> canvas.shape, mask.shape, int(mask.sum())
    ((7, 8, 3), (7, 8), 32)
    """
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InvalidInputError(
            f"image must be H×W×3 (RGB) or H×W×4 (RGBA), got shape {image.shape}; "
            "convert grey images to RGB first"
        )
    if image.dtype not in IMAGE_DTYPES:
        raise InvalidInputError(
            f"image has dtype {image.dtype}; pass uint8, uint16 or float in [0, 1]"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInputError(f"image is empty (shape {image.shape})")
    sizes = {
        name: _check_size(name, value)
        for name, value in (("left", left), ("top", top), ("right", right), ("bottom", bottom))
    }
    if not any(sizes.values()):
        raise InvalidParameterError(
            "left, top, right and bottom are all 0, so there is nothing to extend; "
            "give at least one a positive number of pixels"
        )
    if fill not in _FILLS:
        raise InvalidParameterError(f"fill must be one of {', '.join(_FILLS)}; got {fill!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InvalidParameterError(f"seed must be an integer, got {seed!r}")

    left, top, right, bottom = sizes["left"], sizes["top"], sizes["right"], sizes["bottom"]
    height, width = image.shape[:2]
    dtype = image.dtype
    pad = ((top, bottom), (left, right), (0, 0))
    inside = (slice(top, top + height), slice(left, left + width))

    mask = np.ones((height + top + bottom, width + left + right), np.float32)
    mask[inside] = 0.0
    new = mask > 0

    colour = image[..., :3]
    if fill == "mirror":
        canvas = np.pad(colour, pad, mode="reflect")
    elif fill == "noise":
        rng = np.random.default_rng(int(seed))
        values = to_float32(colour.reshape(-1, 3))
        mean, spread = values.mean(axis=0), values.std(axis=0)
        # Noise is drawn for the new pixels only, so cost follows the new area.
        noise = rng.normal(mean, spread, size=(int(np.count_nonzero(new)), 3))
        canvas = np.empty((*mask.shape, 3), dtype)
        canvas[new] = from_float(noise.astype(np.float32), dtype)
    else:
        canvas = np.pad(colour, pad, mode="edge")
        if fill == "blur":
            sigma = max(2.0, max(sizes.values()) / 4.0)
            blurred = from_float(_box_blur_gaussian(to_float32(canvas), sigma), dtype)
            canvas[new] = blurred[new]
        elif fill == "telea":
            canvas = _telea(canvas, new.astype(np.uint8), dtype)
    # Whatever the fill computed, the original pixels are copied back unchanged.
    canvas[inside] = colour

    if image.shape[2] == 4:
        opaque = 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)
        alpha = np.full(mask.shape, opaque, dtype)
        alpha[inside] = image[..., 3]
        canvas = np.concatenate([canvas, alpha[..., None]], axis=-1)
    return np.ascontiguousarray(canvas.astype(dtype, copy=False)), mask


def seam_ramp(new_area: np.ndarray, band: int) -> np.ndarray:
    """A mask falling from 1 at the new area to 0 ``band`` px into the photo, so a
    generated border blends into the photo instead of meeting it at a hard line.

    >>> new = np.zeros((1, 6), np.float32); new[0, :2] = 1
    >>> seam_ramp(new, 2).astype(float).round(2).tolist()
    [[0.0, 0.0, 0.67, 0.33, 0.0, 0.0]]
    """
    if band <= 0:
        return np.zeros_like(new_area)
    inside = (new_area <= 0).astype(np.uint8)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(1.0 - distance / (band + 1), 0.0, 1.0).astype(np.float32) * inside


def extend_with_mask(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    sides: tuple[int, int, int, int],
    fill: Fill,
    seed: int,
    seam_band: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Outpainting as inpainting: the extended canvas, and ``mask`` grown by the new
    area plus a ``seam_band`` px ramp into the photo's edge."""
    left, top, right, bottom = sides
    canvas, new_area = extend_canvas(
        image, left=left, top=top, right=right, bottom=bottom, fill=fill, seed=seed
    )
    grown = np.maximum(np.pad(mask, ((top, bottom), (left, right))), new_area)
    return canvas, np.maximum(grown, seam_ramp(new_area, seam_band))
