"""What a new user meets first, through the library: whole-photo masks, outpainting in
one call, replay from anywhere, seeds that replay.

The same cases through the command line are in ``tests/cli/test_cli_first_contact.py``.
Library cases covered in other files, and so only named here:

* output files follow the umask (``save_result`` writes through ``save_image``):
  ``tests/unit/test_imageio_output.py::test_new_files_follow_the_umask``;
* each bad output path in detail (``check_output_path``, which ``save_result`` calls
  for every path before writing): ``tests/unit/test_imageio_output.py``;
* 0/1, mixed 0/1/255, colour and JPEG mask files, and masks in an EXIF photo's stored
  orientation, through ``load_mask``: ``tests/unit/test_imageio_masks.py``;
* every JSON example in docs/masks.md (the bare stroke list too) loads:
  ``tests/unit/test_mask_sources.py``.
"""

import json
import os

import numpy as np
import pytest
from PIL import Image, ImageOps

import inpaintkit
from inpaintkit.errors import (
    EmptyMaskError,
    InvalidMaskError,
    InvalidOutputError,
    OutputExistsError,
    SizeMismatchError,
)


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
    with pytest.raises(InvalidMaskError, match="in colour"):
        inpaintkit.inpaint(photo_u8, Image.fromarray(mask), engine="telea", seed=0)


def _box(value: int, shape: tuple[int, int] = (96, 128)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[30:60, 40:80] = value
    return mask


def test_mask_file_mixing_one_and_255_is_an_error_that_explains(files, tmp_path):
    image_path, _ = files
    mixed = _box(255)
    mixed[0, :4] = 1
    Image.fromarray(mixed).save(tmp_path / "mixed.png")
    with pytest.raises(InvalidMaskError, match="1 and 255") as raised:
        inpaintkit.inpaint(str(image_path), str(tmp_path / "mixed.png"), engine="telea")
    assert "only 0 and 255, or only 0 and 1" in str(raised.value)


def test_black_and_white_jpeg_mask_file_works(files, photo_u8, tmp_path):
    image_path, _ = files
    Image.fromarray(_box(255)).save(tmp_path / "mask.jpg", quality=70)
    result = inpaintkit.inpaint(str(image_path), str(tmp_path / "mask.jpg"), engine="telea", seed=0)
    far = np.ones((96, 128), bool)
    far[26:64, 36:84] = False  # JPEG ringing stays within a few px of the box
    assert np.array_equal(result.image[far], photo_u8[far])
    assert (result.image[34:56, 44:76] != photo_u8[34:56, 44:76]).any(axis=-1).mean() > 0.5


@pytest.mark.parametrize("mode", ["L", "I;16", "P"])
def test_saved_result_is_in_the_photos_own_mode(mode, photo_u8, tmp_path):
    grey = np.asarray(Image.fromarray(photo_u8).convert("L"))
    pictures = {
        "L": lambda: Image.fromarray(grey, "L"),
        "I;16": lambda: Image.fromarray(grey.astype(np.uint16) * 257 + 3),
        "P": lambda: Image.fromarray(photo_u8).quantize(16),
    }
    photo = tmp_path / "photo.png"
    pictures[mode]().save(photo)
    result = inpaintkit.inpaint(str(photo), "40,30,80,60", engine="telea", seed=0)
    inpaintkit.save_result(result, tmp_path / "out.png")
    written = Image.open(tmp_path / "out.png")
    assert written.mode == mode
    keep = np.ones((96, 128), bool)
    keep[30:60, 40:80] = False
    before = Image.open(photo)
    assert np.array_equal(np.asarray(written)[keep], np.asarray(before)[keep])
    rgb_after, rgb_before = np.asarray(written.convert("RGB")), np.asarray(before.convert("RGB"))
    assert np.array_equal(rgb_after[keep], rgb_before[keep])


def test_save_result_refuses_bad_outputs_and_writes_nothing(files, tmp_path):
    image_path, mask_path = files
    result = inpaintkit.inpaint(str(image_path), str(mask_path), engine="telea", seed=0)
    (tmp_path / "somedir").mkdir()
    (tmp_path / "out.png").write_bytes(b"precious")
    before = sorted(tmp_path.rglob("*"))
    for target, said in [
        (image_path / "out.png", "photo.png is a file, not a folder"),
        (tmp_path / "out.xyz", "unknown extension '.xyz'"),
        (tmp_path / "somedir", "pass a file name such as"),
    ]:
        with pytest.raises(InvalidOutputError, match=said) as raised:
            inpaintkit.save_result(result, target)
        assert "overwrite" not in str(raised.value)
    with pytest.raises(OutputExistsError, match=r"pass overwrite=True to replace it"):
        inpaintkit.save_result(result, tmp_path / "out.png")
    assert sorted(tmp_path.rglob("*")) == before
    assert (tmp_path / "out.png").read_bytes() == b"precious"


def test_messages_name_keywords_not_flags(files, tmp_path):
    image_path, _ = files
    Image.fromarray(_box(255, (48, 64))).save(tmp_path / "small.png")
    with pytest.raises(SizeMismatchError) as raised:
        inpaintkit.inpaint(str(image_path), str(tmp_path / "small.png"), engine="telea")
    assert "pass mask_resize=True" in str(raised.value) and "--" not in str(raised.value)
    Image.fromarray(np.zeros((96, 128), np.uint8)).save(tmp_path / "empty.png")
    with pytest.raises(EmptyMaskError) as raised:
        inpaintkit.inpaint(str(image_path), str(tmp_path / "empty.png"), engine="telea")
    assert "invert_mask=True" in str(raised.value) and "--" not in str(raised.value)


def test_bare_stroke_list_json_file_is_a_mask(files, photo_u8, tmp_path):
    image_path, _ = files
    strokes = tmp_path / "strokes.json"
    strokes.write_text(json.dumps([{"points": [[10, 20], [110, 70]], "width": 12}]))
    result = inpaintkit.inpaint(str(image_path), str(strokes), engine="telea", seed=0)
    marked = result.mask > 0
    assert marked[45, 60] and not marked[80:, :40].any() and not marked[:10, 100:].any()
    assert np.array_equal(result.image[~marked], photo_u8[~marked])  # far pixels kept
    assert (result.image[marked] != photo_u8[marked]).any(axis=-1).mean() > 0.5


def test_exif_rotated_photo_with_a_mask_in_stored_orientation(tmp_path):
    y, x = np.mgrid[0:40, 0:64]
    stored = np.stack([30 + x // 2, 40 + y, 50 + (x + y) // 3], axis=-1).astype(np.uint8)
    stored[5:15, 8:24] = 245  # a bright block to remove
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "rotated.jpg", quality=95, exif=exif.tobytes())
    stored_mask = np.zeros((40, 64), np.uint8)
    stored_mask[3:17, 6:26] = 255
    Image.fromarray(stored_mask).save(tmp_path / "mask.png")
    result = inpaintkit.inpaint(
        str(tmp_path / "rotated.jpg"), str(tmp_path / "mask.png"), engine="telea", seed=0
    )
    assert "mask-rotated" in [f.code for f in result.findings]
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "rotated.jpg")))
    turned = Image.fromarray(stored_mask).transpose(Image.Transpose.ROTATE_270)
    keep = np.asarray(turned) == 0
    assert result.image.shape == upright.shape == (64, 40, 3)
    assert np.array_equal(result.image[keep], upright[keep])
    block = np.asarray(Image.fromarray(stored[..., 0] == 245).transpose(Image.Transpose.ROTATE_270))
    assert upright[block].mean() > 200 and result.image[block].mean() < 150  # the block is gone


def test_the_callers_array_is_never_changed_and_never_shared(photo_u8):
    before = photo_u8.copy()
    result = inpaintkit.inpaint(photo_u8, "10,10,30,30", engine="telea", seed=0)
    assert np.array_equal(photo_u8, before)
    assert not np.shares_memory(result.image, photo_u8)
    wider = inpaintkit.outpaint(photo_u8, left=4, engine="telea", seed=0)
    assert np.array_equal(photo_u8, before) and not np.shares_memory(wider.image, photo_u8)
