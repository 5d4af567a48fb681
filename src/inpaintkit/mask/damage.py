"""Find the damage in an old photo, by kind: the mask that ``restore`` fills.

:func:`detect_damage` is the union of the detectors for each kind (:data:`DAMAGE_KINDS`):

* ``long_scratches``: film scratches down (nearly) the whole frame, found with
  whole-frame evidence (:func:`~inpaintkit.mask.long_scratches.detect_long_scratches`,
  ``directions="vertical"``).
* ``long_lines``: long straight thin lines in any direction (the same detector with
  ``directions="any"``): about 4 times the time of the film search, and it flags more
  real structure (a wire, a long window frame), so it is not in the default set.
* ``scratches``: short scratches and dust specks
  (:func:`~inpaintkit.mask.scratches.detect_scratches`), less rows of three or more
  long parallel pieces (:func:`drop_line_patterns`: brick joints, planks, blinds).
* ``missing``: torn-off corners and edges (:func:`detect_missing`): flat near-white
  (paper) or near-black regions that touch the frame's border and end in a sharp step.

What each finds and misses is in its own docstring and in ``docs/restore.md``, with
the benchmark that measured it (``benchmarks/applications_bench.py --only restore``).
Creases have no detector of their own: their thin crack is a long line, their soft band
is not found.

>>> import numpy as np
>>> photo = np.full((120, 90, 3), 0.45, np.float32)
>>> photo[:, 40] = 0.8  # a film scratch
>>> parts = detect_damage_by_kind(photo, grow=0)
>>> sorted(parts), bool(parts["long_scratches"][:, 40].all())
(['long_scratches', 'missing', 'scratches'], True)
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from inpaintkit.convert import to_float32
from inpaintkit.errors import InvalidParameterError

__all__ = [
    "DAMAGE_KINDS",
    "DEFAULT_DAMAGE_KINDS",
    "detect_damage",
    "detect_damage_by_kind",
    "detect_missing",
    "drop_line_patterns",
    "parse_damage_kinds",
]

DAMAGE_KINDS = ("long_scratches", "long_lines", "scratches", "missing")
DEFAULT_DAMAGE_KINDS = ("long_scratches", "scratches", "missing")

# Missing regions: paper is bright and nearly grey, a black backing dark.
_PAPER_LEVEL = 0.78
_PAPER_CHROMA = 0.1
_BLACK_LEVEL = 0.1
_FLAT_STD = 0.03
# The smallest region (share of the frame) and the largest (more is the photo's own).
_MIN_AREA = 0.002
_MAX_AREA = 0.4
# The step across the region's edge: a tear is a sharp edge, a blown-out sky fades.
_MIN_STEP = 0.12
_EDGE_GROW = 2
# Patterns of long parallel lines (brick joints, planks): pieces this long, this many
# degrees apart at most, within this many px of each other.
_PATTERN_LENGTH = 40
_PATTERN_ANGLE = 8.0
_PATTERN_REACH = 60
_PATTERN_BINS = 8
_PATTERN_REMNANT = 30
# A tear's edge is one simple curve (ragged only at a px scale); flat areas of the
# scene (a black backdrop, a blown-out window) have intricate outlines. The outline's
# detail: px a 9 px opening and closing changes, per px of outline.
_MAX_DETAIL = 0.3


def detect_damage(
    image: np.ndarray,
    *,
    kinds: Iterable[str] | str = DEFAULT_DAMAGE_KINDS,
    sensitivity: float = 0.5,
    grow: int = 1,
) -> np.ndarray:
    """A float32 H×W mask (1 = damage) of the ``kinds`` of damage found in ``image``.

    ``kinds``: some of :data:`DAMAGE_KINDS` (a list, or one comma-separated string;
    ``"all"`` for every kind). ``sensitivity`` in [0, 1]: higher finds fainter damage
    and more false alarms. ``grow``: px added around each find, so the fill also
    replaces its soft edge.
    """
    parts = detect_damage_by_kind(image, kinds=kinds, sensitivity=sensitivity, grow=grow)
    union = np.zeros(image.shape[:2], np.float32)
    for part in parts.values():
        np.maximum(union, part, out=union)
    return union


def detect_damage_by_kind(
    image: np.ndarray,
    *,
    kinds: Iterable[str] | str = DEFAULT_DAMAGE_KINDS,
    sensitivity: float = 0.5,
    grow: int = 1,
) -> dict[str, np.ndarray]:
    """:func:`detect_damage`, one mask per kind (in the order of :data:`DAMAGE_KINDS`)."""
    from inpaintkit.mask.long_scratches import detect_long_scratches
    from inpaintkit.mask.scratches import _luminance, detect_scratches

    wanted = parse_damage_kinds(kinds)
    _luminance(image)  # the shape, dtype and range checks, with their messages
    parts: dict[str, np.ndarray] = {}
    for kind in DAMAGE_KINDS:
        if kind not in wanted:
            continue
        if kind == "long_scratches":
            parts[kind] = detect_long_scratches(
                image, sensitivity=sensitivity, directions="vertical", grow=grow
            )
        elif kind == "long_lines":
            parts[kind] = detect_long_scratches(
                image, sensitivity=sensitivity, directions="any", grow=grow
            )
        elif kind == "scratches":
            found = detect_scratches(image, sensitivity=sensitivity, grow=grow)
            parts[kind] = drop_line_patterns(found)
        else:
            parts[kind] = detect_missing(image, grow=grow + _EDGE_GROW)
    return parts


def drop_line_patterns(mask: np.ndarray) -> np.ndarray:
    """``mask`` less its groups of three or more long parallel pieces side by side.

    Brick joints, planks, blinds and railings are long thin lines too, but they come in
    rows at a regular spacing; scratches come alone or in twos. Pieces at least
    ``_PATTERN_LENGTH`` px long whose directions differ by at most ``_PATTERN_ANGLE``
    degrees, whose lines lie within ``_PATTERN_REACH`` px of each other and which
    overlap along their length are linked; linked groups of three or more are dropped.

    >>> mask = np.zeros((100, 100), np.float32)
    >>> for x in (20, 45, 70):
    ...     mask[10:90, x] = 1  # three parallel lines: a pattern
    >>> mask[5, 5:95] = 1  # one line alone
    >>> kept = drop_line_patterns(mask)
    >>> int(kept[50, 20] + kept[50, 45] + kept[50, 70]), int(kept[5, 50])
    (0, 1)
    """
    binary = (mask > 0.5).astype(np.uint8)
    if int(binary.sum()) < 3 * _PATTERN_LENGTH:
        return mask
    # First whole pieces; then, on what is left, pieces split by local direction, so a
    # line crossing a row of joints (and joining them into one piece) neither hides
    # the row nor goes with it.
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    gone = np.isin(labels, _pattern_members(labels, count))
    binary = (binary & ~gone).astype(np.uint8)
    smooth = cv2.GaussianBlur(binary.astype(np.float32), (0, 0), 2.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), 3.0)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), 3.0)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), 3.0)
    # Bins centred on the axes (a row of upright joints must not straddle two bins).
    step = np.pi / _PATTERN_BINS
    angle = (0.5 * np.arctan2(2 * jxy, jxx - jyy) + step / 2) % np.pi
    bins = np.minimum((angle / step).astype(np.int32), _PATTERN_BINS - 1)
    split = np.zeros(binary.shape, np.int32)
    total = 0
    for index in range(_PATTERN_BINS):
        part = (binary & (bins == index)).astype(np.uint8)
        count, part_labels = cv2.connectedComponents(part, connectivity=8)
        split = np.where(part_labels > 0, part_labels + total, split)
        total += count - 1
    members = _pattern_members(split, total + 1)
    if members:
        rows = cv2.dilate(np.isin(split, members).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        left = ((binary > 0) & ~rows).astype(np.uint8)
        # What is left of a dropped row (its crossings and ends) is small: it goes too.
        count, pieces, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
        small = stats[:, cv2.CC_STAT_AREA] < _PATTERN_REMNANT
        small[0] = False
        near = cv2.dilate(rows.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        gone |= rows | (small[pieces] & near)
    if not gone.any():
        return mask
    return np.where(gone, 0, mask).astype(np.float32)


def _pattern_members(labels: np.ndarray, count: int) -> list[int]:
    """The labels of pieces (``_PATTERN_LENGTH`` px or longer) in groups of three or more
    parallel, side-by-side pieces."""
    if count <= 3:
        return []
    found = np.nonzero(labels)
    ids = labels[found]
    order = np.argsort(ids, kind="stable")
    ids, ys, xs = ids[order], found[0][order], found[1][order]
    starts = np.searchsorted(ids, np.arange(1, count))
    stops = np.searchsorted(ids, np.arange(1, count), side="right")
    pieces = []
    for label, start, stop in zip(range(1, count), starts, stops, strict=True):
        if stop - start < 2:
            continue
        points = np.stack([xs[start:stop], ys[start:stop]], axis=1).astype(np.float64)
        extent = points.max(axis=0) - points.min(axis=0)
        if np.hypot(*extent) < _PATTERN_LENGTH:
            continue
        centre = points.mean(axis=0)
        _, _, axes = np.linalg.svd(points - centre, full_matrices=False)
        along = (points - centre) @ axes[0]
        pieces.append((label, centre, axes[0], float(along.min()), float(along.max())))
    if len(pieces) < 3:
        return []
    group = list(range(len(pieces)))

    def root(index: int) -> int:
        while group[index] != index:
            group[index] = group[group[index]]
            index = group[index]
        return index

    cos_limit = np.cos(np.radians(_PATTERN_ANGLE))
    for one in range(len(pieces)):
        _, centre, direction, low, high = pieces[one]
        normal = np.array([-direction[1], direction[0]])
        for other in range(one + 1, len(pieces)):
            _, centre2, direction2, low2, high2 = pieces[other]
            if abs(float(direction @ direction2)) < cos_limit:
                continue
            offset = centre2 - centre
            shift = float(offset @ direction)
            overlap = min(high, shift + high2) - max(low, shift + low2)
            if abs(float(offset @ normal)) <= _PATTERN_REACH and overlap > 0:
                group[root(one)] = root(other)
    roots = [root(index) for index in range(len(pieces))]
    return [pieces[i][0] for i, r in enumerate(roots) if roots.count(r) >= 3]


def parse_damage_kinds(kinds: Iterable[str] | str) -> tuple[str, ...]:
    """The kinds asked for, checked: a list or a comma-separated string, or ``"all"``.

    >>> parse_damage_kinds("missing, long_scratches")
    ('long_scratches', 'missing')
    >>> parse_damage_kinds("dust")
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: unknown damage kind 'dust': choose from ...
    """
    names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    names = [str(name).strip() for name in names if str(name).strip()]
    if names == ["all"]:
        return DAMAGE_KINDS
    if not names:
        raise InvalidParameterError(
            "no damage kinds given: choose from " + ", ".join(DAMAGE_KINDS) + " or all"
        )
    for name in names:
        if name not in DAMAGE_KINDS:
            raise InvalidParameterError(
                f"unknown damage kind {name!r}: choose from " + ", ".join(DAMAGE_KINDS) + " or all"
            )
    return tuple(kind for kind in DAMAGE_KINDS if kind in names)


def detect_missing(image: np.ndarray, *, grow: int = 3) -> np.ndarray:
    """A float32 H×W mask of torn-off corners and edges: regions of flat near-white paper
    (or near-black backing) that touch the frame's border, cover at least 0.2% and at
    most 40% of it, and end in a sharp step to the picture (a blown-out sky or a black
    night fades into the picture instead).

    Finds: paper-white (0.78 or more, nearly grey) or black (0.1 or less) tears with a
    flat inside. Misses: tears filled with textured or coloured backing, tears inside the
    frame (holes), and the part of a tear whose edge runs along an equally white or black
    area of the photo. Flags: a flat white wall or black shadow cut off sharply by the
    frame and an object.

    >>> photo = np.full((100, 100, 3), 0.4, np.float32)
    >>> photo[:30, :25] = 0.95  # the top-left corner torn off
    >>> mask = detect_missing(photo, grow=0)
    >>> bool(mask[2:28, 2:23].all()), int(mask[35:, 30:].sum())
    (True, 0)
    """
    from inpaintkit.mask.scratches import _luminance

    luminance = _luminance(image)
    height, width = luminance.shape
    values = to_float32(image)
    if values.ndim == 3 and values.shape[2] >= 3:
        rgb = values[:, :, :3]
        chroma = rgb.max(axis=2) - rgb.min(axis=2)
        lowest, highest = rgb.min(axis=2), rgb.max(axis=2)
    else:
        chroma = np.zeros_like(luminance)
        lowest = highest = luminance
    mean = cv2.blur(luminance, (5, 5))
    spread = np.sqrt(np.maximum(cv2.blur(luminance * luminance, (5, 5)) - mean * mean, 0.0))
    flat = spread <= _FLAT_STD
    paper = (lowest >= _PAPER_LEVEL) & (chroma <= _PAPER_CHROMA)
    black = highest <= _BLACK_LEVEL
    found: np.ndarray = np.zeros((height, width), np.uint8)
    frame_area = float(height * width)
    for level in (paper, black):
        region = cv2.morphologyEx((level & flat).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3)))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            touches = x <= 1 or y <= 1 or x + w >= width - 1 or y + h >= height - 1
            if not touches or not _MIN_AREA * frame_area <= area <= _MAX_AREA * frame_area:
                continue
            piece = labels[max(0, y - 8) : y + h + 8, max(0, x - 8) : x + w + 8] == label
            crop = luminance[max(0, y - 8) : y + h + 8, max(0, x - 8) : x + w + 8]
            piece_bytes = piece.astype(np.uint8)
            if (
                _edge_step(piece_bytes, crop) < _MIN_STEP
                or _outline_detail(piece_bytes) > _MAX_DETAIL
            ):
                continue
            # The flatness window misses the 2 px along the edge: take the pixels of the
            # paper's (or backing's) level there too.
            window = (slice(max(0, y - 8), y + h + 8), slice(max(0, x - 8), x + w + 8))
            rim = cv2.dilate(piece_bytes, np.ones((5, 5), np.uint8)).astype(bool) & level[window]
            found[window] |= (piece | rim).astype(np.uint8)
    if found.any():
        # The ragged edge's holes (specks of grain that failed the flatness test) too.
        found = cv2.morphologyEx(found, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    if grow:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        found = cv2.dilate(found, disc)
    return found.astype(np.float32)


def _outline_detail(piece: np.ndarray) -> float:
    """Px that a 9 px opening and closing change, per px of the piece's outline."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    smooth = cv2.morphologyEx(cv2.morphologyEx(piece, cv2.MORPH_OPEN, disc), cv2.MORPH_CLOSE, disc)
    outline = piece.astype(bool) & ~cv2.erode(piece, np.ones((3, 3), np.uint8)).astype(bool)
    return float((smooth != piece).sum()) / max(int(outline.sum()), 1)


def _edge_step(piece: np.ndarray, luminance: np.ndarray) -> float:
    """The median step in luminance from just inside ``piece`` to 3–5 px outside it,
    along the part of its edge that is not the frame's border."""
    inner = piece.astype(bool) & ~cv2.erode(piece, np.ones((3, 3), np.uint8)).astype(bool)
    outer = cv2.dilate(piece, np.ones((11, 11), np.uint8)).astype(bool) & ~cv2.dilate(
        piece, np.ones((7, 7), np.uint8)
    ).astype(bool)
    if not inner.any() or not outer.any():
        return 0.0
    return abs(float(np.median(luminance[inner])) - float(np.median(luminance[outer])))
