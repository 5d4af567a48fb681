"""IP-Adapter: a reference picture steers the fill, through image embeddings the UNet's
cross-attention reads beside the prompt's.

The user supplies the weights: one ``.safetensors`` or ``.bin`` file holding the
``image_proj`` and ``ip_adapter`` state dicts (as h94/IP-Adapter ships them), and the
CLIP image encoder (``CLIPVisionModelWithProjection``) in a folder: ``ip_adapter_encoder``,
or ``image_encoder`` beside the weights file or one level up (the hub layout
``models/ip-adapter_sd15.safetensors`` + ``models/image_encoder/``).

This engine runs its own denoising loop, so it does what diffusers'
``StableDiffusionInpaintPipeline`` does in ``load_ip_adapter`` and
``prepare_ip_adapter_image_embeds``, at the UNet's level: :func:`attached_ip_adapter`
loads the adapter's projection and attention processors into the UNet
(``UNet2DConditionModel._load_ip_adapter_weights``), sets the scale, yields the image
embeddings (negative = zeros, or the encoder's answer to a black picture for the "plus"
adapters that read hidden states, as diffusers does) and restores the UNet's own
processors afterwards: the loaded model is cached and shared, and a later call without a
reference must not be steered. The sampler passes the embeddings as
``added_cond_kwargs["image_embeds"]`` on every UNet call.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inpaintkit.errors import InvalidParameterError

__all__ = ["attached_ip_adapter", "find_encoder", "read_ip_adapter"]

# CLIP's image normalisation (every IP-Adapter image encoder uses it).
_CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
_CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def read_ip_adapter(path: str) -> dict[str, dict[str, Any]]:
    """The ``image_proj`` and ``ip_adapter`` state dicts of an IP-Adapter file."""
    import torch

    if not os.path.isfile(path):
        raise InvalidParameterError(
            f"{{ip_adapter}} {path!r} is not a file: pass the IP-Adapter's .safetensors or "
            ".bin weights",
            options={"ip_adapter": "PATH"},
        )
    state: dict[str, dict[str, Any]] = {"image_proj": {}, "ip_adapter": {}}
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            for key, tensor in load_file(path).items():
                head, _, rest = key.partition(".")
                if head in state:
                    state[head][rest] = tensor
        else:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
            state = {name: dict(loaded.get(name, {})) for name in state}
    except Exception as error:  # a corrupt or foreign file: say which and why
        raise InvalidParameterError(
            f"{{ip_adapter}} {path!r} could not be read ({type(error).__name__}: {error})",
            options={"ip_adapter": "PATH"},
        ) from None
    if not state["image_proj"] or not state["ip_adapter"]:
        raise InvalidParameterError(
            f"{{ip_adapter}} {path!r} holds no image_proj/ip_adapter weights: it is not an "
            "IP-Adapter file",
            options={"ip_adapter": "PATH"},
        )
    return state


def find_encoder(weights: str, encoder: str | None) -> str:
    """The image encoder folder: the one given, else ``image_encoder`` beside the weights
    file or one folder up."""
    if encoder is not None:
        candidates = [Path(encoder)]
    else:
        folder = Path(weights).parent
        candidates = [folder / "image_encoder", folder.parent / "image_encoder"]
    for candidate in candidates:
        if (candidate / "config.json").is_file():
            return str(candidate)
    raise InvalidParameterError(
        f"no IP-Adapter image encoder found (looked in {', '.join(map(str, candidates))}): "
        "pass {ip_adapter_encoder} with the CLIPVisionModelWithProjection folder",
        options={"ip_adapter_encoder": "FOLDER"},
    )


@functools.lru_cache(maxsize=2)
def _encoder(folder: str, device: str, dtype_name: str) -> Any:
    import torch
    from transformers import CLIPVisionModelWithProjection

    model = CLIPVisionModelWithProjection.from_pretrained(folder)
    return model.to(device=device, dtype=getattr(torch, dtype_name)).eval()  # type: ignore[call-arg]


def _clip_pixels(picture: np.ndarray, size: int) -> np.ndarray:
    """An H×W×3 float picture in [0, 1] as CLIP's input: shortest side to ``size``
    (bicubic), centre crop, normalised; 1×3×size×size."""
    height, width = picture.shape[:2]
    factor = size / min(height, width)
    resized = cv2.resize(
        picture,
        (max(size, round(width * factor)), max(size, round(height * factor))),
        interpolation=cv2.INTER_CUBIC,
    )
    top = (resized.shape[0] - size) // 2
    left = (resized.shape[1] - size) // 2
    crop = np.clip(resized[top : top + size, left : left + size], 0.0, 1.0)
    return ((crop - _CLIP_MEAN) / _CLIP_STD).transpose(2, 0, 1)[None].astype(np.float32)


def _embeddings(encoder: Any, picture: np.ndarray, hidden: bool, model: Any) -> tuple[Any, Any]:
    """Positive and negative image embeddings, each shaped (1, 1, ...) for one adapter."""
    import torch

    size = int(encoder.config.image_size)
    pixels = torch.from_numpy(_clip_pixels(picture, size)).to(encoder.device, encoder.dtype)
    if hidden:  # "plus" adapters read the penultimate hidden states
        positive = encoder(pixels, output_hidden_states=True).hidden_states[-2]
        negative = encoder(torch.zeros_like(pixels), output_hidden_states=True).hidden_states[-2]
    else:
        positive = encoder(pixels).image_embeds
        negative = torch.zeros_like(positive)
    dtype = model.placement.dtype
    return positive[None].to(dtype), negative[None].to(dtype)


@contextmanager
def attached_ip_adapter(
    model: Any, *, weights: str, encoder: str | None, reference: np.ndarray, scale: float
) -> Iterator[tuple[Any, Any]]:
    """Load the IP-Adapter into ``model``'s UNet for the duration of the block; yields the
    (positive, negative) image embeddings of ``reference`` (H×W×3 float in [0, 1])."""
    import torch

    unet = model.pipe.unet
    state = read_ip_adapter(weights)
    folder = find_encoder(weights, encoder)
    image_encoder = _encoder(folder, model.placement.device, model.placement.dtype_name)
    processors = dict(unet.attn_processors)
    projection = unet.encoder_hid_proj
    projection_type = unet.config.encoder_hid_dim_type
    try:
        try:
            unet._load_ip_adapter_weights([state], low_cpu_mem_usage=False)
        except (KeyError, RuntimeError, ValueError) as error:
            raise InvalidParameterError(
                f"{{ip_adapter}} {weights!r} does not fit this model ({type(error).__name__}: "
                f"{str(error)[:200]}); use the IP-Adapter made for its family (SD 1.5, SDXL)",
                options={"ip_adapter": "PATH"},
            ) from None
        unet.to(model.placement.device, model.placement.dtype)
        for processor in unet.attn_processors.values():
            if hasattr(processor, "scale") and isinstance(processor.scale, list):
                processor.scale = [float(scale)] * len(processor.scale)
        hidden = "proj.weight" not in state["image_proj"]
        with torch.inference_mode():
            yield _embeddings(image_encoder, reference, hidden, model)
    finally:
        unet.set_attn_processor(processors)
        unet.encoder_hid_proj = projection
        unet.config.encoder_hid_dim_type = projection_type
