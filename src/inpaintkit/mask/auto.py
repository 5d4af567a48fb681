"""Masks without painting: from a box, from clicks, the salient object, or a prompt.

Every function takes the photo in any form :func:`inpaintkit.imageio.load_image`
reads (a path, bytes, a PIL image, or a uint8/uint16/float array H×W, H×W×3 or
H×W×4) and returns a new float32 H×W mask in {0, 1} (1 = the object, the part to
regenerate) of the photo's size. Refine it (grow, feather) with
:func:`~inpaintkit.mask.refine_mask` and check it with :func:`~inpaintkit.mask.lint_mask`
like any other mask.

* :func:`mask_from_box`: GrabCut (OpenCV) refined to the object inside a box.
* :func:`mask_from_points`: clicks on the object (and optionally on the background):
  ``method="grow"`` is a marker watershed from the clicks, ``method="grabcut"`` is
  GrabCut seeded with the clicks (the grown region as its first guess) over the whole
  photo, ``method="local"`` the same in windows of several sizes around the clicks,
  keeping the object found at the most scales with a strong outline (the thing under
  the click);
  ``"auto"`` picks the one that scored best on the labelled set of
  ``benchmarks/applications_bench.py --only masks`` (see :data:`AUTO_POINTS_METHOD`).
* :func:`salient_mask`: the photo's main object, by U²-Net-p (ONNX, fetched once with
  ``inpaintkit models fetch u2netp``); needs the ``[onnx]`` extra.
* :func:`prompted_mask`: SAM from points or a box, CLIPSeg from text, with weights the
  user supplies (a local folder or a hub id); needs the ``[segment]`` extra.

GrabCut and the watershed work on a copy of the photo shrunk to at most
:data:`WORKING_SIDE` pixels on its long side (their cost grows with the pixel count);
the mask is scaled back with linear interpolation and thresholded, so its edge is
smooth at full size but placed only to about one working pixel (a few pixels on a large
photo): grow it by that much before a removal. OpenCV's
GrabCut initialises its colour models with k-means from OpenCV's global random number
generator: it is seeded (0) before each call, so the same input gives the same mask.

An empty result is an :class:`~inpaintkit.errors.EmptyMaskError` that says what to try.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import cv2
import numpy as np

from inpaintkit.errors import NAME_ONLY, EmptyMaskError, InvalidInputError, InvalidParameterError
from inpaintkit.types import Box

__all__ = [
    "AUTO_POINTS_METHOD",
    "LOCAL_AGREEMENT",
    "LOCAL_WINDOWS",
    "POINT_METHODS",
    "SPECK_FRACTION",
    "WORKING_SIDE",
    "mask_from_box",
    "mask_from_points",
    "prompted_mask",
    "salient_mask",
]

WORKING_SIDE = 400
"""GrabCut and the watershed run on the photo (or the box's surroundings) shrunk to at
most this many pixels on the long side."""

PointMethod = Literal["auto", "grabcut", "grow", "local"]
POINT_METHODS = ("auto", "grabcut", "grow", "local")
AUTO_POINTS_METHOD: Literal["grabcut", "grow", "local"] = "local"
"""What ``method="auto"`` means for :func:`mask_from_points`: the method with the highest
mean and lowest IoU on the composites of the labelled set (``benchmarks/_apps_masks.py``,
one and three clicks; on par with ``"grabcut"`` on the real photos), and the one that
gives the spoon, not the saucer it lies on, for one click on the bundled example."""

LOCAL_WINDOWS = (0.08, 0.12, 0.18, 0.27, 0.4, 0.6)
"""``method="local"``: the half-sizes of the windows around the clicks, as fractions of
the working photo's long side; each window gives one candidate object."""

LOCAL_AGREEMENT = 0.85
"""``method="local"``: two candidates agree when their IoU is at least this. A candidate
many agree with is the same object across scales; with a strong outline, it wins."""

SPECK_FRACTION = 0.01
"""A salient part smaller than this fraction of the largest one is dropped as a speck."""

_GC_FOREGROUND = (cv2.GC_FGD, cv2.GC_PR_FGD)


# ---------------------------------------------------------------- the edge: checked input


def _photo_uint8(image: Any) -> np.ndarray:
    """The photo as a contiguous uint8 RGB array (what OpenCV's GrabCut takes)."""
    from inpaintkit.convert import from_float, to_float32
    from inpaintkit.imageio import load_image

    pixels = load_image(image, copy=False).pixels
    if pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels)
    return np.ascontiguousarray(from_float(to_float32(pixels), np.uint8))


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return int(value)
        raise InvalidInputError(f"{what} must be whole pixel numbers, got {value!r}")
    return int(value)


def _checked_box(box: Any, height: int, width: int) -> Box:
    """``box`` as a :class:`Box` clipped to the photo; an error if nothing of it is on it."""
    if isinstance(box, str) or not isinstance(box, Sequence) or len(box) != 4:
        raise InvalidInputError(
            f"a box is four numbers (x0, y0, x1, y1), got {box!r}; e.g. (40, 30, 200, 180)"
        )
    x0, y0, x1, y1 = (_whole(v, "box coordinates") for v in box)
    if x1 <= x0 or y1 <= y0:
        raise InvalidInputError(
            f"box ({x0}, {y0}, {x1}, {y1}) is empty: x1 must be greater than x0 and y1 "
            "greater than y0 (corners are top-left and bottom-right, x1 and y1 exclusive)"
        )
    clipped = Box(max(x0, 0), max(y0, 0), min(x1, width), min(y1, height))
    if clipped.is_empty:
        raise InvalidInputError(
            f"box ({x0}, {y0}, {x1}, {y1}) lies outside the {width}×{height} photo; draw "
            f"it on the photo (0 ≤ x < {width}, 0 ≤ y < {height})"
        )
    if clipped.width < 4 or clipped.height < 4:
        raise InvalidInputError(
            f"box {tuple(clipped)} is {clipped.width}×{clipped.height} px on the photo, too "
            "small to find an object in; draw a box around the whole object"
        )
    return clipped


def _checked_points(points: Any, height: int, width: int, what: str) -> list[tuple[int, int]]:
    if isinstance(points, str) or not isinstance(points, Sequence | np.ndarray):
        raise InvalidInputError(f"{what} must be a list of (x, y) pairs, got {points!r}")
    checked = []
    for point in points:
        if (
            isinstance(point, str)
            or not isinstance(point, Sequence | np.ndarray)
            or len(point) != 2
        ):
            raise InvalidInputError(f"{what} must be (x, y) pairs, got {point!r} in {what}")
        x, y = (_whole(v, f"{what} coordinates") for v in point)
        if not (0 <= x < width and 0 <= y < height):
            raise InvalidInputError(
                f"point ({x}, {y}) in {what} is outside the {width}×{height} photo; click on "
                f"the photo (0 ≤ x < {width}, 0 ≤ y < {height})"
            )
        checked.append((x, y))
    return checked


def _checked_iterations(iterations: Any) -> int:
    if isinstance(iterations, bool) or not isinstance(iterations, int) or not 1 <= iterations <= 50:
        raise InvalidParameterError(
            f"{{iterations}} must be a whole number from 1 to 50, got {iterations!r}; "
            "5 is usually enough",
            options={"iterations": NAME_ONLY},
        )
    return iterations


def _finished(mask: np.ndarray, hint: str) -> np.ndarray:
    """The mask as float32 {0, 1}; an :class:`EmptyMaskError` with ``hint`` if empty."""
    result = (mask > 0).astype(np.float32)
    if not result.any():
        raise EmptyMaskError(f"found no object: {hint}")
    return result


# ---------------------------------------------------------------- shared pixel helpers


def _scale_for(width: int, height: int) -> float:
    return min(1.0, WORKING_SIDE / max(width, height))


def _shrunk(pixels: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return pixels
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _enlarged(selected: np.ndarray, height: int, width: int) -> np.ndarray:
    """A working-size boolean mask back at ``height×width``, edges interpolated."""
    if selected.shape == (height, width):
        return selected
    soft = cv2.resize(selected.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return soft >= 0.5


def _largest_parts(selected: np.ndarray, *, keep: float = 0.2) -> np.ndarray:
    """The largest connected part and those at least ``keep`` times its area, holes filled."""
    return _filled(_without_specks(selected, keep=keep))


def _without_specks(selected: np.ndarray, *, keep: float) -> np.ndarray:
    """The connected parts of ``selected`` at least ``keep`` times the largest one's area."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        selected.astype(np.uint8), connectivity=8
    )
    if count <= 2:
        return selected.astype(bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return np.isin(labels, np.flatnonzero(areas >= keep * areas.max()) + 1)


def _filled(selected: np.ndarray) -> np.ndarray:
    """``selected`` with the holes it encloses filled (background = reachable from outside)."""
    padded = np.pad(selected.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 2)
    return (flood != 2)[1:-1, 1:-1]


def _grabcut(
    pixels: np.ndarray, seeds: np.ndarray, iterations: int, rect: Box | None
) -> np.ndarray:
    """GrabCut from a rectangle (``rect``) or a seed mask of GC_* labels; boolean result."""
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    labels = seeds.copy()
    cv2.setRNGSeed(0)  # k-means in GrabCut's initialisation draws from OpenCV's global RNG
    try:
        if rect is not None:
            cv2.grabCut(
                pixels,
                labels,
                (rect.x0, rect.y0, rect.width, rect.height),
                background,
                foreground,
                iterations,
                cv2.GC_INIT_WITH_RECT,
            )
        else:
            cv2.grabCut(
                pixels,
                labels,
                (0, 0, 0, 0),
                background,
                foreground,
                iterations,
                cv2.GC_INIT_WITH_MASK,
            )
    except cv2.error as error:
        raise InvalidInputError(
            "GrabCut could not separate the object from its surroundings "
            f"({str(error).strip().splitlines()[-1][:120]}); leave some background around "
            "the object (a box that does not cover the whole photo)"
        ) from None
    return np.isin(labels, _GC_FOREGROUND)


# ---------------------------------------------------------------- box


def mask_from_box(
    image: Any, box: Box | tuple[int, int, int, int], *, iterations: int = 5
) -> np.ndarray:
    """The object inside ``box`` (x0, y0, x1, y1; half-open, photo pixels), by GrabCut.

    GrabCut learns the background's colours from a margin around the box and the
    object's from inside it, then cuts along the strongest edges between them;
    ``iterations`` rounds of that (5 is usually enough). Only the box's surroundings are
    looked at (a margin of half the box's size), so the cost follows the box. The
    result keeps the largest part found (and parts at least a fifth of its size), with
    enclosed holes filled: an object to remove, not its see-through gaps. A box partly
    off the photo is clipped to it.

    >>> photo = np.full((60, 80, 3), 200, np.uint8); photo[20:40, 30:50] = (200, 30, 30)
    >>> mask = mask_from_box(photo, (25, 15, 55, 45))
    >>> int(mask.sum()), bool(mask[30, 40]), bool(mask[5, 5])
    (400, True, False)
    """
    pixels = _photo_uint8(image)
    height, width = pixels.shape[:2]
    rect = _checked_box(box, height, width)
    rounds = _checked_iterations(iterations)
    margin = max(rect.width, rect.height) // 2 + 8
    area = Box(
        max(rect.x0 - margin, 0),
        max(rect.y0 - margin, 0),
        min(rect.x1 + margin, width),
        min(rect.y1 + margin, height),
    )
    if rect == area:
        raise InvalidInputError(
            f"box {tuple(rect)} covers the whole {width}×{height} photo, so GrabCut has no "
            "background to learn from; draw the box around the object only, or use the "
            "salient-object mask"
        )
    crop = pixels[area.slices]
    scale = _scale_for(area.width, area.height)
    work = _shrunk(crop, scale)
    inner = Box(
        int((rect.x0 - area.x0) * scale),
        int((rect.y0 - area.y0) * scale),
        int(np.ceil((rect.x1 - area.x0) * scale)),
        int(np.ceil((rect.y1 - area.y0) * scale)),
    )
    seeds = np.zeros(work.shape[:2], np.uint8)
    found = _grabcut(work, seeds, rounds, inner)
    found = _largest_parts(found)
    selected = np.zeros((height, width), bool)
    selected[area.slices] = _enlarged(found, area.height, area.width)
    selected[: rect.y0] = False  # nothing outside the box the user drew
    selected[rect.y1 :] = False
    selected[:, : rect.x0] = False
    selected[:, rect.x1 :] = False
    return _finished(
        selected,
        f"GrabCut found nothing in box {tuple(rect)}; draw a bigger box that holds the "
        "whole object with a little background, or click on the object instead",
    )


# ---------------------------------------------------------------- points


def _disk_radius(height: int, width: int) -> int:
    return max(2, round(0.012 * float(np.hypot(height, width))))


def _markers(
    shape: tuple[int, int],
    positives: Sequence[tuple[int, int]],
    negatives: Sequence[tuple[int, int]],
    scale: float,
) -> np.ndarray:
    """Watershed markers at working size: 2 = object (clicks), 1 = background (the
    ``negatives`` and the photo's border, except near an object click), 0 = unknown."""
    height, width = shape
    radius = _disk_radius(height, width)
    markers = np.zeros(shape, np.int32)
    # Two pixels wide: OpenCV's watershed overwrites the outermost row and column.
    markers[:2, :] = markers[-2:, :] = 1
    markers[:, :2] = markers[:, -2:] = 1
    for x, y in positives:  # a click near the border: the object reaches it, clear it there
        centre = (min(int(x * scale), width - 1), min(int(y * scale), height - 1))
        cv2.circle(markers, centre, 4 * radius, 0, -1)
    for x, y in negatives:
        centre = (min(int(x * scale), width - 1), min(int(y * scale), height - 1))
        cv2.circle(markers, centre, radius, 1, -1)
    for x, y in positives:
        centre = (min(int(x * scale), width - 1), min(int(y * scale), height - 1))
        cv2.circle(markers, centre, radius, 2, -1)
    return markers


def _watershed(work: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """The object's region from the markers: a watershed on the smoothed photo. Its
    boundary pixels (label -1) lie on the edge's far side, so they stay background."""
    smooth = cv2.bilateralFilter(work, 9, 40, 5) if min(work.shape[:2]) >= 9 else work
    labels = markers.copy()
    cv2.watershed(cv2.cvtColor(smooth, cv2.COLOR_RGB2BGR), labels)
    return labels == 2


def _kept_at_clicks(
    selected: np.ndarray, positives: Sequence[tuple[int, int]], scale: float
) -> np.ndarray:
    """Only the connected parts of ``selected`` that hold a click, holes filled."""
    _, labels = cv2.connectedComponents(selected.astype(np.uint8), connectivity=8)
    height, width = selected.shape
    wanted = {
        int(labels[min(int(y * scale), height - 1), min(int(x * scale), width - 1)])
        for x, y in positives
    } - {0}
    if not wanted:
        return selected.astype(bool)
    return _filled(np.isin(labels, sorted(wanted)))


def _to_work(
    points: Sequence[tuple[int, int]], scale: float, height: int, width: int
) -> list[tuple[int, int]]:
    return [(min(int(x * scale), width - 1), min(int(y * scale), height - 1)) for x, y in points]


def _window_of(
    positives: Sequence[tuple[int, int]], half: int, height: int, width: int
) -> tuple[int, int, int, int]:
    """The window (x0, y0, x1, y1) reaching ``half`` px beyond the clicks, clipped; the
    whole photo when it would cover most of it (the same answer, computed once)."""
    xs = [x for x, _ in positives]
    ys = [y for _, y in positives]
    x0, y0 = max(min(xs) - half, 0), max(min(ys) - half, 0)
    x1, y1 = min(max(xs) + half + 1, width), min(max(ys) + half + 1, height)
    if (x1 - x0) * (y1 - y0) >= 0.8 * width * height:
        return (0, 0, width, height)
    return (x0, y0, x1, y1)


def _window_candidate(
    work: np.ndarray,
    positives: Sequence[tuple[int, int]],
    negatives: Sequence[tuple[int, int]],
    window: tuple[int, int, int, int],
    radius: int,
) -> np.ndarray:
    """The object in ``window`` (working pixels): a watershed from the clicks against
    the window's sides (and the negatives, and the photo's border away from the clicks),
    refined by GrabCut inside the window (the clicks sure object, those sure background).
    On the whole photo this is ``method="grabcut"``."""
    height, width = work.shape[:2]
    x0, y0, x1, y1 = window
    crop = work[y0:y1, x0:x1]
    inner = [(x - x0, y - y0) for x, y in positives]
    outer = [(x - x0, y - y0) for x, y in negatives if x0 <= x < x1 and y0 <= y < y1]
    markers = np.zeros(crop.shape[:2], np.int32)
    markers[:2, :] = markers[-2:, :] = 1
    markers[:, :2] = markers[:, -2:] = 1
    for centre in inner:  # the photo's border near a click: the object may reach it
        cv2.circle(markers, centre, 4 * radius, 0, -1)
    if x0 > 0:  # the window's own sides are background wherever they are
        markers[:, :2] = 1
    if y0 > 0:
        markers[:2, :] = 1
    if x1 < width:
        markers[:, -2:] = 1
    if y1 < height:
        markers[-2:, :] = 1
    for centre in outer:
        cv2.circle(markers, centre, radius, 1, -1)
    for centre in inner:
        cv2.circle(markers, centre, radius, 2, -1)
    grown = _watershed(crop, markers)
    seeds = np.where(grown, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    seeds[markers == 1] = cv2.GC_BGD
    seeds[markers == 2] = cv2.GC_FGD
    if np.isin(seeds, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        grown = _grabcut(crop, seeds, 5, None)
    region = np.zeros((height, width), bool)
    region[y0:y1, x0:x1] = _kept_at_clicks(grown, inner, 1.0)
    return region


def _gradient(work: np.ndarray) -> np.ndarray:
    """The colour gradient's magnitude (Sobel on the lightly smoothed Lab photo)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (0, 0), 1.0), cv2.COLOR_RGB2Lab).astype(np.float32)
    across = cv2.Sobel(lab, cv2.CV_32F, 1, 0)
    down = cv2.Sobel(lab, cv2.CV_32F, 0, 1)
    return np.sqrt((across**2 + down**2).sum(axis=2))


def _outline_strength(gradient: np.ndarray, region: np.ndarray) -> float:
    """The mean gradient along ``region``'s outline (3 px wide), over the photo's."""
    inside = region.astype(np.uint8)
    square = np.ones((3, 3), np.uint8)
    outline = cv2.dilate(inside, square) != cv2.erode(inside, square)
    if not outline.any():
        return 0.0
    return float(gradient[outline].mean()) / max(float(gradient.mean()), 1e-6)


def _iou(first: np.ndarray, second: np.ndarray) -> float:
    union = int(np.count_nonzero(first | second))
    return int(np.count_nonzero(first & second)) / union if union else 1.0


def _local(
    work: np.ndarray,
    positives: Sequence[tuple[int, int]],
    negatives: Sequence[tuple[int, int]],
) -> np.ndarray:
    """``method="local"`` at working size: one candidate per window of
    :data:`LOCAL_WINDOWS` and one from the whole photo; those smaller than eight click
    disks (a speck of texture at the click) are dropped. Each scores the number of
    candidates that agree with it (IoU at least :data:`LOCAL_AGREEMENT`: the object
    found at most scales) times the strength of its outline (the mean gradient along
    it, over the photo's); the best wins, the larger on a tie. When none is left, the
    whole photo's candidate."""
    height, width = work.shape[:2]
    radius = _disk_radius(height, width)
    least = 8.0 * np.pi * radius * radius * len(positives)  # a speck at the click: no
    found: dict[tuple[int, int, int, int], np.ndarray] = {}
    regions = []
    for share in (*LOCAL_WINDOWS, None):
        half = max(height, width) if share is None else max(8, int(share * max(height, width)))
        window = _window_of(positives, half, height, width)
        if window not in found:  # clipped to the same window as a smaller one
            found[window] = _window_candidate(work, positives, negatives, window, radius)
        regions.append(found[window])
    agree = [sum(_iou(one, other) >= LOCAL_AGREEMENT for other in regions) for one in regions]
    sizes = [int(np.count_nonzero(region)) for region in regions]
    usable = [index for index, size in enumerate(sizes) if size >= least]
    if not usable:  # only the clicks everywhere: the whole photo's answer ("grabcut")
        return regions[-1]
    gradient = _gradient(work)
    score = {index: agree[index] * _outline_strength(gradient, regions[index]) for index in usable}
    best = max(usable, key=lambda index: (score[index], sizes[index]))
    return regions[best]


def mask_from_points(
    image: Any,
    points: Sequence[tuple[int, int]],
    *,
    negatives: Sequence[tuple[int, int]] = (),
    method: str = "auto",
) -> np.ndarray:
    """The object under the clicks ``points`` (x, y), not reaching the ``negatives``.

    ``method``: ``"grow"`` floods outward from the clicks (a marker watershed on the
    smoothed photo; the photo's border and the negative clicks flood as background) and
    stops where the two floods meet, at the strongest edges between them.
    ``"grabcut"`` starts from that region and lets GrabCut's colour models move the
    outline (the clicks stay object; the negatives, and the border away from the clicks,
    background). ``"local"`` looks for the thing under the click rather than the
    largest region around it: it does the same in windows of several sizes around the
    clicks (:data:`LOCAL_WINDOWS`, the window's sides as background) and on the whole
    photo, and keeps the candidate found at the most scales (:data:`LOCAL_AGREEMENT`)
    weighed by how strong its outline is, so a spoon lying on a saucer stays the spoon;
    it costs several GrabCuts (about a second at :data:`WORKING_SIDE`). ``"auto"`` is
    :data:`AUTO_POINTS_METHOD`. The parts that hold a click are kept, holes filled.

    >>> photo = np.full((60, 80, 3), 200, np.uint8); photo[20:40, 30:50] = (200, 30, 30)
    >>> mask = mask_from_points(photo, [(40, 30)], method="grow")
    >>> inside, outside = mask[20:40, 30:50].sum(), mask.sum() - mask[20:40, 30:50].sum()
    >>> round(float(inside) / 400, 2), float(outside)
    (1.0, 0.0)
    """
    if method not in POINT_METHODS:
        raise InvalidParameterError(
            f"{{method}} must be one of {', '.join(POINT_METHODS)}, got {method!r}",
            options={"method": NAME_ONLY},
        )
    chosen = AUTO_POINTS_METHOD if method == "auto" else method
    pixels = _photo_uint8(image)
    height, width = pixels.shape[:2]
    positives = _checked_points(points, height, width, "points")
    if not positives:
        raise InvalidInputError("no points: click at least once on the object")
    background = _checked_points(negatives, height, width, "negatives")
    clash = set(positives) & set(background)
    if clash:
        raise InvalidInputError(
            f"point {sorted(clash)[0]} is both on the object and on the background; "
            "click each place once"
        )
    scale = _scale_for(width, height)
    work = _shrunk(pixels, scale)
    if chosen == "local":
        work_height, work_width = work.shape[:2]
        local = _local(
            work,
            _to_work(positives, scale, work_height, work_width),
            _to_work(background, scale, work_height, work_width),
        )
        return _finished(
            _enlarged(local, height, width),
            "the clicks did not single out a region; click on the object's middle, add "
            "background clicks around it, or draw a box",
        )
    markers = _markers(work.shape[:2], positives, background, scale)
    grown = _watershed(work, markers)
    if chosen == "grabcut":
        # The grown region is GrabCut's first guess; the clicks are certain object, the
        # negatives and the border (away from the clicks) certain background.
        seeds = np.where(grown, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        seeds[markers == 1] = cv2.GC_BGD
        seeds[markers == 2] = cv2.GC_FGD
        if np.isin(seeds, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():  # else nothing to learn from
            grown = _grabcut(work, seeds, 5, None)
    found = _kept_at_clicks(grown, positives, scale)
    return _finished(
        _enlarged(found, height, width),
        "the clicks did not single out a region; click on the object's middle, add "
        "background clicks around it, or draw a box",
    )


# ---------------------------------------------------------------- models


def salient_mask(image: Any, *, model: str | None = None, threshold: float = 0.5) -> np.ndarray:
    """The photo's main object, by U²-Net-p (``model``: another ``.onnx`` file of the
    same family, default the fetched ``u2netp``), thresholded at ``threshold``. Specks
    (parts under :data:`SPECK_FRACTION` of the largest part's area) are dropped; holes
    are kept (a cup's handle has one).

    Needs the ``[onnx]`` extra and the model fetched once with
    ``inpaintkit models fetch u2netp``.
    """
    from inpaintkit.mask.auto_models import salient_probability

    level = _checked_threshold(threshold)
    probability = salient_probability(image, model=model)
    return _finished(
        _without_specks(probability >= level, keep=SPECK_FRACTION),
        f"no part of the photo scored {level:g} or more as salient; lower the threshold "
        "or draw a box around the object",
    )


def _checked_threshold(threshold: Any) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 < float(threshold) < 1.0
    ):
        raise InvalidParameterError(
            f"{{threshold}} must be a number between 0 and 1 (exclusive), got {threshold!r}",
            options={"threshold": NAME_ONLY},
        )
    return float(threshold)


def prompted_mask(
    image: Any,
    *,
    model: str,
    points: Sequence[tuple[int, int]] = (),
    negatives: Sequence[tuple[int, int]] = (),
    box: Box | tuple[int, int, int, int] | None = None,
    text: str | None = None,
    threshold: float = 0.5,
) -> np.ndarray:
    """The object a prompt names, by a segmentation model the user supplies.

    ``model`` is a local folder saved with ``save_pretrained`` or a hub id (loaded only
    from the local cache when offline). A SAM model (``SamModel``) takes ``points``
    (with ``negatives``) and/or a ``box``; a CLIPSeg model
    (``CLIPSegForImageSegmentation``) takes ``text``. The model's probability is
    thresholded at ``threshold``. Needs the ``[segment]`` extra (torch, transformers).
    """
    from inpaintkit.mask.auto_models import prompted_probability

    level = _checked_threshold(threshold)
    pixels = _photo_uint8(image)
    height, width = pixels.shape[:2]
    positives = _checked_points(points, height, width, "points")
    background = _checked_points(negatives, height, width, "negatives")
    rect = _checked_box(box, height, width) if box is not None else None
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise InvalidInputError(f"text must be a non-empty description, got {text!r}")
    probability = prompted_probability(
        pixels, model=model, points=positives, negatives=background, box=rect, text=text
    )
    return _finished(
        probability >= level,
        f"the model scored no pixel {level:g} or more for the prompt; lower the threshold, "
        "or describe or point at the object differently",
    )
