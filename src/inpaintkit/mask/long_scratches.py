"""Find long film scratches and long straight lines with whole-frame evidence.

A film scratch runs (nearly) the whole height of the frame, nearly vertical, 1–3 px
wide, bright or dark, its contrast fading in and out. Locally it looks like any thin
ridge of the scene; over the whole frame almost nothing else stays thin, of one
polarity and in one place for that long. So instead of judging each stretch by
itself, this module collects the evidence along the whole length:

1. **Shear, do not rotate.** For each direction searched, the rows of the luminance
   are shifted by whole pixels so that lines of that direction become vertical
   (lines within 45° of horizontal: the transposed picture). Shifting whole pixels
   keeps a 1 px line's full contrast, which an interpolated rotation would halve.
2. **A thin ridge across x.** A horizontal top-hat (bright) or black-hat (dark) with a
   ``2 · max_width + 1`` px kernel: a vertical line narrower than the kernel answers, an
   edge (one side brighter) does not.
3. **Bands and a best path.** The ridge (in colour photos scaled by the share of
   its contrast the weakest channel shows: damage is neutral) is averaged over bands of
   16 rows, per column (max over 3 columns, for the wander within a band); in the
   film search the ridge is taken of the rows averaged over 16 first, so texture
   (grass, gravel) averages out while a line standing vertical keeps its contrast. Each
   band-column gets a score in [-1, 1]: how far its mean ridge clears a level, the
   larger of a floor (set by ``sensitivity``) and the mean plus twice the standard
   deviation of the columns 5 to 20 px around it (the line's own left out): on busy
   detail only a clearly stronger line counts. A dynamic programme finds the
   best-scoring run of bands in which the path moves at most one column per band, at
   a small cost per step; unsupported bands cost, so a run of real support with short
   gaps wins and scattered texture does not. The best path is taken, its columns
   blocked, and the search repeats (up to 12 paths per shear and polarity).
4. **Straight and long enough.** A robust straight line is fitted to the path (bands
   within 4 px of it), so a path that hopped onto a parallel line for a while is judged
   without the hop. It is kept when the line's bands span ``min_length`` of the frame
   (the height for film scratches; the long side for lines) and 60% of them support
   it (film: with a mean band score of 0.25 or more, so a path picking barely positive
   bands out of averaged texture is not one, and a path score of 0.4 per band of the
   length needed); lines of half that length and support are traced too, as possible
   members of a pattern (below), but not drawn.
5. **Trace it.** Row by row, the column within 4 px of the straight line where the
   ridge (averaged over 9 rows) is strongest; the rows where it clears 0.3 of the
   path's median contrast are the scratch (gaps of up to 24 rows closed, so a fading
   stretch stays attached), drawn as wide as the ridge is. Past the path's own run the
   line is followed straight to the frame's ends: a scratch that crosses something it
   cannot show on (bright metal) continues, and stretches there of 48 rows or more
   with 80% support are kept.
6. **Tests on the lines.** Copies of one line found at neighbouring shears are merged
   (the best-supported stays). A line of the other polarity within ``2 · max_width + 2``
   px of a stronger one is its echo (the valley between a bright scratch and bright
   detail beside it, the shaded side of a lit rod) and goes, except (film) when its
   distance to a member of a pattern drifts by more than 3 px along the rows (a dark
   scratch crossing a fan of bright brick joints). Three or more parallel lines of one
   polarity each within 45 px of the next are a pattern of the scene (brick joints,
   blinds, a fence) and all go; for film only lines scoring at least half the group's
   strongest count (a pattern repeats lines of like strength: two strong scratches
   beside a faint third are none). Film scratches must tilt less than tan
   0.08 (±4.6°); lines in any direction whose two sides differ on average by more than
   half their own contrast run along a boundary of the scene (a shelf, a flag's edge)
   and go.

``directions="vertical"`` searches shears of tan −0.08 to 0.08 (steps of 0.04), the
film case; ``"any"`` searches all directions (26 shears in each of the two families).
A photo larger than 1600 px on its long side is searched on a copy shrunk by a whole
factor (a 4K frame: 0.7 s).

Finds: film scratches over most of the frame's height, 1–5 px wide, contrast about
0.06 or more where visible, also across busy detail and with long faded stretches;
long straight lines in any direction over about half the frame's long side. Misses:
scratches shorter than ``min_length`` (that is :func:`~inpaintkit.mask.detect_scratches`'
job), sharply curved ones, the stretches of a scratch lost in clipping (invisible there
anyway), two scratches within a few px of each other (taken as one), lines that
change polarity along their length (each half must be long enough alone), the
faintest scratches on busy texture (grass, gravel), a scratch lying on a joint of a row
of joints (taken for the joint) and a faint scratch right beside a strong lone line of
the other polarity (taken for its echo). Flags: real long thin straight
structures of one polarity (a mast, a pole, a tower's leg, a wire, a long window
frame) that are not one of a row of parallel lines. The record of how it was built
and measured is the seventh, eighth and ninth attempts in ``docs/scratch-detection.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from inpaintkit.errors import InvalidParameterError

__all__ = ["LongScratchDirections", "detect_long_scratches"]

LongScratchDirections = Literal["vertical", "any"]

_BAND = 16
# Film: the band evidence is the thin ridge of the picture averaged over this many rows
# (in the sheared frame): texture (grass, gravel, brick grain) averages out along the
# rows, a line standing vertical there keeps its contrast.
_EVIDENCE_ROWS = 16
# Shear steps in tan(angle); the path's one-column-per-band freedom covers 1/16.
_TAN_STEP = 0.08
_FILM_TAN = 0.08
_CLUTTER_COLUMNS = 41
_CLUTTER_HOLE = 9
_CLUTTER_FACTOR = 2.0
# The ridge floor at sensitivity 1 and its rise as sensitivity falls.
_FLOOR_BASE = 0.012
_FLOOR_SLOPE = 0.03
# A path must hold this share of supported bands over its run.
_SUPPORT = 0.6
# Film: a strong line also needs this mean band score over its run (over averaged
# texture band scores hover about 0 and a wandering path finds many barely positive
# ones) ...
_MIN_MEAN_SCORE = 0.25
# ... and a best path scoring this much per band of the length needed (a faint shelf
# post or a body's dark edge in busy detail scores about 0.35).
_MIN_PATH_SCORE = 0.4
_PATH_LIMIT = 12
# Lines of this share of the length and support count as partners of a pattern.
_WEAK_SHARE = 0.5
# What a one-column step of the path costs, in band scores: a path stays straight
# unless the evidence bends it.
_MOVE_COST = 0.1
# Rows traced: a pixel joins where its ridge clears this share of the path's median.
_TRACE_SHARE = 0.3
_TRACE_FLOOR = 0.015
_GAP_ROWS = 24
_MIN_RUN_ROWS = 12
# Rows of parallel lines (brick joints, blinds), each within this many px of the next:
# scene, not damage.
_PARTNER_REACH = 45
_PARTNERS = 2
_PARTNER_TILT = 0.1
# Film: a pattern repeats lines of like strength (brick joints score alike); a line
# counts towards one only when it scores at least this share of its group's strongest,
# so two strong scratches a few dozen px apart beside a faint third are no pattern.
_PATTERN_SIMILAR = 0.5
# Film: a line of the other polarity beside a member of a pattern is not its echo when
# their distance varies by more than this (10th to 90th percentile, px): an echo keeps
# its distance all along, a scratch crossing a fan of brick joints does not.
_ECHO_DRIFT = 3.0
_SAME_LINE = 4
# How far a scratch wanders off a straight line, px.
_WANDER = 4
# The side difference is averaged over this many px beyond the line's edge.
_SIDE_WIDTH = 6
# Lines in any direction: a mean side difference above this share of the line's own
# contrast marks a boundary of the scene.
_SIDE_LIMIT = 0.5
# A stretch found past the path's own run must be this long to be kept.
_MIN_EXTENSION_ROWS = 48
_EXTENSION_SUPPORT = 0.8
# Analysis size: larger photos are shrunk by a whole factor (ridge max-pooled).
_WORKING_SIDE = 1600


@dataclass
class _Path:
    """A line found at one shear: its rows (first to last supported band) and the
    straight line ``column = slope · row + intercept`` through it, sheared frame."""

    polarity: str
    tan: float
    first_row: int
    last_row: int
    slope: float
    intercept: float
    score: float
    strong: bool


def detect_long_scratches(
    image: np.ndarray,
    *,
    sensitivity: float = 0.5,
    directions: LongScratchDirections = "vertical",
    min_length: float | None = None,
    max_width: int = 4,
    grow: int = 1,
) -> np.ndarray:
    """A float32 H×W mask (1 = damage) of long scratches running across ``image``.

    ``image``: H×W or H×W×3/4, uint8, uint16 or float in [0, 1]. ``directions``:
    ``"vertical"`` (film scratches, within ±4.6° of vertical) or ``"any"`` (long straight
    lines in every direction). ``min_length``: the shortest run kept, as a share of the
    frame height (vertical) or of its long side (any); default 0.5 and 0.4.
    ``max_width``: the widest line, px. ``sensitivity`` in [0, 1]: higher finds fainter.

    >>> photo = np.full((200, 150), 0.5, np.float32)
    >>> photo[:, 70] = 0.8  # a bright film scratch down the whole frame
    >>> mask = detect_long_scratches(photo, grow=0)
    >>> bool(mask[:, 70].mean() > 0.9), int(mask[:, :68].sum() + mask[:, 73:].sum())
    (True, 0)
    """
    from inpaintkit.mask.scratches import _colour, _luminance

    _check(sensitivity, directions, min_length, max_width, grow)
    luminance = _luminance(image)
    height, width = luminance.shape
    factor = max(1, int(np.ceil(max(height, width) / _WORKING_SIDE)))
    colour = _colour(image)
    if factor > 1:
        size = (width // factor, height // factor)
        luminance = cv2.resize(luminance, size, interpolation=cv2.INTER_AREA)
        if colour is not None:
            colour = cv2.resize(colour, size, interpolation=cv2.INTER_AREA)
    neutral = _neutral_shares(luminance, colour, max_width)
    share = min_length if min_length is not None else (0.5 if directions == "vertical" else 0.4)
    floor = _FLOOR_BASE + _FLOOR_SLOPE * (1.0 - float(sensitivity))
    found: np.ndarray = np.zeros(luminance.shape, np.uint8)
    families = ("vertical",) if directions == "vertical" else ("vertical", "horizontal")
    film = directions == "vertical"
    for family in families:
        frame = luminance if family == "vertical" else np.ascontiguousarray(luminance.T)
        shares = {
            kind: share if family == "vertical" else np.ascontiguousarray(share.T)
            for kind, share in neutral.items()
        }
        if directions == "vertical":
            tans = np.arange(-_FILM_TAN, _FILM_TAN + 1e-6, _TAN_STEP / 2)
            need = share * frame.shape[0]
        else:
            tans = np.arange(-1.0, 1.0 + 1e-6, _TAN_STEP)
            if family == "horizontal":
                tans = tans[1:-1]  # ±45° are searched with the vertical family
            need = share * max(height, width) / factor
        lines = []
        for tan in tans:
            lines += _search(frame, shares, float(tan), floor, need, max_width, film=film)
        if directions == "vertical":  # film runs straight through the gate
            lines = [line for line in lines if abs(line.tilt) <= _FILM_TAN + 1e-6]
        else:  # a line along a boundary of the scene (a shelf, a flag's edge)
            lines = [line for line in lines if line.side <= _SIDE_LIMIT]
        drawn = np.zeros(frame.shape, np.uint8)
        lines = _drop_duplicates(lines, _SAME_LINE)
        patterned = None
        if film:  # members of a pattern, whose echoes keep their distance
            kept = {id(line) for line in _drop_regular(lines, frame.shape[0], film=True)}
            patterned = {id(line) for line in lines} - kept
        lines = _drop_duplicates(lines, 2 * max_width + 2, echoes=True, patterned=patterned)
        for line in _drop_regular(lines, frame.shape[0], film=film):
            if line.strong:
                _draw(line, drawn)
        found |= drawn if family == "vertical" else np.ascontiguousarray(drawn.T)
    if factor > 1:
        found = cv2.resize(found, (width, height), interpolation=cv2.INTER_NEAREST)
    if grow:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        found = cv2.dilate(found, disc)
    return found.astype(np.float32)


def _check(
    sensitivity: object, directions: object, min_length: object, max_width: object, grow: object
) -> None:
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int | float):
        raise InvalidParameterError(f"sensitivity must be a number in [0, 1], got {sensitivity!r}")
    if not 0.0 <= sensitivity <= 1.0:
        raise InvalidParameterError(f"sensitivity must be in [0, 1], got {sensitivity!r}")
    if directions not in ("vertical", "any"):
        raise InvalidParameterError(f"directions must be 'vertical' or 'any', got {directions!r}")
    if min_length is not None and (
        isinstance(min_length, bool)
        or not isinstance(min_length, int | float)
        or not 0.05 <= min_length <= 1.0
    ):
        raise InvalidParameterError(
            f"min_length must be a share of the frame in [0.05, 1], got {min_length!r}"
        )
    if isinstance(max_width, bool) or not isinstance(max_width, int) or not 1 <= max_width <= 16:
        raise InvalidParameterError(
            f"max_width must be an integer in [1, 16] px, got {max_width!r}"
        )
    if isinstance(grow, bool) or not isinstance(grow, int) or grow < 0:
        raise InvalidParameterError(f"grow must be an integer >= 0 px, got {grow!r}")


def _shear(frame: np.ndarray, tan: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``frame`` with row y shifted right by round(y · tan) (minus the smallest shift),
    so lines at that tilt stand vertical; the shifts and which pixels are real."""
    height, width = frame.shape
    shifts = np.rint(np.arange(height) * tan).astype(np.int32)
    shifts -= shifts.min()
    wide = width + int(shifts.max())
    columns = np.arange(wide, dtype=np.float32)[None, :] - shifts[:, None].astype(np.float32)
    rows = np.repeat(np.arange(height, dtype=np.float32)[:, None], wide, axis=1)
    sheared = cv2.remap(frame, columns, rows, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    valid = (columns >= 0) & (columns <= width - 1)
    return sheared, shifts, valid


def _neutral_shares(
    luminance: np.ndarray, colour: np.ndarray | None, max_width: int
) -> dict[str, np.ndarray]:
    """Per polarity, the share of each pixel's thin contrast that even its weakest
    channel shows (1 in a grey photo). A scratch adds about the same to all three
    channels; a dark beam against blue sky or a red rim changes them in proportion to
    their values or in hue. Channels clipped nearby are left out."""
    if colour is None:
        ones = np.ones(luminance.shape, np.float32)
        return {"bright": ones, "dark": ones}
    side = 2 * max_width + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    near = np.ones((3, 3), np.uint8)
    shares = {}
    for kind, operation in (("bright", cv2.MORPH_TOPHAT), ("dark", cv2.MORPH_BLACKHAT)):
        own = cv2.morphologyEx(luminance, operation, kernel)
        weakest = np.full(luminance.shape, np.inf, np.float32)
        for index in range(3):
            channel = np.ascontiguousarray(colour[:, :, index])
            detail = cv2.morphologyEx(channel, operation, kernel)
            clipped = channel >= 0.98 if kind == "bright" else channel <= 0.02
            clipped = cv2.dilate(clipped.astype(np.uint8), near) > 0
            weakest = np.minimum(weakest, np.where(clipped, np.float32(np.inf), detail))
        weakest = np.where(np.isinf(weakest), own, weakest)
        share = np.clip(weakest / np.maximum(own, 0.01), 0.0, 1.0)
        shares[kind] = cv2.blur(share.astype(np.float32), (3, 3))
    return shares


def _search(
    frame: np.ndarray,
    shares: dict[str, np.ndarray],
    tan: float,
    floor: float,
    need: float,
    max_width: int,
    *,
    film: bool,
) -> list[_Line]:
    """The long lines at one shear of ``frame``, traced back into its own coordinates.
    With ``film``, the paths are sought on the ridge of the rows averaged first."""
    sheared, shifts, valid = _shear(frame, tan)
    kernel = np.ones((1, 2 * max_width + 1), np.uint8)
    stretch = float(np.hypot(1.0, tan))  # px of line per row
    need_rows = need / stretch
    bands = sheared.shape[0] // _BAND
    if bands < 3 or need_rows < 3 * _BAND:
        return []
    lines = []
    for polarity, operation in (("bright", cv2.MORPH_TOPHAT), ("dark", cv2.MORPH_BLACKHAT)):
        share = _shear(shares[polarity], tan)[0]
        ridge = _thin_ridge(sheared, operation, kernel, share, valid)
        evidence = ridge
        if film:
            averaged = cv2.blur(sheared, (1, _EVIDENCE_ROWS))
            evidence = _thin_ridge(averaged, operation, kernel, share, valid)
        for path in _find_paths(evidence, valid, floor, need_rows, polarity, tan, film=film):
            line = _trace(path, ridge, valid, shifts, max_width, sheared)
            if line is not None:
                lines.append(line)
    return lines


def _thin_ridge(
    picture: np.ndarray, operation: int, kernel: np.ndarray, share: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    """The top-hat (or black-hat) across x, scaled by the neutral share, inside the frame."""
    ridge = cv2.morphologyEx(picture, operation, kernel) * share
    return np.where(valid, np.minimum(ridge, 0.5), 0).astype(np.float32)


def _band_scores(
    ridge: np.ndarray, valid: np.ndarray, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per band and column: the support score in [-1, 1] and whether it is inside the frame."""
    bands = ridge.shape[0] // _BAND
    rows = bands * _BAND
    wide = ridge.shape[1]
    mean = ridge[:rows].reshape(bands, _BAND, wide).mean(axis=1)
    inside = valid[:rows].reshape(bands, _BAND, wide).mean(axis=1) > 0.5
    mean = cv2.dilate(mean, np.ones((1, 3), np.uint8))

    # The columns around, the line's own (and its neighbours') left out.
    def around(values: np.ndarray) -> np.ndarray:
        outer = cv2.boxFilter(
            values, -1, (_CLUTTER_COLUMNS, 1), normalize=False, borderType=cv2.BORDER_REFLECT
        )
        inner = cv2.boxFilter(
            values, -1, (_CLUTTER_HOLE, 1), normalize=False, borderType=cv2.BORDER_REFLECT
        )
        return (outer - inner) / (_CLUTTER_COLUMNS - _CLUTTER_HOLE)

    clutter = around(mean)
    spread = np.sqrt(np.maximum(around(mean * mean) - clutter * clutter, 0.0))
    level = np.maximum(floor, clutter + _CLUTTER_FACTOR * spread)
    score = np.clip(mean / level - 1.0, -1.0, 1.0)
    return np.where(inside, score, -1.0).astype(np.float32), inside


def _find_paths(
    ridge: np.ndarray,
    valid: np.ndarray,
    floor: float,
    need_rows: float,
    polarity: str,
    tan: float,
    *,
    film: bool,
) -> list[_Path]:
    score, _ = _band_scores(ridge, valid, floor)
    need_bands = need_rows / _BAND
    paths: list[_Path] = []
    for _ in range(_PATH_LIMIT):
        total, back = _best_runs(score)
        end_band, end_column = np.unravel_index(int(np.argmax(total)), total.shape)
        best = float(total[end_band, end_column])
        if best < _SUPPORT * need_bands * _WEAK_SHARE * 0.5:
            break
        columns = [int(end_column)]
        band = int(end_band)
        while band > 0 and back[band, columns[-1]] >= 0:
            columns.append(int(back[band, columns[-1]]))
            band -= 1
        columns.reverse()
        first = band
        path_columns = np.array(columns)
        run_scores = score[first + np.arange(len(columns)), path_columns]
        # Block this path (and 3 columns either side) for the next search.
        for offset, column in enumerate(path_columns):
            score[first + offset, max(0, column - 3) : column + 4] = -1.0
        # A straight line through the path, fitted to the bands that agree with it: a
        # path that hops onto a parallel line for a while is judged without the hop.
        rows = first * _BAND + _BAND / 2 + _BAND * np.arange(path_columns.size)
        slope, intercept, inliers = _straight_fit(rows, path_columns.astype(np.float64))
        if not inliers.any():
            continue
        low, high = int(np.argmax(inliers)), path_columns.size - int(np.argmax(inliers[::-1]))
        span = run_scores[low:high][inliers[low:high]]
        support = float((span > 0).sum()) / (high - low)
        strong = high - low >= need_bands and support >= _SUPPORT
        if film:
            strong = strong and float(span.sum()) / (high - low) >= _MIN_MEAN_SCORE
            strong = strong and best >= _MIN_PATH_SCORE * need_bands
        # Weaker lines are traced only as possible partners of a pattern.
        weak = high - low >= _WEAK_SHARE * need_bands and support >= _WEAK_SHARE * _SUPPORT
        if strong or weak:
            first_row, last_row = (first + low) * _BAND, (first + high) * _BAND
            paths.append(_Path(polarity, tan, first_row, last_row, slope, intercept, best, strong))
    return paths


def _straight_fit(rows: np.ndarray, columns: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Slope, intercept and inliers (within ``_WANDER`` px) of a robust straight fit."""
    inliers = np.ones(columns.size, bool)
    slope, intercept = 0.0, float(np.median(columns))
    for _ in range(3):
        if inliers.sum() < 2:
            break
        slope, intercept = (float(v) for v in np.polyfit(rows[inliers], columns[inliers], 1))
        inliers = np.abs(columns - (slope * rows + intercept)) <= _WANDER
    return slope, intercept, inliers


def _best_runs(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best-scoring run of bands ending at each band and column, moving at most one column
    per band (a local alignment: a run restarts where its past would only cost), and
    the column it came from (-1 where it starts)."""
    bands, wide = score.shape
    total = np.empty_like(score)
    back = np.full(score.shape, -1, np.int32)
    total[0] = score[0]
    columns = np.arange(wide, dtype=np.int32)
    left = np.full(wide, -np.inf, np.float32)
    right = np.full(wide, -np.inf, np.float32)
    for band in range(1, bands):
        previous = total[band - 1]
        left[1:] = previous[:-1] - _MOVE_COST
        right[:-1] = previous[1:] - _MOVE_COST
        best = np.maximum(previous, np.maximum(left, right))
        step = np.where(best == previous, 0, np.where(best == left, -1, 1)).astype(np.int32)
        carry = best > 0
        total[band] = score[band] + np.where(carry, best, 0.0)
        back[band] = np.where(carry, columns + step, -1)
    return total, back


def _drop_duplicates(
    lines: list[_Line], reach: int, *, echoes: bool = False, patterned: set[int] | None = None
) -> list[_Line]:
    """One line per scratch: the same line is found at neighbouring shears (and a
    1 px shift between the copies would widen the mask); the best-supported copy stays.

    With ``echoes``, lines of the *other* polarity within ``reach`` px of a stronger
    one go instead: the valley between a bright scratch and bright detail next to it,
    or the shaded side of a lit rod. (This also drops a faint scratch right beside a
    strong line of the other polarity, such as a brick joint; run after the pattern
    test instead, the echoes of the joints form patterns with the scratches.) A line
    beside a member of a pattern (``patterned``: the ids of the lines
    :func:`_drop_regular` drops) stays when its distance to it drifts by more than
    ``_ECHO_DRIFT`` px: a dark scratch crossing a fan of bright brick joints."""
    kept: list[_Line] = []
    for line in sorted(lines, key=lambda item: -item.score):
        rows = line.kept_rows()
        duplicate = False
        for other in kept:
            if (other.polarity == line.polarity) == echoes:
                continue
            both = rows & other.kept_rows()
            if both.sum() < 0.5 * rows.sum():
                continue
            offsets = line.columns[both] - other.columns[both]
            if echoes and patterned is not None and id(other) in patterned:
                low, high = np.percentile(offsets, [10, 90])
                if high - low > _ECHO_DRIFT:
                    continue
            apart = float(np.median(np.abs(offsets)))
            if apart <= reach:
                duplicate = True
                break
        if not duplicate:
            kept.append(line)
    return kept


def _drop_regular(lines: list[_Line], frame_height: int, *, film: bool = False) -> list[_Line]:
    """Groups of ``_PARTNERS`` + 1 or more parallel lines of one polarity, each within
    ``_PARTNER_REACH`` px of the next, are a pattern of the scene (brick courses, blinds,
    a fence, planks), not damage: all of them go. With ``film``, only lines scoring at
    least ``_PATTERN_SIMILAR`` of their group's strongest count towards its size."""
    count = len(lines)
    if count <= _PARTNERS:
        return lines
    middle = frame_height / 2
    centres = np.array([line.column_at(middle) for line in lines])
    group = list(range(count))

    def root(index: int) -> int:
        while group[index] != index:
            group[index] = group[group[index]]
            index = group[index]
        return index

    for one in range(count):
        for other in range(one + 1, count):
            if (
                lines[one].polarity == lines[other].polarity
                and abs(lines[one].tilt - lines[other].tilt) <= _PARTNER_TILT
                and abs(centres[one] - centres[other]) <= _PARTNER_REACH
            ):
                group[root(one)] = root(other)
    roots = [root(index) for index in range(count)]
    strongest = dict.fromkeys(roots, 0.0)
    for line, r in zip(lines, roots, strict=True):
        strongest[r] = max(strongest[r], line.score)
    least = _PATTERN_SIMILAR if film else 0.0
    sizes = dict.fromkeys(roots, 0)
    for line, r in zip(lines, roots, strict=True):
        sizes[r] += int(line.score >= least * strongest[r])
    return [line for line, r in zip(lines, roots, strict=True) if sizes[r] <= _PARTNERS]


@dataclass
class _Line:
    """A traced line in its frame: the rows, its column in each, the runs to draw."""

    polarity: str
    rows: np.ndarray
    columns: np.ndarray  # in the frame (unsheared), one per row
    runs: list[tuple[int, int]]  # index ranges into rows/columns to draw
    half: int
    tilt: float
    score: float
    strong: bool
    side: float

    def kept_rows(self) -> np.ndarray:
        kept = np.zeros(self.rows.size, bool)
        for start, stop in self.runs:
            kept[start:stop] = True
        return kept

    def column_at(self, row: float) -> float:
        return float(self.columns[int(np.clip(row, 0, self.columns.size - 1))])


def _trace(
    path: _Path,
    ridge: np.ndarray,
    valid: np.ndarray,
    shifts: np.ndarray,
    max_width: int,
    sheared: np.ndarray,
) -> _Line | None:
    """Refine ``path`` row by row, extend it straight to the frame's ends, and keep the
    rows where the ridge agrees.

    Where a scratch crosses something it cannot show on (a bright scratch on bright
    metal), the path's run ends; past the gap the same straight line is followed, and
    stretches there with their own support are kept.
    """
    height, wide = ridge.shape
    slope, intercept = path.slope, path.intercept
    rows = np.arange(height)
    guess = slope * rows + intercept
    offsets = np.arange(-_WANDER, _WANDER + 1)
    candidates = np.clip(np.rint(guess)[:, None].astype(int) + offsets[None, :], 0, wide - 1)
    # Picked on the ridge averaged over 9 rows, so the trace follows the line, not grain.
    smooth = cv2.blur(ridge, (1, 9))
    pick = np.argmax(smooth[rows[:, None], candidates], axis=1)
    # The path wanders slowly: a running median keeps single-row jumps out.
    columns = _running_median(candidates[rows, pick].astype(np.float64), 9)
    column_index = np.clip(np.rint(columns).astype(int), 0, wide - 1)
    strength = ridge[rows, column_index]
    inside = valid[rows, column_index]
    on_path = (rows >= path.first_row) & (rows < path.last_row)
    if not (on_path & inside).any():
        return None
    median = float(np.median(strength[on_path & inside]))
    level = max(_TRACE_FLOOR, _TRACE_SHARE * median)
    raw = (strength >= level) & inside
    on = _close_gaps(raw, _GAP_ROWS) & inside
    # Past the path's own run, only stretches long and dense enough to stand alone.
    runs = [
        (start, stop)
        for start, stop in _runs(on)
        if (on_path[start:stop].any() and stop - start >= _MIN_RUN_ROWS)
        or (stop - start >= _MIN_EXTENSION_ROWS and raw[start:stop].mean() >= _EXTENSION_SUPPORT)
    ]
    if not runs:
        return None
    kept = np.zeros(height, bool)
    for start, stop in runs:
        kept[start:stop] = True
    # Width: how far the ridge stays above half the path's median across the line.
    across = np.arange(-max_width, max_width + 1)
    profile_columns = np.clip(column_index[kept][:, None] + across[None, :], 0, wide - 1)
    profile = np.median(ridge[rows[kept][:, None], profile_columns], axis=0)
    wide_enough = profile >= 0.5 * max(median, _TRACE_FLOOR)
    half = 0
    while (
        half < max_width and wide_enough[max_width - half - 1] and wide_enough[max_width + half + 1]
    ):
        half += 1
    # The two sides along the line: a boundary of the scene has one side brighter
    # all along, a scratch crosses whatever is there.
    gap = half + 2
    reach = np.arange(gap, gap + _SIDE_WIDTH)
    kept_rows = rows[kept]
    left = sheared[kept_rows[:, None], np.clip(column_index[kept][:, None] - reach, 0, wide - 1)]
    right = sheared[kept_rows[:, None], np.clip(column_index[kept][:, None] + reach, 0, wide - 1)]
    side = abs(float(np.mean(left - right))) / max(median, _TRACE_FLOOR)
    frame_columns = columns - shifts
    tilt = slope - float(shifts[-1] - shifts[0]) / max(height - 1, 1)
    return _Line(
        path.polarity, rows, frame_columns, runs, half, tilt, path.score, path.strong, side
    )


def _draw(line: _Line, drawn: np.ndarray) -> None:
    frame_width = drawn.shape[1]
    for start, stop in line.runs:
        xs = np.clip(line.columns[start:stop], 0, frame_width - 1)
        points = np.rint(np.stack([xs, line.rows[start:stop]], axis=1)).astype(np.int32)
        cv2.polylines(drawn, [points], False, 1, 2 * line.half + 1)


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    if values.size < window:
        return values
    padded = np.pad(values, window // 2, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, window)
    return np.median(view, axis=1)


def _close_gaps(on: np.ndarray, gap: int) -> np.ndarray:
    """``on`` with runs of False no longer than ``gap`` between two True filled."""
    closed = on.copy()
    runs = _runs(~on)
    for start, stop in runs:
        if start > 0 and stop < on.size and stop - start <= gap:
            closed[start:stop] = True
    return closed


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """Start and stop of each run of True in a 1-D bool array."""
    padded = np.concatenate([[False], on, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
