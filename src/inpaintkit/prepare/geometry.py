"""Pure functions over :class:`~inpaintkit.types.Box` and :class:`~inpaintkit.types.Extent`.

Boxes are half-open (``x1``/``y1`` are one past the last column/row), so two boxes that
share an edge *touch* but do not overlap. Nothing here looks at pixels except
:func:`mask_bbox`, which shares its fast pass with
:func:`inpaintkit.mask.mask_bounds` (that one also validates a mask's values).
"""

from __future__ import annotations

import numpy as np

from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.mask.refine import _fast_box, _selected_box
from inpaintkit.types import Box, Extent

__all__ = [
    "box_gap",
    "clip_box",
    "intersect_boxes",
    "mask_bbox",
    "pad_box",
    "scale_extent_to",
    "snap_box",
    "union_boxes",
]


def _check_int(name: str, value: object, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise InvalidParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def pad_box(box: Box, *, pixels: int) -> Box:
    """Grow ``box`` by ``pixels`` on every side (the result may leave the image; clip it).

    >>> pad_box(Box(10, 10, 20, 30), pixels=5)
    Box(x0=5, y0=5, x1=25, y1=35)
    """
    p = _check_int("pixels", pixels, low=0)
    return Box(box.x0 - p, box.y0 - p, box.x1 + p, box.y1 + p)


def clip_box(box: Box, extent: Extent) -> Box:
    """Clamp ``box`` to ``0..extent``; a box wholly outside becomes empty (width or height 0).

    >>> clip_box(Box(-5, 10, 70, 30), Extent(64, 48))
    Box(x0=0, y0=10, x1=64, y1=30)
    """
    x0 = min(max(box.x0, 0), extent.width)
    y0 = min(max(box.y0, 0), extent.height)
    x1 = min(max(box.x1, x0), extent.width)
    y1 = min(max(box.y1, y0), extent.height)
    return Box(x0, y0, x1, y1)


def union_boxes(a: Box, b: Box) -> Box:
    """The smallest box containing both.

    >>> union_boxes(Box(0, 0, 2, 2), Box(5, 1, 6, 9))
    Box(x0=0, y0=0, x1=6, y1=9)
    """
    return Box(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))


def intersect_boxes(a: Box, b: Box) -> Box | None:
    """The common part of two boxes, or ``None`` when they share no pixel.

    >>> intersect_boxes(Box(0, 0, 4, 4), Box(2, 2, 8, 8))
    Box(x0=2, y0=2, x1=4, y1=4)
    >>> intersect_boxes(Box(0, 0, 4, 4), Box(4, 0, 8, 4)) is None
    True
    """
    box = Box(max(a.x0, b.x0), max(a.y0, b.y0), min(a.x1, b.x1), min(a.y1, b.y1))
    return None if box.is_empty else box


def box_gap(a: Box, b: Box) -> int:
    """Chebyshev gap: the number of pixel rows/columns strictly between two boxes.

    0 when they touch or overlap.

    >>> box_gap(Box(0, 0, 1, 1), Box(1, 0, 2, 1))
    0
    >>> box_gap(Box(0, 0, 1, 1), Box(4, 2, 5, 3))
    3
    """
    dx = max(0, max(a.x0, b.x0) - min(a.x1, b.x1))
    dy = max(0, max(a.y0, b.y0) - min(a.y1, b.y1))
    return max(dx, dy)


def _snap_span(start: int, stop: int, multiple: int, side: int) -> tuple[int, int]:
    length = stop - start
    wanted = -(-length // multiple) * multiple
    if wanted > side:
        # No multiple both covers the span and fits the image: a smaller multiple would
        # cut off pixels the caller asked for, so take the whole side instead.
        return 0, side
    start -= (wanted - length) // 2
    start = min(max(start, 0), side - wanted)
    return start, start + wanted


def snap_box(box: Box, *, multiple: int, extent: Extent) -> Box:
    """Grow ``box`` so its width and height are multiples of ``multiple``.

    The box is first clipped to ``extent``; each side then grows to the smallest multiple
    that covers it, centred on the box and shifted to stay inside the image. When that
    multiple is larger than the image side, the box takes the whole side, which is then
    *not* a multiple (callers check ``width % multiple`` and record it). The result always
    contains the clipped input box.

    >>> snap_box(Box(10, 10, 15, 20), multiple=8, extent=Extent(64, 48))
    Box(x0=9, y0=7, x1=17, y1=23)
    >>> snap_box(Box(0, 0, 30, 10), multiple=8, extent=Extent(30, 40))
    Box(x0=0, y0=0, x1=30, y1=16)
    """
    m = _check_int("multiple", multiple, low=1)
    box = clip_box(box, extent)
    x0, x1 = _snap_span(box.x0, box.x1, m, extent.width)
    y0, y1 = _snap_span(box.y0, box.y1, m, extent.height)
    return Box(x0, y0, x1, y1)


def scale_extent_to(extent: Extent, *, longest: int, multiple: int) -> Extent:
    """Scale ``extent`` so its longer side is ``longest``, keeping the aspect ratio.

    Both sides are rounded to the nearest multiple of ``multiple`` (at least one multiple),
    so the longer side is ``longest`` exactly when ``longest`` is itself a multiple.

    >>> scale_extent_to(Extent(1000, 500), longest=512, multiple=8)
    Extent(width=512, height=256)
    >>> scale_extent_to(Extent(30, 200), longest=64, multiple=8)
    Extent(width=8, height=64)
    """
    n = _check_int("longest", longest, low=1)
    m = _check_int("multiple", multiple, low=1)
    if extent.width <= 0 or extent.height <= 0:
        raise InvalidParameterError(f"cannot scale an empty extent {extent}")
    factor = n / max(extent.width, extent.height)

    def snap(side: float) -> int:
        return max(m, round(side / m) * m)

    return Extent(snap(extent.width * factor), snap(extent.height * factor))


def mask_bbox(mask: np.ndarray, *, threshold: float = 0.0) -> Box | None:
    """Tight box around the pixels with ``mask > threshold``; ``None`` when there are none.

    >>> m = np.zeros((6, 8), np.float32); m[2:4, 3:7] = 0.5
    >>> mask_bbox(m)
    Box(x0=3, y0=2, x1=7, y1=4)
    >>> mask_bbox(m, threshold=0.5) is None
    True
    """
    if mask.ndim != 2:
        raise InvalidMaskError(
            f"mask must be a 2-D H×W array, got shape {mask.shape}; "
            "pass a single-channel mask (e.g. mask[..., 0])"
        )
    if threshold == 0:
        # Integer row and column maxima: one pass, several times faster than mask > 0.
        box, decided = _fast_box(mask, upper=np.inf)
        if decided:
            return box
    return _selected_box(mask > threshold)
