"""Compositing: kept pixels bit-identical in every dtype, the blend exact to 1 LSB, seam tools."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaintkit.composite import (
    composite,
    composite_region,
    composite_region_into,
    match_colors,
    poisson_blend,
    seam_score,
)
from inpaintkit.errors import InvalidInputError, InvalidMaskError, SizeMismatchError
from inpaintkit.types import Box

SCALES: dict[Any, float] = {np.uint8: 255, np.uint16: 65535, np.float32: 1.0}


def random_image(rng: np.random.Generator, dtype: type, height: int, width: int, channels: int):
    if dtype is np.float32:
        return rng.random((height, width, channels), dtype=np.float32)
    top = int(SCALES[dtype])
    return rng.integers(0, top + 1, (height, width, channels)).astype(dtype)


def soft_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A third zeros, a third ones, a third soft values."""
    choice = rng.integers(0, 3, (height, width))
    return np.where(choice == 0, 0.0, np.where(choice == 1, 1.0, rng.random((height, width))))


def smooth_photo(height: int = 64, width: int = 80) -> np.ndarray:
    """A seeded float32 photo: gradients plus mild texture, kept inside [0.05, 0.8]."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width, y / height, (x + y) / (width + height)], axis=-1)
    image = 0.1 + 0.6 * base + rng.normal(0, 0.02, base.shape)
    return np.clip(image, 0.05, 0.8).astype(np.float32)


def box_mask(height: int, width: int, box: Box) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[box.slices] = 1.0
    return mask


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [3, 4])
def test_unmasked_pixels_are_bit_identical_and_blend_is_exact(dtype: type, channels: int) -> None:
    rng = np.random.default_rng(7)
    base = random_image(rng, dtype, 40, 50, channels)
    before = base.copy()
    mask = soft_mask(rng, 40, 50).astype(np.float32)
    generated = rng.random((40, 50, 3), dtype=np.float32)

    out = composite(base, generated, mask)

    np.testing.assert_array_equal(base, before)  # input untouched
    assert out.dtype == base.dtype and out.shape == base.shape
    keep = mask == 0
    assert np.array_equal(out[keep], base[keep])  # bit-identical, alpha included
    if channels == 4:
        assert np.array_equal(out[..., 3], base[..., 3])
    scale = np.float32(SCALES[dtype])
    full = mask == 1
    expected_full = generated[full] * scale
    if dtype is not np.float32:
        expected_full = np.rint(expected_full)
    np.testing.assert_array_equal(out[full][:, :3], expected_full.astype(dtype))
    soft = (mask > 0) & (mask < 1)
    weight = mask[soft].astype(np.float64)[:, None]
    formula = base[soft][:, :3] / float(scale) * (1 - weight) + generated[soft] * weight
    error = np.abs(out[soft][:, :3] / float(scale) - formula)
    assert error.max() <= 1 / 255


@given(seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.uint8, np.uint16, np.float32]))
@settings(max_examples=50, deadline=None)
def test_kept_pixels_never_change_for_any_mask(seed: int, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 24, 2)
    base = random_image(rng, dtype, height, width, int(rng.integers(3, 5)))
    mask = soft_mask(rng, height, width).astype(np.float32)
    # Values just above 0 are where a careless formula would round differently.
    mask[mask == 0] = np.where(rng.random(int((mask == 0).sum())) < 0.5, 0.0, 1e-9)
    generated = rng.random((height, width, 3), dtype=np.float32)
    out = composite(base, generated, mask)
    assert np.array_equal(out[mask == 0], base[mask == 0])
    assert np.array_equal(out[..., 3:], base[..., 3:])


def test_region_composite_touches_only_the_box_and_the_mask() -> None:
    rng = np.random.default_rng(1)
    base = random_image(rng, np.uint16, 60, 70, 3)
    mask = soft_mask(rng, 60, 70).astype(np.float32)  # mask is nonzero outside the box too
    box = Box(10, 20, 40, 45)
    generated = rng.random((box.height, box.width, 3), dtype=np.float32)

    out = composite_region(base, generated, mask, box)

    outside_box = np.ones((60, 70), bool)
    outside_box[box.slices] = False
    assert np.array_equal(out[outside_box], base[outside_box])
    inside = out[box.slices]
    full = mask[box.slices] == 1
    np.testing.assert_array_equal(inside[full], np.rint(generated[full] * np.float32(65535)))
    assert np.array_equal(inside[mask[box.slices] == 0], base[box.slices][mask[box.slices] == 0])


def test_in_place_variant_matches_the_copying_one() -> None:
    rng = np.random.default_rng(2)
    base = random_image(rng, np.uint8, 30, 30, 4)
    mask = soft_mask(rng, 30, 30).astype(np.float32)
    box = Box(5, 0, 30, 12)
    generated = rng.random((12, 25, 3), dtype=np.float32)
    target = base.copy()
    composite_region_into(target, generated, mask, box)
    np.testing.assert_array_equal(target, composite_region(base, generated, mask, box))


@pytest.mark.parametrize(("dtype", "tolerance"), [(np.float64, 1e-12), (np.float16, 1e-3)])
@pytest.mark.parametrize("channels", [3, 4])
def test_float64_and_float16_targets_keep_their_precision(
    dtype: type, tolerance: float, channels: int
) -> None:
    rng = np.random.default_rng(9)
    target = rng.random((30, 40, channels)).astype(dtype)
    before = target.copy()
    mask = soft_mask(rng, 30, 40).astype(np.float32)
    box = Box(4, 3, 36, 27)
    generated = rng.random((box.height, box.width, 3), dtype=np.float32)

    composite_region_into(target, generated, mask, box)

    assert target.dtype == dtype
    keep = mask == 0
    keep_box = np.ones_like(keep)
    keep_box[box.slices] = False
    untouched = keep | keep_box
    assert np.array_equal(target[untouched], before[untouched])  # bit-identical
    assert np.array_equal(target[..., 3:], before[..., 3:])
    inside = target[box.slices][..., :3].astype(np.float64)
    weights = mask[box.slices].astype(np.float64)[..., None]
    original = before[box.slices][..., :3].astype(np.float64)
    expected = original * (1 - weights) + generated.astype(np.float64) * weights
    selected = mask[box.slices] > 0
    assert np.abs(inside[selected] - expected[selected]).max() <= tolerance
    # composite_region gives the same, as a new array of the same dtype.
    out = composite_region(before, generated, mask, box)
    assert out.dtype == dtype and np.array_equal(out, target)


def test_generated_values_are_clipped_and_uint8_generated_is_scaled() -> None:
    base = np.full((2, 2, 3), 100, np.uint8)
    mask = np.ones((2, 2), np.float32)
    overshoot = np.full((2, 2, 3), 1.2, np.float32)
    overshoot[0, 0] = -0.3  # cubic resizing overshoots a little; it must not wrap around
    out = composite(base, overshoot, mask)
    assert out[0, 0].tolist() == [0, 0, 0] and out[1, 1].tolist() == [255, 255, 255]
    as_u8 = np.full((2, 2, 3), 37, np.uint8)
    assert (composite(np.zeros((2, 2, 3), np.uint16), as_u8, mask) == 37 * 257).all()


def test_an_empty_box_or_mask_returns_an_unchanged_copy() -> None:
    base = np.arange(27, dtype=np.uint8).reshape(3, 3, 3)
    empty = np.zeros((3, 3), np.float32)
    out = composite(base, np.ones((3, 3, 3), np.float32), empty)
    assert out is not base and np.array_equal(out, base)
    full = np.ones((3, 3), np.float32)
    out = composite_region(base, np.ones((0, 2, 3), np.float32), full, Box(1, 1, 3, 1))
    assert np.array_equal(out, base)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda b, g, m: composite(b, g[:5], m),
            SizeMismatchError,
            r"\(5, 10, 3\).*\(10, 10, 3\)",
        ),
        (
            lambda b, g, m: composite(b, g, m[:, :4]),
            SizeMismatchError,
            r"\(10, 4\).*\(10, 10, 3\)",
        ),
        (
            lambda b, g, m: composite_region(b, g[:4, :4], m, Box(8, 8, 12, 12)),
            InvalidInputError,
            "does not fit",
        ),
        (lambda b, g, m: composite(b[..., 0], g, m), InvalidInputError, r"H×W×3"),
        (lambda b, g, m: composite(b.astype(np.int32), g, m), InvalidInputError, "int32"),
        (lambda b, g, m: composite(b, g, m * 2), InvalidMaskError, r"\[0, 1\]"),
        (lambda b, g, m: composite(b, g * np.nan, m), InvalidInputError, "NaN"),
        (
            lambda b, g, m: composite_region(b, g, m, "all"),  # type: ignore[arg-type]
            InvalidInputError,
            "Box",
        ),
    ],
)
def test_bad_input_is_rejected_with_both_shapes_or_the_fix(call, error, message) -> None:
    base = np.zeros((10, 10, 3), np.uint8)
    generated = np.ones((10, 10, 3), np.float32)
    mask = np.ones((10, 10), np.float32)
    with pytest.raises(error, match=message):
        call(base, generated, mask)


def test_in_place_variant_refuses_read_only_targets_and_writes_nothing_on_error() -> None:
    base = np.zeros((4, 4, 3), np.uint8)
    base.flags.writeable = False
    with pytest.raises(InvalidInputError, match="read-only"):
        composite_region_into(
            base, np.ones((4, 4, 3), np.float32), np.ones((4, 4)), Box(0, 0, 4, 4)
        )
    target = np.zeros((4, 4, 3), np.uint8)
    bad_mask = np.ones((4, 4), np.float32)
    bad_mask[3, 3] = np.nan
    with pytest.raises(InvalidMaskError):
        composite_region_into(target, np.ones((4, 4, 3), np.float32), bad_mask, Box(0, 0, 4, 4))
    assert not target.any()


def test_match_colors_removes_a_colour_shift() -> None:
    original = smooth_photo()
    hole = box_mask(64, 80, Box(25, 20, 55, 44))
    generated = original + np.float32(0.1)
    before = generated.copy()

    matched = match_colors(generated, original, hole)

    np.testing.assert_array_equal(generated, before)
    assert matched.dtype == np.float32 and matched.shape == original.shape
    assert matched.min() >= 0.0 and matched.max() <= 1.0
    inside = hole > 0
    error_before = np.abs(generated - original)[inside].mean()
    error_after = np.abs(matched - original)[inside].mean()
    assert error_after < error_before / 5
    np.testing.assert_array_equal(matched[~inside], generated[~inside])


def test_match_colors_leaves_the_fill_alone_without_a_band() -> None:
    original = smooth_photo(16, 16)
    generated = original * np.float32(0.5)
    for mask in (np.zeros((16, 16), np.float32), np.ones((16, 16), np.float32)):
        np.testing.assert_array_equal(match_colors(generated, original, mask), generated)
    with pytest.raises(InvalidInputError, match="band"):
        match_colors(generated, original, np.zeros((16, 16), np.float32), band=0)
    with pytest.raises(SizeMismatchError, match=r"\(8, 16, 3\).*\(16, 16, 3\)"):
        match_colors(generated[:8], original, np.zeros((16, 16), np.float32))


@pytest.mark.parametrize("box", [Box(25, 20, 55, 44), Box(0, 0, 30, 25), Box(50, 10, 80, 64)])
def test_poisson_blend_removes_an_offset_and_keeps_the_outside(box: Box) -> None:
    original = smooth_photo()
    hole = box_mask(64, 80, box)
    inside = hole > 0
    generated = original.copy()
    generated[inside] += np.float32(0.15)  # right texture, wrong brightness

    blended = poisson_blend(original, generated, hole)

    assert blended.shape == original.shape and blended.dtype == np.float32
    np.testing.assert_array_equal(blended[~inside], original[~inside])
    assert np.abs(blended - original)[inside].mean() < 0.15 / 5


def test_poisson_blend_handles_empty_and_full_masks() -> None:
    original = smooth_photo(12, 12)
    generated = original[::-1].copy()
    empty = np.zeros((12, 12), np.float32)
    np.testing.assert_array_equal(poisson_blend(original, generated, empty), original)
    full = np.ones((12, 12), np.float32)
    np.testing.assert_array_equal(poisson_blend(original, generated, full), generated)


def test_seam_score_is_zero_for_a_perfect_fill_and_large_for_a_flat_wrong_colour() -> None:
    original = smooth_photo()
    hole = box_mask(64, 80, Box(25, 20, 55, 44))
    assert seam_score(original, original, hole) == 0.0
    flat = original.copy()
    flat[hole > 0] = (0.9, 0.1, 0.9)
    assert seam_score(original, flat, hole) > 50


def test_seam_score_drops_after_colour_matching() -> None:
    original = smooth_photo()
    hole = box_mask(64, 80, Box(25, 20, 55, 44))
    inside = hole > 0
    shifted = original + np.float32(0.1)
    result = original.copy()
    result[inside] = shifted[inside]
    matched_result = original.copy()
    matched_result[inside] = match_colors(shifted, original, hole)[inside]
    before = seam_score(original, result, hole)
    after = seam_score(original, matched_result, hole)
    assert before > 20
    assert after < before / 4


def test_seam_score_does_not_blame_an_edge_the_photo_already_has() -> None:
    original = np.zeros((32, 32, 3), np.float32)
    original[:, 16:] = 1.0  # a hard edge that coincides with the hole's left border
    hole = np.zeros((32, 32), np.float32)
    hole[8:24, 16:28] = 1
    assert seam_score(original, original.copy(), hole) == 0.0


def test_seam_score_is_zero_without_a_border_and_ignores_the_crop_edge() -> None:
    original = smooth_photo(20, 20)
    other = original[::-1].copy()
    assert seam_score(original, other, np.zeros((20, 20), np.float32)) == 0.0
    assert seam_score(original, other, np.ones((20, 20), np.float32)) == 0.0
    # A hole flush with the crop's left edge: only its right border counts, and the
    # score is in units of 1/255 (a 0.1 step is 25.5).
    flat = np.full((20, 20, 3), 0.5, np.float32)
    hole = box_mask(20, 20, Box(0, 0, 10, 20))
    result = flat.copy()
    result[:, :10] += np.float32(0.1)
    assert seam_score(flat, result, hole) == pytest.approx(25.5, abs=1e-3)


def test_seam_score_blames_a_bad_fill_even_where_an_object_was_removed() -> None:
    original = smooth_photo()
    hole = box_mask(64, 80, Box(25, 20, 55, 44))
    with_object = original.copy()
    with_object[hole > 0] = (0.0, 0.0, 0.0)  # a dark object: its outline is a strong edge
    good, bad = original.copy(), original.copy()
    bad[hole > 0] = (0.9, 0.1, 0.9)
    assert seam_score(with_object, good, hole) < 1
    assert seam_score(with_object, bad, hole) > 50
