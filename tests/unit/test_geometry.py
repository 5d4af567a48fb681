import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.prepare.geometry import (
    box_gap,
    clip_box,
    intersect_boxes,
    mask_bbox,
    pad_box,
    scale_extent_to,
    snap_box,
    union_boxes,
)
from inpaintkit.types import Box, Extent

FAST = settings(max_examples=50, deadline=None)


@st.composite
def boxes(draw, low=-20, high=120, longest=60):
    x0 = draw(st.integers(low, high))
    y0 = draw(st.integers(low, high))
    return Box(x0, y0, x0 + draw(st.integers(0, longest)), y0 + draw(st.integers(0, longest)))


extents = st.builds(Extent, st.integers(1, 100), st.integers(1, 100))


def pixels(box: Box) -> set[tuple[int, int]]:
    return {(x, y) for x in range(box.x0, box.x1) for y in range(box.y0, box.y1)}


def test_pad_box_grows_every_side():
    assert pad_box(Box(10, 20, 30, 40), pixels=3) == Box(7, 17, 33, 43)
    assert pad_box(Box(10, 20, 30, 40), pixels=0) == Box(10, 20, 30, 40)


def test_pad_box_rejects_negative_pixels():
    with pytest.raises(InvalidParameterError, match="pixels"):
        pad_box(Box(0, 0, 1, 1), pixels=-1)


def test_clip_box_exact_values():
    assert clip_box(Box(-5, -5, 10, 200), Extent(64, 48)) == Box(0, 0, 10, 48)
    assert clip_box(Box(70, 10, 90, 20), Extent(64, 48)).is_empty


def test_union_and_intersection_exact_values():
    assert union_boxes(Box(0, 0, 2, 2), Box(5, 5, 7, 8)) == Box(0, 0, 7, 8)
    assert intersect_boxes(Box(0, 0, 4, 4), Box(2, 1, 9, 3)) == Box(2, 1, 4, 3)
    assert intersect_boxes(Box(0, 0, 4, 4), Box(4, 0, 8, 4)) is None  # touching only


def test_box_gap_counts_pixels_between():
    assert box_gap(Box(0, 0, 2, 2), Box(2, 2, 4, 4)) == 0  # diagonal touch
    assert box_gap(Box(0, 0, 2, 2), Box(1, 1, 4, 4)) == 0  # overlap
    assert box_gap(Box(0, 0, 2, 2), Box(5, 0, 6, 2)) == 3
    assert box_gap(Box(0, 0, 2, 2), Box(5, 10, 6, 12)) == 8


def test_snap_box_centres_and_stays_inside():
    assert snap_box(Box(10, 10, 15, 20), multiple=8, extent=Extent(64, 48)) == Box(9, 7, 17, 23)
    # Near the left/top edge the box is shifted inward rather than clipped.
    assert snap_box(Box(0, 0, 5, 5), multiple=8, extent=Extent(64, 48)) == Box(0, 0, 8, 8)
    assert snap_box(Box(60, 44, 64, 48), multiple=8, extent=Extent(64, 48)) == Box(56, 40, 64, 48)


def test_snap_box_takes_whole_side_when_no_multiple_fits():
    # 30 px wide image, box needs 32: the whole side (not a multiple) is used.
    assert snap_box(Box(3, 0, 28, 8), multiple=8, extent=Extent(30, 40)) == Box(0, 0, 30, 8)


def test_snap_box_rejects_bad_multiple():
    with pytest.raises(InvalidParameterError, match="multiple"):
        snap_box(Box(0, 0, 4, 4), multiple=0, extent=Extent(8, 8))


def test_scale_extent_to_exact_values():
    assert scale_extent_to(Extent(1000, 500), longest=512, multiple=8) == Extent(512, 256)
    assert scale_extent_to(Extent(300, 1000), longest=512, multiple=64) == Extent(128, 512)
    assert scale_extent_to(Extent(100, 1), longest=512, multiple=8) == Extent(512, 8)
    with pytest.raises(InvalidParameterError):
        scale_extent_to(Extent(0, 10), longest=512, multiple=8)


def test_mask_bbox_exact_values_and_threshold():
    mask = np.zeros((10, 12), np.float32)
    mask[3, 4] = 0.2
    mask[6:8, 9] = 1.0
    assert mask_bbox(mask) == Box(4, 3, 10, 8)
    assert mask_bbox(mask, threshold=0.5) == Box(9, 6, 10, 8)
    assert mask_bbox(np.zeros((4, 4), np.uint8)) is None
    with pytest.raises(InvalidMaskError, match="2-D"):
        mask_bbox(np.zeros((4, 4, 3)))


@FAST
@given(boxes(low=-5, high=25, longest=8), boxes(low=-5, high=25, longest=8))
def test_union_intersection_and_gap_agree_with_pixel_sets(a, b):
    pa, pb = pixels(a), pixels(b)
    assert pa | pb <= pixels(union_boxes(a, b))
    common = intersect_boxes(a, b)
    assert (pixels(common) if common else set()) == pa & pb
    if pa and pb:
        # The gap is the Chebyshev distance between the closest pixels, minus one.
        nearest = min(max(abs(x - u), abs(y - v)) for x, y in pa for u, v in pb)
        assert box_gap(a, b) == max(nearest - 1, 0)


@FAST
@given(boxes(), extents, st.integers(1, 16))
def test_snap_box_contains_clipped_box_and_is_multiple_or_whole_side(box, extent, multiple):
    clipped = clip_box(box, extent)
    snapped = snap_box(box, multiple=multiple, extent=extent)
    assert clip_box(snapped, extent) == snapped
    if clipped.area:
        assert pixels(clipped) <= pixels(snapped)
    for side, full, original in (
        (snapped.width, extent.width, clipped.width),
        (snapped.height, extent.height, clipped.height),
    ):
        assert side % multiple == 0 or side == full
        assert side - original < multiple or side == full


@FAST
@given(boxes(), st.integers(0, 30), extents)
def test_pad_then_clip_keeps_box_inside_image(box, padding, extent):
    padded = clip_box(pad_box(box, pixels=padding), extent)
    assert 0 <= padded.x0 <= padded.x1 <= extent.width
    assert 0 <= padded.y0 <= padded.y1 <= extent.height
    assert pixels(clip_box(box, extent)) <= pixels(padded)


@FAST
@given(extents, st.integers(1, 1024), st.integers(1, 64))
def test_scale_extent_to_keeps_aspect_and_multiple(extent, longest, multiple):
    scaled = scale_extent_to(extent, longest=longest, multiple=multiple)
    assert scaled.width % multiple == 0 and scaled.height % multiple == 0
    longer = max(scaled)
    assert abs(longer - longest) <= multiple / 2 or longer == multiple
    if min(scaled) > multiple:
        ratio = extent.width / extent.height
        assert abs(scaled.width / scaled.height - ratio) / ratio < 2 * multiple / min(scaled)


@FAST
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 11)), max_size=10))
def test_mask_bbox_is_tight(points):
    mask = np.zeros((12, 16), np.float32)
    for x, y in points:
        mask[y, x] = 1.0
    box = mask_bbox(mask)
    if not points:
        assert box is None
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert box == Box(min(xs), min(ys), max(xs) + 1, max(ys) + 1)
