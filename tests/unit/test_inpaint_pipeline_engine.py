"""InpaintPipeline on the engines that need no weights: diffusers' call shape, inpaintkit's
guarantees, and the arguments those engines do not have (ignored with a warning)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

import inpaintkit
from inpaintkit.errors import InvalidInputError, InvalidParameterError, SizeMismatchError
from inpaintkit.pipe import InpaintPipeline


def photo(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def hole(height: int = 48, width: int = 64) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[16:30, 20:40] = 1
    return mask


def test_pil_in_pil_out_at_the_photos_size_outside_exact():
    image, mask = photo(), hole()
    out = InpaintPipeline()(
        image=Image.fromarray(image), mask_image=Image.fromarray((mask * 255).astype(np.uint8))
    )
    (picture,) = out.images
    assert isinstance(picture, Image.Image) and picture.size == (64, 48)
    pixels = np.asarray(picture)
    assert np.array_equal(pixels[mask == 0], image[mask == 0])
    assert not np.array_equal(pixels[mask == 1], image[mask == 1])
    assert out.nsfw_content_detected is None and len(out.seeds) == 1


def test_the_prompt_and_diffusion_arguments_are_ignored_with_a_warning():
    pipe = InpaintPipeline(engine="telea")
    with pytest.warns(UserWarning) as caught:
        out = pipe(
            "a red cat",
            image=photo(),
            mask_image=hole(),
            strength=0.5,
            num_inference_steps=20,
            guidance_scale=5.0,
            generator=1,
        )
    said = " ".join(str(w.message) for w in caught)
    for name in ("prompt", "strength", "num_inference_steps", "guidance_scale"):
        assert name in said
    assert out.notes and all("telea" in note for note in out.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe(image=photo(), mask_image=hole(), generator=1)  # nothing given: no warning


def test_a_seed_gives_the_same_result_as_inpaint():
    image, mask = photo(), hole()
    out = InpaintPipeline(engine="auto")(image=image, mask_image=mask, generator=5)
    direct = inpaintkit.inpaint(image, mask, engine="auto", seed=5)
    assert out.seeds == [5]
    assert np.array_equal(np.asarray(out.images[0]), direct.image)


def test_engine_options_and_inpaint_keywords_pass_through():
    pipe = InpaintPipeline(engine="telea", radius=9, grow=2)
    out = pipe(image=photo(), mask_image=hole(), generator=0, feather=1.5)
    assert out.results[0].recipe["options"]["engine_params"] == {"radius": 9}
    assert out.results[0].recipe["options"]["grow"] == 2
    assert out.results[0].recipe["options"]["feather"] == 1.5
    with pytest.raises(InvalidParameterError, match="radius"):
        InpaintPipeline(engine="telea", radius=0)
    with pytest.raises(InvalidParameterError, match="patch_size"):
        pipe(image=photo(), mask_image=hole(), patch_size=3)  # an option of other engines
    with pytest.raises(InvalidParameterError, match="mask_image"):
        pipe(image=photo(), mask=hole())


def test_numpy_batches_and_float_inputs():
    image, mask = photo(), hole()
    batch = np.stack([image, photo(seed=1)]).astype(np.float32) / 255  # N×H×W×C in [0, 1]
    out = InpaintPipeline(engine="telea")(
        image=batch, mask_image=mask, generator=0, output_type="np"
    )
    assert out.images.shape == (2, 48, 64, 3) and out.images.dtype == np.float32
    assert np.array_equal(out.images[0][mask == 0], batch[0][mask == 0])
    signed = batch * 2 - 1  # diffusers reads negative values as [-1, 1]
    again = InpaintPipeline(engine="telea")(
        image=signed, mask_image=mask[None], generator=0, output_type="np"
    )
    kept = mask == 0
    assert np.allclose(again.images[:, kept], batch[:, kept], atol=1e-6)
    assert np.abs(again.images - out.images).mean() < 1 / 255  # telea fills in 8 bits


def test_torch_inputs_and_outputs():
    torch = pytest.importorskip("torch")
    image, mask = photo(), hole()
    tensor = torch.from_numpy(image).permute(2, 0, 1).float() / 255 * 2 - 1  # C×H×W, [-1, 1]
    out = InpaintPipeline(engine="telea")(
        image=tensor, mask_image=torch.from_numpy(mask)[None, None], output_type="pt"
    )
    assert out.images.shape == (1, 3, 48, 64) and out.images.dtype == torch.float32
    expected = (tensor + 1) / 2
    kept = torch.from_numpy(mask == 0)
    assert torch.equal(out.images[0][:, kept], expected[:, kept])
    generator = torch.Generator().manual_seed(4)
    assert InpaintPipeline()(image=image, mask_image=mask, generator=generator).seeds == [4]


def test_images_per_prompt_are_seed_variants():
    out = InpaintPipeline(engine="telea")(
        image=[photo(), photo(seed=1)], mask_image=hole(), generator=10, num_images_per_prompt=3
    )
    assert out.seeds == [10, 11, 12, 10, 11, 12]
    assert len(out.images) == 6


def test_callback_is_called_once_per_region_without_steps():
    mask = hole()
    mask[40:44, 2:6] = 1  # a second, distant region
    calls = []
    InpaintPipeline(engine="telea")(
        image=photo(),
        mask_image=mask,
        generator=0,
        callback_on_step_end=lambda pipe, step, timestep, kwargs: calls.append((step, kwargs)),
        padding_mask_crop=0,
    )
    assert calls == [(0, {}), (1, {})]


def test_bad_calls_say_what_to_do():
    pipe = InpaintPipeline()
    with pytest.raises(InvalidInputError, match="mask_image"):
        pipe(image=photo())
    with pytest.raises(InvalidParameterError, match="'latent' is not supported"):
        pipe(image=photo(), mask_image=hole(), output_type="latent")
    with pytest.raises(InvalidParameterError, match=r"not supported.*generator"):
        pipe(image=photo(), mask_image=hole(), latents=np.zeros(4))
    with pytest.raises(InvalidInputError, match="2, 3"):
        pipe(image=[photo(), photo()], mask_image=[hole(), hole(), hole()])
    with pytest.raises(SizeMismatchError, match="mask_resize"):
        pipe(image=photo(), mask_image=hole(24, 32))
    resized = pipe(image=photo(), mask_image=hole(24, 32), mask_resize=True, generator=0)
    assert resized.images[0].size == (64, 48)
    with pytest.raises(InvalidParameterError, match="generator must be"):
        pipe(image=photo(), mask_image=hole(), generator="seven")
    with pytest.raises(InvalidInputError, match="image is a float"):
        pipe(image=3.0, mask_image=hole())


def test_importing_the_pipeline_does_not_import_torch():
    code = "import sys, inpaintkit.pipe; print('torch' in sys.modules, 'diffusers' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
