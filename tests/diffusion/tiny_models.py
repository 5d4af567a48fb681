"""Tiny random-weight diffusion models, built offline, for tests.

Every builder writes a folder in the layout a real model ships in and returns its
path, so tests load it through the same public diffusers calls a user runs
(`StableDiffusionInpaintPipeline.from_pretrained(folder)` and friends). Weights are
random (seeded with ``torch.manual_seed``): outputs are noise-like and mean nothing
as pictures; these models only exercise shapes, plumbing and exact-keep guarantees.

Sizes mirror the real architectures where code depends on them: the VAE has 4 levels
so ``vae_scale_factor`` is 8, the UNet's ``in_channels`` is 9 (dedicated inpainting)
or 4 (text-to-image), model_index.json names the class the real model names, and the
scheduler carries SD 1.5's settings. Everything else is as small as diffusers allows.
``sample_size`` (latent pixels) is 8 for SD and 16 for SDXL, so a tiny model's native
working size is 64 / 128 px, keeping real SD's 512 : SDXL's 1024 ratio.

Single-file checkpoints (`export_single_file`) use the original ldm/CompVis key
names that A1111 / civitai checkpoints use. Loading them offline works with::

    StableDiffusionInpaintPipeline.from_single_file(
        str(out_file), config=str(folder), local_files_only=True
    )

``config=`` must be a *local diffusers folder* (`os.path.isdir` is how diffusers
tells it from a hub id): component configs, tokenizer and scheduler come from it,
weights from the file; then ``local_files_only`` is not even needed (nothing is
fetched). Without ``config=`` diffusers guesses a hub repo from the checkpoint's keys
(here stable-diffusion-v1-5/stable-diffusion-inpainting) and downloads its configs,
*overriding* ``local_files_only=True`` when they are not cached, so offline it fails
with ``LocalEntryNotFoundError`` ("... cannot find the appropriate snapshot folder").
``original_config=`` (the ldm YAML) is not needed. Weights of UNet, VAE and CLIP text
encoder are converted from the file (the tests check this with a config folder that
holds no weights at all); tokenizer and scheduler have no weights. Only SD 1.x
folders can be exported (the SDXL layout, ``conditioner.embedders.*``, is not written).

FLUX.1 Fill (`build_flux_fill`): the T5 tokenizer is a tokenizers Unigram model
written as tokenizer.json (no sentencepiece file), which transformers 5's
``T5Tokenizer`` / ``T5TokenizerFast`` load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

# A tiny CLIP BPE vocabulary: the specials, a few whole words a test prompt may use,
# and every lower-case letter (alone and word-final) so that any word still encodes.
_WORDS = (
    "a", "an", "the", "of", "in", "on", "red", "blue", "green", "cat", "dog", "photo",
    "house", "tree", "sky", "high", "quality", "blurry",
)  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TEXT_HIDDEN = 32  # hidden size of every tiny text encoder


def _bpe_vocab_and_merges() -> tuple[dict[str, int], list[str]]:
    """Vocab and merges that turn each word in `_WORDS` into one token.

    CLIP's BPE marks a word's last symbol with ``</w>``; merges are built left to
    right per word, so each prefix is a token as well.
    """
    vocab: dict[str, int] = {}

    def add(token: str) -> None:
        vocab.setdefault(token, len(vocab))

    for token in ("<|startoftext|>", "<|endoftext|>", "!", ",", "."):
        add(token)
    for letter in _LETTERS:
        add(letter)
        add(letter + "</w>")
    merges: list[str] = []
    for word in _WORDS:
        symbols = [*word[:-1], word[-1] + "</w>"]
        merged = symbols[0]
        for symbol in symbols[1:]:
            pair = f"{merged} {symbol}"
            merged += symbol
            if pair not in merges:
                merges.append(pair)
            add(merged)
    return vocab, merges


def _write_clip_tokenizer(folder: Path, *, pad_token: str) -> Any:
    """Write vocab.json + merges.txt + tokenizer_config.json and load them back."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = _bpe_vocab_and_merges()
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": 77,
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": pad_token,
        "do_lower_case": True,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return CLIPTokenizer.from_pretrained(folder)


def _clip_text_config(tokenizer: Any, *, projection_dim: int = _TEXT_HIDDEN) -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=_TEXT_HIDDEN,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=projection_dim,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act="quick_gelu",
    )


def _tiny_vae(*, scaling_factor: float) -> Any:
    from diffusers import AutoencoderKL

    # Four levels like the real SD VAE (three downsamples: vae_scale_factor 8).
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
        scaling_factor=scaling_factor,
    )


def _sd_scheduler() -> Any:
    from diffusers import DDIMScheduler

    # Stable Diffusion 1.5's training schedule and inference spacing.
    return DDIMScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        prediction_type="epsilon",
        timestep_spacing="leading",
    )


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's CPU generator for the block, leaving the caller's RNG state alone."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def build_sd(
    path: str | Path, *, in_channels: int = 9, seed: int = 0, sample_size: int = 8
) -> Path:
    """Write a tiny Stable Diffusion 1.x folder: inpainting (9) or text-to-image (4)."""
    from diffusers import (
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel

    _check_in_channels(in_channels)
    path = Path(path)
    tokenizer = _write_clip_tokenizer(path / "tokenizer", pad_token="<|endoftext|>")
    with _seeded(seed):
        text_encoder = CLIPTextModel(_clip_text_config(tokenizer)).eval()
        unet = UNet2DConditionModel(
            sample_size=sample_size,
            in_channels=in_channels,
            out_channels=4,
            # SD 1.5's block kinds (cross-attention at the fine levels), two levels.
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            block_out_channels=(16, 32),
            layers_per_block=2,
            norm_num_groups=8,
            attention_head_dim=2,
            cross_attention_dim=_TEXT_HIDDEN,
        )
        vae = _tiny_vae(scaling_factor=0.18215)
    pipeline_class = StableDiffusionInpaintPipeline if in_channels == 9 else StableDiffusionPipeline
    pipe: Any = pipeline_class(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=_sd_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(path)
    return path


def build_sdxl(
    path: str | Path, *, in_channels: int = 9, seed: int = 0, sample_size: int = 16
) -> Path:
    """Write a tiny SDXL folder (two text encoders, text_time embedding): 9 or 4 channels."""
    from diffusers import (
        EulerDiscreteScheduler,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    _check_in_channels(in_channels)
    path = Path(path)
    tokenizer = _write_clip_tokenizer(path / "tokenizer", pad_token="<|endoftext|>")
    # SDXL's second tokenizer pads with "!" (OpenCLIP), the first with <|endoftext|>.
    tokenizer_2 = _write_clip_tokenizer(path / "tokenizer_2", pad_token="!")
    time_embed_dim = 8
    with _seeded(seed):
        text_encoder = CLIPTextModel(_clip_text_config(tokenizer)).eval()
        text_encoder_2 = CLIPTextModelWithProjection(_clip_text_config(tokenizer_2)).eval()
        unet = UNet2DConditionModel(
            sample_size=sample_size,
            in_channels=in_channels,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            block_out_channels=(16, 32),
            layers_per_block=2,
            norm_num_groups=8,
            attention_head_dim=(2, 4),
            use_linear_projection=True,
            transformer_layers_per_block=(1, 2),
            # Both encoders' hidden states are concatenated, as in SDXL (768 + 1280).
            cross_attention_dim=2 * _TEXT_HIDDEN,
            addition_embed_type="text_time",
            addition_time_embed_dim=time_embed_dim,
            # 6 time ids (original size, crop, target size) + the pooled text embedding.
            projection_class_embeddings_input_dim=6 * time_embed_dim + _TEXT_HIDDEN,
        )
        vae = _tiny_vae(scaling_factor=0.13025)
    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
        prediction_type="epsilon",
    )
    common = {
        "vae": vae,
        "text_encoder": text_encoder,
        "text_encoder_2": text_encoder_2,
        "tokenizer": tokenizer,
        "tokenizer_2": tokenizer_2,
        "unet": unet,
        "scheduler": scheduler,
    }
    if in_channels == 9:
        pipe: Any = StableDiffusionXLInpaintPipeline(**common, requires_aesthetics_score=False)
    else:
        pipe = StableDiffusionXLPipeline(**common)
    pipe.save_pretrained(path)
    return path


def _check_in_channels(in_channels: int) -> None:
    if in_channels not in (4, 9):
        raise ValueError(
            f"in_channels must be 9 (inpainting model) or 4 (text-to-image model), "
            f"got {in_channels}"
        )


def build_controlnet(path: str | Path, *, base: str | Path, seed: int = 0) -> Path:
    """Write a tiny ControlNet matching the UNet of a `build_sd` folder.

    A ControlNet always sees the 4 noisy latent channels (diffusers' ControlNet
    inpaint pipeline concatenates mask and masked image for the UNet only), so it is
    made from a 4-channel twin of the base UNet and works with 9-channel bases too.
    Its zero-initialised output convolutions get small random weights instead, so the
    control image does change the result.
    """
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel

    path = Path(path)
    config = dict(UNet2DConditionModel.load_config(Path(base) / "unet"))
    config["in_channels"] = 4
    with _seeded(seed):
        unet = UNet2DConditionModel.from_config(config)
        controlnet = ControlNetModel.from_unet(
            unet, conditioning_embedding_out_channels=(4, 8, 8, 16)
        )
        zero_initialised = [
            *controlnet.controlnet_down_blocks,
            controlnet.controlnet_mid_block,
            controlnet.controlnet_cond_embedding.conv_out,
        ]
        with torch.no_grad():
            for layer in zero_initialised:
                torch.nn.init.normal_(layer.weight, std=0.05)
    controlnet.save_pretrained(path)
    return path


def _write_t5_tokenizer(folder: Path) -> Any:
    """A tiny T5 (Unigram) tokenizer saved as tokenizer.json: no sentencepiece file.

    T5's layout: <pad> 0, </s> 1, <unk> 2, then pieces; whole words carry the
    sentencepiece word-start mark "▁" and letters stay as fallbacks.
    """
    # transformers 5's T5Tokenizer is the tokenizers-backed one (T5TokenizerFast).
    from transformers import T5Tokenizer

    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces.append(("▁", -2.0))
    pieces += [("▁" + word, -1.0) for word in _WORDS]
    pieces += [(letter, -5.0) for letter in _LETTERS]
    tokenizer = T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)
    tokenizer.save_pretrained(folder)
    return T5Tokenizer.from_pretrained(folder)


def build_flux_fill(path: str | Path, *, seed: int = 0) -> Path:
    """Write a tiny FLUX.1 Fill folder that `FluxFillPipeline.from_pretrained` loads.

    As in the real model, the transformer's input is the packed noisy latents
    (16 × 2 × 2), the packed masked-image latents (16 × 2 × 2) and the packed
    8 × 8 pixel mask (64 × 2 × 2): 384 channels; it is guidance-distilled
    (``guidance_embeds``), with CLIP's pooled output and T5's hidden states as text.
    """
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        FluxFillPipeline,
        FluxTransformer2DModel,
    )
    from transformers import CLIPTextModel, T5Config, T5EncoderModel

    path = Path(path)
    tokenizer = _write_clip_tokenizer(path / "tokenizer", pad_token="<|endoftext|>")
    tokenizer_2 = _write_t5_tokenizer(path / "tokenizer_2")
    latent_channels, vae_scale_factor = 16, 8
    with _seeded(seed):
        text_encoder = CLIPTextModel(_clip_text_config(tokenizer)).eval()
        t5_config = T5Config(
            vocab_size=len(tokenizer_2),
            d_model=_TEXT_HIDDEN,
            d_kv=8,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            feed_forward_proj="gated-gelu",
            pad_token_id=tokenizer_2.pad_token_id,
            eos_token_id=tokenizer_2.eos_token_id,
        )
        text_encoder_2 = T5EncoderModel(t5_config).eval()
        transformer = FluxTransformer2DModel(
            patch_size=1,
            in_channels=2 * latent_channels * 4 + vae_scale_factor**2 * 4,
            out_channels=latent_channels * 4,
            num_layers=1,
            num_single_layers=1,
            attention_head_dim=16,
            num_attention_heads=2,
            joint_attention_dim=_TEXT_HIDDEN,
            pooled_projection_dim=_TEXT_HIDDEN,
            guidance_embeds=True,
            axes_dims_rope=(4, 6, 6),  # sums to attention_head_dim
        )
        vae = AutoencoderKL(
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(4, 8, 8, 16),
            layers_per_block=1,
            latent_channels=latent_channels,
            norm_num_groups=4,
            sample_size=64,
            # FLUX's VAE: no quant convs, shifted and scaled latents.
            use_quant_conv=False,
            use_post_quant_conv=False,
            scaling_factor=0.3611,
            shift_factor=0.1159,
        )
    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000,
        shift=3.0,
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=1.15,
        base_image_seq_len=256,
        max_image_seq_len=4096,
    )
    pipe: Any = FluxFillPipeline(
        scheduler=scheduler,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        transformer=transformer,
    )
    pipe.save_pretrained(path)
    # transformers 5 saves its T5 tokenizer as "T5Tokenizer" (T5TokenizerFast is now an
    # alias); real FLUX repos name "T5TokenizerFast", which older transformers need.
    index_file = path / "model_index.json"
    index = json.loads(index_file.read_text())
    index["tokenizer_2"] = ["transformers", "T5TokenizerFast"]
    index_file.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return path


# --- diffusers folder -> original (ldm / CompVis) single-file checkpoint -------------

_RESNET_TO_LDM = (
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("time_emb_proj", "emb_layers.1"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("conv_shortcut", "skip_connection"),
)
_UNET_FIXED_TO_LDM = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_VAE_ATTENTION_TO_LDM = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}


def _rename_resnet(rest: str) -> str:
    for diffusers_name, ldm_name in _RESNET_TO_LDM:
        if rest.startswith(diffusers_name + "."):
            return ldm_name + rest[len(diffusers_name) :]
    raise KeyError(f"unknown UNet resnet parameter {rest!r}")


def _unet_key_to_ldm(key: str, *, layers_per_block: int, up_has_attention: set[int]) -> str:
    """Map one diffusers UNet parameter name to its ldm name (inverse of diffusers')."""
    for diffusers_name, ldm_name in _UNET_FIXED_TO_LDM.items():
        if key.startswith(diffusers_name + "."):
            return ldm_name + key[len(diffusers_name) :]
    parts = key.split(".")
    per_level = layers_per_block + 1
    if parts[0] == "down_blocks":
        level, kind = int(parts[1]), parts[2]
        if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv.X
            return f"input_blocks.{(level + 1) * per_level}.0.op." + ".".join(parts[5:])
        index = 1 + level * per_level + int(parts[3])
        rest = ".".join(parts[4:])
        if kind == "resnets":
            return f"input_blocks.{index}.0.{_rename_resnet(rest)}"
        return f"input_blocks.{index}.1.{rest}"
    if parts[0] == "mid_block":
        index, rest = int(parts[2]), ".".join(parts[3:])
        if parts[1] == "resnets":
            return f"middle_block.{2 * index}.{_rename_resnet(rest)}"
        return f"middle_block.1.{rest}"
    if parts[0] == "up_blocks":
        level, kind = int(parts[1]), parts[2]
        if kind == "upsamplers":  # after the last resnet (and its attention, if any)
            slot = 2 if level in up_has_attention else 1
            index = level * per_level + layers_per_block
            return f"output_blocks.{index}.{slot}.conv." + ".".join(parts[5:])
        index = level * per_level + int(parts[3])
        rest = ".".join(parts[4:])
        if kind == "resnets":
            return f"output_blocks.{index}.0.{_rename_resnet(rest)}"
        return f"output_blocks.{index}.1.{rest}"
    raise KeyError(f"no ldm name known for UNet parameter {key!r}")


def _vae_key_to_ldm(key: str, *, num_levels: int) -> str:
    """Map one diffusers AutoencoderKL parameter name to its ldm name."""
    parts = key.split(".")
    if parts[0] in ("quant_conv", "post_quant_conv"):
        return key
    coder, name, rest = parts[0], parts[1], parts[2:]
    if name == "conv_norm_out":
        return ".".join([coder, "norm_out", *rest])
    if name in ("conv_in", "conv_out"):
        return key
    if name == "mid_block":
        kind, index, tail = rest[0], int(rest[1]), ".".join(rest[2:])
        if kind == "resnets":
            tail = tail.replace("conv_shortcut", "nin_shortcut")
            return f"{coder}.mid.block_{index + 1}.{tail}"
        for diffusers_name, ldm_name in _VAE_ATTENTION_TO_LDM.items():
            if tail.startswith(diffusers_name + "."):
                return f"{coder}.mid.attn_1.{ldm_name}{tail[len(diffusers_name) :]}"
    if name in ("down_blocks", "up_blocks"):
        level, kind = int(rest[0]), rest[1]
        # The ldm decoder numbers its levels from the lowest resolution up.
        ldm_level = level if name == "down_blocks" else num_levels - 1 - level
        ldm_name = "down" if name == "down_blocks" else "up"
        if kind == "resnets":
            tail = ".".join(rest[3:]).replace("conv_shortcut", "nin_shortcut")
            return f"{coder}.{ldm_name}.{ldm_level}.block.{rest[2]}.{tail}"
        sampler = "downsample" if kind == "downsamplers" else "upsample"
        return f"{coder}.{ldm_name}.{ldm_level}.{sampler}." + ".".join(rest[3:])
    raise KeyError(f"no ldm name known for VAE parameter {key!r}")


def to_ldm_state_dict(folder: str | Path) -> dict[str, torch.Tensor]:
    """The SD 1.x folder's UNet, VAE and CLIP text encoder under ldm key names."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel

    folder = Path(folder)
    unet = UNet2DConditionModel.from_pretrained(folder / "unet")
    vae = AutoencoderKL.from_pretrained(folder / "vae")
    text_encoder = CLIPTextModel.from_pretrained(folder / "text_encoder")
    state: dict[str, torch.Tensor] = {}

    up_has_attention = {
        level for level, kind in enumerate(unet.config.up_block_types) if "Attn" in kind
    }
    for key, value in unet.state_dict().items():
        ldm_key = _unet_key_to_ldm(
            key,
            layers_per_block=unet.config.layers_per_block,
            up_has_attention=up_has_attention,
        )
        state["model.diffusion_model." + ldm_key] = value

    for key, value in vae.state_dict().items():
        ldm_key = _vae_key_to_ldm(key, num_levels=len(vae.config.down_block_types))
        # The ldm VAE attention uses 1×1 convolutions where diffusers uses linears.
        if ".mid.attn_1." in ldm_key and ldm_key.endswith("weight") and value.ndim == 2:
            value = value[:, :, None, None]
        state["first_stage_model." + ldm_key] = value

    # Newer transformers drop the `text_model.` level inside CLIPTextModel; the
    # checkpoint format always has it.
    for key, value in text_encoder.state_dict().items():
        name = key if key.startswith("text_model.") else "text_model." + key
        state["cond_stage_model.transformer." + name] = value
    return {key: value.detach().contiguous().clone() for key, value in state.items()}


def export_single_file(folder: str | Path, out_file: str | Path) -> Path:
    """Save a `build_sd` folder as one original-layout ``.safetensors`` checkpoint."""
    from safetensors.torch import save_file

    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    save_file(to_ldm_state_dict(folder), str(out_file), metadata={"format": "pt"})
    return out_file
