"""Region plans: which crops of the image an engine works on, and at what size.

:func:`plan_regions` turns a mask into a :class:`~inpaintkit.types.Plan`; :func:`crop_region`
and :func:`crop_mask` cut a region out at its working size, :func:`uncrop` brings an
engine's result back to the crop's size. Compositing consumes the plan.

Guarantees the compositor relies on (tested):

* crops of different regions never overlap;
* every pixel with ``mask > 0`` lies inside exactly one region's ``mask_box``;
* ``mask_box`` lies inside ``crop``, and ``crop`` inside the image;
* crop sides are multiples of ``multiple`` unless the image side itself is too small, in
  which case the crop takes the whole side and the plan's notes say so.

Cost follows the masked area: one fast pass finds the mask's bounding box (or the caller
passes it as ``bounds``), the connected-component pass runs inside that box only, and
merging works on region boxes, never on pixels in Python.
"""

from __future__ import annotations

import cv2
import numpy as np

from inpaintkit.convert import SCALES, to_float32
from inpaintkit.errors import (
    EmptyMaskError,
    InvalidInputError,
    InvalidMaskError,
    InvalidParameterError,
    SizeMismatchError,
)
from inpaintkit.mask.refine import _check_bounds, _fast_box, _selected_box, is_binary
from inpaintkit.prepare.geometry import scale_extent_to
from inpaintkit.types import Box, Extent, Plan, Region

__all__ = [
    "auto_padding",
    "crop_engine_mask",
    "crop_mask",
    "crop_region",
    "plan_regions",
    "uncrop",
]

AUTO_PADDING_MIN = 32
AUTO_PADDING_MAX = 512
# Above this many connected areas, neighbours are pre-grouped with one dilation so the
# pairwise merge below stays small (speckle masks can have tens of thousands of dots).
_PREGROUP_ABOVE = 256
_PREGROUP_MAX_DISTANCE = 64
_PAIR_BLOCK = 256


def _optional_int(name: str, value: object, *, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise InvalidParameterError(f"{name} must be None or an integer >= {low}, got {value!r}")
    return int(value)


def auto_padding(mask_box: Box) -> int:
    """Context for a region when none is given: half its longer side, clamped to [32, 512].

    Enough texture around a hole for exemplar fills, while cost still follows the hole.

    >>> auto_padding(Box(0, 0, 10, 4)), auto_padding(Box(0, 0, 300, 100))
    (32, 150)
    """
    return min(max(max(mask_box.width, mask_box.height) // 2, AUTO_PADDING_MIN), AUTO_PADDING_MAX)


def _validate_mask(image_size: Extent, mask: object) -> np.ndarray:
    if not isinstance(mask, np.ndarray):
        raise InvalidMaskError(f"mask must be a numpy array, got {type(mask).__name__}")
    if mask.ndim != 2:
        raise InvalidMaskError(
            f"mask must be a 2-D H×W array, got shape {mask.shape}; "
            "pass a single-channel mask (e.g. mask[..., 0])"
        )
    height, width = mask.shape
    if (width, height) != (image_size.width, image_size.height):
        raise SizeMismatchError(
            f"mask is {width}×{height} but image is {image_size}; "
            "resize the mask to the image size first"
        )
    return mask


def _check_no_nan(mask: np.ndarray) -> None:
    if mask.dtype.kind == "f" and bool(np.isnan(mask).any()):
        raise InvalidMaskError("mask contains NaN values; replace them with 0 or 1")


def _selected_window(mask: np.ndarray, bounds: object) -> Box | None:
    """The box around ``mask > 0``, or inside ``bounds`` (the mask is 0 outside them)."""
    if bounds is not None:
        window = _check_bounds(bounds, mask.shape)
        part = mask[window.slices]
        _check_no_nan(part)
        inner = _selected_box(part > 0)
        if inner is None:
            return None
        return Box(
            inner.x0 + window.x0, inner.y0 + window.y0, inner.x1 + window.x0, inner.y1 + window.y0
        )
    box, decided = _fast_box(mask, upper=np.inf)  # one pass: no negative value and no NaN
    if decided:
        return box
    _check_no_nan(mask)
    return _selected_box(mask > 0)


def _snap_spans(start: np.ndarray, stop: np.ndarray, multiple: int, side: int) -> np.ndarray:
    length = stop - start
    wanted = -(-length // multiple) * multiple
    begin = np.clip(start - (wanted - length) // 2, 0, np.maximum(side - wanted, 0))
    whole = wanted > side
    return np.stack([np.where(whole, 0, begin), np.where(whole, side, begin + wanted)])


def _region_crops(boxes: np.ndarray, pads: np.ndarray, multiple: int, extent: Extent) -> np.ndarray:
    """``snap_box(clip_box(pad_box(box)))`` for every row at once (same rule, vectorised)."""
    x0 = np.clip(boxes[:, 0] - pads, 0, extent.width)
    y0 = np.clip(boxes[:, 1] - pads, 0, extent.height)
    x1 = np.clip(boxes[:, 2] + pads, x0, extent.width)
    y1 = np.clip(boxes[:, 3] + pads, y0, extent.height)
    xs = _snap_spans(x0, x1, multiple, extent.width)
    ys = _snap_spans(y0, y1, multiple, extent.height)
    return np.stack([xs[0], ys[0], xs[1], ys[1]], axis=1)


def _auto_paddings(boxes: np.ndarray) -> np.ndarray:
    longer = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    return np.clip(longer // 2, AUTO_PADDING_MIN, AUTO_PADDING_MAX)


def _group_boxes(boxes: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Union of the boxes that share a label, one row per label."""
    out = np.empty((count, 4), np.int64)
    out[:, :2] = np.iinfo(np.int64).max
    out[:, 2:] = np.iinfo(np.int64).min
    np.minimum.at(out[:, 0], labels, boxes[:, 0])
    np.minimum.at(out[:, 1], labels, boxes[:, 1])
    np.maximum.at(out[:, 2], labels, boxes[:, 2])
    np.maximum.at(out[:, 3], labels, boxes[:, 3])
    return out


def _close_pairs(crops: np.ndarray, distances: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) whose crops overlap, touch, or have a gap <= the distance.

    A sweep over boxes sorted by ``x0``: each block of boxes is compared only with the
    boxes that start before the block's right edge plus the distance, so many small
    regions spread across an image cost about n·k, not n².
    """
    n = len(crops)
    order = np.argsort(crops[:, 0], kind="stable")
    boxes = crops[order]
    limits = np.full(n, distances, np.int64) if isinstance(distances, int) else distances[order]
    reach = int(limits.max()) if n else 0
    rows: list[np.ndarray] = [np.empty(0, np.int64)]
    cols: list[np.ndarray] = [np.empty(0, np.int64)]
    for start in range(0, n, _PAIR_BLOCK):
        stop = min(start + _PAIR_BLOCK, n)
        end = int(np.searchsorted(boxes[:, 0], boxes[start:stop, 2].max() + reach, "right"))
        block, others = boxes[start:stop, None, :], boxes[None, start:end, :]
        dx = np.maximum(block[..., 0], others[..., 0]) - np.minimum(block[..., 2], others[..., 2])
        dy = np.maximum(block[..., 1], others[..., 1]) - np.minimum(block[..., 3], others[..., 3])
        gap = np.maximum(np.maximum(dx, dy), 0)
        limit = np.minimum(limits[start:stop, None], limits[None, start:end])
        i, j = np.nonzero(gap <= limit)
        i, j = i + start, j + start
        keep = i < j
        rows.append(order[i[keep]])
        cols.append(order[j[keep]])
    return np.concatenate(rows), np.concatenate(cols)


def _pregroup(
    selected: np.ndarray, labels: np.ndarray, boxes: np.ndarray, distance: int
) -> np.ndarray:
    """Merge areas whose pixels are within ``distance`` (they would merge anyway)."""
    size = 2 * distance + 1
    grown = cv2.dilate(selected, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    _, grown_labels = cv2.connectedComponents(grown, connectivity=8)
    where = labels > 0
    group_of = np.zeros(len(boxes) + 1, np.int64)
    group_of[labels[where]] = grown_labels[where]
    _, compact = np.unique(group_of[1:], return_inverse=True)
    return _group_boxes(boxes, compact.ravel(), int(compact.max()) + 1)


def plan_regions(
    image_size: Extent,
    mask: np.ndarray,
    *,
    padding: int | None = None,
    multiple: int = 8,
    working_size: int | None = None,
    merge_distance: int | None = None,
    bounds: Box | None = None,
) -> Plan:
    """Cut the masked part of an image into non-overlapping crops for an engine.

    Each connected area of ``mask > 0`` (8-connectivity) gets its bounding box plus
    ``padding`` pixels of context (``None``: :func:`auto_padding`), clipped to the image
    and snapped to ``multiple``. Areas whose crops overlap or lie within
    ``merge_distance`` pixels (default: the padding; for automatic padding the smaller of
    the two) become one region, repeated until stable. With ``working_size`` each crop is
    resized so its longer side is ``working_size`` (both sides snapped to ``multiple``).
    ``bounds`` is a box outside which the mask is 0 (see
    :func:`~inpaintkit.mask.mask_bounds`), to skip the pass that finds it.

    >>> m = np.zeros((100, 200), np.float32); m[40:50, 20:30] = 1; m[40:60, 150:160] = 1
    >>> plan = plan_regions(Extent(200, 100), m, padding=4)
    >>> [tuple(r.crop) for r in plan.regions]  # 10×10 + 2×4 padding, snapped up to 24
    [(13, 33, 37, 57), (143, 34, 167, 66)]
    """
    image_size = Extent(int(image_size[0]), int(image_size[1]))
    if image_size.width <= 0 or image_size.height <= 0:
        raise InvalidParameterError(f"image_size must be positive, got {image_size}")
    mask = _validate_mask(image_size, mask)
    pad = _optional_int("padding", padding, low=0)
    step = _optional_int("multiple", multiple, low=1)
    assert step is not None
    longest = _optional_int("working_size", working_size, low=1)
    distance = _optional_int("merge_distance", merge_distance, low=0)

    whole = _selected_window(mask, bounds)
    if whole is None:
        raise EmptyMaskError(
            "the mask selects nothing (no pixel > 0); paint the area to regenerate"
        )
    # Components are found inside the mask's bounding box only: cost follows the mask.
    sub = np.ascontiguousarray(mask[whole.slices] > 0).view(np.uint8)
    # Outer contours trace only the edges of the areas (8-connected, like the components),
    # an order of magnitude faster than labelling every pixel. An island inside another
    # area's hole has no outer contour of its own, but lies inside that area's box, so it
    # is planned with it.
    contours, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if len(contours) <= _PREGROUP_ABOVE:
        rects = np.array([cv2.boundingRect(c) for c in contours], np.int64).reshape(-1, 4)
        boxes = np.stack(
            [
                rects[:, 0] + whole.x0,
                rects[:, 1] + whole.y0,
                rects[:, 0] + rects[:, 2] + whole.x0,
                rects[:, 1] + rects[:, 3] + whole.y0,
            ],
            axis=1,
        )
        areas = len(boxes)
    else:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
        boxes = np.empty((count - 1, 4), np.int64)
        boxes[:, 0] = stats[1:, cv2.CC_STAT_LEFT] + whole.x0
        boxes[:, 1] = stats[1:, cv2.CC_STAT_TOP] + whole.y0
        boxes[:, 2] = boxes[:, 0] + stats[1:, cv2.CC_STAT_WIDTH]
        boxes[:, 3] = boxes[:, 1] + stats[1:, cv2.CC_STAT_HEIGHT]
        areas = len(boxes)
        # Two areas whose pixels are d apart have padded crops at most d - 2p apart.
        least_pad = AUTO_PADDING_MIN if pad is None else pad
        least_distance = least_pad if distance is None else distance
        reach = min((2 * least_pad + least_distance) // 2, _PREGROUP_MAX_DISTANCE // 2)
        if reach > 0:
            boxes = _pregroup(sub, labels, boxes, reach)
        del labels

    while True:
        pads = _auto_paddings(boxes) if pad is None else np.full(len(boxes), pad, np.int64)
        crops = _region_crops(boxes, pads, step, image_size)
        i, j = _close_pairs(crops, pads if distance is None else distance)
        if i.size == 0:
            break
        # scipy is imported only here, when regions lie close enough to merge: it costs
        # 0.15 s of start-up that most runs (one region) never need.
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        graph = coo_matrix((np.ones(i.size, np.int8), (i, j)), shape=(len(boxes), len(boxes)))
        groups, group_of = connected_components(graph, directed=False)
        boxes = _group_boxes(boxes, group_of, groups)

    order = np.lexsort((crops[:, 0], crops[:, 1]))
    regions: list[Region] = []
    notes: list[str] = []
    if areas > len(boxes):
        plural = "region" if len(boxes) == 1 else "regions"
        notes.append(f"merged {areas} masked areas into {len(boxes)} {plural}")
    for index in order:
        crop = Box(*map(int, crops[index]))
        for name, side, full in (
            ("width", crop.width, image_size.width),
            ("height", crop.height, image_size.height),
        ):
            if side % step:
                notes.append(
                    f"crop {name} {side} is not a multiple of {step}: the image is only "
                    f"{full} px, so the crop spans it whole"
                )
        size = (
            crop.extent
            if longest is None
            else scale_extent_to(crop.extent, longest=longest, multiple=step)
        )
        regions.append(Region(crop=crop, mask_box=Box(*map(int, boxes[index])), working_size=size))

    return Plan(
        image_size=image_size,
        regions=tuple(regions),
        padding=pad,
        multiple=step,
        working_size=longest,
        notes=tuple(dict.fromkeys(notes)),
    )


def _to_float(array: np.ndarray, what: str) -> np.ndarray:
    """A new float32 array; bool and every float precision are accepted as they are."""
    if array.dtype.kind not in "bf" and array.dtype not in SCALES:
        raise InvalidInputError(
            f"{what} has dtype {array.dtype}; pass uint8, uint16 or float32 in [0, 1]"
        )
    return to_float32(array, copy=True)


def _check_covers(array: np.ndarray, region: Region, what: str) -> None:
    height, width = array.shape[:2]
    crop = region.crop
    if crop.x0 < 0 or crop.y0 < 0 or crop.x1 > width or crop.y1 > height or crop.is_empty:
        raise SizeMismatchError(
            f"{what} is {width}×{height} but the region's crop is {tuple(crop)}; "
            "use the same image size the plan was made for"
        )


def _resize(array: np.ndarray, size: Extent, *, down: int, up: int) -> np.ndarray:
    height, width = array.shape[:2]
    if (width, height) == (size.width, size.height):
        return array
    shrinking = size.area < width * height
    resized = cv2.resize(
        np.ascontiguousarray(array),
        (size.width, size.height),
        interpolation=down if shrinking else up,
    )
    return np.clip(resized, 0.0, 1.0)


def crop_region(image: np.ndarray, region: Region) -> np.ndarray:
    """Cut ``region.crop`` out of ``image`` as float32 in [0, 1], resized to its working size.

    Only the crop is converted from uint8/uint16, so cost follows the region. Shrinking
    uses area averaging, enlarging bicubic interpolation (clipped back to [0, 1]).
    """
    if image.ndim not in (2, 3):
        raise InvalidInputError(f"image must be H×W or H×W×C, got shape {image.shape}")
    _check_covers(image, region, "image")
    crop = _to_float(image[region.crop.slices], "image")
    return _resize(crop, region.working_size, down=cv2.INTER_AREA, up=cv2.INTER_CUBIC).astype(
        np.float32, copy=False
    )


def crop_mask(mask: np.ndarray, region: Region) -> np.ndarray:
    """Cut ``region.crop`` out of ``mask`` as float32 in [0, 1], resized to its working size.

    Area averaging when shrinking and bilinear when enlarging: soft edges stay soft and a
    one-pixel stroke becomes a fainter stroke rather than vanishing (as nearest would).
    """
    if mask.ndim != 2:
        raise InvalidMaskError(f"mask must be a 2-D H×W array, got shape {mask.shape}")
    _check_covers(mask, region, "mask")
    crop = _to_float(mask[region.crop.slices], "mask")
    return _resize(crop, region.working_size, down=cv2.INTER_AREA, up=cv2.INTER_LINEAR).astype(
        np.float32, copy=False
    )


def crop_engine_mask(mask: np.ndarray, region: Region) -> np.ndarray:
    """The region's mask at the engine's working size, hard masks kept hard.

    Resizing gives a hard mask soft edges; a hard mask stays hard (any coverage =
    regenerate), so an engine that treats soft values specially (differential diffusion)
    does so only where the user made the mask soft.

    >>> from inpaintkit.types import Box, Extent, Region
    >>> m = np.zeros((4, 4), np.float32); m[1, 1] = 1
    >>> region = Region(Box(0, 0, 4, 4), Box(1, 1, 2, 2), Extent(2, 2))
    >>> crop_engine_mask(m, region).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    resized = crop_mask(mask, region)
    if tuple(region.working_size) == tuple(region.crop.extent):
        return resized
    if is_binary(mask[region.crop.slices]):
        return (resized > 0).astype(np.float32)
    return resized


def uncrop(generated: np.ndarray, region: Region) -> np.ndarray:
    """Resize an engine's working-size result back to the crop's size (float32, [0, 1])."""
    height, width = generated.shape[:2]
    if (width, height) != tuple(region.working_size):
        raise SizeMismatchError(
            f"generated image is {width}×{height} but the region's working size is "
            f"{region.working_size}; pass the engine's output for this region"
        )
    result = _to_float(generated, "generated image")
    return _resize(result, region.crop.extent, down=cv2.INTER_AREA, up=cv2.INTER_CUBIC).astype(
        np.float32, copy=False
    )
