"""Mask files as users save them: 0/1 masks, colour masks, JPEG noise, EXIF-rotated photos."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaintkit.errors import InvalidMaskError, SizeMismatchError, spell_flag
from inpaintkit.imageio import load_image, load_mask
from inpaintkit.types import Extent


def _save(tmp_path: Path, array: np.ndarray, name: str, **options: Any) -> Path:
    path = tmp_path / name
    Image.fromarray(array).save(path, **options)
    return path


def _box_mask(value: int, dtype: type = np.uint8) -> np.ndarray:
    mask = np.zeros((12, 16), dtype)
    mask[3:9, 4:12] = value
    return mask


# ------------------------------------------------------------------ 0/1 masks


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_zero_one_mask_file_is_binary_with_a_finding(tmp_path: Path, dtype: type) -> None:
    path = _save(tmp_path, _box_mask(1, dtype), "mask.png")
    loaded = load_mask(path)
    np.testing.assert_array_equal(loaded.mask, _box_mask(1).astype(np.float32))
    assert [f.code for f in loaded.findings] == ["zero-one-mask"]
    assert loaded.findings[0].severity == "info"
    assert "0 and 1" in loaded.findings[0].message


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_zero_one_mask_array_and_npy(tmp_path: Path, dtype: type) -> None:
    array = _box_mask(1, dtype)
    np.save(tmp_path / "mask.npy", array)
    for source in (array, tmp_path / "mask.npy"):
        loaded = load_mask(source)
        assert loaded.mask.max() == 1.0 and loaded.mask.sum() == 48
        assert [f.code for f in loaded.findings] == ["zero-one-mask"]


def test_zero_one_255_mask_is_ambiguous(tmp_path: Path) -> None:
    mask = _box_mask(255)
    mask[0, :4] = 1
    with pytest.raises(InvalidMaskError, match="1 and 255") as raised:
        load_mask(_save(tmp_path, mask, "mixed.png"))
    message = str(raised.value)
    assert "mixed.png" in message and "only 0 and 255, or only 0 and 1" in message
    with pytest.raises(InvalidMaskError, match="1 and 255"):
        load_mask(mask)


def test_soft_mask_with_a_one_in_it_is_read_by_scale(tmp_path: Path) -> None:
    soft = np.array([[0, 1, 2, 128, 255]], np.uint8)
    loaded = load_mask(_save(tmp_path, soft, "soft.png"))
    np.testing.assert_array_equal(loaded.mask, soft / np.float32(255))
    assert loaded.findings == []


def test_zero_one_mask_still_fits_size_and_inverts() -> None:
    loaded = load_mask(_box_mask(1), size=Extent(16, 12), invert=True)
    assert loaded.mask[0, 0] == 1.0 and loaded.mask[5, 5] == 0.0


# ------------------------------------------------------------------ colour masks


def _red_strokes(width: int = 96, height: int = 64) -> np.ndarray:
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.line([(8, 8), (80, 50)], fill=(230, 20, 20), width=6)
    draw.ellipse([50, 10, 70, 30], fill=(230, 20, 20))
    return np.asarray(canvas)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_colour_mask_is_refused_with_the_fix(tmp_path: Path, suffix: str) -> None:
    path = _save(tmp_path, _red_strokes(), f"strokes{suffix}", quality=85)
    with pytest.raises(InvalidMaskError) as raised:
        load_mask(path)
    message = str(raised.value)
    assert f"strokes{suffix} is in colour (e.g. red strokes)" in message
    assert "white (1) = regenerate, black = keep" in message
    assert "greyscale PNG" in message and "mask_alpha='opaque'" in message
    assert "--mask-alpha opaque" in raised.value.spelled(spell_flag)


def test_black_and_white_jpeg_with_chroma_noise_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    mask = np.zeros((64, 96), np.uint8)
    mask[16:48, 24:72] = 255
    # A slightly tinted, noisy black-and-white mask, as a phone screenshot gives.
    colours = np.repeat(mask[..., None], 3, axis=2).astype(np.int16)
    colours += rng.integers(-6, 7, colours.shape, dtype=np.int16)
    colours[..., 2] -= 8
    noisy = np.clip(colours, 0, 255).astype(np.uint8)
    path = _save(tmp_path, noisy, "mask.jpg", quality=60)
    stored = np.asarray(Image.open(path)).astype(int)
    assert (stored.max(axis=2) - stored.min(axis=2)).max() > 0  # it really has chroma
    loaded = load_mask(path)
    assert loaded.mask[20:44, 28:68].min() == 1.0
    assert loaded.mask[:8].max() == 0.0
    assert "jpeg-noise-cleaned" in [f.code for f in loaded.findings]


def test_colour_does_not_matter_when_alpha_is_the_mask(tmp_path: Path) -> None:
    alpha = _box_mask(255)
    red = np.zeros((12, 16, 3), np.uint8)
    red[...] = (255, 0, 0)
    flat = _save(tmp_path, np.dstack([red, alpha]), "flat.png")
    np.testing.assert_array_equal(load_mask(flat).mask, alpha / np.float32(255))
    # Red strokes on a transparent layer (the background's colour is black): opaque.
    strokes = np.zeros((12, 16, 3), np.uint8)
    strokes[alpha > 0] = (255, 0, 0)
    layer = _save(tmp_path, np.dstack([strokes, alpha]), "layer.png")
    with pytest.raises(InvalidMaskError, match="in colour"):
        load_mask(layer)
    np.testing.assert_array_equal(load_mask(layer, alpha="opaque").mask, alpha / np.float32(255))


def test_a_few_coloured_pixels_in_a_grey_mask_are_tolerated(tmp_path: Path) -> None:
    grey = np.repeat(_box_mask(255)[..., None], 3, axis=2)
    grey = np.tile(grey, (4, 4, 1))  # 48×64, 768 white pixels
    grey[0, 0] = (255, 0, 0)
    loaded = load_mask(_save(tmp_path, grey, "nearly-grey.png"))
    assert loaded.mask[0, 0] == pytest.approx(0.299, abs=1e-6)
    assert loaded.mask[5, 5] == 1.0


# ------------------------------------------------------------------ JPEG noise only for JPEG


def test_near_binary_png_is_not_snapped(tmp_path: Path) -> None:
    mask = _box_mask(255)
    mask[0, 0] = 3
    mask[5, 5] = 250
    loaded = load_mask(_save(tmp_path, mask, "mask.png"))
    assert loaded.findings == []
    np.testing.assert_array_equal(loaded.mask, mask / np.float32(255))


def test_jpeg_mask_is_still_cleaned(tmp_path: Path) -> None:
    path = _save(tmp_path, _box_mask(255), "mask.jpg", quality=70)
    loaded = load_mask(path)
    assert [f.code for f in loaded.findings] == ["jpeg-noise-cleaned"]
    assert set(np.unique(loaded.mask[:, :2])) == {0.0}


# ------------------------------------------------------------------ EXIF-rotated photos


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_mask_in_stored_orientation_is_turned_upright(tmp_path: Path, orientation: int) -> None:
    stored = np.zeros((24, 40, 3), np.uint8)
    stored[2:10, 3:15] = 255  # a bright block off-centre in the stored photo
    photo_path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(photo_path, quality=95, exif=_exif(orientation))
    mask_path = _save(tmp_path, (stored[..., 0] > 127).astype(np.uint8) * 255, "mask.png")
    photo = load_image(photo_path)
    assert photo.exif_orientation == orientation and photo.size == Extent(24, 40)

    with pytest.raises(SizeMismatchError, match="mask_resize=True"):
        load_mask(mask_path, size=photo.size)
    loaded = load_mask(mask_path, size=photo.size, orientation=photo.exif_orientation)
    assert loaded.mask.shape == (40, 24)
    np.testing.assert_array_equal(loaded.mask > 0.5, photo.pixels[..., 0] > 127)
    assert [f.code for f in loaded.findings] == ["mask-rotated"]
    assert loaded.findings[0].severity == "info"


def test_orientation_without_a_turn_or_other_sizes_still_mismatch(tmp_path: Path) -> None:
    mask = np.full((24, 40), 255, np.uint8)
    with pytest.raises(SizeMismatchError):
        load_mask(mask, size=Extent(24, 40), orientation=3)  # 180°: no transpose
    with pytest.raises(SizeMismatchError):
        load_mask(mask, size=Extent(30, 40), orientation=6)
    assert load_mask(mask, size=Extent(40, 24), orientation=6).findings == []


@pytest.mark.parametrize("orientation", [0, 9, True, 2.0])
def test_bad_orientation_is_rejected(orientation: Any) -> None:
    with pytest.raises(Exception, match="orientation"):
        load_mask(np.ones((2, 2), np.uint8), orientation=orientation)


def test_mask_bytes_and_pil_image_use_the_same_rules() -> None:
    buffer = io.BytesIO()
    Image.fromarray(_box_mask(1)).save(buffer, format="PNG")
    assert [f.code for f in load_mask(buffer.getvalue()).findings] == ["zero-one-mask"]
    with pytest.raises(InvalidMaskError, match="in colour"):
        load_mask(Image.fromarray(_red_strokes()))
