"""Work on the mask follows the mask's box: windowed results equal whole-canvas results.

Every refine function, lint_mask and plan_regions process only the box around the
nonzero pixels (plus their reach), found by one fast pass or passed in as ``bounds``.
These properties compare them with the plain whole-canvas formulas, with tight and loose
``bounds``, on random masks placed anywhere on the canvas (touching the border too).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.mask import (
    blur,
    feather,
    fill_holes,
    grow,
    is_binary,
    lint_mask,
    list_regions,
    mask_bounds,
    refine_mask,
    remove_islands,
    shrink,
    threshold,
)
from inpaintkit.prepare import mask_bbox, plan_regions
from inpaintkit.types import Box, Extent

PROFILE = settings(max_examples=40, deadline=None)
CANVAS = (40, 48)  # height, width

patch_shapes = st.tuples(st.integers(1, 20), st.integers(1, 20))
binary_patches = patch_shapes.flatmap(
    lambda shape: arrays(np.bool_, shape).map(lambda a: a.astype(np.float32))
)
soft_patches = patch_shapes.flatmap(
    lambda shape: arrays(
        np.float32, shape, elements=st.sampled_from([0.0, 0.0, 0.25, 0.5, 0.75, 1.0])
    )
)


@st.composite
def placed(draw: st.DrawFn, patches: st.SearchStrategy[np.ndarray] = binary_patches) -> np.ndarray:
    patch = draw(patches)
    height, width = patch.shape
    top = draw(st.integers(0, CANVAS[0] - height))
    left = draw(st.integers(0, CANVAS[1] - width))
    mask = np.zeros(CANVAS, np.float32)
    mask[top : top + height, left : left + width] = patch
    return mask


def loose(box: Box | None, grow_by: int) -> Box | None:
    if box is None:
        return None
    height, width = CANVAS
    return Box(
        max(box.x0 - grow_by, 0),
        max(box.y0 - grow_by, 0),
        min(box.x1 + grow_by, width),
        min(box.y1 + grow_by, height),
    )


def whole_fill_holes(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (mask == 0).astype(np.uint8), connectivity=4
    )
    height, width = mask.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    enclosed = (
        (left > 0)
        & (top > 0)
        & (left + stats[:, cv2.CC_STAT_WIDTH] < width)
        & (top + stats[:, cv2.CC_STAT_HEIGHT] < height)
    )
    enclosed[0] = False
    result = mask.copy()
    if count > 1:
        result[enclosed[labels]] = 1
    return result


def whole_remove_islands(mask: np.ndarray, min_area: int) -> np.ndarray:
    _, labels, stats, _ = cv2.connectedComponentsWithStats(
        (mask > 0).astype(np.uint8), connectivity=8
    )
    small = stats[:, cv2.CC_STAT_AREA] < min_area
    small[0] = False
    result = mask.copy()
    result[small[labels]] = 0
    return result


def whole_regions(mask: np.ndarray) -> list[tuple[Box, int, int]]:
    """Regions numbered in raster order of their first pixel, on the whole canvas."""
    labels = cv2.connectedComponents((mask > 0).astype(np.uint8), connectivity=8)[1]
    firsts = {}
    for index, label in enumerate(labels.ravel().tolist()):
        if label and label not in firsts:
            firsts[label] = index
    regions = []
    for number, label in enumerate(sorted(firsts, key=firsts.__getitem__), start=1):
        rows, cols = np.nonzero(labels == label)
        box = Box(int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
        regions.append((box, int(rows.size), number))
    return regions


def disk(radius: int) -> np.ndarray:
    grid = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (np.hypot(*grid) <= radius).astype(np.uint8)


@PROFILE
@given(placed(soft_patches))
def test_mask_bounds_is_the_tight_box_of_the_nonzero_pixels(mask: np.ndarray) -> None:
    rows, cols = np.nonzero(mask)
    expected = (
        None
        if rows.size == 0
        else Box(int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
    )
    assert mask_bounds(mask) == expected
    assert mask_bbox(mask) == expected
    assert mask_bounds((mask * 255).astype(np.uint8)) == expected
    assert mask_bounds(mask.astype(np.float64)) == expected
    assert mask_bounds(mask > 0) == expected
    if expected is not None:
        assert mask_bounds(mask, bounds=loose(expected, 3)) == expected


@PROFILE
@given(placed(binary_patches), st.integers(1, 4), st.integers(0, 6))
def test_binary_refine_ops_equal_the_whole_canvas(
    mask: np.ndarray, radius: int, extra: int
) -> None:
    box = mask_bounds(mask)
    for bounds in (None, box, loose(box, extra)):
        options: dict[str, Any] = {"bounds": bounds}
        np.testing.assert_array_equal(
            grow(mask, pixels=radius, **options), cv2.dilate(mask, disk(radius))
        )
        np.testing.assert_array_equal(
            shrink(mask, pixels=radius, **options),
            cv2.erode(mask, disk(radius), borderType=cv2.BORDER_REPLICATE),
        )
        np.testing.assert_array_equal(fill_holes(mask, **options), whole_fill_holes(mask))
        np.testing.assert_array_equal(
            remove_islands(mask, min_area=radius + 1, **options),
            whole_remove_islands(mask, radius + 1),
        )
        assert list_regions(mask, **options) == whole_regions(mask)
        assert is_binary(mask, **options)


@PROFILE
@given(placed(soft_patches), st.floats(0.3, 3), st.integers(0, 6))
def test_soft_refine_ops_equal_the_whole_canvas(mask: np.ndarray, sigma: float, extra: int) -> None:
    reflect = cv2.BORDER_REFLECT
    whole_blur = np.clip(cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, borderType=reflect), 0, 1)
    support = (mask > 0).astype(np.float32)
    ramp = np.clip(
        cv2.GaussianBlur(support, (0, 0), sigmaX=sigma, borderType=reflect) * 2 - 1, 0, 1
    )
    ramp[ramp >= 1 - 1e-5] = 1
    box = mask_bounds(mask)
    for bounds in (None, box, loose(box, extra)):
        # SIMD rounding differs with the row width: equal to float32 precision.
        np.testing.assert_allclose(blur(mask, sigma=sigma, bounds=bounds), whole_blur, atol=1e-6)
        feathered = feather(mask, sigma=sigma, bounds=bounds)
        np.testing.assert_allclose(feathered, mask * ramp, atol=2e-5)
        assert np.all(feathered[mask == 0] == 0)
        np.testing.assert_array_equal(
            threshold(mask, level=0.5, bounds=bounds), (mask >= 0.5).astype(np.float32)
        )
        np.testing.assert_array_equal(
            grow(mask, pixels=2, bounds=bounds), cv2.dilate(mask, disk(2))
        )


@PROFILE
@given(placed(binary_patches), st.integers(0, 6))
def test_refine_mask_equals_the_steps_one_by_one(mask: np.ndarray, extra: int) -> None:
    by_hand = feather(
        blur(
            shrink(grow(remove_islands(fill_holes(mask), min_area=3), pixels=3), pixels=1), sigma=1
        ),
        sigma=1.5,
    )
    chained: dict[str, Any] = {
        "fill_holes": True,
        "remove_islands": 3,
        "grow": 3,
        "shrink": 1,
        "blur": 1.0,
        "feather": 1.5,
    }
    for bounds in (None, loose(mask_bounds(mask), extra)):
        np.testing.assert_allclose(refine_mask(mask, bounds=bounds, **chained), by_hand, atol=2e-5)
    np.testing.assert_array_equal(
        refine_mask(mask, invert=True, threshold=0.5), 1 - (mask >= 0.5).astype(np.float32)
    )


def findings(mask: np.ndarray, **options: object) -> list[tuple[str, Box | None, str]]:
    return [(f.code, f.box, f.message) for f in lint_mask(None, mask, **options)]  # type: ignore[arg-type]


@PROFILE
@given(placed(soft_patches), st.sampled_from([None, 2, 8]), st.integers(0, 6))
def test_lint_on_the_window_equals_lint_on_the_whole_canvas(
    mask: np.ndarray, latent_scale: int | None, extra: int
) -> None:
    height, width = CANVAS
    whole = findings(mask, latent_scale=latent_scale, bounds=Box(0, 0, width, height))
    if mask.any():
        assert findings(mask, latent_scale=latent_scale) == whole
        box = loose(mask_bounds(mask), extra)
        assert findings(mask, latent_scale=latent_scale, bounds=box) == whole
    else:
        assert [code for code, _, _ in whole] == ["empty"]


@PROFILE
@given(placed(binary_patches), st.sampled_from([None, 0, 3]), st.integers(0, 6))
def test_plan_on_the_window_equals_the_plan_on_the_whole_canvas(
    mask: np.ndarray, padding: int | None, extra: int
) -> None:
    if not mask.any():
        return
    height, width = CANVAS
    size = Extent(width, height)
    whole = plan_regions(size, mask, padding=padding, bounds=Box(0, 0, width, height))
    assert plan_regions(size, mask, padding=padding) == whole
    assert (
        plan_regions(size, mask, padding=padding, bounds=loose(mask_bounds(mask), extra)) == whole
    )


def test_bounds_must_be_a_box_inside_the_mask() -> None:
    mask = np.zeros((8, 8), np.float32)
    mask[2:4, 2:4] = 1
    for bad in (Box(0, 0, 9, 8), Box(3, 3, 3, 5), (0, 0, 4), "0,0,4,4", Box(-1, 0, 4, 4)):
        with pytest.raises(InvalidParameterError, match="bounds must be a non-empty Box"):
            grow(mask, pixels=1, bounds=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="bounds"):
        plan_regions(Extent(8, 8), mask, bounds=Box(0, 0, 16, 16))
    # Values are checked inside the bounds; outside them the caller vouches for zeros.
    mask[3, 3] = 2.0
    with pytest.raises(InvalidMaskError, match=r"\[0, 1\]"):
        lint_mask(None, mask, bounds=Box(2, 2, 4, 4))


def test_an_8k_mask_is_refined_linted_and_planned_on_its_box() -> None:
    # The behaviour users see on big photos: the same answers as on a small canvas.
    big = np.zeros((4608, 8192), np.float32)
    big[2176:2432, 3968:4224] = 1
    small = np.zeros((576, 1024), np.float32)
    small[160:416, 384:640] = 1
    box = mask_bounds(big)
    assert box == Box(3968, 2176, 4224, 2432)
    grown = refine_mask(big, grow=4, feather=2.0, bounds=box)
    grown_small = refine_mask(small, grow=4, feather=2.0)
    np.testing.assert_array_equal(grown[2172:2436, 3964:4228], grown_small[156:420, 380:644])
    assert grown.sum() == grown_small.sum()
    assert lint_mask(None, grown, bounds=mask_bounds(grown)) == []
    (region,) = plan_regions(Extent(8192, 4608), grown, bounds=mask_bounds(grown)).regions
    assert region.mask_box == Box(3964, 2172, 4228, 2436)
