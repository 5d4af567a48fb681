"""Make masks from geometry: boxes, polygons, brush strokes and COCO run-length encodings.

Every function returns a new float32 ``H×W`` array in [0, 1] (1 = regenerate). Sizes are
``(width, height)`` like :class:`~inpaintkit.types.Extent`; coordinates are ``(x, y)``.

Coordinate conventions differ on purpose, each following the format it reads:

* boxes are half-open pixel ranges, exactly like :class:`~inpaintkit.types.Box`;
* polygon vertices follow OpenCV: ``(x, y)`` is the *centre* of column ``x``, row ``y``,
  and pixels on the outline are filled, so the polygon through the centres of a box's
  corner pixels covers exactly that box;
* stroke points are continuous canvas coordinates (what a browser pointer event gives):
  pixel ``(col, row)`` spans ``[col, col + 1) × [row, row + 1)`` and is sampled at its centre;
* RLE follows COCO: column-major runs that start with a run of zeros.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import cv2
import numpy as np

from inpaintkit.convert import SCALES
from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.types import Box, Extent

__all__ = [
    "Stroke",
    "mask_from_boxes",
    "mask_from_polygons",
    "mask_from_rle",
    "mask_from_strokes",
    "mask_to_rle",
]

# Coordinates beyond this would overflow OpenCV's int32 fixed-point polygon filler.
_MAX_COORD = 2**21
_POLY_SHIFT = 8


class Stroke(NamedTuple):
    """One brush stroke: a polyline of ``(x, y)`` points painted with a round brush.

    ``softness`` in [0, 1] is the fraction of the radius (measured inward from the rim)
    over which the brush fades from 1 to 0; 0 is a hard brush. As a mapping (a JSON
    object) a stroke may give the brush's ``width`` (its diameter, what a canvas calls
    ``lineWidth``) instead of its ``radius``.
    """

    points: tuple[tuple[float, float], ...]
    radius: float
    softness: float = 0.0


_STROKE_EXAMPLE = '{"points": [[10, 20], [60, 25]], "radius": 6, "softness": 0.5}'


def to_extent(size: Extent | tuple[int, int]) -> Extent:
    """Check a ``(width, height)`` mask size and return it as an :class:`Extent`."""
    try:
        width, height = size
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"size must be (width, height), got {size!r}; pass e.g. Extent(640, 480)"
        ) from None
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InvalidParameterError(
                f"mask {name} must be a positive integer, got {value!r}; "
                "pass size as (width, height) in pixels"
            )
    return Extent(int(width), int(height))


def _int_coordinate(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidMaskError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value) or value != int(value):
        raise InvalidMaskError(
            f"{what} must be a whole pixel coordinate, got {value!r}; round it first"
        )
    return int(value)


def mask_from_boxes(
    size: Extent | tuple[int, int], boxes: Iterable[Box | Sequence[float]]
) -> np.ndarray:
    """Mask that is 1 inside the union of half-open boxes ``(x0, y0, x1, y1)``.

    Boxes partly outside the canvas are clipped; an inverted or empty box is an error.

    >>> m = mask_from_boxes((4, 3), [Box(1, 0, 3, 2)])
    >>> m.astype(int).tolist()
    [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    extent = to_extent(size)
    mask = np.zeros((extent.height, extent.width), dtype=np.float32)
    for index, box in enumerate(boxes):
        if isinstance(box, str | bytes) or not isinstance(box, Sequence) or len(box) != 4:
            raise InvalidMaskError(
                f"box {index} must be (x0, y0, x1, y1), got {box!r}; pass four pixel coordinates"
            )
        x0, y0, x1, y1 = (_int_coordinate(v, f"box {index} coordinate") for v in box)
        if x1 <= x0 or y1 <= y0:
            raise InvalidMaskError(
                f"box {index} {(x0, y0, x1, y1)} is empty or inverted: boxes are half-open "
                "(x0, y0, x1, y1) with x1 > x0 and y1 > y0; swap or widen the corners"
            )
        # Clipping: a negative start would otherwise index from the far end of the array.
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x1, extent.width), min(y1, extent.height)
        if cx1 > cx0 and cy1 > cy0:
            mask[cy0:cy1, cx0:cx1] = 1.0
    return mask


def _polygon_points(polygon: Any, index: int) -> np.ndarray:
    try:
        points = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidMaskError(
            f"polygon {index} must be a list of [x, y] points or a flat COCO list "
            f"[x0, y0, x1, y1, ...], got {polygon!r}"
        ) from None
    if points.ndim == 1:
        if points.size % 2:
            raise InvalidMaskError(
                f"polygon {index} is a flat list with an odd number of values ({points.size}); "
                "COCO polygons are [x0, y0, x1, y1, ...]"
            )
        points = points.reshape(-1, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise InvalidMaskError(
            f"polygon {index} must be a list of [x, y] points, got shape {points.shape}"
        )
    if len(points) < 3:
        raise InvalidMaskError(
            f"polygon {index} has {len(points)} point(s); a polygon needs at least 3 "
            "(draw lines and dots as strokes instead)"
        )
    if not np.isfinite(points).all():
        raise InvalidMaskError(f"polygon {index} has NaN or infinite coordinates")
    if np.abs(points).max() > _MAX_COORD:
        raise InvalidMaskError(
            f"polygon {index} has coordinates beyond ±{_MAX_COORD}; clip it to the canvas"
        )
    return points


def mask_from_polygons(
    size: Extent | tuple[int, int], polygons: Iterable[Sequence[Sequence[float]] | Sequence[float]]
) -> np.ndarray:
    """Mask that is 1 inside the union of filled polygons.

    Each polygon is a list of ``[x, y]`` vertices (at least 3) or a flat COCO list
    ``[x0, y0, x1, y1, ...]``; vertices are pixel centres and the outline is filled.

    >>> mask_from_polygons((4, 4), [[1, 1, 2, 1, 2, 2, 1, 2]]).astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    extent = to_extent(size)
    canvas = np.zeros((extent.height, extent.width), dtype=np.uint8)
    fixed = [
        np.round(_polygon_points(polygon, index) * (1 << _POLY_SHIFT)).astype(np.int32)
        for index, polygon in enumerate(polygons)
    ]
    # One polygon at a time: fillPoly with several contours uses even-odd filling, which
    # would punch holes where polygons overlap; the mask is their union.
    for points in fixed:
        cv2.fillPoly(canvas, [points], 1, lineType=cv2.LINE_8, shift=_POLY_SHIFT)
    return canvas.astype(np.float32)


def _to_stroke(stroke: Stroke | Mapping[str, Any], index: int) -> Stroke:
    if isinstance(stroke, Mapping):
        keys = set(stroke)
        unknown = keys - {"points", "radius", "width", "softness"}
        sizes = keys & {"radius", "width"}
        if unknown or "points" not in stroke or len(sizes) != 1:
            problem = (
                f"unknown key(s) {sorted(map(str, unknown))}"
                if unknown
                else "no 'points'"
                if "points" not in stroke
                else "both 'radius' and 'width'"
                if sizes
                else "no 'radius' or 'width'"
            )
            raise InvalidMaskError(
                f"stroke {index} has {problem}; write strokes like {_STROKE_EXAMPLE} "
                "('width', the brush diameter, may replace 'radius'; 'softness' is optional)"
            )
        points, softness = stroke["points"], stroke.get("softness", 0.0)
        radius = stroke["radius"] if "radius" in stroke else _brush_radius(stroke["width"], index)
    elif isinstance(stroke, tuple) and len(stroke) in (2, 3):
        points, radius, softness = (*stroke, 0.0)[:3]
    else:
        raise InvalidMaskError(
            f"stroke {index} must be a Stroke or a mapping such as {_STROKE_EXAMPLE}, "
            f"got {stroke!r}"
        )
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidMaskError(
            f"stroke {index} points must be a list of [x, y] pairs, got {points!r}"
        ) from None
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise InvalidMaskError(
            f"stroke {index} points must be a non-empty list of [x, y] pairs, got {points!r}"
        )
    if not np.isfinite(array).all():
        raise InvalidMaskError(f"stroke {index} has NaN or infinite points")
    for name, value, low, high in (("radius", radius, 0.0, math.inf), ("softness", softness, 0, 1)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.integer | np.floating)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise InvalidParameterError(
                f"stroke {index} {name} must be a number in [{low}, {high}], got {value!r}"
            )
    if radius <= 0:
        raise InvalidParameterError(
            f"stroke {index} radius must be greater than 0 pixels, got {radius!r}"
        )
    return Stroke(tuple(map(tuple, array.tolist())), float(radius), float(softness))


def _brush_radius(width: Any, index: int) -> float:
    """The radius of a brush ``width`` pixels wide (its diameter)."""
    if (
        isinstance(width, bool)
        or not isinstance(width, int | float | np.integer | np.floating)
        or not math.isfinite(width)
        or width <= 0
    ):
        raise InvalidParameterError(
            f"stroke {index} width must be a number of pixels greater than 0, got {width!r}"
        )
    return float(width) / 2


def _paint_stroke(canvas: np.ndarray, stroke: Stroke) -> None:
    """Max-combine one stroke into ``canvas`` in place, touching only its bounding window."""
    height, width = canvas.shape
    points = np.asarray(stroke.points, dtype=np.float64)
    radius = stroke.radius
    x0 = max(math.floor(points[:, 0].min() - radius), 0)
    y0 = max(math.floor(points[:, 1].min() - radius), 0)
    x1 = min(math.ceil(points[:, 0].max() + radius) + 1, width)
    y1 = min(math.ceil(points[:, 1].max() + radius) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return
    # Exact distance from each pixel centre to the polyline, one segment at a time inside
    # the segment's own window, so cost follows the stroke's area rather than the canvas.
    distance = np.full((y1 - y0, x1 - x0), np.inf, dtype=np.float32)
    segments = itertools.pairwise(points) if len(points) > 1 else [(points[0],) * 2]
    for start, end in segments:
        sx0 = max(math.floor(min(start[0], end[0]) - radius), x0)
        sy0 = max(math.floor(min(start[1], end[1]) - radius), y0)
        sx1 = min(math.ceil(max(start[0], end[0]) + radius) + 1, x1)
        sy1 = min(math.ceil(max(start[1], end[1]) + radius) + 1, y1)
        if sx1 <= sx0 or sy1 <= sy0:
            continue
        px = np.arange(sx0, sx1, dtype=np.float32)[None, :] + 0.5 - np.float32(start[0])
        py = np.arange(sy0, sy1, dtype=np.float32)[:, None] + 0.5 - np.float32(start[1])
        dx, dy = np.float32(end[0] - start[0]), np.float32(end[1] - start[1])
        length2 = dx * dx + dy * dy
        if length2 > 0:
            t = np.clip((px * dx + py * dy) / length2, 0.0, 1.0)
            segment_distance = np.hypot(px - t * dx, py - t * dy)
        else:
            segment_distance = np.hypot(px, py)
        window = distance[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
        np.minimum(window, segment_distance, out=window)
    ramp = stroke.softness * radius
    if ramp > 0:
        value = np.clip((radius - distance) / np.float32(ramp), 0.0, 1.0)
    else:
        value = (distance <= radius).astype(np.float32)
    # A brush thinner than a pixel can miss every pixel centre; the pixels the centreline
    # passes through are always painted so no stroke silently vanishes.
    centreline = np.zeros_like(value, dtype=np.uint8)
    pixel_points = (np.floor(points) - (x0, y0)).astype(np.int32)
    cv2.polylines(centreline, [pixel_points.reshape(-1, 1, 2)], False, 1, lineType=cv2.LINE_8)
    value[centreline > 0] = 1.0
    target = canvas[y0:y1, x0:x1]
    np.maximum(target, value, out=target)


def mask_from_strokes(
    size: Extent | tuple[int, int], strokes: Iterable[Stroke | Mapping[str, Any]]
) -> np.ndarray:
    """Mask painted with round brush strokes; overlapping strokes combine with max.

    A stroke with one point is a dot. Pixels within ``radius`` of the polyline (measured
    to pixel centres) are painted; ``softness`` fades the outer ``softness * radius``.
    Strokes are :class:`Stroke` tuples or mappings with ``points``, ``radius`` (or
    ``width``, the diameter) and optionally ``softness``.

    >>> m = mask_from_strokes((5, 3), [Stroke(((0.5, 1.5), (4.5, 1.5)), radius=0.5)])
    >>> m.astype(int).tolist()
    [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]
    """
    extent = to_extent(size)
    canvas = np.zeros((extent.height, extent.width), dtype=np.float32)
    for index, stroke in enumerate(strokes):
        _paint_stroke(canvas, _to_stroke(stroke, index))
    return canvas


def _decode_counts(text: str) -> list[int]:
    """COCO's compressed RLE string to run lengths (pycocotools ``rleFrString``)."""
    counts: list[int] = []
    position = 0
    while position < len(text):
        value = 0
        shift = 0
        more = True
        while more:
            if position >= len(text):
                raise InvalidMaskError("RLE counts string ends in the middle of a number")
            char = ord(text[position]) - 48
            if not 0 <= char < 64:
                raise InvalidMaskError(
                    f"RLE counts string has an invalid character {text[position]!r}"
                )
            value |= (char & 0x1F) << shift
            more = bool(char & 0x20)
            position += 1
            shift += 5
            if not more and char & 0x10:
                value -= 1 << shift  # sign-extend
        # Counts after the third are stored as differences from the count two back.
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def _encode_counts(counts: Sequence[int]) -> str:
    """Run lengths to COCO's compressed RLE string (pycocotools ``rleToString``)."""
    chars: list[str] = []
    for index, count in enumerate(counts):
        value = int(count) - (int(counts[index - 2]) if index > 2 else 0)
        more = True
        while more:
            char = value & 0x1F
            value >>= 5
            more = value != -1 if char & 0x10 else value != 0
            if more:
                char |= 0x20
            chars.append(chr(char + 48))
    return "".join(chars)


def mask_from_rle(rle: Mapping[str, Any]) -> np.ndarray:
    """Decode a COCO RLE ``{"size": [h, w], "counts": [...] or "..."}`` to a mask.

    >>> mask_from_rle({"size": [2, 3], "counts": [1, 2, 3]}).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    """
    if not isinstance(rle, Mapping) or "size" not in rle or "counts" not in rle:
        raise InvalidMaskError(
            'RLE must be a mapping {"size": [height, width], "counts": ...} as in COCO'
        )
    try:
        height, width = (int(v) for v in rle["size"])
    except (TypeError, ValueError):
        raise InvalidMaskError(f"RLE size must be [height, width], got {rle['size']!r}") from None
    if height < 1 or width < 1:
        raise InvalidMaskError(f"RLE size must be positive, got {[height, width]}")
    raw = rle["counts"]
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    counts = _decode_counts(raw) if isinstance(raw, str) else [int(c) for c in raw]
    if any(c < 0 for c in counts):
        raise InvalidMaskError("RLE counts must not be negative; the data is corrupt")
    if sum(counts) != height * width:
        raise InvalidMaskError(
            f"RLE counts add up to {sum(counts)} pixels but size {height}×{width} has "
            f"{height * width}; check that size is [height, width] and the counts belong to it"
        )
    values = np.zeros(len(counts), dtype=np.float32)
    values[1::2] = 1.0
    flat = np.repeat(values, counts)
    return np.ascontiguousarray(flat.reshape(width, height).T)


def mask_to_rle(mask: np.ndarray, *, compress: bool = True) -> dict[str, Any]:
    """Encode a binary mask as COCO RLE; ``compress`` gives the string form of ``counts``.

    >>> mask_to_rle(np.array([[0, 1, 0], [1, 0, 0]], np.float32), compress=False)
    {'size': [2, 3], 'counts': [1, 2, 3]}
    """
    if not isinstance(mask, np.ndarray) or mask.ndim != 2 or mask.size == 0:
        raise InvalidMaskError(
            f"mask must be a non-empty H×W array, got {getattr(mask, 'shape', type(mask))}"
        )
    if mask.dtype == bool:
        binary = mask
    else:
        if np.issubdtype(mask.dtype, np.floating) and np.isnan(mask).any():
            raise InvalidMaskError("mask contains NaN; fix the values before encoding")
        full = SCALES.get(mask.dtype, 1)
        if not np.isin(mask, (0, full)).all():
            raise InvalidMaskError(
                "RLE stores binary masks but this mask has values other than 0 and 1; "
                "threshold it first (inpaintkit.mask.threshold)"
            )
        binary = mask != 0
    column_major = binary.T.ravel()
    changes = np.flatnonzero(column_major[1:] != column_major[:-1]) + 1
    bounds = np.concatenate(([0], changes, [column_major.size]))
    counts = np.diff(bounds).tolist()
    if column_major[0]:
        counts.insert(0, 0)  # COCO runs always start with zeros
    height, width = mask.shape
    return {
        "size": [int(height), int(width)],
        "counts": _encode_counts(counts) if compress else [int(c) for c in counts],
    }
