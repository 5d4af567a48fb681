"""Mask refinement: exact pixels on tiny masks and clear errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaintkit.errors import (
    InvalidMaskError,
    InvalidParameterError,
    SizeMismatchError,
    spell_flag,
)
from inpaintkit.mask.refine import (
    MaskRegion,
    blur,
    combine,
    feather,
    fill_holes,
    grow,
    invert,
    is_binary,
    list_regions,
    mask_bounds,
    mask_for_latent,
    refine_mask,
    remove_islands,
    shrink,
    threshold,
)
from inpaintkit.types import Box


def dot(size: int = 7, at: tuple[int, int] = (3, 3)) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    mask[at] = 1
    return mask


def test_uint8_and_bool_masks_are_scaled_by_dtype() -> None:
    np.testing.assert_array_equal(invert(np.array([[0, 255]], np.uint8)), [[1, 0]])
    np.testing.assert_array_equal(invert(np.array([[0, 65535]], np.uint16)), [[1, 0]])
    np.testing.assert_array_equal(invert(np.array([[True, False]])), [[0, 1]])


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.zeros((2, 2, 3), np.float32), r"mask\[\.\.\., 0\]"),
        (np.zeros((0, 3), np.float32), "empty"),
        (np.array([[0.0, np.nan]]), "NaN"),
        (np.array([[0.0, 1.5]], np.float32), r"\[0, 1\]"),
        (np.array([[-0.1, 1.0]]), r"\[0, 1\]"),
        (np.array([[0, 1]], np.int64), "dtype int64"),
        ([[0, 1]], "numpy array"),
    ],
)
def test_bad_masks_are_rejected_with_a_fix(mask: object, message: str) -> None:
    with pytest.raises(InvalidMaskError, match=message):
        grow(mask, pixels=1)  # type: ignore[arg-type]


def test_functions_return_new_arrays_and_leave_input_alone() -> None:
    mask = dot()
    before = mask.copy()
    for result in (
        grow(mask, pixels=0),
        shrink(mask, pixels=0),
        feather(mask, sigma=0),
        blur(mask, sigma=0),
        fill_holes(mask),
        remove_islands(mask, min_area=0),
    ):
        assert result is not mask
        np.testing.assert_array_equal(result, before)
        result[0, 0] = 0.5
    np.testing.assert_array_equal(mask, before)


def test_threshold_and_invert() -> None:
    mask = np.array([[0.0, 0.3, 0.5, 1.0]], np.float32)
    assert threshold(mask).tolist() == [[0, 0, 1, 1]]
    assert threshold(mask, level=0.3).tolist() == [[0, 1, 1, 1]]
    np.testing.assert_allclose(invert(mask), [[1.0, 0.7, 0.5, 0.0]])
    for level in (0, 1.5, True):
        with pytest.raises(InvalidParameterError, match="level"):
            threshold(mask, level=level)


def test_is_binary() -> None:
    assert is_binary(np.array([[0, 1]], np.float32))
    assert not is_binary(np.array([[0, 0.999]], np.float32))
    assert is_binary(np.array([[0, 255]], np.uint8))


def test_grow_uses_a_disk() -> None:
    grown = grow(dot(), pixels=2)
    yy, xx = np.mgrid[-2:3, -2:3]
    expected = (yy**2 + xx**2 <= 4).astype(np.float32)
    np.testing.assert_array_equal(grown[1:6, 1:6], expected)
    assert grown.sum() == expected.sum()


def test_grey_grow_and_shrink_match_binary_and_spread_values() -> None:
    soft = dot() * 0.5
    np.testing.assert_array_equal(grow(soft, pixels=2), grow(dot(), pixels=2) * 0.5)
    square = np.zeros((9, 9), np.float32)
    square[1:8, 1:8] = 0.75
    square[4, 4] = 1.0
    shrunk = shrink(square, pixels=1)
    assert shrunk[1, 4] == 0 and shrunk[2, 2] == 0.75 and shrunk[4, 4] == 0.75


def test_shrink_removes_thin_parts_but_not_the_border_side() -> None:
    mask = np.zeros((6, 8), np.float32)
    mask[:, :4] = 1  # touches the left, top and bottom borders
    mask[2, 4:] = 1  # a one-pixel line
    shrunk = shrink(mask, pixels=1)
    expected = np.zeros((6, 8), np.float32)
    expected[:, :3] = 1
    expected[2, 3] = 1  # its whole radius-1 disk is inside: the line's root
    np.testing.assert_array_equal(shrunk, expected)


@pytest.mark.parametrize("pixels", [-1, 1.5, True])
def test_grow_rejects_bad_pixels(pixels: object) -> None:
    with pytest.raises(InvalidParameterError, match="pixels"):
        grow(dot(), pixels=pixels)  # type: ignore[arg-type]


def test_feather_stays_inside_and_ramps_up() -> None:
    mask = np.zeros((40, 40), np.float32)
    mask[5:35, 5:35] = 1
    soft = feather(mask, sigma=2.0)
    assert np.all(soft[mask == 0] == 0)
    assert np.all(soft <= mask)
    assert soft[20, 20] == 1.0  # interior stays exactly "regenerate fully"
    row = soft[20, 5:20]
    assert 0 < row[0] < 0.3
    assert np.all(np.diff(row) >= 0)
    assert row[6] > 0.99  # 6.5 px = 3.25 sigma from the rim
    assert row[10] == 1.0


def test_feather_keeps_border_flush_and_scales_soft_masks() -> None:
    mask = np.full((10, 10), 0.5, np.float32)
    np.testing.assert_array_equal(feather(mask, sigma=3), mask)


def test_blur_spreads_outside() -> None:
    blurred = blur(dot(), sigma=1.0)
    assert blurred[3, 4] > 0 and blurred[3, 3] < 1
    np.testing.assert_allclose(blurred.sum(), 1.0, rtol=1e-3)
    with pytest.raises(InvalidParameterError, match="sigma"):
        blur(dot(), sigma=-1)


def test_fill_holes_fills_enclosed_holes_by_size() -> None:
    mask = np.zeros((8, 10), np.float32)
    mask[1:7, 1:5] = 1
    mask[2:5, 2:4] = 0  # enclosed hole of 6 px
    mask[1:4, 6:9] = 1
    mask[2, 7] = 0  # enclosed hole of 1 px
    mask[:, 9] = 0
    small_only = fill_holes(mask, max_area=1)
    assert small_only[2, 7] == 1 and small_only[3, 3] == 0
    filled = fill_holes(mask)
    assert filled[2:5, 2:4].min() == 1 and filled[2, 7] == 1
    # The background touching the border is never a hole.
    assert filled[0, 0] == 0 and filled[7, 9] == 0


def test_fill_holes_ignores_gaps_open_to_the_border() -> None:
    u_shape = np.ones((4, 4), np.float32)
    u_shape[0:3, 1:3] = 0
    np.testing.assert_array_equal(fill_holes(u_shape), u_shape)


def test_remove_islands_by_area_8_connected() -> None:
    mask = np.zeros((6, 6), np.float32)
    mask[0, 0] = mask[1, 1] = 1  # diagonal pair: one 8-connected island of 2
    mask[3:6, 3:6] = 0.5  # 9 px
    cleaned = remove_islands(mask, min_area=3)
    assert cleaned[0, 0] == 0 and cleaned[1, 1] == 0
    assert cleaned[4, 4] == 0.5
    np.testing.assert_array_equal(remove_islands(mask, min_area=2), mask)


def test_combine_ops_on_soft_masks() -> None:
    a = np.array([[0.2, 0.8]], np.float32)
    b = np.array([[0.5, 0.5]], np.float32)
    np.testing.assert_allclose(combine(a, b, op="union"), [[0.5, 0.8]])
    np.testing.assert_allclose(combine(a, b, op="intersect"), [[0.2, 0.5]])
    np.testing.assert_allclose(combine(a, b, op="subtract"), [[0.2, 0.5]])
    np.testing.assert_allclose(combine(a, b, op="xor"), [[0.3, 0.3]], atol=1e-6)


def test_combine_errors() -> None:
    with pytest.raises(SizeMismatchError, match="resize"):
        combine(np.zeros((2, 3)), np.zeros((3, 2)), op="union")
    with pytest.raises(InvalidParameterError, match="op must be"):
        combine(np.zeros((2, 2)), np.zeros((2, 2)), op="or")  # type: ignore[arg-type]


def test_list_regions_gives_boxes_areas_and_labels() -> None:
    mask = np.zeros((5, 6), np.float32)
    mask[0:2, 0:2] = 1
    mask[2, 2] = 0.3  # 8-connected to the square
    mask[4, 5] = 1
    regions = list_regions(mask)
    assert regions == [
        MaskRegion(Box(0, 0, 3, 3), 5, 1),
        MaskRegion(Box(5, 4, 6, 5), 1, 2),
    ]
    assert [r.area for r in list_regions(mask, threshold=0.5)] == [4, 1]
    assert list_regions(np.zeros((3, 3), np.float32)) == []
    with pytest.raises(InvalidParameterError, match="threshold"):
        list_regions(mask, threshold=1.0)


def test_mask_for_latent_max_pools_with_partial_cells() -> None:
    mask = np.zeros((17, 10), np.float32)
    mask[16, 9] = 0.4  # lone pixel in the bottom-right partial cell
    mask[3, 0:8] = 1  # a one-pixel line
    latent = mask_for_latent(mask, scale=8)
    assert latent.shape == (3, 2)
    np.testing.assert_array_equal(latent, np.array([[1, 0], [0, 0], [0, 0.4]], np.float32))
    np.testing.assert_array_equal(mask_for_latent(mask, scale=1), mask)
    with pytest.raises(InvalidParameterError, match="scale"):
        mask_for_latent(mask, scale=0)


def test_mask_for_latent_keeps_a_line_that_nearest_resize_loses() -> None:
    mask = np.zeros((64, 64), np.float32)
    mask[:, 13] = 1  # column 13 is not a multiple of 8
    nearest = cv2.resize(mask, (8, 8), interpolation=cv2.INTER_NEAREST)
    area = cv2.resize(mask, (8, 8), interpolation=cv2.INTER_AREA) >= 0.5
    assert nearest.max() == 0 and not area.any()
    latent = mask_for_latent(mask)
    assert latent[:, 1].tolist() == [1.0] * 8 and latent.sum() == 8


def test_refine_mask_applies_the_steps_in_the_fixed_order() -> None:
    mask = np.zeros((13, 13), np.float32)
    mask[6, 0] = 1  # a one-pixel island
    mask[4:9, 5:10] = 1
    mask[6, 7] = 0  # an enclosed hole
    square = np.zeros_like(mask)
    square[4:9, 5:10] = 1
    # Holes are filled before islands go and the mask grows: the hole is gone, the
    # island too, and the square grew by a disk of radius 1.
    refined = refine_mask(mask, fill_holes=True, remove_islands=2, grow=1)
    np.testing.assert_array_equal(refined, grow(square, pixels=1))
    # Shrink comes after grow (a closing): a one-pixel gap between two squares closes.
    split = square.copy()
    split[:, 7] = 0
    closed = refine_mask(split, grow=1, shrink=1)
    np.testing.assert_array_equal(closed, shrink(grow(split, pixels=1), pixels=1))
    assert closed[5:8, 7].all()
    # Nothing asked: a new float32 array equal to the mask.
    same = refine_mask((mask * 255).astype(np.uint8))
    assert same.dtype == np.float32
    np.testing.assert_array_equal(same, mask)
    # Threshold comes before the rest; invert comes first of all.
    soft = np.where(mask > 0, 0.4, 0.0).astype(np.float32)
    assert not refine_mask(soft, threshold=0.5, bounds=mask_bounds(soft)).any()
    assert refine_mask(soft, invert=True, threshold=0.7).sum() == 169 - np.count_nonzero(soft)


@pytest.mark.parametrize(
    ("options", "python", "cli"),
    [
        ({"grow": -1}, "grow must be a whole number ≥ 0", "--grow must be"),
        ({"remove_islands": 2.5}, "remove_islands must be", "--remove-islands must be"),
        ({"feather": float("nan")}, "feather must be a finite number", "--feather must be"),
        ({"threshold": 0}, "threshold must be in (0, 1]", "--threshold must be"),
        ({"fill_holes": "yes"}, "fill_holes must be True or False", "--fill-holes must be"),
    ],
)
def test_refine_mask_errors_name_the_option_in_each_front_ends_words(
    options: dict[str, object], python: str, cli: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        refine_mask(dot(), **options)  # type: ignore[arg-type]
    assert python in str(caught.value)
    assert cli in caught.value.spelled(spell_flag)


def test_option_errors_with_braces_in_the_value_still_render() -> None:
    with pytest.raises(InvalidParameterError, match=r"got \{'a': 1\}"):
        grow(dot(), pixels={"a": 1})  # type: ignore[arg-type]


def test_mask_bounds_validates_and_finds_the_box() -> None:
    assert mask_bounds(dot(at=(2, 5))) == Box(5, 2, 6, 3)
    assert mask_bounds(np.zeros((3, 3), np.float32)) is None
    assert mask_bounds(np.array([[-0.0, 0.5]], np.float32)) == Box(1, 0, 2, 1)
    for bad, message in (
        (np.array([[0.0, np.nan]], np.float32), "NaN"),
        (np.array([[0.0, 1.5]]), r"\[0, 1\]"),
        (np.array([[-0.5, 0.0]], np.float32), r"\[0, 1\]"),
        (np.zeros((2, 2, 3), np.float32), "single-channel"),
    ):
        with pytest.raises(InvalidMaskError, match=message):
            mask_bounds(bad)
