"""The pipeline's promises: pixels outside the mask kept, soft masks blended, work per region."""

import numpy as np
import pytest

import inpaintkit
from inpaintkit.errors import EmptyMaskError, InvalidParameterError, UnknownEngineError


def _outside_kept(result_image, original, mask):
    keep = mask == 0
    return np.array_equal(result_image[keep], original[keep])


@pytest.mark.parametrize("engine", ["telea", "navier-stokes", "patchmatch", "auto"])
def test_outside_pixels_bit_identical_uint8(photo_u8, hole, engine):
    result = inpaintkit.inpaint(photo_u8, hole, engine=engine, seed=1)
    assert result.image.dtype == np.uint8 and result.image.shape == photo_u8.shape
    assert _outside_kept(result.image, photo_u8, hole)
    assert not np.array_equal(result.image[hole > 0], photo_u8[hole > 0])


def test_outside_pixels_bit_identical_uint16_and_alpha(photo_u8, hole):
    rng = np.random.default_rng(3)
    photo16 = photo_u8.astype(np.uint16) * 257 + rng.integers(0, 257, photo_u8.shape).astype(
        np.uint16
    )
    alpha = rng.integers(0, 65536, photo_u8.shape[:2]).astype(np.uint16)
    rgba = np.dstack([photo16, alpha])
    result = inpaintkit.inpaint(rgba, hole, engine="telea", seed=0)
    assert result.image.dtype == np.uint16 and result.image.shape == rgba.shape
    assert _outside_kept(result.image, rgba, hole)
    assert np.array_equal(result.image[..., 3], alpha)


def test_soft_mask_is_a_blend_within_one_level(photo_u8):
    mask = np.zeros(photo_u8.shape[:2], np.float32)
    mask[20:70, 30:90] = np.linspace(0, 1, 60, dtype=np.float32)[None, :]
    hard = inpaintkit.inpaint(photo_u8, (mask > 0).astype(np.float32), engine="telea", seed=0)
    soft = inpaintkit.inpaint(photo_u8, mask, engine="telea", seed=0)
    expected = photo_u8 * (1 - mask[..., None]) + hard.image * mask[..., None]
    assert np.abs(soft.image.astype(np.float32) - expected).max() <= 1.0
    assert _outside_kept(soft.image, photo_u8, mask)


def test_grow_and_feather_change_the_mask_used(photo_u8, hole):
    result = inpaintkit.inpaint(photo_u8, hole, engine="telea", grow=4, feather=2, seed=0)
    assert result.mask[hole > 0].min() >= 0  # feathered edge
    assert (result.mask > 0).sum() > (hole > 0).sum()  # grown
    assert _outside_kept(result.image, photo_u8, result.mask)


def test_separate_objects_become_separate_regions(photo_u8):
    mask = np.zeros(photo_u8.shape[:2], np.float32)
    mask[5:12, 5:12] = 1
    mask[80:90, 110:120] = 1
    result = inpaintkit.inpaint(photo_u8, mask, engine="telea", padding=8, seed=0)
    assert len(result.plan.regions) == 2
    assert _outside_kept(result.image, photo_u8, mask)


def test_work_follows_the_mask_in_a_large_image():
    image = np.zeros((3000, 4000, 3), np.uint8)
    image[..., 1] = 90
    mask = np.zeros((3000, 4000), np.float32)
    mask[1500:1600, 2000:2100] = 1
    result = inpaintkit.inpaint(image, mask, engine="telea", seed=0)
    (region,) = result.plan.regions
    assert region.crop.area < 0.01 * 3000 * 4000
    assert _outside_kept(result.image, image, mask)


def test_seed_is_echoed_and_drawn_when_missing(photo_u8, hole):
    given = inpaintkit.inpaint(photo_u8, hole, engine="patchmatch", seed=42)
    assert given.seed == 42 and given.recipe["seed"] == 42
    drawn = inpaintkit.inpaint(photo_u8, hole, engine="telea")
    assert isinstance(drawn.seed, int)


def test_same_seed_same_result(photo_u8, hole):
    a = inpaintkit.inpaint(photo_u8, hole, engine="patchmatch", seed=5)
    b = inpaintkit.inpaint(photo_u8, hole, engine="patchmatch", seed=5)
    assert np.array_equal(a.image, b.image)


def test_recipe_records_engine_options_hashes_and_plan(photo_u8, hole):
    result = inpaintkit.inpaint(photo_u8, hole, engine="telea", grow=2, seed=3)
    recipe = result.recipe
    assert recipe["engine"] == "telea" and recipe["options"]["grow"] == 2
    assert recipe["image"]["digest"].startswith("blake3:") and len(recipe["image"]["digest"]) == 71
    assert recipe["mask"]["digest"].startswith("blake3:") and recipe["format"] == 2
    assert recipe["plan"]["regions"] == [r.to_dict() for r in result.plan.regions]
    assert set(result.timings) >= {"load", "plan", "engine", "composite"}


@pytest.mark.parametrize("seam", ["color", "poisson", "color+poisson"])
def test_seam_treatment_keeps_outside_pixels(photo_u8, hole, seam):
    result = inpaintkit.inpaint(photo_u8, hole, engine="telea", seam=seam, seed=0)
    assert _outside_kept(result.image, photo_u8, hole)
    assert result.seam_score >= 0


def test_bad_options_raise_clear_errors(photo_u8, hole):
    with pytest.raises(InvalidParameterError, match="grow"):
        inpaintkit.inpaint(photo_u8, hole, grow=-3)
    with pytest.raises(UnknownEngineError, match="telea"):
        inpaintkit.inpaint(photo_u8, hole, engine="magic")
    with pytest.raises(EmptyMaskError):
        inpaintkit.inpaint(photo_u8, np.zeros_like(hole))
    with pytest.raises(InvalidParameterError, match="seam"):
        inpaintkit.inpaint(photo_u8, hole, seam="sparkles")


def test_outpainting_extends_canvas_and_keeps_the_photo_exact(photo_u8):
    from inpaintkit.pipeline import run
    from inpaintkit.schema import make_request

    request = make_request(engine="telea", extend=(8, 0, 24, 16), extend_fill="blur", seed=2)
    result = run(request, image=photo_u8)
    height, width = photo_u8.shape[:2]
    assert result.image.shape == (height + 16, width + 32, 3)
    assert np.array_equal(result.image[0:height, 8 : 8 + width], photo_u8)
    assert result.mask[0:height, 8 : 8 + width].max() == 0 and result.mask[-1].min() == 1
    assert not any(f.code == "empty" for f in result.findings)


def test_outpainting_with_a_mask_regenerates_both(photo_u8, hole):
    from inpaintkit.pipeline import run
    from inpaintkit.schema import make_request

    result = run(
        make_request(engine="telea", extend=(0, 10, 0, 0), seed=0), image=photo_u8, mask=hole
    )
    assert np.array_equal(result.mask[10:], hole)
    keep = result.mask[10:] == 0
    assert np.array_equal(result.image[10:][keep], photo_u8[keep])
