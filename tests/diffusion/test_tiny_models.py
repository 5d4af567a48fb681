"""The tiny test models load through the public diffusers calls a user runs.

These check the builders only (shapes, classes, weights round-tripping through the
single-file layout); the models are random, so their pictures mean nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from .tiny_models import build_sd  # noqa: E402

SIZE = 64


def _photo() -> Any:
    from PIL import Image

    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))


def _mask() -> Any:
    from PIL import Image

    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[16:48, 20:44] = 255
    return Image.fromarray(mask)


def _run(pipe: Any, **inputs: Any) -> np.ndarray:
    """Two seeded steps at 64×64, returned as a float array N×H×W×3."""
    pipe.set_progress_bar_config(disable=True)
    out = pipe(
        "a red cat photo",
        num_inference_steps=2,
        height=SIZE,
        width=SIZE,
        output_type="np",
        generator=torch.Generator().manual_seed(0),
        **inputs,
    ).images
    assert np.isfinite(out).all()
    return np.asarray(out)


def _class_name(folder: Path) -> str:
    return json.loads((folder / "model_index.json").read_text())["_class_name"]


def _parameter_count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def test_tokenizer_turns_prompt_words_into_single_tokens(tiny_sd_inpaint):
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(tiny_sd_inpaint / "tokenizer")
    vocab = json.loads((tiny_sd_inpaint / "tokenizer" / "vocab.json").read_text())
    ids = tokenizer("A red cat", padding="max_length").input_ids
    expected = [vocab[t] for t in ("<|startoftext|>", "a</w>", "red</w>", "cat</w>")]
    assert ids[:5] == [*expected, vocab["<|endoftext|>"]]
    assert len(ids) == tokenizer.model_max_length == 77
    # An unknown word falls back to letters instead of failing.
    assert tokenizer("zebra").input_ids[1:-1] == [vocab[t] for t in ("z", "e", "b", "r", "a</w>")]


def test_sd_inpainting_folder_loads_and_runs(tiny_sd_inpaint):
    from diffusers import StableDiffusionInpaintPipeline

    assert _class_name(tiny_sd_inpaint) == "StableDiffusionInpaintPipeline"
    pipe = StableDiffusionInpaintPipeline.from_pretrained(tiny_sd_inpaint)
    assert pipe.unet.config.in_channels == 9
    assert pipe.vae_scale_factor == 8
    assert pipe.unet.config.cross_attention_dim == pipe.text_encoder.config.hidden_size
    assert pipe.safety_checker is None
    assert _parameter_count(pipe.unet) < 500_000  # tiny: keeps every engine test fast
    assert _run(pipe, image=_photo(), mask_image=_mask()).shape == (1, SIZE, SIZE, 3)


def test_sd_scheduler_has_sd15_settings(tiny_sd_inpaint):
    config = json.loads((tiny_sd_inpaint / "scheduler" / "scheduler_config.json").read_text())
    assert config["_class_name"] == "DDIMScheduler"
    assert (config["beta_start"], config["beta_end"]) == (0.00085, 0.012)
    assert config["beta_schedule"] == "scaled_linear"
    assert config["num_train_timesteps"] == 1000
    assert config["steps_offset"] == 1
    assert config["set_alpha_to_one"] is False


def test_sd_text_to_image_folder_loads_and_runs(tiny_sd):
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline

    assert _class_name(tiny_sd) == "StableDiffusionPipeline"
    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd)
    assert pipe.unet.config.in_channels == 4
    assert _run(pipe).shape == (1, SIZE, SIZE, 3)
    # diffusers' own inpaint pipeline also accepts the 4-channel UNet (latent blending).
    inpaint = StableDiffusionInpaintPipeline.from_pretrained(tiny_sd)
    assert _run(inpaint, image=_photo(), mask_image=_mask()).shape == (1, SIZE, SIZE, 3)


def test_sdxl_inpainting_folder_loads_and_runs(tiny_sdxl_inpaint):
    from diffusers import StableDiffusionXLInpaintPipeline

    assert _class_name(tiny_sdxl_inpaint) == "StableDiffusionXLInpaintPipeline"
    pipe = StableDiffusionXLInpaintPipeline.from_pretrained(tiny_sdxl_inpaint)
    assert pipe.unet.config.in_channels == 9
    assert pipe.unet.config.addition_embed_type == "text_time"
    assert pipe.config.requires_aesthetics_score is False
    assert pipe.vae_scale_factor == 8
    assert pipe.tokenizer_2.pad_token == "!"
    assert _run(pipe, image=_photo(), mask_image=_mask()).shape == (1, SIZE, SIZE, 3)


def test_sdxl_text_to_image_folder_loads_and_runs(tiny_sdxl):
    from diffusers import StableDiffusionXLPipeline

    assert _class_name(tiny_sdxl) == "StableDiffusionXLPipeline"
    pipe = StableDiffusionXLPipeline.from_pretrained(tiny_sdxl)
    assert pipe.unet.config.in_channels == 4
    assert _run(pipe).shape == (1, SIZE, SIZE, 3)


def test_controlnet_runs_with_the_nine_channel_model_and_the_control_image_matters(
    tiny_sd_inpaint, tiny_controlnet
):
    from diffusers import ControlNetModel, StableDiffusionControlNetInpaintPipeline
    from PIL import Image

    controlnet = ControlNetModel.from_pretrained(tiny_controlnet)
    pipe = StableDiffusionControlNetInpaintPipeline.from_pretrained(
        tiny_sd_inpaint, controlnet=controlnet
    )
    assert pipe.unet.config.in_channels == 9
    edges = np.zeros((SIZE, SIZE, 3), np.uint8)
    edges[:, ::8] = 255
    with_edges = _run(
        pipe, image=_photo(), mask_image=_mask(), control_image=Image.fromarray(edges)
    )
    blank = _run(pipe, image=_photo(), mask_image=_mask(), control_image=Image.fromarray(edges * 0))
    assert with_edges.shape == (1, SIZE, SIZE, 3)
    assert not np.array_equal(with_edges, blank)


def test_flux_fill_folder_loads_and_runs(tiny_flux_fill):
    from diffusers import FluxFillPipeline

    index = json.loads((tiny_flux_fill / "model_index.json").read_text())
    assert index["_class_name"] == "FluxFillPipeline"
    assert index["tokenizer_2"] == ["transformers", "T5TokenizerFast"]
    pipe = FluxFillPipeline.from_pretrained(tiny_flux_fill)
    assert pipe.transformer.config.in_channels == 384  # as FLUX.1 Fill: 64 + 64 + 256
    assert pipe.transformer.config.guidance_embeds is True
    assert pipe.vae_scale_factor == 8
    vocab = pipe.tokenizer_2.get_vocab()
    assert pipe.tokenizer_2("a red cat").input_ids == [vocab["▁a"], vocab["▁red"], vocab["▁cat"], 1]
    out = _run(pipe, image=_photo(), mask_image=_mask(), max_sequence_length=32)
    assert out.shape == (1, SIZE, SIZE, 3)


def _weights(pipe: Any) -> dict[str, Any]:
    return {
        f"{name}.{key}": value
        for name in ("unet", "vae", "text_encoder")
        for key, value in getattr(pipe, name).state_dict().items()
    }


def test_single_file_uses_ldm_key_names(tiny_sd_single_file):
    from safetensors import safe_open

    out_file, _ = tiny_sd_single_file
    with safe_open(str(out_file), "pt") as checkpoint:
        keys = set(checkpoint.keys())
        conv_in = checkpoint.get_tensor("model.diffusion_model.input_blocks.0.0.weight")
    assert conv_in.shape[1] == 9
    assert "first_stage_model.decoder.up.0.block.0.conv1.weight" in keys
    assert "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight" in keys
    prefixes = ("model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer.")
    assert all(key.startswith(prefixes) for key in keys)


def test_single_file_loads_offline_with_weights_equal_to_the_folder(tiny_sd_single_file, tmp_path):
    from diffusers import StableDiffusionInpaintPipeline

    out_file, folder = tiny_sd_single_file
    # A config folder without any weights: everything learned must come from the file.
    configs = tmp_path / "configs"
    shutil.copytree(folder, configs, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    from_file = StableDiffusionInpaintPipeline.from_single_file(
        str(out_file), config=str(configs), local_files_only=True
    )
    from_folder = StableDiffusionInpaintPipeline.from_pretrained(folder)
    loaded, expected = _weights(from_file), _weights(from_folder)
    assert loaded.keys() == expected.keys()
    assert all(torch.equal(loaded[key], expected[key]) for key in expected)
    assert _run(from_file, image=_photo(), mask_image=_mask()).shape == (1, SIZE, SIZE, 3)


def test_same_seed_same_weights_other_seed_differs(tiny_sd_inpaint, tmp_path):
    def unet_bytes(folder: Path) -> bytes:
        return (folder / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()

    assert unet_bytes(build_sd(tmp_path / "again", seed=0)) == unet_bytes(tiny_sd_inpaint)
    assert unet_bytes(build_sd(tmp_path / "other", seed=1)) != unet_bytes(tiny_sd_inpaint)


def test_building_does_not_disturb_the_callers_random_state(tmp_path):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_sd(tmp_path / "sd", in_channels=4)
    assert torch.equal(torch.rand(3), expected)


def test_unsupported_channel_count_is_refused(tmp_path):
    with pytest.raises(ValueError, match="in_channels must be 9"):
        build_sd(tmp_path / "sd", in_channels=5)
