"""Reading and writing images and masks: modes, bit depth, EXIF, alpha, ICC, recipe."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageOps

from inpaintkit.errors import (
    EmptyMaskError,
    ImageTooLargeError,
    InvalidInputError,
    InvalidMaskError,
    InvalidOutputError,
    OutputExistsError,
    SizeMismatchError,
    spell_flag,
)
from inpaintkit.imageio import (
    ImageData,
    load_image,
    load_mask,
    read_recipe,
    save_image,
    sha256_of,
)
from inpaintkit.imageio.png_chunks import (
    find_text,
    insert_chunks,
    make_chunk,
    read_header,
    text_chunk,
)
from inpaintkit.imageio.read_image import _apply_orientation
from inpaintkit.types import Extent

RNG = np.random.default_rng(1)
RGB8 = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
RGB16 = RNG.integers(0, 65536, (6, 8, 3), dtype=np.uint16)
ALPHA8 = RNG.integers(0, 256, (6, 8), dtype=np.uint8)
ALPHA16 = RNG.integers(0, 65536, (6, 8), dtype=np.uint16)


def _pil_bytes(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _raw_png(array: np.ndarray, color_type: int) -> bytes:
    """A PNG written by hand (16-bit grey+alpha has no other writer here)."""
    height, width = array.shape[:2]
    rows = array.astype(">u2").reshape(height, -1).tobytes()
    stride = len(rows) // height
    raw = b"".join(b"\0" + rows[i * stride : (i + 1) * stride] for i in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + make_chunk(b"IHDR", header)
        + make_chunk(b"IDAT", zlib.compress(raw))
        + make_chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------ loading modes


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "BMP", "WEBP"])
def test_lossless_rgb_formats_load_exactly(fmt: str) -> None:
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = _pil_bytes(Image.fromarray(RGB8), fmt, **options)
    loaded = load_image(data)
    assert loaded.pixels.dtype == np.uint8
    assert loaded.format == fmt
    np.testing.assert_array_equal(loaded.pixels, RGB8)
    assert loaded.alpha is None and loaded.size == Extent(8, 6)


def test_jpeg_loads_close_to_source() -> None:
    smooth = np.full((16, 16, 3), 120, np.uint8)
    loaded = load_image(_pil_bytes(Image.fromarray(smooth), "JPEG", quality=95))
    assert loaded.format == "JPEG" and loaded.pixels.dtype == np.uint8
    assert np.abs(loaded.pixels.astype(int) - 120).max() <= 2


def test_greyscale_modes_replicate_to_rgb_with_alpha() -> None:
    grey = RGB8[..., 0]
    loaded = load_image(_pil_bytes(Image.fromarray(grey, "L"), "PNG"))
    assert loaded.mode == "L"
    np.testing.assert_array_equal(loaded.pixels, np.repeat(grey[..., None], 3, axis=2))
    la = Image.fromarray(np.dstack([grey, ALPHA8]), "LA")
    loaded = load_image(_pil_bytes(la, "PNG"))
    assert loaded.mode == "LA"
    np.testing.assert_array_equal(loaded.alpha, ALPHA8)
    np.testing.assert_array_equal(loaded.pixels[..., 2], grey)


def test_palette_with_and_without_transparency() -> None:
    palette_image = Image.fromarray(RGB8).quantize(8)
    expected = np.asarray(palette_image.convert("RGB"))
    loaded = load_image(_pil_bytes(palette_image, "PNG"))
    assert loaded.mode == "P" and loaded.alpha is None
    np.testing.assert_array_equal(loaded.pixels, expected)
    transparent = _pil_bytes(palette_image, "PNG", transparency=0)
    loaded = load_image(transparent)
    assert loaded.alpha is not None
    index = np.asarray(palette_image)
    np.testing.assert_array_equal(loaded.alpha == 0, index == 0)


def test_rgba_alpha_kept() -> None:
    rgba = np.dstack([RGB8, ALPHA8])
    loaded = load_image(_pil_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_array_equal(loaded.pixels, RGB8)
    np.testing.assert_array_equal(loaded.alpha, ALPHA8)


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red in CMYK
    loaded = load_image(_pil_bytes(cmyk, "JPEG", quality=100))
    assert loaded.mode == "CMYK" and loaded.pixels.shape == (4, 4, 3)
    assert loaded.pixels[..., 0].min() > 200 and loaded.pixels[..., 1:].max() < 60
    assert loaded.icc_profile is None


def test_16bit_grey_png_is_exact() -> None:
    grey = RGB16[..., 0]
    _, encoded = cv2.imencode(".png", grey)
    loaded = load_image(encoded.tobytes())
    assert loaded.pixels.dtype == np.uint16 and loaded.mode == "I;16"
    np.testing.assert_array_equal(loaded.pixels[..., 1], grey)


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16bit_rgb_and_rgba_load_bit_exact(ext: str) -> None:
    _, encoded = cv2.imencode(ext, RGB16[..., ::-1])
    loaded = load_image(encoded.tobytes())
    assert loaded.pixels.dtype == np.uint16
    np.testing.assert_array_equal(loaded.pixels, RGB16)
    bgra = np.dstack([RGB16[..., ::-1], ALPHA16])
    _, encoded = cv2.imencode(ext, bgra)
    loaded = load_image(encoded.tobytes())
    np.testing.assert_array_equal(loaded.pixels, RGB16)
    np.testing.assert_array_equal(loaded.alpha, ALPHA16)


def test_16bit_grey_alpha_png_is_exact() -> None:
    both = np.dstack([RGB16[..., 0], ALPHA16])
    loaded = load_image(_raw_png(both, color_type=4))
    assert loaded.pixels.dtype == np.uint16
    np.testing.assert_array_equal(loaded.pixels[..., 0], RGB16[..., 0])
    np.testing.assert_array_equal(loaded.alpha, ALPHA16)


def test_as_float_scale_follows_dtype_not_values() -> None:
    dark16 = np.full((2, 2, 3), 255, np.uint16)
    assert ImageData(dark16).as_float().max() == pytest.approx(255 / 65535)
    assert ImageData(np.full((2, 2, 3), 255, np.uint8)).as_float().max() == 1.0


# ------------------------------------------------------------------ arrays


@pytest.mark.parametrize(
    ("array", "channels_alpha"),
    [
        (RGB8[..., 0], False),
        (RGB8[..., :1], False),
        (RGB8, False),
        (np.dstack([RGB8, ALPHA8]), True),
        (RGB16, False),
        (RGB8.astype(np.float64) / 255, False),
    ],
)
def test_array_shapes_and_dtypes(array: np.ndarray, channels_alpha: bool) -> None:
    loaded = load_image(array)
    assert loaded.pixels.shape == (6, 8, 3)
    assert (loaded.alpha is not None) == channels_alpha
    assert loaded.source == "<array>"
    assert loaded.pixels.dtype == array.dtype  # float64 stays float64
    assert loaded.input_shape == array.shape


def test_float_array_out_of_range_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"outside \[0, 1\]"):
        load_image(RGB8.astype(np.float32))


def test_array_over_pixel_limit() -> None:
    with pytest.raises(ImageTooLargeError):
        load_image(RGB8, max_pixels=10)


def test_max_pixels_checked_from_header(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((300, 400), np.uint8)).save(path)
    with pytest.raises(ImageTooLargeError, match="400×300"):
        load_image(path, max_pixels=1000)


def test_pillow_global_limit_never_leaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((300, 400), np.uint8)).save(path)
    # With Pillow's own limit far below the image, only max_pixels may decide.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(path).size == Extent(400, 300)
        assert load_mask(path, alpha="auto", invert=True).mask.shape == (300, 400)


# ------------------------------------------------------------------ EXIF


def _exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow_exif_transpose(orientation: int) -> None:
    image = Image.fromarray(RGB8)
    image.info["exif"] = _exif_bytes(orientation)
    data = _pil_bytes(image, "PNG", exif=_exif_bytes(orientation))
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
    loaded = load_image(data)
    assert loaded.exif_orientation == orientation
    np.testing.assert_array_equal(loaded.pixels, expected)
    np.testing.assert_array_equal(_apply_orientation(RGB8, orientation), expected)


def test_jpeg_orientation_6_rotates_image_and_mask_alike(tmp_path: Path) -> None:
    stored = np.zeros((16, 32, 3), np.uint8)
    stored[:8, :8] = 255  # bright block in the stored top-left corner
    image_path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(image_path, quality=95, exif=_exif_bytes(6))
    mask_path = tmp_path / "mask.png"
    Image.fromarray(stored[..., 0]).save(mask_path, exif=_exif_bytes(6))
    loaded = load_image(image_path)
    assert loaded.size == Extent(16, 32) and loaded.exif_orientation == 6
    # Turned 90° clockwise: the stored top-left corner is now top-right.
    assert loaded.pixels[:8, -8:].mean() > 200 and loaded.pixels[:8, :8].mean() < 50
    mask = load_mask(mask_path, size=loaded.size).mask
    assert mask.shape == (32, 16)
    np.testing.assert_array_equal(mask > 0.5, loaded.pixels[..., 0] > 127)


def test_16bit_png_with_exif_is_rotated_too() -> None:
    _, encoded = cv2.imencode(".png", RGB16[..., ::-1])
    png = insert_chunks(encoded.tobytes(), [make_chunk(b"eXIf", _exif_bytes(8))])
    loaded = load_image(png)
    assert loaded.exif_orientation == 8
    np.testing.assert_array_equal(loaded.pixels, np.rot90(RGB16, 1))


# ------------------------------------------------------------------ saving


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_uint16_round_trip_bit_exact(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    assert save_image(path, RGB16, alpha=ALPHA16) == []
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.pixels, RGB16)
    np.testing.assert_array_equal(loaded.alpha, ALPHA16)


@pytest.mark.parametrize("suffix", [".png", ".tiff", ".bmp", ".webp"])
def test_uint8_round_trip_lossless(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    save_image(path, RGB8, quality=100)
    np.testing.assert_array_equal(load_image(path).pixels, RGB8)


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_greyscale_output_stays_single_channel(tmp_path: Path, suffix: str) -> None:
    for grey in (RGB8[..., 0], RGB16[..., 0]):
        path = tmp_path / f"grey{suffix}"
        save_image(path, grey, overwrite=True)
        assert np.asarray(Image.open(path)).shape == grey.shape
        loaded = load_image(path)
        assert loaded.pixels.dtype == grey.dtype
        np.testing.assert_array_equal(loaded.pixels[..., 1], grey)
    save_image(tmp_path / f"grey-alpha{suffix}", RGB8[..., 0], alpha=ALPHA8)
    loaded = load_image(tmp_path / f"grey-alpha{suffix}")
    np.testing.assert_array_equal(loaded.pixels[..., 2], RGB8[..., 0])
    np.testing.assert_array_equal(loaded.alpha, ALPHA8)


def test_float_written_as_rounded_8bit(tmp_path: Path) -> None:
    path = tmp_path / "float.png"
    save_image(path, RGB8.astype(np.float32) / 255)
    np.testing.assert_array_equal(load_image(path).pixels, RGB8)


def test_jpeg_warns_about_reencoding(tmp_path: Path) -> None:
    warnings = save_image(tmp_path / "out.jpg", RGB8, alpha=ALPHA8)
    assert any("bit-identical" in w and ".png" in w for w in warnings)
    assert any("alpha" in w for w in warnings)
    assert load_image(tmp_path / "out.jpg").format == "JPEG"


def test_icc_profile_kept_8_and_16_bit(tmp_path: Path) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    save_image(tmp_path / "a.png", RGB8, icc_profile=profile)
    save_image(tmp_path / "b.png", RGB16, icc_profile=profile)
    assert load_image(tmp_path / "a.png").icc_profile == profile
    assert load_image(tmp_path / "b.png").icc_profile == profile


@pytest.mark.parametrize("pixels", [RGB8, RGB16], ids=["8bit", "16bit"])
def test_recipe_round_trip(tmp_path: Path, pixels: np.ndarray) -> None:
    recipe = {"engine": "telea", "seed": 3, "note": "ünïcode ✓"}
    path = tmp_path / "out.png"
    save_image(path, pixels, recipe=recipe)
    assert read_recipe(path) == recipe
    np.testing.assert_array_equal(load_image(path).pixels, pixels)


def test_read_recipe_absent_is_none(tmp_path: Path) -> None:
    save_image(tmp_path / "plain.png", RGB8)
    assert read_recipe(tmp_path / "plain.png") is None


def test_atomic_write_leaves_no_temp_and_refuses_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "out.png"
    save_image(path, RGB8)
    assert [p.name for p in path.parent.iterdir()] == ["out.png"]
    with pytest.raises(OutputExistsError, match="pass overwrite=True") as raised:
        save_image(path, RGB16)
    assert "pass --overwrite" in raised.value.spelled(spell_flag)
    np.testing.assert_array_equal(load_image(path).pixels, RGB8)
    save_image(path, RGB16, overwrite=True)
    assert load_image(path).pixels.dtype == np.uint16
    assert [p.name for p in path.parent.iterdir()] == ["out.png"]


def test_unknown_extension_names_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidOutputError, match=r"\.png"):
        save_image(tmp_path / "out.xyz", RGB8)
    assert not list(tmp_path.iterdir())


def test_sha256_same_pixels_different_files(tmp_path: Path) -> None:
    save_image(tmp_path / "a.png", RGB8)
    save_image(tmp_path / "b.tiff", RGB8)
    assert sha256_of(tmp_path / "a.png") == sha256_of(tmp_path / "b.tiff") == sha256_of(RGB8)
    assert sha256_of(RGB8) != sha256_of(RGB8.astype(np.uint16))


# ------------------------------------------------------------------ PNG chunks


def test_png_chunks_text_insertion_is_valid_png() -> None:
    png = _pil_bytes(Image.fromarray(RGB8), "PNG")
    with_text = insert_chunks(png, [text_chunk("inpaintkit", json.dumps({"a": 1}))])
    assert find_text(with_text, "inpaintkit") == '{"a": 1}'
    assert read_header(with_text) == (8, 6, 8, 2)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(with_text))), RGB8)


# ------------------------------------------------------------------ masks


def _mask_png(tmp_path: Path, array: np.ndarray, name: str = "mask.png", **options: Any) -> Path:
    path = tmp_path / name
    Image.fromarray(array).save(path, **options)
    return path


def test_grey_mask_png_values(tmp_path: Path) -> None:
    values = np.array([[0, 128, 255]], np.uint8)
    mask = load_mask(_mask_png(tmp_path, values)).mask
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask, values / np.float32(255))


def test_rgb_mask_uses_luminance_and_16bit_scale(tmp_path: Path) -> None:
    # Near-grey RGB (a slight tint, no clear colour) is read by its luminance.
    rgb = np.zeros((1, 2, 3), np.uint8)
    rgb[0, 1] = (250, 255, 240)
    mask = load_mask(_mask_png(tmp_path, rgb)).mask
    expected = (0.299 * 250 + 0.587 * 255 + 0.114 * 240) / 255
    assert mask[0, 1] == pytest.approx(expected, abs=1e-6)
    grey16 = np.array([[0, 65535, 32768]], np.uint16)
    _, encoded = cv2.imencode(".png", grey16)
    mask = load_mask(encoded.tobytes()).mask
    np.testing.assert_allclose(mask, grey16 / 65535, rtol=1e-6)


def test_alpha_modes(tmp_path: Path) -> None:
    alpha = np.array([[0, 255], [255, 0]], np.uint8)
    flat_colour = np.dstack([np.zeros((2, 2, 3), np.uint8), alpha])
    path = _mask_png(tmp_path, flat_colour, "flat.png")
    np.testing.assert_array_equal(load_mask(path).mask, alpha / 255)
    np.testing.assert_array_equal(load_mask(path, alpha="opaque").mask, alpha / 255)
    np.testing.assert_array_equal(load_mask(path, alpha="transparent").mask, 1 - alpha / 255)
    # Varying colour: auto uses the luminance, not alpha.
    drawn = np.dstack(
        [np.repeat((255 - alpha)[..., None], 3, axis=2), np.full((2, 2), 255, np.uint8)]
    )
    path = _mask_png(tmp_path, drawn, "drawn.png")
    np.testing.assert_array_equal(load_mask(path).mask, (255 - alpha) / 255)
    with pytest.raises(InvalidMaskError, match="no alpha"):
        load_mask(_mask_png(tmp_path, alpha, "grey.png"), alpha="opaque")


def test_jpeg_mask_noise_is_snapped(tmp_path: Path) -> None:
    binary = np.zeros((32, 32), np.uint8)
    binary[5:19, 5:19] = 255
    path = tmp_path / "mask.jpg"
    Image.fromarray(binary).save(path, quality=70)
    raw = np.asarray(Image.open(path))
    assert not np.isin(raw, (0, 255)).all()  # the JPEG really is noisy
    loaded = load_mask(path)
    assert [f.code for f in loaded.findings] == ["jpeg-noise-cleaned"]
    assert loaded.findings[0].severity == "info"
    assert np.isin(loaded.mask[:4, :4], (0.0,)).all() and loaded.mask[8:16, 8:16].min() == 1.0


def test_soft_png_mask_left_alone(tmp_path: Path) -> None:
    soft = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (4, 1))
    loaded = load_mask(_mask_png(tmp_path, soft))
    assert loaded.findings == []
    np.testing.assert_array_equal(loaded.mask, soft / np.float32(255))


def test_size_mismatch_message_and_resize(tmp_path: Path) -> None:
    binary = np.zeros((8, 8), np.uint8)
    binary[2:6, 2:6] = 255
    path = _mask_png(tmp_path, binary)
    with pytest.raises(SizeMismatchError, match=r"8×8 but image is 16×12.*mask_resize=True") as e:
        load_mask(path, size=Extent(16, 12))
    assert "pass --mask-resize or supply" in e.value.spelled(spell_flag)
    resized = load_mask(path, size=Extent(16, 16), resize=True)
    assert resized.mask.shape == (16, 16)
    assert set(np.unique(resized.mask)) == {0.0, 1.0}
    assert [f.code for f in resized.findings] == ["mask-resized"]
    soft = np.linspace(0, 255, 64).reshape(8, 8).astype(np.uint8)
    shrunk = load_mask(_mask_png(tmp_path, soft, "soft.png"), size=Extent(4, 4), resize=True)
    assert 0 < shrunk.mask.min() < shrunk.mask.max() < 1


def test_invert_and_empty(tmp_path: Path) -> None:
    white = np.full((4, 4), 255, np.uint8)
    path = _mask_png(tmp_path, white)
    with pytest.raises(EmptyMaskError, match="leave out invert_mask=True"):
        load_mask(path, invert=True)
    with pytest.raises(EmptyMaskError, match="did you mean invert_mask=True") as raised:
        load_mask(_mask_png(tmp_path, np.zeros((4, 4), np.uint8), "black.png"))
    assert "did you mean --invert-mask" in raised.value.spelled(spell_flag)
    assert load_mask(path).mask.min() == 1.0


@pytest.mark.parametrize(
    "array",
    [
        np.eye(4, dtype=bool),
        np.eye(4, dtype=np.uint8) * 255,
        np.eye(4, dtype=np.uint16) * 65535,
        np.eye(4, dtype=np.float64),
        np.eye(4, dtype=np.float32)[..., None],
    ],
)
def test_npy_masks(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "mask.npy"
    np.save(path, array)
    np.testing.assert_array_equal(load_mask(path).mask, np.eye(4, dtype=np.float32))
    np.testing.assert_array_equal(load_mask(array).mask, np.eye(4, dtype=np.float32))


def test_box_string_and_json_geometry(tmp_path: Path) -> None:
    size = Extent(10, 8)
    boxes = load_mask("1,1,3,3; 5,5,7,7", size=size).mask
    assert boxes.sum() == 8 and boxes[1, 1] == 1 and boxes[5, 6] == 1
    polygon = tmp_path / "poly.json"
    polygon.write_text(json.dumps({"polygons": [[[1, 1], [8, 1], [8, 6], [1, 6]]]}))
    assert load_mask(polygon, size=size).mask[3, 4] == 1.0
    with pytest.raises(InvalidMaskError, match="needs the image size"):
        load_mask(polygon)
    coco = tmp_path / "coco.json"
    coco.write_text(
        json.dumps({"segmentation": [[1, 1, 8, 1, 8, 6, 1, 6]], "width": 10, "height": 8})
    )
    assert load_mask(coco).mask[3, 4] == 1.0
    rle = tmp_path / "rle.json"
    rle.write_text(json.dumps({"size": [8, 10], "counts": [8, 72]}))  # column-major
    from_rle = load_mask(rle).mask
    assert from_rle[:, 0].max() == 0.0 and from_rle[:, 1:].min() == 1.0
    strokes = tmp_path / "strokes.json"
    strokes.write_text(
        json.dumps({"strokes": [{"points": [[2, 4], [7, 4]], "radius": 1.5, "softness": 0}]})
    )
    assert load_mask(strokes, size=size).mask[4, 5] == 1.0


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 15), st.integers(0, 11), st.integers(1, 16), st.integers(1, 12))
def test_box_string_matches_slicing(x0: int, y0: int, width: int, height: int) -> None:
    x1, y1 = min(x0 + width, 16), min(y0 + height, 12)
    mask = load_mask(f"{x0},{y0},{x1},{y1}", size=Extent(16, 12)).mask
    expected = np.zeros((12, 16), np.float32)
    expected[y0:y1, x0:x1] = 1
    np.testing.assert_array_equal(mask, expected)
