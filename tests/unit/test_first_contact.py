"""What a new user meets first, through the library: whole-photo masks, outpainting in
one call, replay from anywhere, seeds that replay."""

import os

import numpy as np
import pytest

import inpaintkit
from inpaintkit.errors import InvalidMaskError


@pytest.mark.parametrize("engine", ["telea", "navier-stokes", "patchmatch", "structure", "auto"])
def test_a_mask_over_the_whole_photo_is_an_error_for_fills_that_need_context(engine):
    photo = np.full((24, 24, 3), 90, np.uint8)
    with pytest.raises(InvalidMaskError, match="covers the whole photo") as raised:
        inpaintkit.inpaint(photo, np.ones((24, 24), np.float32), engine=engine, seed=0)
    assert "engine='diffusion'" in str(raised.value)


def test_outpaint_in_one_call_keeps_the_photo(photo_u8):
    result = inpaintkit.outpaint(photo_u8, left=8, bottom=4, engine="telea", seed=0)
    assert result.image.shape == (100, 136, 3)
    assert np.array_equal(result.image[:96, 8:], photo_u8)


def test_noise_prefill_replays_with_the_recorded_seed(tmp_path, photo_u8):
    photo = tmp_path / "photo.png"
    inpaintkit.save_image(photo, photo_u8)
    result = inpaintkit.outpaint(str(photo), right=16, fill="noise", engine="telea")
    out = tmp_path / "out.png"
    inpaintkit.save_result(result, out)
    assert inpaintkit.replay(out).identical


def test_replay_finds_inputs_next_to_the_output_from_another_directory(
    files, tmp_path, monkeypatch
):
    assert all(path.parent == tmp_path for path in files)
    monkeypatch.chdir(tmp_path)
    result = inpaintkit.inpaint("photo.png", "mask.png", engine="telea", seed=4)
    (tmp_path / "results").mkdir()
    inpaintkit.save_result(result, "results/out.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    done = inpaintkit.replay(os.path.join("..", "results", "out.png"))
    assert done.identical and done.result.seed == 4


def test_float64_array_comes_back_float64_with_outside_exact():
    photo = np.random.default_rng(1).random((40, 48, 3))
    hole = np.zeros((40, 48), np.float32)
    hole[10:20, 12:30] = 1
    result = inpaintkit.inpaint(photo, hole, engine="telea", seed=0)
    assert result.image.dtype == np.float64 and result.image.shape == photo.shape
    assert np.array_equal(result.image[hole == 0], photo[hole == 0])
    wider = inpaintkit.outpaint(photo, bottom=6, engine="telea", seed=0)
    assert wider.image.dtype == np.float64 and np.array_equal(wider.image[:40], photo)


def test_grey_array_comes_back_grey():
    grey = (np.arange(40 * 48) % 251).reshape(40, 48).astype(np.uint8)
    result = inpaintkit.inpaint(grey, "10,10,20,20", engine="telea", seed=0)
    assert result.image.shape == (40, 48) and result.image.dtype == np.uint8
    keep = np.ones_like(grey, bool)
    keep[10:20, 10:20] = False
    assert np.array_equal(result.image[keep], grey[keep])


def test_zero_one_uint8_mask_is_a_binary_mask(photo_u8):
    mask = np.zeros(photo_u8.shape[:2], np.uint8)
    mask[20:40, 30:50] = 1
    result = inpaintkit.inpaint(photo_u8, mask, engine="telea", seed=0)
    assert np.array_equal(result.image[mask == 0], photo_u8[mask == 0])
    assert not np.array_equal(result.image[mask == 1], photo_u8[mask == 1])


def test_colour_mask_is_an_error_that_says_how_to_make_a_mask(photo_u8):
    mask = np.zeros((*photo_u8.shape[:2], 3), np.uint8)
    mask[20:40, 30:50, 0] = 255  # red strokes on black
    from PIL import Image

    with pytest.raises(InvalidMaskError, match="in colour"):
        inpaintkit.inpaint(photo_u8, Image.fromarray(mask), engine="telea", seed=0)
