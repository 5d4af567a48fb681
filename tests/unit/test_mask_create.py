"""Masks from boxes, polygons, strokes and COCO RLE: exact pixels and useful errors."""

from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.mask.create import (
    Stroke,
    mask_from_boxes,
    mask_from_polygons,
    mask_from_rle,
    mask_from_strokes,
    mask_to_rle,
)
from inpaintkit.types import Box, Extent


def test_boxes_cover_exact_half_open_pixels() -> None:
    mask = mask_from_boxes(Extent(5, 4), [Box(1, 1, 3, 4), (4, 0, 5, 1)])
    expected = np.zeros((4, 5), np.float32)
    expected[1:4, 1:3] = 1
    expected[0, 4] = 1
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask, expected)


def test_boxes_partly_outside_are_clipped_and_fully_outside_ignored() -> None:
    mask = mask_from_boxes((4, 4), [(-2, -2, 1, 2), (3, 3, 10, 10), (20, 20, 30, 30)])
    assert mask[0:2, 0].tolist() == [1, 1]
    assert mask[3, 3] == 1
    assert mask.sum() == 3


def test_boxes_accept_integral_floats_from_json() -> None:
    assert mask_from_boxes((3, 3), [[0.0, 0.0, 2.0, 1.0]]).sum() == 2


@pytest.mark.parametrize("box", [(2, 0, 2, 3), (3, 0, 1, 3), (0, 2, 3, 1)])
def test_empty_or_inverted_box_is_an_error(box: tuple[int, int, int, int]) -> None:
    with pytest.raises(InvalidMaskError, match="half-open"):
        mask_from_boxes((4, 4), [box])


@pytest.mark.parametrize("box", [(0, 0, 1), (0, 0, 1.5, 2), "abcd", (0, 0, float("nan"), 1)])
def test_malformed_box_is_an_error(box: object) -> None:
    with pytest.raises(InvalidMaskError):
        mask_from_boxes((4, 4), [box])  # type: ignore[list-item]


@pytest.mark.parametrize("size", [(0, 4), (4, -1), (4.0, 4), (4,), "4x4", (True, 4)])
def test_bad_size_is_an_error(size: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"width|height|size"):
        mask_from_boxes(size, [])  # type: ignore[arg-type]


def test_polygon_through_box_corner_pixels_covers_the_box() -> None:
    box = Box(1, 2, 5, 6)
    corners = [[1, 2], [4, 2], [4, 5], [1, 5]]
    np.testing.assert_array_equal(
        mask_from_polygons((8, 8), [corners]), mask_from_boxes((8, 8), [box])
    )


def test_polygon_accepts_coco_flat_lists_and_unions_overlaps() -> None:
    flat = [1, 1, 4, 1, 4, 4, 1, 4]
    pairs = [[2, 2], [6, 2], [6, 6], [2, 6]]
    mask = mask_from_polygons((8, 8), [flat, pairs])
    # Overlap stays filled (union, not even-odd).
    assert mask[3, 3] == 1
    assert mask.sum() == 16 + 25 - 9
    triangle = mask_from_polygons((4, 4), [[0, 0, 3, 0, 0, 3]])
    assert triangle.astype(int).tolist() == [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        ([[0, 0], [1, 1]], "at least 3"),
        ([0, 0, 1, 1, 2], "odd"),
        ([[0, 0], [1, float("nan")], [2, 2]], "NaN"),
        ([[0, 0, 0], [1, 1, 1], [2, 2, 2]], r"\[x, y\]"),
    ],
)
def test_bad_polygon_is_an_error(polygon: object, message: str) -> None:
    with pytest.raises(InvalidMaskError, match=message):
        mask_from_polygons((4, 4), [polygon])  # type: ignore[list-item]


def test_hard_stroke_paints_pixels_within_radius_of_pixel_centres() -> None:
    mask = mask_from_strokes((7, 5), [Stroke(((1.5, 2.5), (5.5, 2.5)), radius=1.0)])
    expected = np.zeros((5, 7), np.float32)
    expected[2, 0:7] = 1  # centreline row, plus the round caps' tips at x=0 and x=6
    expected[1:4, 1:6] = 1
    np.testing.assert_array_equal(mask, expected)


def test_single_point_is_a_dot() -> None:
    mask = mask_from_strokes((5, 5), [{"points": [[2.5, 2.5]], "radius": 1}])
    expected = np.zeros((5, 5), np.float32)
    expected[2, 1:4] = 1
    expected[1:4, 2] = 1
    np.testing.assert_array_equal(mask, expected)


def test_tiny_brush_still_paints_the_pixels_it_crosses() -> None:
    mask = mask_from_strokes((6, 3), [Stroke(((0.2, 1.2), (5.8, 1.2)), radius=0.1)])
    assert mask[1].tolist() == [1] * 6
    assert mask.sum() == 6


def test_soft_stroke_ramps_over_the_outer_part_of_the_radius() -> None:
    mask = mask_from_strokes((11, 1), [{"points": [[5.5, 0.5]], "radius": 4.0, "softness": 0.5}])
    # Distance d from the centre: value = clip((4 - d) / 2, 0, 1).
    np.testing.assert_allclose(mask[0], [0, 0, 0.5, 1, 1, 1, 1, 1, 0.5, 0, 0], atol=1e-6)


def test_strokes_combine_with_max_and_clip_to_canvas() -> None:
    soft = Stroke(((2.5, 0.5),), radius=2.0, softness=1.0)
    hard = Stroke(((3.5, 0.5), (40.0, 0.5)), radius=0.5)
    mask = mask_from_strokes((5, 1), [soft, hard])
    np.testing.assert_allclose(mask[0], [0, 0.5, 1, 1, 1], atol=1e-6)


@pytest.mark.parametrize(
    ("stroke", "error"),
    [
        ({"points": [], "radius": 1}, InvalidMaskError),
        ({"points": [[0, 0]], "radius": 0}, InvalidParameterError),
        ({"points": [[0, 0]], "radius": 2, "softness": 1.5}, InvalidParameterError),
        ({"points": [[0, 0]], "radius": 2, "hardness": 1}, InvalidMaskError),
        ({"points": [[0, float("inf")]], "radius": 2}, InvalidMaskError),
    ],
)
def test_bad_stroke_is_an_error(stroke: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        mask_from_strokes((4, 4), [stroke])


def test_rle_uncompressed_is_column_major_starting_with_zeros() -> None:
    mask = np.array([[0, 1, 1], [1, 1, 0]], np.float32)
    # Columns top to bottom: 0,1 | 1,1 | 1,0 -> runs 0×1, 1×4, 0×1.
    assert mask_to_rle(mask, compress=False) == {"size": [2, 3], "counts": [1, 4, 1]}
    starts_with_one = np.array([[1, 0]], np.float32)
    assert mask_to_rle(starts_with_one, compress=False)["counts"] == [0, 1, 1]
    np.testing.assert_array_equal(mask_from_rle({"size": [2, 3], "counts": [1, 4, 1]}), mask)


def test_rle_compressed_matches_hand_computed_coco_strings() -> None:
    # counts [5, 3, 2, 1, 5]: the 4th and 5th are stored as differences from two back
    # (1 - 3 = -2 -> 'N', 5 - 2 = 3 -> '3').
    mask = mask_from_rle({"size": [4, 4], "counts": [5, 3, 2, 1, 5]})
    assert mask_to_rle(mask) == {"size": [4, 4], "counts": "532N3"}
    np.testing.assert_array_equal(mask_from_rle({"size": [4, 4], "counts": "532N3"}), mask)
    np.testing.assert_array_equal(mask_from_rle({"size": [4, 4], "counts": b"532N3"}), mask)
    # Multi-character numbers: 100 -> 'T3' (low five bits 4 with the continue bit, then 3);
    # 16 -> '`0' (bit 4 set would read as a sign, so one more character follows).
    big = mask_from_rle({"size": [10, 10], "counts": "T3"})
    assert big.sum() == 0
    assert mask_to_rle(mask_from_rle({"size": [4, 4], "counts": [16]}))["counts"] == "`0"


def test_rle_with_wrong_total_or_bad_string_is_an_error() -> None:
    with pytest.raises(InvalidMaskError, match="add up to 5"):
        mask_from_rle({"size": [2, 3], "counts": [1, 4]})
    with pytest.raises(InvalidMaskError, match="invalid character"):
        mask_from_rle({"size": [2, 3], "counts": "1 2"})
    with pytest.raises(InvalidMaskError, match="middle"):
        mask_from_rle({"size": [2, 3], "counts": "T"})
    with pytest.raises(InvalidMaskError, match="size"):
        mask_from_rle({"counts": [6]})


def test_mask_to_rle_refuses_soft_masks() -> None:
    with pytest.raises(InvalidMaskError, match="threshold"):
        mask_to_rle(np.full((2, 2), 0.5, np.float32))


def test_mask_to_rle_accepts_uint8_and_bool() -> None:
    as_uint8 = np.array([[0, 255]], np.uint8)
    assert mask_to_rle(as_uint8, compress=False)["counts"] == [1, 1]
    assert mask_to_rle(as_uint8.astype(bool), compress=False)["counts"] == [1, 1]
