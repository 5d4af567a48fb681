"""Convention 1: the dtype alone decides the scale (inpaintkit.convert)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inpaintkit.convert import (
    IMAGE_DTYPES,
    SCALES,
    dtype_scale,
    from_float,
    to_dtype,
    to_float32,
    to_float_rgb,
)
from inpaintkit.errors import InvalidInputError

PROFILE = settings(max_examples=50, deadline=None)


@pytest.mark.parametrize(
    ("dtype", "scale"), [(np.uint8, 255.0), (np.uint16, 65535.0), (np.float32, 1.0)]
)
def test_dtype_scale_of_the_stored_dtypes(dtype: type, scale: float) -> None:
    assert dtype_scale(dtype) == scale
    assert dtype_scale(np.dtype(dtype)) == scale
    assert SCALES[np.dtype(dtype)] == scale


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.float64, np.bool_, np.int8])
def test_dtype_scale_rejects_other_dtypes_naming_the_supported_ones(dtype: type) -> None:
    with pytest.raises(InvalidInputError, match=r"uint8 .*uint16 .*float32"):
        dtype_scale(dtype)


def test_the_values_never_decide_the_scale() -> None:
    # A uint16 image that happens to use only 0..255 is still on the 65535 scale.
    dark = np.array([0, 255], np.uint16)
    assert to_float32(dark).tolist() == pytest.approx([0.0, 255 / 65535])


@pytest.mark.parametrize(("dtype", "full"), [(np.uint8, 255), (np.uint16, 65535)])
def test_to_float32_divides_integers_by_their_scale(dtype: type, full: int) -> None:
    values = np.array([[0, full // 2, full]], dtype)
    result = to_float32(values)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, values.astype(np.float32) / np.float32(full))
    assert values.tolist() == [[0, full // 2, full]]  # input untouched


def test_to_float32_reads_bool_as_0_1_and_casts_other_floats() -> None:
    assert to_float32(np.array([False, True])).tolist() == [0.0, 1.0]
    result = to_float32(np.array([0.25, 1.0], np.float64))
    assert result.dtype == np.float32
    assert result.tolist() == [0.25, 1.0]


def test_to_float32_copies_float32_only_when_asked() -> None:
    values = np.array([0.5], np.float32)
    assert to_float32(values) is values
    copied = to_float32(values, copy=True)
    assert copied is not values
    copied[0] = 0.0
    assert values[0] == 0.5


def test_to_float32_rejects_dtypes_without_a_scale() -> None:
    with pytest.raises(InvalidInputError, match="int32"):
        to_float32(np.zeros(2, np.int32))


def test_to_float_rgb_handles_grey_rgb_and_rgba() -> None:
    grey = np.array([[0, 255]], np.uint8)
    assert to_float_rgb(grey).tolist() == [[[0.0] * 3, [1.0] * 3]]
    rgba = np.array([[[65535, 0, 65535, 0]]], np.uint16)
    assert to_float_rgb(rgba).tolist() == [[[1.0, 0.0, 1.0]]]
    rgb = np.array([[[0.0, 0.5, 1.0]]], np.float32)
    result = to_float_rgb(rgb)
    assert result.dtype == np.float32
    assert result is not rgb
    np.testing.assert_array_equal(result, rgb)


def test_from_float_rounds_and_clips_integers() -> None:
    values = np.array([-0.5, 0.0, 0.2, 0.5, 1.0, 3.0], np.float32)
    assert from_float(values, np.uint8).tolist() == [0, 0, 51, 128, 255, 255]
    assert from_float(values, np.uint16).tolist() == [0, 0, 13107, 32768, 65535, 65535]


def test_from_float_clips_float32_without_rounding() -> None:
    values = np.array([-0.5, 0.123, 1.5], np.float64)
    result = from_float(values, np.float32)
    assert result.dtype == np.float32
    assert result.tolist() == pytest.approx([0.0, 0.123, 1.0])


def test_from_float_scaled_values_are_already_at_the_dtype_scale() -> None:
    levels = np.array([-3.0, 127.4, 127.6, 400.0], np.float32)
    assert from_float(levels, np.uint8, scaled=True).tolist() == [0, 127, 128, 255]


def test_from_float_rejects_a_target_without_a_scale() -> None:
    with pytest.raises(InvalidInputError):
        from_float(np.zeros(2), np.int32)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_from_float_keeps_an_arrays_own_float_precision(dtype: type) -> None:
    # float16/float64 images keep their dtype (IMAGE_DTYPES): clipped to [0, 1], scale 1.
    assert np.dtype(dtype) in IMAGE_DTYPES and np.dtype(dtype) not in SCALES
    values = np.array([-0.5, 0.1, 0.3, 1.5], np.float64)
    result = from_float(values, dtype)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, np.array([0.0, 0.1, 0.3, 1.0], dtype))
    assert to_dtype(np.array([0, 255], np.uint8), dtype).tolist() == [0.0, 1.0]


def test_to_dtype_moves_between_bit_depths_exactly() -> None:
    eight = np.arange(256, dtype=np.uint8)
    sixteen = to_dtype(eight, np.uint16)
    np.testing.assert_array_equal(sixteen, eight.astype(np.uint16) * 257)
    np.testing.assert_array_equal(to_dtype(sixteen, np.uint8), eight)
    every = np.arange(65536, dtype=np.uint16)
    np.testing.assert_array_equal(to_dtype(every, np.uint8), np.rint(every / 257.0))


@PROFILE
@given(st.sampled_from([np.uint8, np.uint16]).flatmap(lambda d: arrays(d, st.integers(1, 32))))
def test_integer_values_survive_a_round_trip_through_float(values: np.ndarray) -> None:
    np.testing.assert_array_equal(from_float(to_float32(values), values.dtype), values)
