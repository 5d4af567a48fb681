"""Property-based checks of the mask algebra on small random masks."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inpaintkit.mask import (
    blur,
    combine,
    feather,
    grow,
    invert,
    list_regions,
    mask_for_latent,
    mask_from_boxes,
    mask_from_rle,
    mask_to_rle,
    shrink,
)
from inpaintkit.types import Box

PROFILE = settings(max_examples=50, deadline=None)

shapes = st.tuples(st.integers(1, 24), st.integers(1, 24))
binary_masks = shapes.flatmap(
    lambda shape: arrays(np.bool_, shape).map(lambda a: a.astype(np.float32))
)
soft_masks = shapes.flatmap(
    lambda shape: arrays(np.float32, shape, elements=st.floats(0, 1, width=32))
)


@st.composite
def binary_triples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = draw(shapes)
    a, b, c = (draw(arrays(np.bool_, shape)).astype(np.float32) for _ in range(3))
    return a, b, c


@PROFILE
@given(binary_masks, st.integers(0, 5))
def test_shrink_after_grow_contains_the_original(mask: np.ndarray, pixels: int) -> None:
    assert np.all(shrink(grow(mask, pixels=pixels), pixels=pixels) >= mask)


@PROFILE
@given(soft_masks, st.integers(0, 4))
def test_grey_closing_contains_the_original(mask: np.ndarray, pixels: int) -> None:
    assert np.all(shrink(grow(mask, pixels=pixels), pixels=pixels) >= mask)


@PROFILE
@given(binary_masks, st.integers(1, 5))
def test_binary_fast_path_equals_grey_dilation(mask: np.ndarray, pixels: int) -> None:
    # The distance-transform fast path must agree exactly with grey dilation by the disk.
    disk = (np.hypot(*np.mgrid[-pixels : pixels + 1, -pixels : pixels + 1]) <= pixels).astype(
        np.uint8
    )
    np.testing.assert_array_equal(grow(mask, pixels=pixels), cv2.dilate(mask, disk))
    np.testing.assert_array_equal(shrink(mask, pixels=pixels), cv2.erode(mask, disk))


@PROFILE
@given(soft_masks)
def test_invert_twice_is_identity(mask: np.ndarray) -> None:
    np.testing.assert_allclose(invert(invert(mask)), mask, atol=1e-7)


@PROFILE
@given(binary_masks)
def test_invert_twice_is_exact_on_binary(mask: np.ndarray) -> None:
    np.testing.assert_array_equal(invert(invert(mask)), mask)


@PROFILE
@given(binary_triples())
def test_boolean_algebra_on_binary_masks(masks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, c = masks
    union = lambda x, y: combine(x, y, op="union")  # noqa: E731
    meet = lambda x, y: combine(x, y, op="intersect")  # noqa: E731
    eq = np.testing.assert_array_equal
    eq(union(a, b), union(b, a))
    eq(meet(a, b), meet(b, a))
    eq(union(union(a, b), c), union(a, union(b, c)))
    eq(meet(meet(a, b), c), meet(a, meet(b, c)))
    eq(union(a, meet(a, b)), a)
    eq(meet(a, union(a, b)), a)
    eq(invert(union(a, b)), meet(invert(a), invert(b)))
    eq(invert(meet(a, b)), union(invert(a), invert(b)))
    eq(combine(a, b, op="subtract"), meet(a, invert(b)))
    eq(combine(a, b, op="xor"), union(combine(a, b, op="subtract"), combine(b, a, op="subtract")))
    ba, bb = a > 0, b > 0
    eq(combine(a, b, op="xor") > 0, ba ^ bb)


@st.composite
def boxes_on_canvas(draw: st.DrawFn) -> tuple[tuple[int, int], list[Box]]:
    width, height = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    coordinate = st.integers(-5, 25)
    boxes = []
    for _ in range(draw(st.integers(0, 4))):
        x0, y0 = draw(coordinate), draw(coordinate)
        boxes.append(Box(x0, y0, x0 + draw(st.integers(1, 8)), y0 + draw(st.integers(1, 8))))
    return (width, height), boxes


@PROFILE
@given(boxes_on_canvas())
def test_box_pixel_is_one_iff_inside_some_box(case: tuple[tuple[int, int], list[Box]]) -> None:
    (width, height), boxes = case
    mask = mask_from_boxes((width, height), boxes)
    assert mask.shape == (height, width)
    for y in range(height):
        for x in range(width):
            inside = any(b.x0 <= x < b.x1 and b.y0 <= y < b.y1 for b in boxes)
            assert mask[y, x] == float(inside)


@PROFILE
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 6))
def test_disjoint_boxes_area_is_the_sum(cols: int, rows: int, size: int) -> None:
    # A grid of boxes with gaps between them: disjoint by construction.
    boxes = [
        Box(4 * i, 4 * j, 4 * i + 1 + size % 3, 4 * j + 1 + size // 3)
        for i in range(cols)
        for j in range(rows)
    ]
    mask = mask_from_boxes((4 * cols, 4 * rows), boxes)
    assert mask.sum() == sum(b.area for b in boxes)


@PROFILE
@given(binary_masks, st.integers(1, 9))
def test_mask_for_latent_keeps_every_marked_pixel(mask: np.ndarray, scale: int) -> None:
    latent = mask_for_latent(mask, scale=scale)
    height, width = mask.shape
    assert latent.shape == (-(-height // scale), -(-width // scale))
    ys, xs = np.nonzero(mask)
    assert np.all(latent[ys // scale, xs // scale] >= mask[ys, xs])
    assert latent.sum() <= mask.sum()


@PROFILE
@given(st.integers(0, 63), st.booleans())
def test_one_pixel_line_survives_where_resizes_lose_it(position: int, vertical: bool) -> None:
    mask = np.zeros((64, 64), np.float32)
    if vertical:
        mask[:, position] = 1
    else:
        mask[position, :] = 1
    latent = mask_for_latent(mask, scale=8)
    assert latent.sum() == 8
    area = cv2.resize(mask, (8, 8), interpolation=cv2.INTER_AREA)
    assert not (area >= 0.5).any()  # area + threshold always loses a 1-px line
    nearest = cv2.resize(mask, (8, 8), interpolation=cv2.INTER_NEAREST)
    assert nearest.sum() in (0, 8)  # nearest keeps it only when it hits a sampled row


@PROFILE
@given(binary_masks, st.booleans())
def test_rle_round_trip(mask: np.ndarray, compress: bool) -> None:
    rle = mask_to_rle(mask, compress=compress)
    np.testing.assert_array_equal(mask_from_rle(rle), mask)


@PROFILE
@given(soft_masks, st.floats(0.3, 6))
def test_feather_never_leaks_outside_support(mask: np.ndarray, sigma: float) -> None:
    result = feather(mask, sigma=sigma)
    assert np.all(result[mask == 0] == 0)
    assert np.all(result <= mask)
    assert np.all((result >= 0) & (result <= 1))


@PROFILE
@given(binary_masks)
def test_region_areas_sum_to_pixel_count(mask: np.ndarray) -> None:
    regions = list_regions(mask)
    assert sum(r.area for r in regions) == int(mask.sum())
    for region in regions:
        assert mask[region.box.slices].any()


@PROFILE
@given(soft_masks, st.integers(0, 16), st.integers(0, 16), st.floats(0.3, 3), st.integers(1, 4))
def test_working_on_the_mask_window_equals_the_whole_canvas(
    patch: np.ndarray, top: int, left: int, sigma: float, pixels: int
) -> None:
    # The functions only process the mask's bounding box plus a margin; the result must
    # match the plain whole-canvas formula wherever the mask sits.
    mask = np.zeros((40, 40), np.float32)
    height, width = patch.shape
    mask[top : top + height, left : left + width] = patch
    disk = (np.hypot(*np.mgrid[-pixels : pixels + 1, -pixels : pixels + 1]) <= pixels).astype(
        np.uint8
    )
    reflect = cv2.BORDER_REFLECT
    whole_blur = np.clip(cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, borderType=reflect), 0, 1)
    support = (mask > 0).astype(np.float32)
    ramp = np.clip(
        cv2.GaussianBlur(support, (0, 0), sigmaX=sigma, borderType=reflect) * 2 - 1, 0, 1
    )
    ramp[ramp >= 1 - 1e-5] = 1
    # SIMD rounding differs with the row width: equal to float32 precision, not bitwise.
    np.testing.assert_allclose(blur(mask, sigma=sigma), whole_blur, atol=1e-6)
    np.testing.assert_allclose(feather(mask, sigma=sigma), mask * ramp, atol=2e-5)
    assert np.all(feather(mask, sigma=sigma)[mask == 0] == 0)
    np.testing.assert_array_equal(grow(mask, pixels=pixels), cv2.dilate(mask, disk))
    np.testing.assert_array_equal(shrink(mask, pixels=pixels), cv2.erode(mask, disk))
