"""The diffusion engine's options, checked once before a model is loaded.

Engine options arrive as a plain mapping (from ``--param``, CLI flags, HTTP or a
recipe); :func:`parse_options` turns them into a frozen :class:`DiffusionOptions` or
raises an :class:`~inpaintkit.errors.InvalidParameterError` that names the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from inpaintkit.engines.base import float_param, int_param
from inpaintkit.engines.registry import ENGINES
from inpaintkit.errors import InvalidParameterError

PARAMS = ENGINES["diffusion"].capabilities.params

# "original" starts from the photo, a classical engine name pre-fills the hole with it,
# "latent-noise" puts fresh noise into the hole's latents, "latent-nothing" zeros them.
LATENT_STARTS = ("original", "latent-noise", "latent-nothing")
DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16")
# Name -> diffusers class. A user names the sampler, not the class.
SCHEDULERS = {
    "ddim": "DDIMScheduler",
    "pndm": "PNDMScheduler",
    "euler": "EulerDiscreteScheduler",
    "euler-a": "EulerAncestralDiscreteScheduler",
    "dpm++2m": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
    "lms": "LMSDiscreteScheduler",
}
CONTROL_PREPROCESSORS = ("canny",)


@dataclass(frozen=True)
class DiffusionOptions:
    model: str
    model_config: str | None = None
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 30
    guidance: float | None = None  # None = the model family's usual (7.5 SD, 30 FLUX Fill)
    strength: float = 1.0
    scheduler: str | None = None  # None = the model's own
    masked_content: str = "original"
    device: str = "auto"
    dtype: str = "auto"
    working_size: int | None = None  # None = the model's native size
    controlnet: str | None = None
    control_image: Any = None  # a path, an H×W[×3] array, or "canny"
    control_scale: float = 1.0


def _choice(params: Mapping[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = params.get(name, default)
    if value not in choices:
        raise InvalidParameterError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be text, got {value!r}")
    return value


def _optional_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be a path or name, got {value!r}")
    return value


def parse_options(
    params: Mapping[str, Any], *, classical_engines: tuple[str, ...]
) -> DiffusionOptions:
    """Check every diffusion option; ``classical_engines`` are valid ``masked_content``
    pre-fills besides the latent starts."""
    model = _optional_str(params, "model")
    if model is None:
        raise InvalidParameterError(
            "the diffusion engine needs a model: pass --model PATH (a diffusers folder or a "
            ".safetensors checkpoint) or a Hugging Face hub id"
        )
    scheduler = _optional_str(params, "scheduler")
    if scheduler is not None and scheduler not in SCHEDULERS:
        raise InvalidParameterError(
            f"scheduler must be one of {', '.join(SCHEDULERS)}; got {scheduler!r}"
        )
    working_size = params.get("working_size")
    if working_size is not None:
        working_size = int_param(params, "working_size", 512, 64, 4096)
        if working_size % 8:
            raise InvalidParameterError(f"working_size must be a multiple of 8, got {working_size}")
    control_image = params.get("control_image")
    controlnet = _optional_str(params, "controlnet")
    if control_image is not None and controlnet is None:
        raise InvalidParameterError(
            "control_image needs a ControlNet: pass --controlnet PATH as well"
        )
    if controlnet is not None and control_image is None:
        control_image = "canny"
    return DiffusionOptions(
        model=model,
        model_config=_optional_str(params, "model_config"),
        prompt=_text(params, "prompt"),
        negative_prompt=_text(params, "negative_prompt"),
        steps=int_param(params, "steps", 30, 1, 1000),
        guidance=None
        if params.get("guidance") is None
        else float_param(params, "guidance", 7.5, 0.0, 100.0),
        strength=float_param(params, "strength", 1.0, 0.0, 1.0),
        scheduler=scheduler,
        masked_content=_choice(
            params, "masked_content", "original", LATENT_STARTS + classical_engines
        ),
        device=_choice(params, "device", "auto", DEVICES),
        dtype=_choice(params, "dtype", "auto", DTYPES),
        working_size=working_size,
        controlnet=controlnet,
        control_image=control_image,
        control_scale=float_param(params, "control_scale", 1.0, 0.0, 4.0),
    )


# FLUX Fill is guidance-distilled: its "guidance" is an input of the model, not
# classifier-free guidance, and its usual value is much higher.
DEFAULT_GUIDANCE = {"sd": 7.5, "sdxl": 7.5, "flux": 30.0}


def for_family(options: DiffusionOptions, family: str) -> DiffusionOptions:
    """Fill in what depends on the model: the default guidance; reject what it lacks."""
    if family == "flux":
        if options.negative_prompt:
            raise InvalidParameterError("FLUX Fill takes no negative prompt; leave it out")
        if options.masked_content in ("latent-noise", "latent-nothing"):
            raise InvalidParameterError(
                f"masked_content {options.masked_content!r} is not available with FLUX Fill; "
                "use original or a classical engine's pre-fill"
            )
    if options.guidance is not None:
        return options
    return replace(options, guidance=DEFAULT_GUIDANCE[family])
