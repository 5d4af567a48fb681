"""Random-weight Stable Diffusion 1.5 *inpainting* models, built offline for benchmarks.

Speed and memory depend on the architecture, not on the weights, so a full-size SD 1.5
inpainting model with seeded random weights times exactly like the real one; its
pictures are noise and must never be shown as results. The folder is a normal diffusers
folder (``model_index.json`` names ``StableDiffusionInpaintPipeline``), built once into a
cache directory and reused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

CACHE_DIR = Path.home() / ".cache" / "inpaintkit-bench"
SEED = 0

# SD 1.5 inpainting (runwayml/stable-diffusion-inpainting) configs, written out so no hub
# is needed.
SD15_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 9,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": (
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ),
    "up_block_types": (
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    ),
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
}
SD15_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}
SD15_TEXT: dict[str, Any] = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "vocab_size": 49408,
    "max_position_embeddings": 77,
    "projection_dim": 768,
    "hidden_act": "quick_gelu",
}

# A tiny model of the same kind for --quick smoke runs: 8× VAE downsampling like SD, so
# latent cells are 8×8 pixels, and a 64×64 working size.
TINY_UNET: dict[str, Any] = {
    "sample_size": 8,
    "in_channels": 9,
    "out_channels": 4,
    "layers_per_block": 1,
    "block_out_channels": (32, 64),
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 32,
    "attention_head_dim": 4,
    "norm_num_groups": 16,
}
TINY_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "block_out_channels": (16, 16, 16, 16),
    "layers_per_block": 1,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "norm_num_groups": 8,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}
TINY_TEXT: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "vocab_size": 1000,
    "max_position_embeddings": 77,
    "projection_dim": 32,
    "hidden_act": "quick_gelu",
}

# SD 1.5's scheduler settings (PNDM, as the original model_index ships).
SD15_SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "skip_prk_steps": True,
    "set_alpha_to_one": False,
    "steps_offset": 1,
}


def _bytes_to_unicode() -> dict[int, str]:
    # The byte-to-character table CLIP's BPE uses, so every byte has a printable symbol.
    visible = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = visible[:]
    extra = 0
    for byte in range(256):
        if byte not in visible:
            visible.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(visible, (chr(c) for c in codes), strict=True))


def write_tokenizer_files(folder: Path) -> None:
    """A character-level CLIP BPE vocabulary (no merges): it tokenizes any prompt.

    The ids stay below 514, far under the text encoder's vocabulary, which is all a
    random-weight model needs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    symbols = list(_bytes_to_unicode().values())
    tokens = [*symbols, *(s + "</w>" for s in symbols), "<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")


def _build(
    folder: Path, *, unet: dict[str, Any], vae: dict[str, Any], text: dict[str, Any]
) -> Path:
    import torch
    from diffusers import (
        AutoencoderKL,
        PNDMScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    if (folder / "model_index.json").exists():
        return folder
    # Build next to the target and rename at the end, so an interrupted build never
    # leaves a half-written folder that later runs would take for a finished one.
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    torch.manual_seed(SEED)
    tokenizer_dir = partial / "_tokenizer_source"
    write_tokenizer_files(tokenizer_dir)
    # from_pretrained reads vocab.json + merges.txt on both the slow (transformers 4) and
    # the tokenizers-backed (transformers 5) CLIPTokenizer; their constructors differ.
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir, model_max_length=77)
    pipeline = StableDiffusionInpaintPipeline(
        vae=AutoencoderKL(**vae),
        text_encoder=CLIPTextModel(
            CLIPTextConfig(
                **text, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id
            )
        ),
        tokenizer=tokenizer,
        unet=UNet2DConditionModel(**unet),
        scheduler=PNDMScheduler(**SD15_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(partial, safe_serialization=True)  # type: ignore[attr-defined]
    shutil.rmtree(tokenizer_dir)
    (partial / "README.txt").write_text(
        "Random-weight stand-in built by benchmarks/_sd15.py (seed "
        f"{SEED}). Same architecture as SD 1.5 inpainting, so it times like it; its "
        "outputs are noise and are not results.\n"
    )
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def build_sd15_inpaint(folder: Path | str | None = None) -> Path:
    """The full-size SD 1.5 inpainting architecture with random weights, as a diffusers
    folder; built once (a few GB, about a minute) and reused when it already exists."""
    target = Path(folder) if folder is not None else CACHE_DIR / "sd15-inpaint-random"
    return _build(target, unet=SD15_UNET, vae=SD15_VAE, text=SD15_TEXT)


def build_tiny_inpaint(folder: Path | str | None = None) -> Path:
    """A tiny random-weight 9-channel inpainting model (64×64 working size), for smoke runs."""
    target = Path(folder) if folder is not None else CACHE_DIR / "tiny-inpaint-random"
    return _build(target, unet=TINY_UNET, vae=TINY_VAE, text=TINY_TEXT)
