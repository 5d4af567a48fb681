"""The diffusion engine on tiny random-weight models the tests build (tiny_models.py).

Their pictures are noise: these tests check what a user relies on — kept pixels,
determinism, soft-mask behaviour, the crop path, the guards and the errors — never
what the fill looks like.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

import inpaintkit  # noqa: E402
from inpaintkit.engines.diffusion.device import (  # noqa: E402
    DiffusionFailedError,
    OutOfMemoryError,
    estimate_bytes,
    out_of_memory_as_error,
)
from inpaintkit.engines.diffusion.models import ModelKindError, load_model  # noqa: E402
from inpaintkit.errors import InvalidInputError, InvalidParameterError  # noqa: E402
from inpaintkit.pipeline import run  # noqa: E402

STEPS = 3


def photo(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.linspace(0, 255, width)[None, :, None] * np.ones((height, 1, 3))
    return np.clip(smooth * 0.6 + rng.integers(0, 100, (height, width, 3)), 0, 255).astype(np.uint8)


def box_mask(height: int = 96, width: int = 128) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[30:60, 40:90] = 1
    return mask


def fill(model, image=None, mask=None, **options):
    image = photo() if image is None else image
    mask = box_mask(*image.shape[:2]) if mask is None else mask
    options = {"seed": 3, "steps": STEPS, "prompt": "a red cat", **options}
    return inpaintkit.inpaint(image, mask, engine="diffusion", model=str(model), **options)


def cached_model(folder, controlnet=None):
    """The very model object the engine uses (the loader caches it)."""
    from inpaintkit.engines.diffusion.device import choose_placement

    return load_model(str(folder), None, choose_placement("cpu", "float32"), controlnet)


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("tiny_sd_inpaint", "inpaint-unet"),
        ("tiny_sd", "blended-latents"),
        ("tiny_sdxl", "blended-latents"),
    ],
)
def test_pixels_outside_the_mask_are_bit_identical(request, fixture, kind):
    image, mask = photo(), box_mask()
    result = fill(request.getfixturevalue(fixture), image, mask)
    assert result.details["model_kind"] == kind
    assert np.array_equal(result.image[mask == 0], image[mask == 0])
    assert np.abs(result.image.astype(int) - image)[mask == 1].mean() > 1  # it did regenerate


def test_sixteen_bit_photo_keeps_every_outside_value(tiny_sd_inpaint):
    image = photo().astype(np.uint16) * 257 + 3
    mask = box_mask()
    result = fill(tiny_sd_inpaint, image, mask)
    assert result.image.dtype == np.uint16
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_same_seed_same_output_other_seed_differs(tiny_sd_inpaint):
    first = fill(tiny_sd_inpaint, seed=7).image
    assert np.array_equal(first, fill(tiny_sd_inpaint, seed=7).image)
    assert not np.array_equal(first, fill(tiny_sd_inpaint, seed=8).image)


@pytest.mark.parametrize("fixture", ["tiny_sd_inpaint", "tiny_sd"])
def test_soft_mask_change_grows_with_the_mask_value(request, fixture):
    image = photo(64, 128)
    gradient = np.tile(np.linspace(0, 1, 128, dtype=np.float32), (64, 1))
    result = fill(request.getfixturevalue(fixture), image, gradient, steps=10, padding=0)
    assert result.details["differential"]
    change = np.abs(result.image.astype(float) - image).mean(axis=(0, 2))
    bands = [change[start : start + 16].mean() for start in range(0, 128, 16)]
    assert all(a < b for a, b in itertools.pairwise(bands)), bands
    assert change[0] == 0  # mask value 0: kept exactly


def test_strength_sets_where_the_schedule_starts(tiny_sd_inpaint):
    image, mask = photo(), box_mask()
    unchanged = fill(tiny_sd_inpaint, image, mask, strength=0.0)
    assert np.array_equal(unchanged.image, image)
    assert unchanged.details["steps_run"] == 0
    # A random model's output is noise whatever the strength, so only the schedule is
    # checked: strength 0.3 of 10 steps runs the last 3, from the photo noised to there.
    gentle = fill(tiny_sd_inpaint, image, mask, strength=0.3, steps=10)
    assert gentle.details["steps_run"] == 3
    assert np.array_equal(gentle.image[mask == 0], image[mask == 0])


@pytest.mark.parametrize("start", ["original", "latent-noise", "latent-nothing", "telea"])
def test_masked_content_starts(tiny_sd, start):
    image, mask = photo(), box_mask()
    result = fill(tiny_sd, image, mask, masked_content=start, strength=0.6)
    assert result.details["masked_content"] == start
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_progress_is_reported_per_step(tiny_sd_inpaint):
    calls = []
    fill(tiny_sd_inpaint, steps=4, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_large_photo_runs_the_model_only_on_a_crop(tiny_sd_inpaint):
    image = photo(768, 1024)
    mask = np.zeros((768, 1024), np.float32)
    mask[400:440, 600:650] = 1
    seen = []
    unet = cached_model(tiny_sd_inpaint).pipe.unet
    hook = unet.register_forward_pre_hook(lambda _m, args: seen.append(tuple(args[0].shape)))
    try:
        result = fill(tiny_sd_inpaint, image, mask)
    finally:
        hook.remove()
    (region,) = result.plan.regions
    assert max(region.working_size) == 64  # the tiny model's native size
    assert region.crop.width < 400 and region.crop.height < 400
    assert result.details["differential"] is False  # resizing did not make the hard mask soft
    # Latents of the crop at the 64 px working size (8 cells), never of the 1024 px photo.
    assert seen and all(max(shape[-2:]) == 8 for shape in seen)
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_a_one_pixel_stroke_is_still_regenerated(tiny_sd):
    image = photo()
    mask = np.zeros((96, 128), np.float32)
    mask[50, 10:120] = 1  # thinner than a latent cell
    result = fill(tiny_sd, image, mask, padding=0)
    stroke = np.abs(result.image.astype(int) - image)[mask == 1]
    assert (stroke > 0).mean() > 0.9
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_fp16_style_nan_decode_is_retried_in_fp32(tiny_sd_inpaint):
    decoder = cached_model(tiny_sd_inpaint).pipe.vae.decoder
    calls = []

    def first_call_nan(_module, _args, output):
        calls.append(1)
        return output * float("nan") if len(calls) == 1 else output

    hook = decoder.register_forward_hook(first_call_nan)
    try:
        result = fill(tiny_sd_inpaint)
    finally:
        hook.remove()
    assert result.details["vae_fp32_retry"] is True
    assert len(calls) == 2
    assert np.isfinite(result.image.astype(float)).all()


def test_nan_that_survives_the_retry_is_a_clear_error(tiny_sd_inpaint):
    decoder = cached_model(tiny_sd_inpaint).pipe.vae.decoder
    hook = decoder.register_forward_hook(lambda _m, _a, out: out * float("nan"))
    try:
        with pytest.raises(DiffusionFailedError, match="no image was written"):
            fill(tiny_sd_inpaint)
    finally:
        hook.remove()


def test_nan_latents_stop_the_run_naming_the_step(tiny_sd_inpaint):
    unet = cached_model(tiny_sd_inpaint).pipe.unet
    hook = unet.register_forward_hook(lambda _m, _a, out: (out[0] * float("nan"),))
    try:
        with pytest.raises(DiffusionFailedError, match=r"step 1 of 3.*dtype=float32"):
            fill(tiny_sd_inpaint)
    finally:
        hook.remove()


def test_sdxl_inpainting_model(tiny_sdxl_inpaint):
    image, mask = photo(), box_mask()
    result = fill(tiny_sdxl_inpaint, image, mask)
    assert result.details["model_family"] == "sdxl"
    assert max(result.plan.regions[0].working_size) == 128
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_single_file_checkpoint_with_its_config(tiny_sd_single_file):
    checkpoint, config = tiny_sd_single_file
    image, mask = photo(), box_mask()
    result = fill(checkpoint, image, mask, model_config=str(config))
    assert result.details["model_kind"] == "inpaint-unet"
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_controlnet_with_canny_and_with_a_given_control_image(
    tiny_sd_inpaint, tiny_controlnet, tmp_path
):
    image, mask = photo(), box_mask()
    canny = fill(tiny_sd_inpaint, image, mask, controlnet=str(tiny_controlnet))
    assert canny.details["controlnet"] is True
    assert np.array_equal(canny.image[mask == 0], image[mask == 0])
    control = tmp_path / "edges.png"
    edges = np.zeros((96, 128), np.uint8)
    edges[:, ::8] = 255
    inpaintkit.save_image(control, edges)
    given = fill(
        tiny_sd_inpaint, image, mask, controlnet=str(tiny_controlnet), control_image=str(control)
    )
    assert not np.array_equal(given.image, canny.image)  # the control image steers the fill
    inpaintkit.save_image(tmp_path / "small.png", edges[:50])
    with pytest.raises(InvalidInputError, match="photo's size"):
        fill(
            tiny_sd_inpaint,
            image,
            mask,
            controlnet=str(tiny_controlnet),
            control_image=str(tmp_path / "small.png"),
        )


def test_outpainting_with_a_prompt(tiny_sd_inpaint):
    image = photo()
    result = run(
        inpaintkit.Request(
            engine="diffusion",
            extend=(0, 0, 32, 16),
            seed=1,
            engine_params={"model": str(tiny_sd_inpaint), "prompt": "sky", "steps": STEPS},
        ),
        image=image,
    )
    assert result.image.shape == (96 + 16, 128 + 32, 3)
    # The default seam band lets the fill blend 32 px into the photo; beyond it, exact.
    assert np.array_equal(result.image[:60, :90], image[:60, :90])
    assert 0 < result.mask[50, 127] < 1 and result.mask[50, 128] == 1


def test_num_images_gives_variants_from_consecutive_seeds(tiny_sd):
    result = fill(tiny_sd, seed=10, num_images=2)
    (variant,) = result.variants
    assert (result.seed, variant.seed) == (10, 11)
    assert np.array_equal(variant.image, fill(tiny_sd, seed=11).image)


def test_wrong_model_kinds_are_named(tiny_sd, tmp_path):
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    with pytest.raises(InvalidInputError, match=r"no model_index\.json"):
        fill(not_a_model)
    other = tmp_path / "other"
    other.mkdir()
    (other / "model_index.json").write_text('{"_class_name": "KandinskyV22Pipeline"}')
    with pytest.raises(ModelKindError, match="KandinskyV22Pipeline"):
        fill(other)
    with pytest.raises(InvalidInputError, match="not found"):
        fill(tmp_path / "missing")
    with pytest.raises(InvalidParameterError, match="needs a model"):
        inpaintkit.inpaint(photo(), box_mask(), engine="diffusion", prompt="x")
    with pytest.raises(InvalidParameterError, match="scheduler must be one of"):
        fill(tiny_sd, scheduler="fastest")


def test_other_schedulers_run(tiny_sd):
    for name in ("euler-a", "dpm++2m"):
        result = fill(tiny_sd, scheduler=name)
        assert result.details["scheduler"].startswith(("EulerAncestral", "DPMSolver"))


def test_out_of_memory_becomes_advice():
    with (
        pytest.raises(OutOfMemoryError, match=r"about 3\.0 GiB.*working_size=512"),
        out_of_memory_as_error(device="cuda", needed=3 * 1024**3, working_size=1024),
    ):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
    with (
        pytest.raises(RuntimeError, match="shape"),  # other errors pass through untouched
        out_of_memory_as_error(device="cpu", needed=1, working_size=512),
    ):
        raise RuntimeError("shape mismatch")
    small = estimate_bytes(0, width=512, height=512, batch=2, element_size=2, unet_width=320)
    large = estimate_bytes(0, width=1024, height=1024, batch=2, element_size=2, unet_width=320)
    assert 3.5 < large / small < 4.5


def run_console(*args, env=None):
    command = [sys.executable, "-m", "inpaintkit", *map(str, args)]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, check=False, env=environment)


def test_cli_run_with_a_model_and_prompt(tiny_sd_inpaint, tmp_path):
    image, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    inpaintkit.save_image(image, photo())
    inpaintkit.save_image(mask, (box_mask() * 255).astype(np.uint8))
    out = tmp_path / "out.png"
    done = run_console(
        "run", image, "-m", mask, "--model", tiny_sd_inpaint, "--prompt", "a cat",
        "--steps", 2, "--seed", 4, "--num-images", 2, "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.exists() and (tmp_path / "out-2.png").exists()
    assert "engine diffusion" in done.stdout
    kept = inpaintkit.load_image(out).pixels
    assert np.array_equal(kept[box_mask() == 0], photo()[box_mask() == 0])


def test_cli_errors_are_one_line_exit_2(tmp_path):
    image = tmp_path / "photo.png"
    inpaintkit.save_image(image, photo())
    done = run_console("run", image, "-m", "10,10,40,40", "--prompt", "a cat", "-o", "x.png")
    assert done.returncode == 2 and "add --engine diffusion --model PATH" in done.stderr
    done = run_console("run", image, "-m", "10,10,40,40", "--model", "someone/some-model")
    assert done.returncode == 2
    assert "offline" in done.stderr and "--model DIR" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_single_file_without_config_offline_says_what_to_pass(tiny_sd_single_file, tmp_path):
    checkpoint, _ = tiny_sd_single_file
    image = tmp_path / "photo.png"
    inpaintkit.save_image(image, photo())
    done = run_console("run", image, "-m", "10,10,40,40", "--model", checkpoint)
    assert done.returncode == 2, done.stderr
    assert "model_config" in done.stderr


def test_half_precision_path_runs(tiny_sd_inpaint):
    """bfloat16 is what a GPU run uses (fp16 needs CUDA); the CPU runs it too."""
    image, mask = photo(), box_mask()
    result = fill(tiny_sd_inpaint, image, mask, dtype="bfloat16")
    assert result.details["dtype"] == "bfloat16"
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_cli_outpaint_with_a_prompt(tiny_sd_inpaint, tmp_path):
    image = tmp_path / "photo.png"
    inpaintkit.save_image(image, photo())
    out = tmp_path / "wide.png"
    done = run_console(
        "outpaint", image, "--right", 32, "--bottom", 16, "--model", tiny_sd_inpaint,
        "--prompt", "a beach", "--steps", 2, "--seam-band", 8, "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wide = inpaintkit.load_image(out).pixels
    assert wide.shape == (96 + 16, 128 + 32, 3)
    assert np.array_equal(wide[:88, :120], photo()[:88, :120])  # exact beyond the 8 px band


def test_flux_fill_model(tiny_flux_fill):
    image, mask = photo(), box_mask()
    calls = []
    result = fill(tiny_flux_fill, image, mask, progress=lambda d, t: calls.append((d, t)))
    assert result.details["model_kind"] == "flux-fill"
    assert result.plan.multiple == 16
    assert calls[-1] == (STEPS, STEPS)
    assert np.array_equal(result.image[mask == 0], image[mask == 0])
    assert np.abs(result.image.astype(int) - image)[mask == 1].mean() > 1
    with pytest.raises(InvalidParameterError, match="no negative prompt"):
        fill(tiny_flux_fill, image, mask, negative_prompt="blurry")


def test_sdxl_in_float16_keeps_its_vae_in_float32(tiny_sdxl_inpaint):
    """SDXL's VAE overflows in fp16 (force_upcast in its config): it stays fp32."""
    from inpaintkit.engines.diffusion.device import choose_placement

    image, mask = photo(), box_mask()
    result = fill(tiny_sdxl_inpaint, image, mask, dtype="float16")
    placement = choose_placement("cpu", "float16")
    model = load_model(str(tiny_sdxl_inpaint), None, placement, None)
    assert model.pipe.unet.dtype == torch.float16 and model.pipe.vae.dtype == torch.float32
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_tight_memory_turns_on_slicing_and_tiling(tiny_sd_inpaint, monkeypatch):
    """When the estimate comes close to what is free, attention is sliced and the VAE
    tiled; the result keeps every outside pixel all the same."""
    import inpaintkit.engines.diffusion as engine_module

    monkeypatch.setattr(engine_module, "free_memory", lambda device: 1024)
    image, mask = photo(), box_mask()
    try:
        result = fill(tiny_sd_inpaint, image, mask)
    finally:
        model = cached_model(tiny_sd_inpaint).pipe
        model.disable_attention_slicing()
        model.vae.disable_tiling()
    assert result.details["memory_saving"] is True
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_sdxl_with_a_controlnet(tiny_sdxl_inpaint, tmp_path):
    from .tiny_models import build_controlnet

    controlnet = build_controlnet(tmp_path / "sdxl-control", base=tiny_sdxl_inpaint)
    image, mask = photo(), box_mask()
    plain = fill(tiny_sdxl_inpaint, image, mask)
    guided = fill(tiny_sdxl_inpaint, image, mask, controlnet=str(controlnet))
    assert guided.details["controlnet"] is True and guided.details["model_family"] == "sdxl"
    assert not np.array_equal(guided.image, plain.image)
    assert np.array_equal(guided.image[mask == 0], image[mask == 0])


def test_unets_with_other_inputs_are_refused_by_name():
    from types import SimpleNamespace

    from inpaintkit.engines.diffusion.models import detect_kind

    depth = SimpleNamespace(in_channels=5, sample_size=96)  # e.g. SD 2 depth-to-image
    with pytest.raises(ModelKindError, match="5 input channels"):
        detect_kind(depth, "StableDiffusionDepth2ImgPipeline", 8)
    sd2 = detect_kind(SimpleNamespace(in_channels=9, sample_size=64), "X", 8)
    assert (sd2.path, sd2.native_size) == ("inpaint-unet", 512)
