"""``replace`` end to end on the tiny random SD inpainting model (tests/diffusion/
tiny_models.py). The model's pictures are noise: these tests check the plumbing — the
mask grown and written, pixels outside it exact, the files, replay — never the look."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers")
pytest.importorskip("torch")

import inpaintkit
from inpaintkit.apps import replace
from tests.cli.test_cli import run_cli

STEPS = "2"


def photo() -> np.ndarray:
    rng = np.random.default_rng(4)
    smooth = np.linspace(40, 200, 96)[None, :, None] * np.ones((80, 1, 3))
    picture = np.clip(smooth + rng.integers(0, 40, (80, 96, 3)), 0, 255).astype(np.uint8)
    picture[26:44, 36:64] = (40, 60, 210)  # the "garment" the box is drawn around
    return picture


def test_library_replace_with_a_given_mask(tiny_sd_inpaint: Path) -> None:
    mask = np.zeros((80, 96), np.float32)
    mask[20:50, 30:70] = 1
    result = replace(
        photo(), mask=mask, prompt="a red wool sweater", model=str(tiny_sd_inpaint),
        steps=2, seed=5, strength=0.9,
    )  # fmt: skip
    assert result.engine == "diffusion" and result.recipe["app"]["grow"] == 0
    assert np.array_equal(result.mask, mask)  # a given mask is used as it is
    kept = mask == 0
    assert np.array_equal(result.image[kept], photo()[kept])
    assert not np.array_equal(result.image[mask > 0], photo()[mask > 0])
    assert result.recipe["options"]["engine_params"]["strength"] == 0.9


def test_cli_replace_from_a_box_writes_files_and_replays(
    tiny_sd_inpaint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo_path = tmp_path / "person.png"
    Image.fromarray(photo()).save(photo_path)
    code, out, err = run_cli(
        "replace", photo_path, "--box", "30,20,70,50", "--prompt", "a red wool sweater",
        "--model", tiny_sd_inpaint, "--steps", STEPS, "--seed", "7", "--device", "cpu",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    result_path = tmp_path / "person.replaced.png"
    mask_path = tmp_path / "person.replaced.mask.png"
    assert result_path.is_file() and mask_path.is_file()
    assert (tmp_path / "person.replaced.overlay.png").is_file()
    assert "engine diffusion" in out
    mask = np.asarray(Image.open(mask_path))
    result = np.asarray(Image.open(result_path))
    assert np.array_equal(result[mask == 0], photo()[mask == 0])
    done = inpaintkit.replay(result_path)
    assert done.identical and done.recipe["app"]["name"] == "replace"
    assert done.recipe["options"]["engine_params"]["prompt"] == "a red wool sweater"


def test_compose_with_a_model_regenerates_only_the_band(
    tiny_sd_inpaint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compose --model: the diffusion engine repaints a soft band around the pasted
    object's edge; farther pixels are the background's, and `inpaintkit replay` redoes it."""
    import cv2

    scene = photo()
    thing = np.zeros((30, 30, 4), np.uint8)
    thing[..., :3] = (230, 200, 40)
    cv2.circle(thing, (15, 15), 11, (230, 200, 40, 255), -1)
    scene_path, thing_path = tmp_path / "scene.png", tmp_path / "thing.png"
    Image.fromarray(scene).save(scene_path)
    Image.fromarray(thing, "RGBA").save(thing_path)
    out_path = tmp_path / "composed.png"
    code, out, err = run_cli(
        "compose", scene_path, "--paste", thing_path, "--at", "30,20", "--band", "4",
        "--model", tiny_sd_inpaint, "--prompt", "a lemon", "--steps", STEPS, "--seed", "2",
        "--device", "cpu", "-o", out_path, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "engine diffusion" in out
    result = np.asarray(Image.open(out_path))
    footprint = np.zeros(scene.shape[:2], np.uint8)
    footprint[20:50, 30:60] = thing[..., 3] > 0
    reach = cv2.dilate(footprint, np.ones((9, 9), np.uint8)) > 0
    assert np.array_equal(result[~reach], scene[~reach])
    band = np.asarray(Image.open(tmp_path / "composed.mask.png"))
    assert band.max() == 255 and 0 < (band > 0).mean() < 0.3  # a soft band, not the object
    assert (tmp_path / "composed.pasted.png").is_file()
    assert inpaintkit.replay(out_path).identical
