"""InpaintPipeline on tiny random-weight models (tiny_models.py): diffusers' call shape,
inpaintkit's guarantees. The models' pictures are noise; these tests check plumbing,
kept pixels and the mapping of every argument, never what a fill looks like."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

from PIL import Image  # noqa: E402

import inpaintkit  # noqa: E402
from inpaintkit.engines.diffusion.models import ModelKindError, load_model  # noqa: E402
from inpaintkit.errors import InvalidInputError, InvalidParameterError  # noqa: E402
from inpaintkit.pipe import InpaintPipeline  # noqa: E402

from .test_engine import box_mask, photo  # noqa: E402  (the same test pictures)

STEPS = 3
DOCS = Path(__file__).resolve().parents[2] / "docs" / "diffusers.md"


def call(pipe, image=None, mask=None, **arguments):
    image = photo() if image is None else image
    mask = box_mask() if mask is None else mask
    arguments = {"num_inference_steps": STEPS, "generator": 3, **arguments}
    return pipe("a red cat", image=image, mask_image=mask, **arguments)


@pytest.fixture
def pipe(tiny_sd_inpaint):
    return InpaintPipeline.from_pretrained(tiny_sd_inpaint, torch_dtype=torch.float32)


# ---------------------------------------------------------------- the guarantees


def test_pixels_outside_the_mask_are_exact_in_every_output_type(pipe):
    image, mask = photo(), box_mask()
    kept = mask == 0
    as_pil = call(pipe, Image.fromarray(image), Image.fromarray((mask * 255).astype(np.uint8)))
    out = np.asarray(as_pil.images[0])
    assert as_pil.images[0].size == (128, 96)
    assert np.array_equal(out[kept], image[kept])
    assert np.abs(out.astype(int) - image)[mask == 1].mean() > 1  # it did repaint
    as_np = call(pipe, image.astype(np.float32) / 255, mask, output_type="np").images
    assert as_np.dtype == np.float32 and as_np.shape == (1, 96, 128, 3)
    assert np.array_equal(as_np[0][kept], (image.astype(np.float32) / 255)[kept])
    signed = torch.from_numpy(image.astype(np.float32) / 255 * 2 - 1).permute(2, 0, 1)
    as_pt = call(pipe, signed, torch.from_numpy(mask), output_type="pt").images
    assert as_pt.shape == (1, 3, 96, 128)
    expected = ((signed + 1) / 2).permute(1, 2, 0).numpy()
    assert np.array_equal(as_pt[0].permute(1, 2, 0).numpy()[kept], expected[kept])


def test_a_one_pixel_stroke_is_regenerated(tiny_sd):
    """A 1 px line releases its latent cells (max-pooled mask): with the 4-channel model,
    an unreleased cell would come back as the photo's own latents, the same for every
    seed; here the stroke's pixels change with the seed."""
    pipe = InpaintPipeline.from_pretrained(tiny_sd)
    image = photo()
    stroke = np.zeros((96, 128), np.float32)
    stroke[45, 20:110] = 1  # row 45: not on an 8 px cell's first row
    first = call(pipe, image, stroke, generator=1, output_type="np").images[0]
    second = call(pipe, image, stroke, generator=2, output_type="np").images[0]
    assert np.abs(first - second)[stroke == 1].mean() > 0.01
    kept = stroke == 0
    assert np.array_equal(first[kept], (image / np.float32(255)).astype(np.float32)[kept])


@pytest.mark.parametrize("fixture", ["tiny_sd_inpaint", "tiny_sd"])
def test_a_soft_mask_is_a_per_pixel_strength(request, fixture):
    pipe = InpaintPipeline.from_pretrained(request.getfixturevalue(fixture))
    image = photo(64, 128)
    gradient = np.tile(np.linspace(0, 1, 128, dtype=np.float32), (64, 1))
    out = pipe(
        "a red cat",
        image=image,
        mask_image=gradient,
        num_inference_steps=10,
        generator=0,
        padding_mask_crop=0,
    )
    assert out.results[0].details["differential"]
    change = np.abs(np.asarray(out.images[0]).astype(float) - image).mean(axis=(0, 2))
    bands = [change[start : start + 16].mean() for start in range(0, 128, 16)]
    assert all(a < b for a, b in itertools.pairwise(bands)), bands
    assert change[0] == 0  # mask value 0: kept exactly (diffusers would binarise at 0.5)


def test_a_large_photo_runs_per_region_and_keeps_its_size(pipe, tiny_sd_inpaint):
    image = photo(768, 1024)
    mask = np.zeros((768, 1024), np.float32)
    mask[400:440, 600:650] = 1
    seen = []
    unet = load_model(*_placed(tiny_sd_inpaint)).pipe.unet
    hook = unet.register_forward_pre_hook(lambda _m, args: seen.append(tuple(args[0].shape)))
    try:
        out = call(pipe, image, mask)
    finally:
        hook.remove()
    assert out.images[0].size == (1024, 768)  # not squashed to the model's square
    (region,) = out.results[0].plan.regions
    assert region.crop.width < 1024 and region.crop.height < 768
    assert seen and all(shape[-1] * 8 <= 64 for shape in seen)  # the model ran at 64 px
    assert np.array_equal(np.asarray(out.images[0])[mask == 0], image[mask == 0])


def _placed(folder):
    from inpaintkit.engines.diffusion.device import choose_placement

    return str(folder), None, choose_placement("auto", "auto"), None


# ---------------------------------------------------------------- seeds and batches


def test_a_generator_gives_the_result_of_the_same_integer_seed(pipe, tiny_sd_inpaint):
    image, mask = photo(), box_mask()
    out = call(pipe, image, mask, generator=torch.Generator().manual_seed(11))
    direct = inpaintkit.inpaint(
        image,
        mask,
        engine="diffusion",
        model=str(tiny_sd_inpaint),
        prompt="a red cat",
        steps=STEPS,
        seed=11,
    )
    assert out.seeds == [11]
    assert np.array_equal(np.asarray(out.images[0]), direct.image)
    again = call(pipe, image, mask, generator=11)
    assert np.array_equal(np.asarray(again.images[0]), direct.image)
    other = call(pipe, image, mask, generator=12)
    assert not np.array_equal(np.asarray(other.images[0]), direct.image)


def test_batches_lists_and_images_per_prompt(pipe):
    first, second = photo(seed=0), photo(seed=1)
    out = call(pipe, [Image.fromarray(first), Image.fromarray(second)], num_images_per_prompt=2)
    assert len(out.images) == 4 and out.seeds == [3, 4, 3, 4]
    single = call(pipe, second, generator=4)
    assert np.array_equal(np.asarray(out.images[3]), np.asarray(single.images[0]))
    batch = torch.from_numpy(np.stack([first, second]).astype(np.float32) / 255).permute(0, 3, 1, 2)
    tensor_out = call(pipe, batch, output_type="np")
    assert tensor_out.images.shape == (2, 96, 128, 3)
    generators = [torch.Generator().manual_seed(seed) for seed in (7, 9)]
    listed = call(pipe, first, generator=generators, num_images_per_prompt=2)
    assert listed.seeds == [7, 9]
    with pytest.raises(InvalidParameterError, match="3 generators for 2 images"):
        call(pipe, first, generator=[1, 2, 3], num_images_per_prompt=2)
    prompts = pipe(
        ["a red cat", "a blue dog"],
        image=first,
        mask_image=box_mask(),
        num_inference_steps=1,
        generator=0,
    )
    assert len(prompts.images) == 2
    assert prompts.results[1].recipe  # each picture has its own inpaintkit result


def test_different_sizes_come_back_as_a_list(pipe):
    out = call(pipe, [photo(), photo(64, 96)], [box_mask(), box_mask(64, 96)], output_type="np")
    assert isinstance(out.images, list)
    assert [image.shape for image in out.images] == [(96, 128, 3), (64, 96, 3)]


# ---------------------------------------------------------------- the other arguments


def test_strength_steps_and_guidance_map_onto_the_engine(pipe):
    image, mask = photo(), box_mask()
    out = call(pipe, image, mask, strength=0.5, num_inference_steps=6, guidance_scale=1.0)
    assert out.results[0].details["steps_run"] == 3
    assert out.results[0].recipe["options"]["engine_params"]["guidance"] == 1.0
    untouched = call(pipe, image, mask, strength=0.0)
    assert np.array_equal(np.asarray(untouched.images[0]), image)


def test_callback_on_step_end_is_called_after_each_step(pipe):
    calls = []

    def on_step_end(given_pipe, step, timestep, callback_kwargs):
        calls.append((given_pipe is pipe, step, timestep, callback_kwargs, pipe.num_timesteps))
        return {"latents": None}  # ignored: latents cannot be changed from outside

    call(pipe, num_inference_steps=4, callback_on_step_end=on_step_end)
    assert calls == [(True, step, None, {}, 4) for step in range(4)]
    with pytest.raises(InvalidParameterError, match="callback_on_step_end_tensor_inputs"):
        call(pipe, callback_on_step_end_tensor_inputs=["latents"])


def test_height_and_width_set_the_working_size(pipe):
    out = call(pipe, height=96, width=64)
    assert out.results[0].plan.working_size == 96
    (region,) = out.results[0].plan.regions
    assert max(region.working_size) == 96
    assert out.images[0].size == (128, 96)
    with pytest.raises(InvalidParameterError, match="multiples of 8"):
        call(pipe, height=50)


def test_padding_mask_crop_is_the_region_margin(pipe):
    out = call(pipe, padding_mask_crop=8)
    (region,) = out.results[0].plan.regions
    assert out.results[0].plan.padding == 8
    assert region.crop.x0 <= 32 and region.crop.x1 >= 98


def test_output_types_and_return_dict(pipe):
    images, nsfw = call(pipe, return_dict=False)
    assert isinstance(images[0], Image.Image) and nsfw is None
    out = call(pipe)
    assert out[0] is out.images and out["images"] is out.images
    with pytest.raises(InvalidParameterError, match="latent"):
        call(pipe, output_type="latent")
    with pytest.raises(InvalidParameterError, match="not supported"):
        call(pipe, latents=torch.zeros(1, 4, 12, 16))
    with pytest.raises(InvalidInputError, match="latents"):
        call(pipe, torch.zeros(1, 4, 96, 128))


# ---------------------------------------------------------------- loading


def test_from_pipe_runs_the_live_pipeline_and_keeps_its_scheduler(pipe, tiny_sd_inpaint):
    from diffusers import AutoPipelineForInpainting, EulerDiscreteScheduler

    mine = AutoPipelineForInpainting.from_pretrained(tiny_sd_inpaint, torch_dtype=torch.float32)
    adopted = InpaintPipeline.from_pipe(mine)
    assert adopted.pipeline is mine
    seen = []
    hook = mine.unet.register_forward_pre_hook(lambda *_: seen.append(1))
    try:
        out = call(adopted)
    finally:
        hook.remove()
    assert len(seen) == STEPS  # my own UNet object ran, nothing was loaded
    assert np.array_equal(np.asarray(out.images[0]), np.asarray(call(pipe).images[0]))
    mine.scheduler = EulerDiscreteScheduler.from_config(mine.scheduler.config)
    assert call(adopted).results[0].details["scheduler"] == "EulerDiscreteScheduler"
    named = InpaintPipeline.from_pipe(mine, scheduler="unipc")
    assert call(named).results[0].details["scheduler"] == "UniPCMultistepScheduler"
    assert type(mine.scheduler).__name__ == "EulerDiscreteScheduler"  # mine is untouched


def test_from_pipe_with_an_sdxl_pipeline(tiny_sdxl_inpaint):
    from diffusers import AutoPipelineForInpainting

    mine = AutoPipelineForInpainting.from_pretrained(tiny_sdxl_inpaint)
    adopted = InpaintPipeline.from_pipe(mine).to("cpu")
    image, mask = photo(), box_mask()
    out = call(adopted, image, mask, num_inference_steps=2)
    assert out.results[0].details["model_family"] == "sdxl"
    assert np.array_equal(np.asarray(out.images[0])[mask == 0], image[mask == 0])


def test_from_pipe_refuses_what_it_cannot_run(tiny_sd_inpaint):
    with pytest.raises(ModelKindError, match="not a diffusers"):
        InpaintPipeline.from_pipe(object())
    from diffusers import StableDiffusionInpaintPipeline

    mine = StableDiffusionInpaintPipeline.from_pretrained(tiny_sd_inpaint)
    with pytest.raises(InvalidParameterError, match=r"pipeline.to\("):
        InpaintPipeline.from_pipe(mine, device="cuda")


def test_from_pretrained_single_file_and_variant(tiny_sd_single_file, tiny_sd_inpaint, tmp_path):
    file, configs = tiny_sd_single_file
    from_file = InpaintPipeline.from_pretrained(file, config=configs)
    assert call(from_file).results[0].details["model_kind"] == "inpaint-unet"
    from diffusers import StableDiffusionInpaintPipeline

    StableDiffusionInpaintPipeline.from_pretrained(tiny_sd_inpaint).save_pretrained(
        tmp_path / "variant", variant="fp16"
    )
    assert list((tmp_path / "variant" / "unet").glob("*.fp16.*"))
    with_variant = InpaintPipeline.from_pretrained(tmp_path / "variant", variant="fp16")
    assert with_variant.pipeline is not None
    assert np.array_equal(
        np.asarray(call(with_variant).images[0]),
        np.asarray(call(InpaintPipeline.from_pretrained(tiny_sd_inpaint)).images[0]),
    )


def test_from_pretrained_keywords(tiny_sd_inpaint):
    pipe = InpaintPipeline.from_pretrained(
        tiny_sd_inpaint, torch_dtype=torch.float32, safety_checker=None, scheduler="euler"
    )
    assert pipe.options["dtype"] == "float32" and pipe.options["scheduler"] == "euler"
    assert call(pipe).results[0].details["scheduler"] == "EulerDiscreteScheduler"
    with pytest.raises(InvalidParameterError, match="unknown keyword 'revision'"):
        InpaintPipeline.from_pretrained(tiny_sd_inpaint, revision="main")
    with pytest.raises(InvalidInputError, match="not found"):
        InpaintPipeline.from_pretrained("./no-such-model-folder")


# ---------------------------------------------------------------- the docs run as written


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_docs_examples_run(tiny_sd_inpaint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(photo()).save("photo.png")
    Image.fromarray((box_mask() * 255).astype(np.uint8)).save("mask.png")
    blocks = _python_blocks(DOCS.read_text())
    assert len(blocks) == 4
    for block in blocks:
        code = re.sub(r'MODEL = "[^"]*"', f"MODEL = {str(tiny_sd_inpaint)!r}", block)
        code = code.replace("num_inference_steps=20", "num_inference_steps=2")
        exec(compile(code, str(DOCS), "exec"), {})
    before = np.asarray(Image.open("diffusers.png"))
    after = np.asarray(Image.open("inpaintkit.png"))
    kept = box_mask() == 0
    assert before.shape == (64, 64, 3)  # diffusers: squashed to the model's square
    assert after.shape == (96, 128, 3) and np.array_equal(after[kept], photo()[kept])
    assert np.asarray(Image.open("from_pipe.png")).shape == (96, 128, 3)
    assert np.array_equal(np.asarray(Image.open("auto.png"))[kept], photo()[kept])
