"""IP-Adapter through ``InpaintPipeline`` in diffusers' spelling: ``load_ip_adapter``,
``set_ip_adapter_scale``, ``unload_ip_adapter`` and ``ip_adapter_image``, on the tiny
random SD inpainting model with the tiny random adapter of test_replace_ip_adapter.py.
Random weights: these tests check that the reference reaches the UNet, that the result
is inpaintkit.inpaint's with the same options, that a ``from_pipe`` pipeline is left as
it was, and the errors — never what the picture looks like."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

import inpaintkit  # noqa: E402
from inpaintkit.errors import InvalidInputError, InvalidParameterError  # noqa: E402
from inpaintkit.pipe import InpaintPipeline  # noqa: E402

from .test_replace_ip_adapter import build_ip_adapter  # noqa: E402

STEPS = 2
WEIGHTS = "ip-adapter.safetensors"


def photo() -> np.ndarray:
    rng = np.random.default_rng(6)
    picture = rng.integers(60, 200, (64, 80, 3)).astype(np.uint8)
    picture[16:48, 16:56] = (30, 60, 200)
    return picture


def box_mask() -> np.ndarray:
    mask = np.zeros((64, 80), np.float32)
    mask[16:48, 16:56] = 1
    return mask


def red() -> np.ndarray:
    return np.full((40, 30, 3), (220, 20, 20), np.uint8)


def stripes() -> np.ndarray:
    lines = np.zeros((40, 30, 3), np.uint8)
    lines[::4] = 255
    return lines


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory: pytest.TempPathFactory, tiny_sd_inpaint: Path) -> Path:
    """The h94/IP-Adapter layout: ``models/<weights>`` + ``models/image_encoder/``."""
    root = tmp_path_factory.mktemp("ip_adapter_hub")
    build_ip_adapter(root / "models", tiny_sd_inpaint)
    return root


@pytest.fixture(scope="module")
def pipe(tiny_sd_inpaint: Path) -> InpaintPipeline:
    return InpaintPipeline.from_pretrained(tiny_sd_inpaint, torch_dtype=torch.float32)


def call(pipe: InpaintPipeline, **arguments: Any) -> np.ndarray:
    arguments = {"num_inference_steps": STEPS, "generator": 3, **arguments}
    out = pipe("a sweater", image=photo(), mask_image=box_mask(), output_type="np", **arguments)
    return np.asarray(out.images[0])


def loaded(pipe: InpaintPipeline, hub_folder: Path) -> InpaintPipeline:
    adapted = InpaintPipeline.from_pipe(pipe)  # a copy: the shared fixture stays plain
    adapted.load_ip_adapter(hub_folder, subfolder="models", weight_name=WEIGHTS)
    return adapted


def test_ip_adapter_image_steers_the_fill_and_keeps_the_rest(
    pipe: InpaintPipeline, hub_folder: Path
) -> None:
    plain = call(pipe)
    adapted = loaded(pipe, hub_folder)
    as_pil = call(adapted, ip_adapter_image=Image.fromarray(red()))
    kept = box_mask() == 0
    expected = photo().astype(np.float32) / 255
    assert np.array_equal(as_pil[kept], expected[kept])
    assert not np.array_equal(as_pil, plain)  # the reference reached the UNet
    assert not np.array_equal(as_pil, call(adapted, ip_adapter_image=stripes()))  # which matters
    # NumPy and torch (C×H×W in [0, 1]) read as the same picture
    assert np.array_equal(call(adapted, ip_adapter_image=red()), as_pil)
    tensor = torch.from_numpy(red().transpose(2, 0, 1).astype(np.float32) / 255)
    assert np.array_equal(call(adapted, ip_adapter_image=tensor), as_pil)
    assert np.array_equal(call(adapted, ip_adapter_image=[Image.fromarray(red())]), as_pil)
    adapted.set_ip_adapter_scale(0.0)  # scale 0: the adapter adds nothing
    assert np.array_equal(call(adapted, ip_adapter_image=red()), plain)
    adapted.unload_ip_adapter()
    assert np.array_equal(call(adapted), plain)
    assert np.array_equal(call(pipe), plain)  # the cached model is not steered afterwards


def test_equals_inpaint_with_reference_and_ip_adapter(
    pipe: InpaintPipeline, hub_folder: Path, tiny_sd_inpaint: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "red.png"
    Image.fromarray(red()).save(reference)
    adapted = loaded(pipe, hub_folder)
    adapted.set_ip_adapter_scale(0.8)
    out = adapted(
        "a sweater",
        image=photo(),
        mask_image=box_mask(),
        num_inference_steps=STEPS,
        generator=torch.Generator().manual_seed(5),
        ip_adapter_image=Image.open(reference),
    )
    direct = inpaintkit.inpaint(
        photo(),
        box_mask(),
        engine="diffusion",
        model=str(tiny_sd_inpaint),
        prompt="a sweater",
        steps=STEPS,
        seed=5,
        reference=str(reference),
        ip_adapter=str(hub_folder / "models" / WEIGHTS),
        ip_adapter_scale=0.8,
    )
    assert np.array_equal(np.asarray(out.images[0]), direct.image)
    assert out.results[0].details["ip_adapter"] == {"scale": 0.8}
    params = out.results[0].recipe["options"]["engine_params"]
    assert params["ip_adapter"] == str(hub_folder / "models" / WEIGHTS)
    assert params["ip_adapter_encoder"] == str(hub_folder / "models" / "image_encoder")
    assert params["ip_adapter_scale"] == 0.8
    assert Path(params["reference"]).is_file()  # the picture, written for the engine
    # inpaintkit only: a path is passed on as it is, so the recipe names the user's file
    by_path = adapted(
        "a sweater",
        image=photo(),
        mask_image=box_mask(),
        num_inference_steps=STEPS,
        generator=5,
        ip_adapter_image=str(reference),
    )
    assert np.array_equal(np.asarray(by_path.images[0]), direct.image)
    assert by_path.results[0].recipe["options"]["engine_params"]["reference"] == str(reference)


def test_load_ip_adapter_finds_files_as_diffusers_does(
    pipe: InpaintPipeline, hub_folder: Path, tmp_path: Path
) -> None:
    adapted = loaded(pipe, hub_folder)
    models = hub_folder / "models"
    assert adapted.options["ip_adapter"] == str(models / WEIGHTS)
    assert adapted.options["ip_adapter_encoder"] == str(models / "image_encoder")
    assert adapted.options["ip_adapter_scale"] == 1.0  # diffusers loads at scale 1.0
    # the weights file at the folder's top, the encoder elsewhere: a path with a "/"
    shutil.copy(models / WEIGHTS, tmp_path / WEIGHTS)
    shutil.copytree(models / "image_encoder", tmp_path / "encoders" / "clip")
    adapted.load_ip_adapter(
        tmp_path, subfolder="", weight_name=WEIGHTS, image_encoder_folder="encoders/clip"
    )
    assert adapted.options["ip_adapter"] == str(tmp_path / WEIGHTS)
    assert adapted.options["ip_adapter_encoder"] == str(tmp_path / "encoders" / "clip")
    # the file itself; None: the engine looks beside the weights or one level up
    adapted.load_ip_adapter(str(models / WEIGHTS), image_encoder_folder=None)
    assert adapted.options["ip_adapter_encoder"] is None
    assert call(adapted, ip_adapter_image=red()).shape == (64, 80, 3)


def test_from_pipe_leaves_the_users_pipeline_as_it_was(
    tiny_sd_inpaint: Path, hub_folder: Path
) -> None:
    from diffusers import StableDiffusionInpaintPipeline

    mine = StableDiffusionInpaintPipeline.from_pretrained(tiny_sd_inpaint)
    mine.set_progress_bar_config(disable=True)

    def own_call() -> np.ndarray:
        return mine(
            "a sweater",
            image=Image.fromarray(photo()),
            mask_image=Image.fromarray((box_mask() * 255).astype(np.uint8)),
            height=64,
            width=64,
            num_inference_steps=STEPS,
            generator=torch.Generator().manual_seed(0),
            output_type="np",
        ).images[0]

    processors = dict(mine.unet.attn_processors)
    hid_type = mine.unet.config.encoder_hid_dim_type
    before, adapted = own_call(), InpaintPipeline.from_pipe(mine)
    plain = call(adapted)
    adapted.load_ip_adapter(hub_folder, subfolder="models", weight_name=WEIGHTS)
    steered = call(adapted, ip_adapter_image=red())
    assert not np.array_equal(steered, plain)
    after = dict(mine.unet.attn_processors)
    assert after.keys() == processors.keys()
    assert all(after[name] is processors[name] for name in processors)
    assert mine.unet.encoder_hid_proj is None
    assert mine.unet.config.encoder_hid_dim_type == hid_type
    assert np.array_equal(own_call(), before)  # my own pipeline runs as before
    adapted.unload_ip_adapter()
    assert np.array_equal(call(adapted), plain)


def test_errors_say_what_to_do(pipe: InpaintPipeline, hub_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match=r"load_ip_adapter\(.*first"):
        call(pipe, ip_adapter_image=red())
    with pytest.raises(InvalidParameterError, match=r"ip_adapter_image_embeds.*ip_adapter_image"):
        call(pipe, ip_adapter_image_embeds=[torch.zeros(2, 1, 16)])
    with pytest.raises(InvalidParameterError, match="diffusion engine"):
        InpaintPipeline(engine="telea").load_ip_adapter(
            hub_folder, subfolder="models", weight_name=WEIGHTS
        )
    adapted = loaded(pipe, hub_folder)
    with pytest.raises(InvalidParameterError, match=r"pass ip_adapter_image=.*unload_ip_adapter"):
        call(adapted)
    with pytest.raises(InvalidInputError, match="holds 2 pictures"):
        call(adapted, ip_adapter_image=[red(), stripes()])
    with pytest.raises(InvalidInputError, match="ip_adapter_image is a dict"):
        call(adapted, ip_adapter_image={"image": red()})
    with pytest.raises(InvalidParameterError, match="not both"):
        call(adapted, ip_adapter_image=red(), reference="red.png")
    with pytest.raises(InvalidParameterError, match="per-block"):
        adapted.set_ip_adapter_scale({"up": {"block_0": [0.0, 1.0, 0.0]}})
    with pytest.raises(InvalidInputError, match="ip_adapter_scale"):
        adapted.set_ip_adapter_scale(5.0)
    with pytest.raises(InvalidInputError, match="no IP-Adapter weights at"):
        adapted.load_ip_adapter(hub_folder, subfolder="models", weight_name="missing.bin")
    with pytest.raises(InvalidInputError, match="not found"):
        adapted.load_ip_adapter("./no-such-folder", subfolder="models", weight_name=WEIGHTS)
    with pytest.raises(InvalidInputError, match="image encoder"):
        adapted.load_ip_adapter(
            hub_folder, subfolder="models", weight_name=WEIGHTS, image_encoder_folder="nope"
        )
    with pytest.raises(InvalidParameterError, match="one IP-Adapter at a time"):
        adapted.load_ip_adapter(hub_folder, subfolder="models", weight_name=[WEIGHTS, WEIGHTS])
    with pytest.raises(InvalidParameterError, match="unknown keyword 'revision'"):
        adapted.load_ip_adapter(hub_folder, subfolder="models", weight_name=WEIGHTS, revision="x")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not weights")
    with pytest.raises(InvalidInputError, match="could not be read"):
        adapted.load_ip_adapter(str(junk))
    # a failed load leaves the adapter that was loaded
    assert adapted.options["ip_adapter"] == str(hub_folder / "models" / WEIGHTS)
