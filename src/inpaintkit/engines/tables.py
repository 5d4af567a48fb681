"""The option table of every engine, in one torch-free module.

The registry, the CLI, ``inpaint()``'s keyword check, the JSON Schema and the docs read
these tables; the engines receive their options already checked and with defaults filled
in, so no engine parses an option of its own.
"""

from __future__ import annotations

from typing import Any

from inpaintkit.engines.options import Option, OptionTable
from inpaintkit.errors import NAME_ONLY, InvalidParameterError

# Engines that may pre-fill the hole before diffusion ("masked content").
CLASSICAL_PREFILLS = ("telea", "navier-stokes", "patchmatch", "structure", "auto")
# "original" starts from the photo, "latent-noise" puts fresh noise into the hole's
# latents, "latent-nothing" zeros them; a classical engine's name pre-fills with it.
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
CANNY = "canny"  # control_image keyword: Canny edges of the photo itself

RADIUS = Option(
    "radius", "integer", 3, "Neighbourhood the fill looks at.", minimum=1, maximum=64, unit="px"
)
STRUCTURE_PATCH = Option(
    "patch_size",
    "integer",
    7,
    "Side of the patches matched and copied (odd).",
    minimum=3,
    maximum=15,
    odd=True,
    unit="px",
)
ITERATIONS = Option(
    "iterations", "integer", 4, "Matching rounds per pyramid level.", minimum=1, maximum=20
)

TELEA = OptionTable((RADIUS,))
NAVIER_STOKES = OptionTable((RADIUS,))
PATCHMATCH = OptionTable(
    (
        Option(
            "patch_size",
            "integer",
            3,
            "Side of the patches matched and copied.",
            minimum=1,
            maximum=32,
            unit="px",
        ),
    )
)
STRUCTURE = OptionTable((STRUCTURE_PATCH, ITERATIONS))
AUTO = OptionTable((RADIUS, STRUCTURE_PATCH, ITERATIONS))


def _onnx_model(engine: str, variable: str) -> Option:
    return Option(
        "model",
        "path",
        None,
        f"The {engine} .onnx weights file (default: ${variable}).",
    )


LAMA = OptionTable(
    (
        _onnx_model("LaMa", "INPAINTKIT_LAMA_MODEL"),
        Option(
            "output_range",
            "string",
            "auto",
            "The export's output scale; auto tells it from the kept pixels.",
            choices=("auto", "0-1", "0-255"),
        ),
    )
)
MIGAN = OptionTable((_onnx_model("MI-GAN", "INPAINTKIT_MIGAN_MODEL"),))


def _diffusion_rules(options: dict[str, Any]) -> dict[str, Any]:
    """Rules that tie the diffusion options together, checked before any model loads."""
    if options["model"] is None:
        raise InvalidParameterError(
            "the diffusion engine needs a model: pass {model} (a diffusers folder or a "
            ".safetensors checkpoint) or a Hugging Face hub id",
            options={"model": "PATH"},
        )
    if options["control_image"] is not None and options["controlnet"] is None:
        raise InvalidParameterError(
            "{control_image} needs a ControlNet: pass {controlnet} as well",
            options={"control_image": NAME_ONLY, "controlnet": "PATH"},
        )
    if options["reference"] is not None and options["ip_adapter"] is None:
        raise InvalidParameterError(
            "{reference} steers the fill through an IP-Adapter: pass {ip_adapter} as well "
            "(its weights file, with the image encoder in an image_encoder folder beside it)",
            options={"reference": NAME_ONLY, "ip_adapter": "PATH"},
        )
    if options["ip_adapter"] is not None and options["reference"] is None:
        raise InvalidParameterError(
            "{ip_adapter} needs a reference picture: pass {reference}",
            options={"ip_adapter": NAME_ONLY, "reference": "IMAGE"},
        )
    if options["controlnet"] is not None and options["control_image"] is None:
        return {**options, "control_image": CANNY}
    return options


DIFFUSION = OptionTable(
    (
        Option("model", "path", None, "Diffusers folder, .safetensors checkpoint or hub id."),
        Option("model_config", "path", None, "Configs for a .safetensors checkpoint (a folder)."),
        Option("prompt", "string", "", "What to paint."),
        Option("negative_prompt", "string", "", "What not to paint."),
        Option("steps", "integer", 30, "Denoising steps.", minimum=1, maximum=1000),
        Option(
            "guidance",
            "number",
            None,
            "Classifier-free guidance scale (default: the model family's, 7.5 for SD).",
            minimum=0.0,
            maximum=100.0,
        ),
        Option(
            "strength",
            "number",
            1.0,
            "How far new content may move from the original (0 = keep, 1 = free).",
            minimum=0.0,
            maximum=1.0,
        ),
        Option(
            "scheduler",
            "string",
            None,
            "Sampler (default: the model's own).",
            choices=tuple(SCHEDULERS),
        ),
        Option(
            "masked_content",
            "string",
            "original",
            "What the hole starts from: the original, latent noise or nothing, or a "
            "classical engine's pre-fill.",
            choices=LATENT_STARTS + CLASSICAL_PREFILLS,
        ),
        Option("device", "string", "auto", "Where to run.", choices=DEVICES),
        Option(
            "dtype",
            "string",
            "auto",
            "Precision (auto: float16 on GPU, float32 on CPU).",
            choices=DTYPES,
        ),
        Option(
            "working_size",
            "integer",
            None,
            "Side the model works at (default: the model's native size).",
            minimum=64,
            maximum=4096,
            multiple_of=8,
            unit="px",
        ),
        Option("controlnet", "path", None, "ControlNet model folder or hub id."),
        Option(
            "control_image",
            "image",
            None,
            "Control image of the photo's size, or 'canny' (the default with a ControlNet).",
            keywords=(CANNY,),
        ),
        Option(
            "control_scale",
            "number",
            1.0,
            "How strongly the ControlNet steers.",
            minimum=0.0,
            maximum=4.0,
        ),
        Option("reference", "path", None, "Reference picture for the IP-Adapter (SD, SDXL)."),
        Option(
            "ip_adapter",
            "path",
            None,
            "IP-Adapter weights (.safetensors or .bin holding image_proj and ip_adapter).",
        ),
        Option(
            "ip_adapter_encoder",
            "path",
            None,
            "The IP-Adapter's CLIP image encoder folder (default: image_encoder beside the "
            "weights, or one level up).",
        ),
        Option(
            "ip_adapter_scale",
            "number",
            0.6,
            "How strongly the reference steers.",
            minimum=0.0,
            maximum=2.0,
        ),
    ),
    cross_check=_diffusion_rules,
)
