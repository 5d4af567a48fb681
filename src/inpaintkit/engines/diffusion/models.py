"""Load a diffusion model and tell which kind it is.

A model comes from a local diffusers folder (``model_index.json``), a single
``.safetensors``/``.ckpt`` checkpoint as A1111 and civitai share them (with a diffusers
folder or hub id for its configs, ``model_config``), or a Hugging Face hub id. The kind
is read from the configs, never from the name:

* ``inpaint-unet``: a dedicated inpainting UNet (9 input channels: latents, mask,
  masked-image latents), e.g. SD 1.5 / 2 inpainting, SDXL inpainting;
* ``blended-latents``: an ordinary text-to-image UNet (4 channels); the hole is
  inpainted by replacing the latents outside it with the original's, noised to the
  current step, after every step.

Loaded models are cached (one at a time, keyed by source, device, dtype and
ControlNet), so a photo with several regions, or a batch, loads the model once.

A diffusers pipeline the caller already built (with their LoRAs, their scheduler, on
their device) can be used as it is: :func:`adopt_pipeline` registers the live object
and returns a key such as ``"<pipe:StableDiffusionInpaintPipeline#1>"`` that
:func:`load_model` accepts wherever a model path goes. Nothing is loaded or moved: the
pipeline runs on its own device in its own dtype (the requested placement is ignored),
and the sampler builds its scheduler from the pipeline's current one unless a
``scheduler`` option names another. The registry holds the pipeline weakly: a key
stops working once the caller (and the model cache) let go of the pipeline.
"""

from __future__ import annotations

import itertools
import json
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from inpaintkit.engines.diffusion.device import Placement
from inpaintkit.errors import InvalidParameterError, UnreadableFileError

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
_SD_CLASSES = {"StableDiffusionPipeline", "StableDiffusionInpaintPipeline"}
_SDXL_CLASSES = {"StableDiffusionXLPipeline", "StableDiffusionXLInpaintPipeline"}
_FLUX_FILL_CLASSES = {"FluxFillPipeline"}
_FLUX_NATIVE_SIZE = 1024  # FLUX has no sample_size in its config; it was trained at 1 MP
ADOPTED_PREFIX = "<pipe:"
_ADOPTED: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_ADOPTED_COUNT = itertools.count(1)


class ModelKindError(InvalidParameterError):
    """The model is not a kind the diffusion engine can inpaint with."""


@dataclass(frozen=True)
class ModelKind:
    family: str  # "sd" (1.x / 2.x), "sdxl" or "flux"
    path: str  # "inpaint-unet", "blended-latents" or "flux-fill"
    native_size: int  # px: the size the model was trained at
    size_multiple: int = 8  # px: FLUX packs 2×2 latent cells, so 16

    def describe(self) -> str:
        how = {
            "inpaint-unet": "dedicated inpainting UNet (9 input channels)",
            "blended-latents": "text-to-image UNet with blended latents (4 input channels)",
            "flux-fill": "FLUX.1 Fill transformer (diffusers FluxFillPipeline)",
        }[self.path]
        return f"{self.family}: {how}"


@dataclass
class LoadedModel:
    pipe: Any  # a diffusers pipeline: we use its components and encode_prompt
    kind: ModelKind
    placement: Placement
    controlnet: Any = None
    weights_bytes: int = 0


def kind_of(pipe: Any) -> ModelKind:
    """The kind of a loaded pipeline."""
    if type(pipe).__name__ in _FLUX_FILL_CLASSES:
        return ModelKind("flux", "flux-fill", _FLUX_NATIVE_SIZE, pipe.vae_scale_factor * 2)
    return detect_kind(pipe.unet.config, type(pipe).__name__, pipe.vae_scale_factor)


def detect_kind(unet_config: Any, pipeline_class: str, vae_scale: int) -> ModelKind:
    """The kind of a Stable Diffusion model from its UNet config and pipeline class name."""
    in_channels = int(unet_config.in_channels)
    sdxl = getattr(unet_config, "addition_embed_type", None) == "text_time"
    family = "sdxl" if sdxl or pipeline_class in _SDXL_CLASSES else "sd"
    if in_channels == 9:
        path = "inpaint-unet"
    elif in_channels == 4:
        path = "blended-latents"
    else:
        raise ModelKindError(
            f"{pipeline_class} has a UNet with {in_channels} input channels; inpaintkit "
            "inpaints with text-to-image models (4 channels) or inpainting models (9 "
            "channels) of the Stable Diffusion 1.x/2.x/XL families"
        )
    sample = unet_config.sample_size
    sample = sample[0] if isinstance(sample, list | tuple) else sample
    return ModelKind(family, path, int(sample) * vae_scale)


def _looks_like_hub_id(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 2 and all(parts) and not source.startswith((".", "~"))


def _pipeline_class(folder: Path) -> str:
    index = folder / "model_index.json"
    if not index.is_file():
        raise UnreadableFileError(
            f"{folder} is not a diffusers model folder (no model_index.json); pass a folder "
            "saved with save_pretrained, a .safetensors checkpoint, or a hub id"
        )
    try:
        return str(json.loads(index.read_text())["_class_name"])
    except (ValueError, KeyError) as error:
        raise UnreadableFileError(f"{index} is not a valid model index: {error}") from None


def _load_options(class_name: str, source: str, torch_dtype: Any) -> dict[str, Any]:
    """Check the pipeline class is one we inpaint with; the options to load it."""
    if class_name not in _SD_CLASSES | _SDXL_CLASSES | _FLUX_FILL_CLASSES:
        raise ModelKindError(
            f"{source} holds a {class_name}; the diffusion engine supports Stable "
            "Diffusion 1.x/2.x and SDXL models (text-to-image or inpainting) and FLUX.1 Fill"
        )
    options: dict[str, Any] = {"dtype": torch_dtype}
    if class_name in _SD_CLASSES:
        # Our own loop never runs the safety checker: do not load its 1 GB of weights.
        options |= {"safety_checker": None, "requires_safety_checker": False}
    return options


def _load_folder_or_hub(source: str, torch_dtype: Any, variant: str | None = None) -> Any:
    from diffusers import DiffusionPipeline

    folder = Path(source).expanduser()
    if folder.exists():
        options = _load_options(_pipeline_class(folder), str(folder), torch_dtype)
        if variant is not None:
            options["variant"] = variant
        try:
            return DiffusionPipeline.from_pretrained(str(folder), **options)
        except (OSError, ValueError) as error:
            if variant is None:
                raise
            raise UnreadableFileError(
                f"{folder} has no complete {variant!r} variant ({type(error).__name__}): "
                "leave out variant, or save the model with save_pretrained(variant=...)"
            ) from None
    if not _looks_like_hub_id(source):
        raise UnreadableFileError(
            f"model {source!r} not found: pass an existing diffusers folder, a "
            ".safetensors checkpoint, or a hub id like owner/name"
        )
    try:
        # The model index first (a small file): an unsupported kind fails before gigabytes.
        with warnings.catch_warnings():  # diffusers passes huggingface_hub a retired option
            warnings.simplefilter("ignore", UserWarning)
            class_name = str(DiffusionPipeline.load_config(source)["_class_name"])
        options = _load_options(class_name, source, torch_dtype)
        if variant is not None:
            options["variant"] = variant
        return DiffusionPipeline.from_pretrained(source, **options)
    except ModelKindError:
        raise
    except (OSError, ValueError) as error:
        shown = source.replace("{", "{{").replace("}", "}}")  # the message is a template
        raise UnreadableFileError(
            f"could not load {shown!r} from the Hugging Face hub ({type(error).__name__}); "
            "this machine may be offline. Download the model where there is a network "
            f"(e.g. `hf download {shown} --local-dir DIR`) and pass {{model}}",
            options={"model": "DIR"},
        ) from None


def _checkpoint_class(file: Path) -> Any:
    """The diffusers pipeline class for a single-file checkpoint, from its UNet keys."""
    from diffusers import (
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
    )
    from diffusers.loaders.single_file_utils import load_single_file_checkpoint

    try:
        state = load_single_file_checkpoint(str(file), local_files_only=True)
    except Exception as error:
        raise UnreadableFileError(f"{file} is not a readable checkpoint: {error}") from None
    first = state.get("model.diffusion_model.input_blocks.0.0.weight")
    if first is None:
        raise ModelKindError(
            f"{file} is not a Stable Diffusion 1.x/2.x/XL checkpoint (no UNet weights under "
            "model.diffusion_model.); pass a diffusers folder instead"
        )
    sdxl = any(key.startswith("conditioner.embedders.1.") for key in state)
    nine = int(first.shape[1]) == 9
    if sdxl:
        return StableDiffusionXLInpaintPipeline if nine else StableDiffusionXLPipeline
    return StableDiffusionInpaintPipeline if nine else StableDiffusionPipeline


def _load_single_file(file: Path, config: str | None, torch_dtype: Any) -> Any:
    pipeline_class = _checkpoint_class(file)
    options: dict[str, Any] = {"dtype": torch_dtype}
    if config is not None:
        options["config"] = str(Path(config).expanduser()) if Path(config).exists() else config
    if "XL" not in pipeline_class.__name__:
        options |= {"safety_checker": None, "requires_safety_checker": False}
    try:
        return pipeline_class.from_single_file(str(file), **options)
    except (OSError, ValueError) as error:
        if config is None:
            raise UnreadableFileError(
                f"could not set up {file.name} without its configs ({type(error).__name__}); "
                "offline, pass --param model_config=DIR, a diffusers folder of the same "
                "architecture (e.g. a downloaded stable-diffusion-v1-5 inpainting folder)"
            ) from None
        raise UnreadableFileError(f"could not load {file} with configs {config}: {error}") from None


def _load_controlnet(source: str, torch_dtype: Any) -> Any:
    from diffusers import ControlNetModel

    folder = Path(source).expanduser()
    if folder.is_file() and folder.suffix in SINGLE_FILE_SUFFIXES:
        return ControlNetModel.from_single_file(str(folder), dtype=torch_dtype)
    if not folder.exists() and not _looks_like_hub_id(source):
        raise UnreadableFileError(f"ControlNet {source!r} not found: pass a folder or hub id")
    try:
        return ControlNetModel.from_pretrained(
            str(folder) if folder.exists() else source, dtype=torch_dtype
        )
    except (OSError, ValueError) as error:
        raise UnreadableFileError(
            f"could not load the ControlNet {source!r} ({type(error).__name__}: {error}); "
            "pass a local folder saved with ControlNetModel.save_pretrained"
        ) from None


@contextmanager
def _quietly() -> Iterator[None]:
    """diffusers and transformers print progress bars and notices while loading: the CLI
    has its own output, and a library call should not write to the terminal."""
    import diffusers.utils.logging as diffusers_logging
    import transformers.utils.logging as transformers_logging

    level = diffusers_logging.get_verbosity(), transformers_logging.get_verbosity()
    diffusers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        diffusers_logging.enable_progress_bar()
        transformers_logging.enable_progress_bar()
        diffusers_logging.set_verbosity(level[0])
        transformers_logging.set_verbosity(level[1])


def adopt_pipeline(pipe: Any) -> str:
    """Register a live diffusers pipeline; the key :func:`load_model` resolves to it.

    The pipeline's kind is checked now, so an unsupported pipeline fails here. Adopting
    the same object again returns the same key.
    """
    kind_of_adopted(pipe)
    for key, known in list(_ADOPTED.items()):
        if known is pipe:
            return key
    key = f"{ADOPTED_PREFIX}{type(pipe).__name__}#{next(_ADOPTED_COUNT)}>"
    _ADOPTED[key] = pipe
    return key


def is_adopted(source: str) -> bool:
    """Whether ``source`` is a key from :func:`adopt_pipeline` rather than a path or id."""
    return source.startswith(ADOPTED_PREFIX) and source.endswith(">")


def adopted_pipeline(source: str) -> Any:
    """The live pipeline registered under ``source``."""
    pipe = _ADOPTED.get(source)
    if pipe is None:
        raise InvalidParameterError(
            f"no live pipeline is registered as {source}: it was garbage-collected or never "
            "adopted; adopt it again (InpaintPipeline.from_pipe(pipe))"
        )
    return pipe


def kind_of_adopted(pipe: Any) -> ModelKind:
    """:func:`kind_of` for an object the caller built, with a clear error for the wrong one."""
    name = type(pipe).__name__
    if not hasattr(pipe, "vae") or not (hasattr(pipe, "unet") or hasattr(pipe, "transformer")):
        raise ModelKindError(
            f"a {name} is not a diffusers Stable Diffusion pipeline (it has no vae and "
            "unet); pass a StableDiffusion(XL)(Inpaint)Pipeline or a FluxFillPipeline, e.g. "
            "from AutoPipelineForInpainting.from_pretrained(...)"
        )
    if hasattr(pipe, "transformer") and name not in _FLUX_FILL_CLASSES:
        raise ModelKindError(
            f"a {name} is not supported: the diffusion engine inpaints with Stable "
            "Diffusion 1.x/2.x/XL pipelines and FLUX.1 Fill (FluxFillPipeline)"
        )
    return kind_of(pipe)


def placement_of(pipe: Any) -> Placement:
    """Where a live pipeline's weights are: its device and the denoiser's dtype."""
    denoiser = getattr(pipe, "unet", None) or pipe.transformer
    device = pipe.device
    where = device.type if device.index in (None, 0) else str(device)
    return Placement(where, denoiser.dtype)


def open_pipeline(
    source: str, placement: Placement, *, config: str | None = None, variant: str | None = None
) -> Any:
    """Load a diffusers pipeline as :func:`load_model` does, but uncached and returned
    bare, for a caller that keeps it (``InpaintPipeline.from_pretrained(variant=...)``
    adopts it). ``variant`` picks weight files such as ``*.fp16.safetensors``."""
    with _quietly():
        file = Path(source).expanduser()
        if file.is_file():
            if variant is not None:
                raise InvalidParameterError(
                    f"{file.name} is a single checkpoint file: variant picks files inside a "
                    "diffusers folder; leave out variant"
                )
            pipe = _load_single_file(file, config, placement.dtype)
        else:
            pipe = _load_folder_or_hub(source, placement.dtype, variant)
        kind_of(pipe)
        _place(pipe, placement)
        return pipe


def _place(pipe: Any, placement: Placement) -> None:
    import torch

    pipe.to(placement.device)
    if placement.dtype_name == "float16" and getattr(pipe.vae.config, "force_upcast", False):
        # SDXL's VAE overflows in fp16 (its config says so): keep it in fp32 from the start
        # rather than decoding twice through the NaN retry on every run.
        pipe.vae.to(torch.float32)
    pipe.set_progress_bar_config(disable=True)


def _adopted_model(source: str, controlnet: str | None) -> LoadedModel:
    """A LoadedModel over an adopted pipeline: nothing loaded, nothing moved. Built on
    every call (a few ms): the caller may move the pipeline or swap its parts between
    runs, and adopted pipelines never evict the cached model loaded from disk."""
    from inpaintkit.engines.diffusion.device import module_bytes

    pipe = adopted_pipeline(source)
    kind = kind_of_adopted(pipe)
    placement = placement_of(pipe)
    control = None
    if controlnet is not None:
        if kind.family == "flux":
            raise ModelKindError(
                "ControlNet is supported with SD 1.x/2.x and SDXL models, not FLUX Fill"
            )
        control = _placed_controlnet(controlnet, placement)
    weights = module_bytes(
        getattr(pipe, "unet", None),
        getattr(pipe, "transformer", None),
        pipe.vae,
        getattr(pipe, "text_encoder", None),
        getattr(pipe, "text_encoder_2", None),
        control,
    )
    return LoadedModel(pipe, kind, placement, control, weights)


@lru_cache(maxsize=1)
def _placed_controlnet(source: str, placement: Placement) -> Any:
    with _quietly():
        return _load_controlnet(source, placement.dtype).to(placement.device)


def load_model(
    source: str, config: str | None, placement: Placement, controlnet: str | None
) -> LoadedModel:
    """Load (once) the model ``source`` on ``placement``, with an optional ControlNet.

    A key from :func:`adopt_pipeline` resolves to the live pipeline it names, which runs
    where it is (``placement`` is then ignored)."""
    if is_adopted(source):
        return _adopted_model(source, controlnet)
    return _load_cached(source, config, placement, controlnet)


@lru_cache(maxsize=1)
def _load_cached(
    source: str, config: str | None, placement: Placement, controlnet: str | None
) -> LoadedModel:
    with _quietly():
        return _load_model(source, config, placement, controlnet)


def _load_model(
    source: str, config: str | None, placement: Placement, controlnet: str | None
) -> LoadedModel:
    from inpaintkit.engines.diffusion.device import module_bytes

    file = Path(source).expanduser()
    if file.is_file():
        if file.suffix.lower() not in SINGLE_FILE_SUFFIXES:
            raise UnreadableFileError(
                f"{file} is not a model: pass a diffusers folder or a .safetensors checkpoint"
            )
        pipe = _load_single_file(file, config, placement.dtype)
    else:
        pipe = _load_folder_or_hub(source, placement.dtype)
    kind = kind_of(pipe)
    control = None
    if controlnet is not None:
        if kind.family == "flux":
            raise ModelKindError(
                "ControlNet is supported with SD 1.x/2.x and SDXL models, not FLUX Fill"
            )
        control = _load_controlnet(controlnet, placement.dtype).to(placement.device)
    _place(pipe, placement)
    weights = module_bytes(
        getattr(pipe, "unet", None),
        getattr(pipe, "transformer", None),
        pipe.vae,
        getattr(pipe, "text_encoder", None),
        getattr(pipe, "text_encoder_2", None),
        control,
    )
    return LoadedModel(pipe, kind, placement, control, weights)
