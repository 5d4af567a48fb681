"""Find scratches, dust specks and creases in old photos: a mask for restoration.

A scratch is a long, thin, nearly straight (or gently curved) line of one brightness
drawn *on top of* the picture. Four things tell it from the thin ridges of real
things (hair, whiskers, lips, rims, wires):

* **Both sides.** At each of 16 orientations, a pixel's ridge strength is how far it
  stands above (bright) or below (dark) the *nearer* of the two pixels a few px either
  side across the line, so an object's edge, where only one side differs, gives
  nothing.
* **Length.** That ridge strength is averaged along a 61 px line (after a 3 px max
  across it, to follow gentle curves), and most of the line must support it: short
  ridges of hair, fur and texture average out, long scratches add up.
* **The picture continues across it.** A scratch crosses whatever the photo shows,
  so the two sides, averaged along the line, agree; a rim, a lip or an outline runs
  *along* a boundary between two different areas, and that side difference counts
  against it. A strong line of the opposite polarity running alongside (the shadow
  of a rod, the dark edge of a bright tripod leg) counts against it too, judged by
  its mean ridge alone as well (the shaded edge of a lit tube has the tube on one
  side and the field on the other, so its own score is nil): where it holds over
  half the line's own ridge, the excess counts twice against the line.
* **It comes alone.** Solid things come with parallel lines: the other edge of a
  tube, a leg's shadow, the next rim of a wheel, a frame. A piece that, over more
  than half of its length, has a line of either polarity running parallel to it,
  between just outside its own band and six offsets (24 px at ``max_width`` 7) out,
  at over half its own score, is dropped.

* **Neutral colour** (colour photos only). A scratch or a speck of dust adds about
  the same amount to all three channels, so even the *weakest* channel shows its full
  contrast. The ridge strength is therefore capped by the smallest per-channel
  top-hat (black-hat) at each pixel, channels clipped at white (black) nearby left
  out: the grain of wood, a red rim, a blue-and-white stripe change the channels in
  proportion to their values or in hue, and their weakest channel shows little.
  Clearly coloured pixels (weakest channel under half the contrast) are cut before
  the pieces are linked, so a scratch crossing a coloured post is not judged with
  it; a piece (or speck) whose weakest channel holds under 90% of its contrast, or
  whose contrast is mostly coloured, is dropped.
* **It stands out from its neighbourhood.** A seed's long-line score must be at
  least the mean top-hat/black-hat over the 41 px around it (in colour, of the
  neutral detail): on busy detail only clearly stronger lines start a scratch.

Pixels whose long-line score clears a threshold seed a scratch; the scratch then
grows into connected pixels with a weaker long-line score and a local ridge
(hysteresis), so fading parts stay attached. Pieces shorter than ``min_length``
(bounding-box diagonal) are dropped. Where a scratch crosses something it cannot
show on (clipped black or white, bright detail), it breaks into fragments too
short or faint to stand alone: a fragment with some long-line support that lies
within 10 px of a kept piece, in the piece's direction there (within about 7°), is
taken as its continuation, up to three links along a scratch.

*Dust specks* are small compact blobs (each cut at half its own peak; at most the
top-hat kernel across, filling at least 40% of their box) of clearly stronger contrast
than scratches need, whose peak clears the mean plus 6 standard deviations of the
top-hat/black-hat around them (14 in a grey photo, where no colour test backs it up),
with no strong detail of the opposite polarity touching them (a pit's lit rim, a
rivet's shadow: relief, not dust), and in colour photos neutral too.

Finds: scratches 1 to ``max_width`` px wide and at least ``min_length`` px long
whose long-line contrast is about 0.05 of full scale or more (at the default
``sensitivity``), bright, dark or both, also across wood grain and coloured texture
in colour photos; round dust specks of strong contrast, on busy detail too where
they stand far above it. On the synthetic damage of ``benchmarks/scratches_bench.py``
this is a mean precision of about 0.80 and recall of about 0.74 (2 px tolerance;
per damage set 0.822/0.780, 0.782/0.725, 0.799/0.712) over three damage sets, and
0.27% of the clean photos flagged: the precision aimed for, *not* yet the recall
of 0.8. About 0.44 of the speck pixels are found (0.34 before the
per-blob spread test), at about 0.01 of precision, mostly small craters of ``moon``.
Misses: faint scratches on busy detail (and the stretch of a scratch that crosses
it, which can split it), scratches on near-black or near-white areas where the
damage is mostly clipped, scratches that bend sharply (radius under ~100 px), very
sharp 1 px lines whose direction falls between two of the 16 orientations,
scratches running along an object's outline, two scratches running side by side
less than about 24 px apart for most of their length (taken for a structure's
edges), broad stains and tears, faint, small
or elongated specks and specks on busy detail of similar strength (about half of
the bench's), specks touching a strong edge of the other polarity, and in colour
photos coloured scratches (a colour film scratched down to one dye layer). Flags
(false alarms): real long thin grey, white or black structures that look like
scratches to any local detector (a wire, a tripod leg, a lit rim or the edge of a
white object, a window frame), and any such structure in a grey photo, where the
colour tests cannot help (the tripod of ``camera`` is the worst case: 0.67% of the
clean photo flagged, from 1.62% before the pair and shading tests); small pits
and crumbs of one tone on a smooth surface (the craters of ``moon``). Lower
``sensitivity`` or raise ``min_length`` to spare them, or edit the mask.

What was tried to raise the recall (six attempts, each with its bench numbers, and
why the target stops at this trade-off) is in ``docs/scratch-detection.md``.

Speed: the orientation search runs on a copy at most 768 px on the long side. For a
larger photo it is shrunk by a whole factor, with the luminance area-averaged but its
thin bright (top-hat) or dark (black-hat) detail max-pooled over each block, so a
1 px scratch keeps its full contrast in the copy; the scores are enlarged back and
each pixel must also stand out in the full-resolution top-hat/black-hat, so the mask
stays sharp. The per-channel colour tests run at full size and make a 4K colour
photo 1.3 to 1.7 times slower than it was without them. On two busy shared cores a 4K
photo took 1.9 to 2.5 s (grey) and 3.6 to 4.1 s (colour), where the version before
the colour tests took 1.7 to 2.0 s and 2.2 to 3.0 s (and 1.3 s and 1.8 s on idle cores).
The pair and shading tests and the linking make it about 1.5 to 1.9 times slower: on
idle cores a 4K photo took 1.9 to 2.0 s (grey) and 3.1 to 3.4 s (colour), against 1.0 s
and 1.9 to 2.2 s without them.

>>> import numpy as np
>>> photo = np.full((96, 96), 0.4, np.float32)
>>> photo[10:86, 40] = 0.9  # a bright vertical scratch, 76 px long and 1 px wide
>>> mask = detect_scratches(photo, grow=0)
>>> mask.dtype, bool(mask[12:84, 40].all()), int(mask[:, :38].sum() + mask[:, 43:].sum())
(dtype('float32'), True, 0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import cv2
import numpy as np

from inpaintkit.convert import to_float32
from inpaintkit.errors import InvalidInputError, InvalidParameterError

__all__ = ["ScratchKinds", "detect_scratches"]

ScratchKinds = Literal["both", "bright", "dark"]
# The row and column indices of some pixels, as np.nonzero gives them.
_Pixels = tuple[np.ndarray, ...]
_KINDS: tuple[str, ...] = get_args(ScratchKinds)

# Rec. 601 luma weights: old photos are judged by brightness, not by hue.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# The statistics need about a million samples at most; a stride keeps 4K cheap.
_SAMPLE_PIXELS = 1_000_000
# The orientation search runs on a copy at most this many px on the long side.
_WORKING_SIDE = 768
# Long-line integration: 61 px at 16 orientations, with a 3 px max across the line so
# a gently curved scratch (or one between two orientations) stays inside it.
_LINE_LENGTH = 61
_ORIENTATIONS = 16
_ACROSS = 3
# The long-line score that seeds a scratch (at sensitivity 1, plus the slope times
# 1 - sensitivity), and the share of it a pixel needs to join one.
_SEED_BASE = 0.02
_SEED_SLOPE = 0.06
_GROW_SHARE = 0.3
# A seed's long-line score must also be this many times the mean top-hat/black-hat
# over a window around it: on busy detail, only clearly stronger lines count.
_CLUTTER_FACTOR = 1.0
_CLUTTER_WINDOW = 41
# Share of the line whose local ridge must be positive: texture ridges have gaps.
_MIN_SUPPORT = 0.8
_SUPPORT_LEVEL = 0.01
# How much the two sides' difference (averaged along the line), and an opposite-polarity
# line alongside, count against a line.
_SIDE_WEIGHT = 2.0
_ALONGSIDE_WEIGHT = 2.0
# The mean ridge of the opposite polarity alongside, past this share of the line's own,
# counts against it with this weight.
_SHADING_WEIGHT = 2.0
_SHADING_FREE = 0.5
# A piece is dropped where, over more than half of it, a line of either polarity runs
# parallel between the alongside band and this many offsets out, at over this share
# of its own score.
_PARTNER_REACH = 6
_PARTNER_SHARE = 0.5
# A fragment (too short, or unseeded) whose long-line score reaches this share of the
# seed level joins a kept piece it comes within _LINK_REACH px of, in the same direction
# (cosine of the doubled angle between their mean directions at least _LINK_AGREE).
_LINK_SHARE = 0.5
_LINK_REACH = 10
_LINK_AGREE = 0.97
_LINK_ROUNDS = 3
_LINK_CELL = 4
# Colour test: channels within this of black or white are clipped and left out; a
# pixel is coloured where its channels' contrasts (above _COLOUR_FLOOR) differ by more
# than _COLOUR_SHARE of the largest, and a piece is dropped where most pixels are.
_CLIPPED = 0.02
_COLOUR_FLOOR = 0.03
_COLOUR_SHARE = 0.35
_COLOURED_PIECE = 0.5
_NEUTRAL_SHARE = 0.9
_NEUTRAL_CUT = 0.5
# A dust speck must stand this many times above the mean response around it, and
# _DUST_SPREAD standard deviations above it (_DUST_GREY_SPREAD in a grey photo,
# where no colour test backs it up and small pits in the scene look the same).
_DUST_ISOLATION = 3.0
_DUST_SPREAD = 6.0
_DUST_GREY_SPREAD = 14.0
_DUST_BASE = 0.1
_DUST_SLOPE = 0.2
_DUST_MIN_AREA = 3
# A blob with opposite-polarity detail of this share of its peak within
# _DUST_BESIDE px across is the shading of a relief (a pit, a rivet), not dust.
_DUST_SHADING = 0.7
_DUST_BESIDE = 7
_DUST_MIN_FILL = 0.4
_DUST_MAX_ELONGATION = 3.0


def detect_scratches(
    image: np.ndarray,
    *,
    sensitivity: float = 0.5,
    max_width: int = 7,
    min_length: int = 40,
    kinds: ScratchKinds = "both",
    grow: int = 1,
) -> np.ndarray:
    """A float32 H×W mask (1 = defect) of thin scratches and dust specks in ``image``.

    ``image`` is H×W (grey) or H×W×3/4 in uint8, uint16 or float [0, 1].
    ``sensitivity`` in [0, 1]: higher finds fainter defects and more false ones.
    ``max_width``: the widest defect, px. ``min_length``: the shortest scratch, px
    (shorter thin pieces count only as dust specks). ``kinds``: ``"bright"``,
    ``"dark"`` or ``"both"``. ``grow``: px added around each defect, so the fill
    also replaces its soft edge.

    >>> detect_scratches(np.zeros((8, 8)), kinds="white")
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: kinds must be 'both', 'bright' or 'dark', got 'white'
    """
    _check_options(sensitivity, max_width, min_length, kinds, grow)
    luminance = _luminance(image)
    side = max_width + 3 - max_width % 2  # odd and wider than any defect
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    operations = {"bright": cv2.MORPH_TOPHAT, "dark": cv2.MORPH_BLACKHAT}
    wanted = [kind for kind in operations if kinds in ("both", kind)]
    details = {kind: cv2.morphologyEx(luminance, op, kernel) for kind, op in operations.items()}
    strictness = 1.0 - float(sensitivity)
    colour = _colour(image)
    caps: dict[str, np.ndarray] | None = None
    channel_details: dict[str, list[np.ndarray]] = {}
    if colour is not None:
        caps, channel_details = _neutral_caps(colour, operations, kernel)
    scores = _line_scores(luminance, details, wanted, max_width=max_width, caps=caps)
    # How busy the picture is around each pixel: a scratch must stand out from it.
    # (In colour, only its neutral detail: wood grain or a patterned cloth does not hide
    # a scratch from the weakest channel.)
    busy = details if caps is None else caps
    clutter = cv2.blur(np.maximum(busy["bright"], busy["dark"]), (_CLUTTER_WINDOW,) * 2)
    found = np.zeros(luminance.shape, np.uint8)
    for kind, (line, ridge, partner, angle) in zip(wanted, scores, strict=True):
        response = details[kind]
        if caps is not None:
            # Neutral pixels only, so a scratch crossing a coloured post is cut off it
            # rather than joined to it (and then judged with it).
            neutral = cv2.blur(caps[kind], (5, 5)) >= _NEUTRAL_CUT * cv2.blur(response, (5, 5))
            ridge = np.where(neutral, ridge, 0)
        lines, fragments = _select_scratches(
            line, ridge, response, clutter, strictness=strictness, min_length=min_length
        )
        lines = _drop_paired(lines, line, partner)
        if colour is not None and caps is not None:
            lines = _drop_coloured(lines, colour, channel_details[kind])
            lines = _drop_unneutral(lines, caps[kind], details[kind])
        found |= _link(lines, fragments, angle)
        opposite = details["dark" if kind == "bright" else "bright"]
        specks = _select_dust(
            response, opposite, strictness=strictness, side=side, grey=colour is None
        )
        if caps is not None:
            specks = _drop_unneutral(specks, caps[kind], response)
        found |= specks
    if grow:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        return cv2.dilate(found, disc).astype(np.float32)
    return found.astype(np.float32)


def _check_options(
    sensitivity: object, max_width: object, min_length: object, kinds: object, grow: object
) -> None:
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int | float):
        raise InvalidParameterError(f"sensitivity must be a number in [0, 1], got {sensitivity!r}")
    if not 0.0 <= sensitivity <= 1.0:
        raise InvalidParameterError(
            f"sensitivity must be in [0, 1], got {sensitivity!r}; 0.5 is the default, "
            "higher finds fainter defects"
        )
    for name, value, low in (("max_width", max_width, 1), ("min_length", min_length, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InvalidParameterError(f"{name} must be an integer >= {low} px, got {value!r}")
    if isinstance(grow, bool) or not isinstance(grow, int | np.integer) or grow < 0:
        raise InvalidParameterError(f"grow must be an integer >= 0 px, got {grow!r}")
    if kinds not in _KINDS:
        raise InvalidParameterError(f"kinds must be 'both', 'bright' or 'dark', got {kinds!r}")


def _luminance(image: np.ndarray) -> np.ndarray:
    """Float32 H×W luminance in [0, 1] from grey, RGB or RGBA in a stored dtype."""
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise InvalidInputError(
            f"image has shape {image.shape}; pass H×W (grey) or H×W×3 / H×W×4 (RGB, RGBA)"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InvalidInputError(f"image has shape {image.shape}; it holds no pixels")
    if image.dtype.kind not in "uf" or (image.dtype.kind == "u" and image.itemsize > 2):
        raise InvalidInputError(
            f"image dtype {image.dtype} has no defined scale; use uint8, uint16 or float in [0, 1]"
        )
    values = to_float32(image)
    if image.dtype.kind == "f":
        low, high = float(np.min(values)), float(np.max(values))
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"float image values span [{low}, {high}]; scale them to [0, 1] "
                "(divide by 255 for 8-bit data) and replace NaN or infinity"
            )
    if values.ndim == 2:
        return np.ascontiguousarray(values)
    if values.shape[2] == 1:
        return np.ascontiguousarray(values[:, :, 0])
    return np.ascontiguousarray(values[:, :, :3] @ _LUMA)


def _colour(image: np.ndarray) -> np.ndarray | None:
    """Float32 H×W×3 RGB in [0, 1], or None for a grey photo (nothing to compare)."""
    if image.ndim == 2 or image.shape[2] == 1:
        return None
    rgb = np.ascontiguousarray(to_float32(image)[:, :, :3])
    if np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(rgb[:, :, 1], rgb[:, :, 2]):
        return None
    return rgb


def _neutral_caps(
    rgb: np.ndarray, operations: dict[str, int], kernel: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, list[np.ndarray]]]:
    """Per kind: the smallest top-hat (black-hat) over the channels that are not
    clipped, and the per-channel top-hat (black-hat) itself.

    A scratch adds the same amount to all three channels, so even the weakest channel
    shows its full contrast; the grain of wood, a red rim or a shadow changes the
    channels in proportion to their values (or in hue), and their weakest channel
    shows little. A channel clipped at white (black) near a pixel says nothing there.
    """
    caps: dict[str, np.ndarray] = {}
    details: dict[str, list[np.ndarray]] = {}
    near = np.ones((3, 3), np.uint8)
    # Channel by channel: numpy reductions over the last axis are slow at 4K.
    channels = [np.ascontiguousarray(rgb[:, :, index]) for index in range(3)]
    for kind, operation in operations.items():
        strongest = np.zeros(rgb.shape[:2], np.float32)
        weakest = np.full(rgb.shape[:2], np.inf, np.float32)
        per_channel = []
        for channel in channels:
            detail = cv2.morphologyEx(channel, operation, kernel)
            clipped = channel >= 1 - _CLIPPED if kind == "bright" else channel <= _CLIPPED
            clipped = cv2.dilate(clipped.view(np.uint8), near).view(bool)
            strongest = np.maximum(strongest, detail)
            weakest = np.minimum(weakest, np.where(clipped, np.float32(np.inf), detail))
            per_channel.append(detail)
        caps[kind] = np.where(np.isinf(weakest), strongest, weakest)
        details[kind] = per_channel
    return caps, details


def _drop_coloured(
    lines: np.ndarray, rgb: np.ndarray, channel_detail: list[np.ndarray]
) -> np.ndarray:
    """``lines`` less the pieces whose contrast with their surroundings is coloured.

    Scratched emulsion shows as near-neutral white or black: a scratch changes the
    three channels by about the same amount. A post, a rim or a stripe of the scene
    differs from its surroundings in hue as well. Per pixel, the channels' top-hat
    (or black-hat) is compared; channels clipped at black or white say nothing (a
    bright scratch on a red coat clips red) and are left out.
    """

    def coloured_pieces(where: _Pixels, ids: np.ndarray, count: int) -> np.ndarray:
        detail = np.stack([channel[where] for channel in channel_detail], axis=1)
        values = rgb[where]
        usable = (values > _CLIPPED) & (values < 1 - _CLIPPED)
        high = np.where(usable, detail, -np.inf).max(axis=1)
        low = np.where(usable, detail, np.inf).min(axis=1)
        judged = (usable.sum(axis=1) >= 2) & (high > _COLOUR_FLOOR)
        coloured = judged & (high - low > _COLOUR_SHARE * high)
        judged_count = np.maximum(np.bincount(ids, judged, count), 1)
        return np.bincount(ids, coloured, count) / judged_count > _COLOURED_PIECE

    return _drop_pieces(lines, coloured_pieces)


def _drop_pieces(
    lines: np.ndarray, judge: Callable[[_Pixels, np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """``lines`` less the connected pieces that ``judge`` marks, given the pixels of
    ``lines``, the piece each belongs to (1 to count - 1) and the count."""
    count, labels = cv2.connectedComponents(lines, connectivity=8)
    if count <= 1:
        return lines
    where = np.nonzero(lines)
    drop = judge(where, labels[where].astype(np.intp), count)
    drop[0] = False
    return np.where(drop[labels], 0, lines).astype(np.uint8)


def _link(lines: np.ndarray, fragments: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``lines`` plus the ``fragments`` that continue a piece of it in its direction.

    Where a scratch crosses bright detail or clips, its ridge breaks and the rest of
    it falls apart into fragments too short (or too faint) to stand alone. A fragment
    near a kept piece whose mean direction matches the piece's there is taken as its
    continuation; repeated, so a chain of fragments is followed along the scratch.
    """
    count, labels = cv2.connectedComponents(fragments, connectivity=8)
    if count <= 1 or not lines.any():
        return lines
    where = np.nonzero(labels)
    ids = labels[where].astype(np.intp)
    own = np.stack([np.bincount(ids, v, count) for v in _directions(angle[where])], axis=1)
    open_ = np.ones(count, bool)
    open_[0] = False
    square = np.ones((2 * _LINK_REACH + 1,) * 2, np.uint8)
    # The kept pieces' direction around a pixel varies slowly: it is summed on a grid
    # _LINK_CELL times coarser, which keeps a 4K photo quick.
    grid_width = -(-lines.shape[1] // _LINK_CELL)
    grid_size = -(-lines.shape[0] // _LINK_CELL) * grid_width
    cells = (2 * (_LINK_REACH // _LINK_CELL) + 1,) * 2
    cell = (where[0] // _LINK_CELL) * grid_width + where[1] // _LINK_CELL
    for _ in range(_LINK_ROUNDS):
        near = cv2.dilate(lines, square)
        touching = near[where] > 0
        if not touching.any():
            break
        kept = np.nonzero(lines)
        kept_cell = (kept[0] // _LINK_CELL) * grid_width + kept[1] // _LINK_CELL
        around = [
            cv2.boxFilter(
                np.bincount(kept_cell, v, grid_size).reshape(-1, grid_width), -1, cells
            ).ravel()[cell[touching]]
            for v in _directions(angle[kept])
        ]
        t_ids = ids[touching]
        theirs = np.stack([np.bincount(t_ids, a, count) for a in around], axis=1)
        cosine = (own * theirs).sum(axis=1) / np.maximum(
            np.linalg.norm(own, axis=1) * np.linalg.norm(theirs, axis=1), 1e-9
        )
        join = open_ & (cosine >= _LINK_AGREE)
        if not join.any():
            break
        lines = (lines | join[labels]).astype(np.uint8)
        open_ &= ~join
    return lines


def _directions(angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of the doubled angle, so a line at 0° and one at 180° agree."""
    return np.cos(2 * angle.astype(np.float64)), np.sin(2 * angle.astype(np.float64))


def _drop_paired(lines: np.ndarray, line: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """``lines`` less the pieces that run beside another line for most of their length."""

    def paired_pieces(where: _Pixels, ids: np.ndarray, count: int) -> np.ndarray:
        paired = partner[where] > _PARTNER_SHARE * np.maximum(line[where], 1e-3)
        return np.bincount(ids, paired, count) > 0.5 * np.bincount(ids, None, count)

    return _drop_pieces(lines, paired_pieces)


def _drop_unneutral(lines: np.ndarray, cap: np.ndarray, detail: np.ndarray) -> np.ndarray:
    """``lines`` less the pieces whose weakest channel shows too little of their contrast."""

    def unneutral_pieces(where: _Pixels, ids: np.ndarray, count: int) -> np.ndarray:
        neutral = np.bincount(ids, cap[where], count)
        return neutral < _NEUTRAL_SHARE * np.bincount(ids, detail[where], count)

    return _drop_pieces(lines, unneutral_pieces)


def _robust_level(values: np.ndarray, k: float) -> float:
    """``median + k · 1.4826 · MAD`` of ``values``, from a strided sample."""
    stride = max(1, int(np.sqrt(values.size / _SAMPLE_PIXELS)))
    sample = values[::stride, ::stride].ravel()
    median = float(np.median(sample))
    spread = 1.4826 * float(np.median(np.abs(sample - median)))
    return median + k * spread


def _rotation(height: int, width: int, degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine matrix turning a picture by ``degrees`` onto a canvas that holds all of it."""
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (int(np.ceil(height * sin + width * cos)), int(np.ceil(height * cos + width * sin)))
    matrix[0, 2] += size[0] / 2 - width / 2
    matrix[1, 2] += size[1] / 2 - height / 2
    return matrix, size


def _shrink(luminance: np.ndarray, detail: np.ndarray, sign: float, scale: int) -> np.ndarray:
    """A working copy ``scale`` times smaller in which thin ``detail`` keeps its contrast.

    An area filter alone would fade a 1 px scratch to a fifth of its contrast at
    scale 5, into the grain. So the shrunk picture's part in ``detail`` (the top-hat
    for bright lines, ``sign`` +1, or the black-hat for dark ones, ``sign`` -1) is
    swapped for the *maximum* of the full-size one in each block: every block a
    scratch crosses keeps the scratch's full contrast. (Doing both polarities in one
    copy would paint the closing's slivers beside a bright line as a dark ghost line.)
    """
    height, width = luminance.shape
    pad = ((0, -height % scale), (0, -width % scale))
    if pad[0][1] or pad[1][1]:
        luminance = np.pad(luminance, pad, mode="reflect")
        detail = np.pad(detail, pad, mode="reflect")
    size = (luminance.shape[1] // scale, luminance.shape[0] // scale)
    block = np.ones((scale, scale), np.uint8)
    peak = cv2.dilate(detail, block, anchor=(0, 0))[::scale, ::scale]
    shrunk = cv2.resize(luminance - sign * detail, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(shrunk + sign * peak)


def _line_scores(
    luminance: np.ndarray,
    details: dict[str, np.ndarray],
    kinds: list[str],
    *,
    max_width: int,
    caps: dict[str, np.ndarray] | None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per kind: (long-line score, local ridge, parallel partner, direction in radians)
    at full size, from a working copy.

    Above ``_WORKING_SIDE`` px the orientation search runs on a copy shrunk by a
    whole factor (one per kind, see :func:`_shrink`); its scores are enlarged back.
    ``caps`` (colour photos): per kind, the most ridge a pixel's neutral contrast allows.
    """
    height, width = luminance.shape
    scale = max(1, int(np.ceil(max(height, width) / _WORKING_SIDE)))
    if scale == 1:
        found = _orientation_search(
            luminance, kinds, offset=max(2, max_width // 2 + 1), blur=0.7, caps=caps
        )
        return [found[kind] for kind in kinds]
    offset = max(2, max_width // (2 * scale) + 1)
    small_caps = None if caps is None else {k: _pool(c, scale) for k, c in caps.items()}
    scores = []
    for kind in kinds:
        sign = 1.0 if kind == "bright" else -1.0
        small = _shrink(luminance, details[kind], sign, scale)
        rows, cols = small.shape
        # No blur: a 1 px line in the copy would lose half its contrast to it.
        found = _orientation_search(small, [kind], offset=offset, blur=0.0, caps=small_caps)
        full = (cols * scale, rows * scale)
        line, ridge, partner = (
            cv2.resize(map_, full, interpolation=cv2.INTER_LINEAR)[:height, :width]
            for map_ in found[kind][:3]
        )
        # Nearest, not linear: the mean of two directions is neither.
        angle = cv2.resize(found[kind][3], full, interpolation=cv2.INTER_NEAREST)
        scores.append((line, ridge, partner, angle[:height, :width]))
    return scores


def _pool(values: np.ndarray, scale: int) -> np.ndarray:
    """The maximum of each ``scale``×``scale`` block (edge blocks padded by reflection)."""
    height, width = values.shape
    pad = ((0, -height % scale), (0, -width % scale))
    if pad[0][1] or pad[1][1]:
        values = np.pad(values, pad, mode="reflect")
    block = np.ones((scale, scale), np.uint8)
    return np.ascontiguousarray(cv2.dilate(values, block, anchor=(0, 0))[::scale, ::scale])


def _orientation_search(
    picture: np.ndarray,
    kinds: list[str],
    *,
    offset: int,
    blur: float,
    caps: dict[str, np.ndarray] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per kind: the best long-line score over the orientations, and there the local
    ridge, the strongest parallel line a little further out, and the orientation.

    The picture is turned so each orientation runs along the rows; there the ridge
    strength is the pixel less the brighter (bright kind) of the pixels ``offset`` rows
    above and below (after a ``blur`` of that sigma against aliasing in the turns), the
    long-line score its mean along ``_LINE_LENGTH`` px less the side, alongside and
    shading penalties, and the local ridge its mean along 5 px.
    """
    small = cv2.GaussianBlur(picture, (0, 0), blur) if blur else picture
    rows, cols = small.shape
    best = {
        kind: (
            np.full_like(small, -1.0),
            np.zeros_like(small),
            np.zeros_like(small),
            np.zeros_like(small),
        )
        for kind in kinds
    }
    across = np.ones((_ACROSS, 1), np.uint8)
    alongside = np.ones((2 * offset + 1, 1), np.uint8)
    # Lines running parallel a little further out: the other edge of a tube, a leg's
    # shadow, the next rim of a wheel. Real structures come with them, scratches not.
    reach_across = _PARTNER_REACH * offset
    partners = np.ones((2 * reach_across + 1, 1), np.uint8)
    partners[reach_across - offset - 1 : reach_across + offset + 2] = 0
    # The window centred at a scratch's end is half full; lend the end the score from
    # where it first fills ``_MIN_SUPPORT`` of the window.
    reach = np.ones((1, 2 * int(np.ceil((_MIN_SUPPORT - 0.5) * _LINE_LENGTH)) + 1), np.uint8)
    inverse = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    for degrees in np.linspace(0, 180, _ORIENTATIONS, endpoint=False):
        radians = np.float32(np.deg2rad(degrees))
        matrix, size = _rotation(rows, cols, float(degrees))
        turned = cv2.warpAffine(small, matrix, size, borderMode=cv2.BORDER_REFLECT)
        above, below = np.roll(turned, offset, 0), np.roll(turned, -offset, 0)
        sides = np.abs(cv2.blur(above - below, (_LINE_LENGTH, 1)))
        ridges = {
            "bright": turned - np.maximum(above, below),
            "dark": np.minimum(above, below) - turned,
        }
        if caps is not None:
            for kind, cap in caps.items():
                cap = cv2.warpAffine(cap, matrix, size, borderMode=cv2.BORDER_REFLECT)
                ridges[kind] = np.minimum(ridges[kind], cap)
        lines = {}
        raw = {}
        for kind, ridge in ridges.items():
            pooled = cv2.dilate(ridge, across)
            # Only the positive ridge counts: where a line dips below its sides (texture
            # crossing it) that says nothing for or against a line there, and the shading
            # test below compares these means across the two polarities.
            raw[kind] = cv2.blur(np.maximum(pooled, 0), (_LINE_LENGTH, 1))
            mean = raw[kind] - _SIDE_WEIGHT * sides
            support = cv2.blur((pooled > _SUPPORT_LEVEL).astype(np.float32), (_LINE_LENGTH, 1))
            gated = np.where(support >= _MIN_SUPPORT, mean, np.minimum(mean, 0))
            # The local ridge still has to be there for a lent score to count.
            lines[kind] = cv2.dilate(gated.astype(np.float32), reach)
        either = cv2.dilate(np.maximum(np.maximum(lines["bright"], lines["dark"]), 0), partners)
        for kind in kinds:
            other_kind = "dark" if kind == "bright" else "bright"
            other = lines[other_kind]
            # The opposite-polarity line beside it, judged by its mean ridge alone (the
            # dark edge of a lit tube is one-sided, so its own score is nil): past half
            # the line's own ridge, it marks the shading of a solid thing.
            shading = cv2.dilate(raw[other_kind], alongside) - _SHADING_FREE * raw[kind]
            penalised = (
                lines[kind]
                - _ALONGSIDE_WEIGHT * cv2.dilate(np.maximum(other, 0), alongside)
                - _SHADING_WEIGHT * np.maximum(shading, 0)
            )
            line = cv2.warpAffine(penalised, matrix, (cols, rows), flags=inverse)
            local = cv2.blur(ridges[kind], (5, 1))
            local = cv2.warpAffine(local, matrix, (cols, rows), flags=inverse)
            partner = cv2.warpAffine(either, matrix, (cols, rows), flags=inverse)
            strongest, ridge_there, partner_there, angle_there = best[kind]
            better = line > strongest
            strongest[better] = line[better]
            ridge_there[better] = local[better]
            partner_there[better] = partner[better]
            angle_there[better] = radians
    return best


def _select_scratches(
    line: np.ndarray,
    ridge: np.ndarray,
    response: np.ndarray,
    clutter: np.ndarray,
    *,
    strictness: float,
    min_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 0/1: long pieces seeded by a strong long-line score, grown into weaker ones;
    and the fragments left out (too short, or with no seed) on which a long line still
    scores ``_LINK_SHARE`` of the seed level: candidates to continue a piece."""
    seed_level = max(
        _robust_level(line, 4.0 + 8.0 * strictness), _SEED_BASE + _SEED_SLOPE * strictness
    )
    ridge_level = seed_level / 2
    weak = (
        (line > _GROW_SHARE * seed_level) & (ridge > ridge_level / 2) & (response > ridge_level / 2)
    )
    _, labels, stats, _ = cv2.connectedComponentsWithStats(weak.astype(np.uint8), connectivity=8)
    seeded = np.zeros(len(stats), bool)
    strong = (line > seed_level) & (line > _CLUTTER_FACTOR * clutter) & (ridge > ridge_level)
    seeded[np.unique(labels[strong & weak])] = True
    length = np.hypot(stats[:, 2].astype(np.float64), stats[:, 3].astype(np.float64))
    keep = seeded & (length >= min_length)
    keep[0] = False
    fragment = np.zeros(len(stats), bool)
    fragment[np.unique(labels[weak & (line > _LINK_SHARE * seed_level)])] = True
    fragment &= ~keep
    fragment[0] = False
    return keep.astype(np.uint8)[labels], fragment.astype(np.uint8)[labels]


def _select_dust(
    response: np.ndarray, opposite: np.ndarray, *, strictness: float, side: int, grey: bool
) -> np.ndarray:
    """uint8 0/1: small compact blobs that stand far out of the detail around them.

    Each blob is cut at half its own peak (so a faint speck keeps its whole shape and
    a strong one is not merged with its halo), must be compact, and its peak must
    clear the mean plus a number of standard deviations of the response in the
    ``4 · side`` px around it (the blob itself left out): on grain or foliage only
    a speck far above the texture counts, on a smooth sky a fainter one does.
    A speck is one tone; a blob with a strong blob of the other polarity right
    beside it (``opposite``: a crater's lit rim and shadow, a rivet's highlight) is
    shading of a real relief and is dropped.
    """
    window = 4 * side + 1
    level = max(
        _robust_level(response, 6.0 + 12.0 * strictness), _DUST_BASE + _DUST_SLOPE * strictness
    )
    local_peak = cv2.dilate(response, np.ones((side, side), np.uint8))
    region = ((response > 0.5 * local_peak) & (response > level / 2)).astype(np.uint8)
    count, labels, stats, centres = cv2.connectedComponentsWithStats(region, connectivity=8)
    # Only the blobs' own pixels: np.maximum.at over a whole 4K frame is slow.
    where = np.nonzero(region)
    ids = labels[where].astype(np.intp)
    values = response[where].astype(np.float64)
    peak = np.zeros(count)
    np.maximum.at(peak, ids, values)
    width, height, area = (stats[:, i].astype(np.float64) for i in (2, 3, 4))
    rows = np.clip(np.rint(centres[:, 1]).astype(int), 0, response.shape[0] - 1)
    cols = np.clip(np.rint(centres[:, 0]).astype(int), 0, response.shape[1] - 1)
    box = (window, window)
    cells = float(window * window)
    total = cv2.blur(response, box, borderType=cv2.BORDER_REFLECT)[rows, cols] * cells
    squares = cv2.blur(response * response, box, borderType=cv2.BORDER_REFLECT)[rows, cols] * cells
    others = np.maximum(cells - area, 1.0)
    around = (total - np.bincount(ids, values, count)) / others
    spread = (squares - np.bincount(ids, values * values, count)) / others - around**2
    spread = np.sqrt(np.maximum(spread, 0.0))
    # The strongest opposite-polarity detail touching each blob (within a few px).
    beside = cv2.dilate(opposite, np.ones((_DUST_BESIDE, _DUST_BESIDE), np.uint8))
    shading = np.zeros(count)
    np.maximum.at(shading, ids, beside[where].astype(np.float64))
    keep = (
        (peak > level)
        & (shading < _DUST_SHADING * peak)
        & (np.maximum(width, height) <= side)
        & (area >= _DUST_MIN_AREA)
        & (area >= _DUST_MIN_FILL * width * height)
        & (np.maximum(width, height) <= _DUST_MAX_ELONGATION * np.minimum(width, height))
        & (peak > _DUST_ISOLATION * around)
        & (peak > around + (_DUST_GREY_SPREAD if grey else _DUST_SPREAD) * spread)
    )
    keep[0] = False
    return keep.astype(np.uint8)[labels]
