"""Convention 1 in one place: the dtype alone decides the scale.

uint8 means 0..255, uint16 means 0..65535 and float32 means 0..1, whatever the values
are. Every module that turns pixels or masks into float32 [0, 1], or back into a stored
dtype, calls these functions; validation that says something specific to its caller
(mask messages, range tolerances) stays with the caller.

Bool (0/1) and other float precisions (float16, float64) are read as scale 1 by
:func:`to_float32` and :func:`to_dtype`. uint8, uint16 and float32 are the stored
dtypes (:data:`SCALES`, :func:`dtype_scale`). An image array the caller passed as
float16 or float64 keeps that dtype at full resolution (:data:`IMAGE_DTYPES`), so
:func:`from_float` and :func:`to_dtype` also write those two (clipped, scale 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from inpaintkit.errors import InvalidInputError

__all__ = [
    "IMAGE_DTYPES",
    "SCALES",
    "dtype_scale",
    "from_float",
    "is_pil_image",
    "to_dtype",
    "to_float32",
    "to_float_rgb",
]

SCALES: Mapping[np.dtype[Any], float] = MappingProxyType(
    {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0, np.dtype(np.float32): 1.0}
)
"""The stored dtypes and the value that means "full" (1.0) in each."""

IMAGE_DTYPES: frozenset[np.dtype[Any]] = frozenset(
    {*SCALES, np.dtype(np.float16), np.dtype(np.float64)}
)
"""The dtypes a full-resolution image may keep: the stored ones plus float16 and float64
(scale 1), which an array passed by the caller keeps so it comes back in its own form."""


def dtype_scale(dtype: Any) -> float:
    """The value that means 1.0 in a stored dtype: 255, 65535 or 1.

    >>> dtype_scale(np.uint16), dtype_scale(np.dtype(np.float32))
    (65535.0, 1.0)
    >>> dtype_scale(np.int32)
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidInputError: dtype int32 has no defined scale; use uint8 (0..255), uint16 (0..65535) or float32 (0..1)
    """  # noqa: E501
    scale = SCALES.get(np.dtype(dtype))
    if scale is None:
        raise InvalidInputError(
            f"dtype {np.dtype(dtype)} has no defined scale; use uint8 (0..255), "
            "uint16 (0..65535) or float32 (0..1)"
        )
    return scale


def _read_scale(dtype: np.dtype[Any]) -> float:
    """Like :func:`dtype_scale`, but bool and every float precision read as scale 1."""
    return 1.0 if dtype.kind in "bf" else dtype_scale(dtype)


def to_float32(array: np.ndarray, *, copy: bool = False) -> np.ndarray:
    """``array`` as float32 in the [0, 1] scale its dtype implies; values are not checked.

    uint8 and uint16 are divided by their scale (always a new array); bool gives 0/1 and
    other floats are cast. A float32 array comes back as it is (no copy) unless ``copy``.

    >>> to_float32(np.array([0, 51, 255], np.uint8)).tolist()
    [0.0, 0.20000000298023224, 1.0]
    >>> values = np.zeros(2, np.float32)
    >>> to_float32(values) is values, to_float32(values, copy=True) is values
    (True, False)
    """
    scale = _read_scale(array.dtype)
    result = array.astype(np.float32, copy=copy)
    if scale != 1.0:
        result /= np.float32(scale)
    return result


def to_float_rgb(pixels: np.ndarray) -> np.ndarray:
    """A new float32 RGB array in [0, 1] from H×W (grey), H×W×3 or H×W×4 (alpha dropped).

    >>> to_float_rgb(np.array([[[255, 0, 0, 128]]], np.uint8)).tolist()
    [[[1.0, 0.0, 0.0]]]
    >>> to_float_rgb(np.array([[0, 65535]], np.uint16)).shape
    (1, 2, 3)
    """
    rgb = pixels[..., :3] if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=-1)
    return to_float32(rgb, copy=True)


def from_float(values: np.ndarray, dtype: Any, *, scaled: bool = False) -> np.ndarray:
    """Store float ``values`` in ``dtype``: rounded and clipped for uint8/uint16, clipped
    to [0, 1] for float32 (and float16/float64, see :data:`IMAGE_DTYPES`).

    ``values`` are in [0, 1] unless ``scaled``, which says they are already on the
    dtype's own scale (0..255 for uint8), as a blend computed at the image's scale is.

    >>> from_float(np.array([-0.1, 0.5, 1.2]), np.uint8).tolist()
    [0, 128, 255]
    >>> from_float(np.array([127.6, 300.0]), np.uint8, scaled=True).tolist()
    [128, 255]
    >>> from_float(np.array([-0.1, 0.25], np.float32), np.float32).tolist()
    [0.0, 0.25]
    >>> from_float(np.array([0.1, 2.0]), np.float64).tolist()
    [0.1, 1.0]
    """
    target = np.dtype(dtype)
    scale = 1.0 if target in IMAGE_DTYPES and target.kind == "f" else dtype_scale(target)
    levels = values * scale if scale != 1.0 and not scaled else values
    if target.kind == "u":
        levels = np.rint(levels)
    return np.clip(levels, 0, scale).astype(target)


def to_dtype(values: np.ndarray, dtype: Any) -> np.ndarray:
    """Re-store ``values`` in another stored dtype by scale (in float64, so 8 → 16 bits is
    an exact ×257).

    >>> to_dtype(np.array([0, 1, 255], np.uint8), np.uint16).tolist()
    [0, 257, 65535]
    >>> to_dtype(np.array([0.0, 0.5, 1.0]), np.uint8).tolist()
    [0, 128, 255]
    """
    as_float = values.astype(np.float64)
    scale = _read_scale(values.dtype)
    if scale != 1.0:
        as_float /= scale
    return from_float(as_float, dtype)


def is_pil_image(value: Any) -> bool:
    """Whether ``value`` is a Pillow image, told without importing Pillow."""
    module = type(value).__module__ or ""
    return module.startswith("PIL.") and hasattr(value, "mode") and hasattr(value, "size")
