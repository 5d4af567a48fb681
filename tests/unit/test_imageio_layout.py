"""Results in the caller's own form: dtype, shape, grey files, palettes; grey and LA output."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from inpaintkit.errors import InvalidInputError, InvalidParameterError
from inpaintkit.imageio import load_image, save_image, to_input_layout
from inpaintkit.imageio.layout import grey_from_rgb, quantize_to_palette

RNG = np.random.default_rng(11)
GREY8 = RNG.integers(0, 256, (6, 8), dtype=np.uint8)
GREY16 = RNG.integers(0, 65536, (6, 8), dtype=np.uint16)
ALPHA8 = RNG.integers(0, 256, (6, 8), dtype=np.uint8)
RGB8 = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)


# ------------------------------------------------------------------ arrays


@pytest.mark.parametrize(
    "array",
    [
        GREY8,
        GREY16[..., None],
        np.dstack([GREY8, ALPHA8]),
        RGB8,
        np.dstack([RGB8, ALPHA8]),
        RNG.random((6, 8)),  # float64 H×W
        RNG.random((6, 8, 3)).astype(np.float16),
        RNG.random((6, 8, 4)),
    ],
    ids=["grey8", "grey16-hw1", "grey-alpha", "rgb8", "rgba8", "f64-grey", "f16-rgb", "f64-rgba"],
)
def test_untouched_array_comes_back_identical(array: np.ndarray) -> None:
    picture = load_image(array)
    assert picture.pixels.shape == (6, 8, 3) and picture.pixels.dtype == array.dtype
    back = to_input_layout(picture, picture.pixels, picture.alpha)
    assert back.shape == array.shape and back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_load_image_owns_its_pixels() -> None:
    array = RNG.random((4, 5, 3))
    picture = load_image(array)
    picture.pixels[0, 0] = 0.5
    assert not np.shares_memory(picture.pixels, array)


def test_float_arrays_are_validated_in_every_precision() -> None:
    for dtype in (np.float16, np.float32, np.float64):
        bad = np.zeros((2, 2, 3), dtype)
        bad[0, 0, 0] = np.nan
        with pytest.raises(InvalidInputError, match="NaN"):
            load_image(bad)
        bad[0, 0, 0] = 1.5
        with pytest.raises(InvalidInputError, match=r"outside \[0, 1\]"):
            load_image(bad)
        bad[0, 0, 0] = np.inf
        with pytest.raises(InvalidInputError, match="infinite"):
            load_image(bad)


def test_grey_result_keeps_untouched_pixels_and_uses_luminance_for_colour() -> None:
    picture = load_image(GREY8)
    result = picture.pixels.copy()
    result[0, 0] = (255, 0, 0)  # an engine painted one pixel red
    back = to_input_layout(picture, result, None)
    assert back.shape == GREY8.shape
    assert back[0, 0] == round(0.299 * 255)
    np.testing.assert_array_equal(back.ravel()[1:], GREY8.ravel()[1:])
    assert grey_from_rgb(np.array([[[0.5, 0.5, 0.5]]], np.float64)).dtype == np.float64


def test_other_dtype_result_is_converted_by_scale_and_alpha_is_added() -> None:
    picture = load_image(RGB8)
    as_float = RGB8.astype(np.float32) / 255
    np.testing.assert_array_equal(to_input_layout(picture, as_float, None), RGB8)
    with_alpha = to_input_layout(picture, picture.pixels, ALPHA8)
    assert with_alpha.shape == (6, 8, 4)
    with pytest.raises(InvalidInputError, match="H×W×3"):
        to_input_layout(picture, RGB8[..., 0], None)
    with pytest.raises(InvalidInputError, match="alpha"):
        to_input_layout(picture, RGB8, ALPHA8[:3])


# ------------------------------------------------------------------ files


def test_grey_files_come_back_grey(tmp_path: Path) -> None:
    Image.fromarray(GREY8, "L").save(tmp_path / "l.png")
    cv2.imwrite(str(tmp_path / "i16.png"), GREY16)
    Image.fromarray(np.dstack([GREY8, ALPHA8]), "LA").save(tmp_path / "la.png")
    cases = {"l.png": GREY8, "i16.png": GREY16, "la.png": np.dstack([GREY8, ALPHA8])}
    for name, expected in cases.items():
        picture = load_image(tmp_path / name)
        assert picture.is_grey, name
        back = to_input_layout(picture, picture.pixels, picture.alpha)
        assert back.dtype == expected.dtype
        np.testing.assert_array_equal(back, expected)


def test_grey_and_grey_alpha_are_written_as_grey_pngs(tmp_path: Path) -> None:
    save_image(tmp_path / "l.png", GREY8)
    save_image(tmp_path / "i16.png", GREY16)
    save_image(tmp_path / "la.png", np.dstack([GREY8, ALPHA8]))
    save_image(tmp_path / "la16.png", GREY16, alpha=GREY16[::-1])
    assert Image.open(tmp_path / "l.png").mode == "L"
    assert Image.open(tmp_path / "i16.png").mode == "I;16"
    assert Image.open(tmp_path / "la.png").mode == "LA"
    header = (tmp_path / "la16.png").read_bytes()[24:26]
    assert header == bytes([16, 4])  # 16-bit grey + alpha
    la16 = load_image(tmp_path / "la16.png")
    assert la16.is_grey and la16.pixels.dtype == np.uint16
    back = to_input_layout(la16, la16.pixels, la16.alpha)
    np.testing.assert_array_equal(back, np.dstack([GREY16, GREY16[::-1]]))
    np.testing.assert_array_equal(load_image(tmp_path / "i16.png").pixels[..., 0], GREY16)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_other_float_precisions_are_written_as_8_bit(tmp_path: Path, dtype: type) -> None:
    values = (RGB8 / 255).astype(dtype)
    save_image(tmp_path / "out.png", values)
    np.testing.assert_array_equal(load_image(tmp_path / "out.png").pixels, RGB8)


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_file_round_trip_keeps_the_palette(tmp_path: Path, transparent: bool) -> None:
    indexed = Image.fromarray(RGB8).quantize(8)
    options = {"transparency": 0} if transparent else {}
    indexed.save(tmp_path / "in.png", **options)
    picture = load_image(tmp_path / "in.png")
    assert picture.mode == "P" and picture.palette is not None
    assert picture.palette.shape == ((8, 4) if transparent else (8, 3))
    result = to_input_layout(picture, picture.pixels.copy(), picture.alpha)
    assert result.shape == ((6, 8, 4) if transparent else (6, 8, 3))
    changed = result.copy()
    changed[0, 0, :3] = picture.palette[3, :3].astype(int) + 2  # a new, near colour
    if transparent:
        changed[0, 0, 3] = 255
    save_image(tmp_path / "out.png", changed, palette=picture.palette)
    written = Image.open(tmp_path / "out.png")
    assert written.mode == "P"
    np.testing.assert_array_equal(
        np.array(written.getpalette("RGB"), np.uint8).reshape(-1, 3)[:8], picture.palette[:, :3]
    )
    back = load_image(tmp_path / "out.png")
    np.testing.assert_array_equal(back.pixels.reshape(-1, 3)[1:], picture.pixels.reshape(-1, 3)[1:])
    np.testing.assert_array_equal(back.pixels[0, 0], picture.palette[3, :3])
    if transparent:
        np.testing.assert_array_equal(back.alpha.ravel()[1:], picture.alpha.ravel()[1:])


def test_quantize_maps_exact_colours_exactly_and_new_ones_to_the_nearest() -> None:
    palette = np.array([[0, 0, 0], [255, 255, 255], [200, 0, 0], [200, 0, 0]], np.uint8)
    pixels = np.array([[[0, 0, 0], [200, 0, 0], [250, 250, 250], [90, 0, 0]]], np.uint8)
    assert quantize_to_palette(pixels, palette).tolist() == [[0, 2, 1, 0]]


def test_palette_option_is_checked_and_only_used_for_png(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="palette"):
        save_image(tmp_path / "a.png", RGB8, palette=np.zeros((300, 3), np.uint8))
    warnings = save_image(tmp_path / "a.tiff", RGB8, palette=np.zeros((4, 3), np.uint8))
    assert any("palette" in w for w in warnings)
    np.testing.assert_array_equal(load_image(tmp_path / "a.tiff").pixels, RGB8)
