"""Seeded synthetic masks for benchmarks and tests, after LaMa's evaluation protocol.

LaMa (Suvorov et al. 2022) scores inpainting on random masks of three stroke widths
("thin", "medium", "thick") plus random boxes. Its generator draws random polylines:
each stroke starts at a random pixel and takes 1–5 segments with a random angle, length
and brush width (``saicinpainting/training/data/masks.py``); its 512-pixel evaluation
configs set the limits used here. Limits are given for a 512-pixel image and scaled by
``min(width, height) / 512``, so a mask looks the same at any resolution. Like LaMa's
``hole_range``, a draw whose coverage falls outside ``(0, 0.7]`` is discarded and drawn
again from the same generator, so the result is still a pure function of the seed.

>>> from inpaintkit.types import Extent
>>> m = random_mask(Extent(64, 48), kind="box", seed=1)
>>> m.shape, m.dtype, bool(m.any())
((48, 64), dtype('float32'), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import cv2
import numpy as np

from inpaintkit.errors import InvalidParameterError
from inpaintkit.mask.create import to_extent
from inpaintkit.types import Box, Extent

__all__ = ["MaskKind", "coverage_range", "object_mask", "random_mask"]

MaskKind = Literal["thin", "medium", "thick", "box"]
_KINDS: tuple[str, ...] = get_args(MaskKind)

_REFERENCE_SIDE = 512
# LaMa keeps evaluation masks whose hole covers at most 70% of the image.
_MAX_COVERAGE = 0.7
_MAX_ATTEMPTS = 100


@dataclass(frozen=True)
class _Strokes:
    min_times: int
    max_times: int
    max_width: int
    max_len: int
    max_angle: int = 4


@dataclass(frozen=True)
class _Boxes:
    min_times: int
    max_times: int
    min_size: int
    max_size: int
    margin: int


@dataclass(frozen=True)
class _Recipe:
    strokes: _Strokes | None
    boxes: _Boxes | None
    box_probability: float


# LaMa's random_{thin,medium,thick}_512 evaluation configs. "box" has no config of its
# own there; it uses the box generator of the thick config alone, a few more times.
_RECIPES: dict[str, _Recipe] = {
    "thin": _Recipe(_Strokes(4, 70, 20, 100), None, 0.0),
    "medium": _Recipe(_Strokes(4, 10, 100, 200), _Boxes(1, 5, 30, 150, 0), 0.3),
    "thick": _Recipe(_Strokes(1, 5, 250, 450), _Boxes(1, 4, 30, 150, 10), 0.3),
    "box": _Recipe(None, _Boxes(1, 5, 30, 150, 10), 1.0),
}


def coverage_range(kind: MaskKind) -> tuple[float, float]:
    """The fraction of the image a mask of ``kind`` may cover: ``(low, high]``.

    >>> coverage_range("thin")
    (0.0, 0.7)
    """
    _check_kind(kind)
    return (0.0, _MAX_COVERAGE)


def _check_kind(kind: object) -> str:
    if kind not in _KINDS:
        raise InvalidParameterError(
            f"mask kind must be one of {', '.join(map(repr, _KINDS))}, got {kind!r}"
        )
    return str(kind)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(
            f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=0"
        )
    return int(seed)


def _scaled(value: int, scale: float) -> int:
    return max(1, round(value * scale))


def _draw_strokes(
    canvas: np.ndarray, rng: np.random.Generator, spec: _Strokes, scale: float
) -> None:
    height, width = canvas.shape
    max_len, max_width = _scaled(spec.max_len, scale), _scaled(spec.max_width, scale)
    base_len, base_width = _scaled(10, scale), _scaled(5, scale)
    for stroke in range(int(rng.integers(spec.min_times, spec.max_times + 1))):
        x, y = int(rng.integers(width)), int(rng.integers(height))
        for _ in range(1 + int(rng.integers(5))):
            # LaMa's angles are whole radians (plus 0.01), mirrored on every other stroke.
            angle = 0.01 + int(rng.integers(spec.max_angle))
            if stroke % 2 == 0:
                angle = 2 * math.pi - angle
            length = base_len + int(rng.integers(max_len))
            brush = base_width + int(rng.integers(max_width))
            end_x = int(np.clip(x + length * math.sin(angle), 0, width))
            end_y = int(np.clip(y + length * math.cos(angle), 0, height))
            cv2.line(canvas, (x, y), (end_x, end_y), 1.0, brush)
            x, y = end_x, end_y


def _draw_boxes(canvas: np.ndarray, rng: np.random.Generator, spec: _Boxes, scale: float) -> None:
    height, width = canvas.shape
    margin = _scaled(spec.margin, scale) if spec.margin else 0
    low, high = _scaled(spec.min_size, scale), _scaled(spec.max_size, scale)
    for _ in range(int(rng.integers(spec.min_times, spec.max_times + 1))):
        # Tiny images cannot honour the margin and sizes; shrink them rather than fail.
        box_w = int(rng.integers(min(low, width), min(high, width) + 1))
        box_h = int(rng.integers(min(low, height), min(high, height) + 1))
        x_low = min(margin, width - box_w)
        y_low = min(margin, height - box_h)
        x0 = int(rng.integers(x_low, max(width - margin - box_w, x_low) + 1))
        y0 = int(rng.integers(y_low, max(height - margin - box_h, y_low) + 1))
        canvas[y0 : y0 + box_h, x0 : x0 + box_w] = 1.0


def random_mask(size: Extent | tuple[int, int], *, kind: MaskKind, seed: int) -> np.ndarray:
    """A LaMa-style random mask of ``kind`` for an image of ``size`` (width, height).

    Returns float32 ``H×W`` with values in {0, 1}, never empty, covering at most 70% of
    the image; the same size, kind and seed always give the same mask.

    >>> a = random_mask((96, 64), kind="thin", seed=3)
    >>> b = random_mask((96, 64), kind="thin", seed=3)
    >>> bool((a == b).all() and 0 < a.mean() <= 0.7)
    True
    """
    extent = to_extent(size)
    recipe = _RECIPES[_check_kind(kind)]
    rng = np.random.default_rng(_check_seed(seed))
    scale = min(extent.width, extent.height) / _REFERENCE_SIDE
    canvas = np.zeros((extent.height, extent.width), np.float32)
    for _ in range(_MAX_ATTEMPTS):
        canvas[:] = 0.0
        if recipe.strokes is not None:
            _draw_strokes(canvas, rng, recipe.strokes, scale)
        if recipe.boxes is not None and rng.random() < recipe.box_probability:
            _draw_boxes(canvas, rng, recipe.boxes, scale)
        coverage = float(canvas.mean())
        if 0.0 < coverage <= _MAX_COVERAGE:
            return canvas
    # Only reachable for degenerate sizes (a 1×1 image is either empty or 100% covered).
    raise InvalidParameterError(
        f"could not draw a {kind!r} mask covering (0, {_MAX_COVERAGE}] of a {extent} image "
        f"in {_MAX_ATTEMPTS} tries; use an image of at least 8×8 pixels"
    )


def object_mask(
    size: Extent | tuple[int, int],
    *,
    box: Box,
    shape: Literal["box", "ellipse"] = "box",
) -> np.ndarray:
    """A mask of one object: ``box`` filled, or the ellipse inscribed in it.

    >>> m = object_mask((8, 6), box=Box(2, 1, 5, 3))
    >>> int(m.sum()), m[1:3, 2:5].min()
    (6, np.float32(1.0))
    """
    extent = to_extent(size)
    if shape not in ("box", "ellipse"):
        raise InvalidParameterError(f"shape must be 'box' or 'ellipse', got {shape!r}")
    try:
        x0, y0, x1, y1 = (int(v) for v in box)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"box must be Box(x0, y0, x1, y1), got {box!r}") from None
    box = Box(x0, y0, x1, y1)
    if box.is_empty or x0 < 0 or y0 < 0 or x1 > extent.width or y1 > extent.height:
        raise InvalidParameterError(
            f"box {tuple(box)} must be non-empty and inside the {extent} image; "
            "clip it with inpaintkit.prepare.geometry.clip_box"
        )
    mask = np.zeros((extent.height, extent.width), np.float32)
    if shape == "box":
        mask[box.slices] = 1.0
        return mask
    # Pixel centres inside the ellipse inscribed in the half-open box.
    rows = (np.arange(y0, y1, dtype=np.float64) + 0.5 - (y0 + y1) / 2) / (box.height / 2)
    cols = (np.arange(x0, x1, dtype=np.float64) + 0.5 - (x0 + x1) / 2) / (box.width / 2)
    mask[box.slices] = (rows[:, None] ** 2 + cols[None, :] ** 2 <= 1.0).astype(np.float32)
    return mask
