"""``InpaintPipeline``: diffusers' call shape over inpaintkit's pipeline.

People who know diffusers write ``pipe(prompt, image=..., mask_image=...).images[0]``.
:class:`InpaintPipeline` takes that call (same argument names and meanings, PIL / NumPy /
torch inputs as diffusers' ``VaeImageProcessor`` reads them) and runs
:func:`inpaintkit.inpaint` once per picture, so every inpaintkit guarantee holds:

* pixels where the mask is 0 come back bit for bit (diffusers returns the VAE's copy of
  the whole picture);
* a 1 px stroke still releases its latent cell (diffusers' nearest resize drops it);
* a soft mask is a per-pixel strength (diffusers binarises at 0.5);
* a large photo is processed per region at the model's size and comes back at its own
  size (diffusers squashes it to ``height`` × ``width``, 512² by default).

Three ways in: :meth:`InpaintPipeline.from_pretrained` (a folder, a single checkpoint
file or a hub id, loaded by the diffusion engine's own loader and cache),
:meth:`InpaintPipeline.from_pipe` (an existing diffusers pipeline, used as it is: its
LoRAs, its scheduler, its device) and ``InpaintPipeline(engine="auto")`` for the engines
that need no weights (the prompt is then ignored, with a warning).

Choices where diffusers and inpaintkit differ (docs/diffusers.md has the full table):

* ``height`` / ``width`` set the working size (the longer side each region is resized
  to, ``max(height, width)``); the output keeps the photo's size;
* ``generator`` is read as its seed (``generator.initial_seed()``): the result equals
  ``inpaintkit.inpaint(..., seed=that)``; every picture of a batch uses that seed, and
  ``num_images_per_prompt`` = n gives seeds seed, seed + 1, ..., seed + n - 1 (as
  inpaintkit's ``num_images``); a list of generators gives one seed per output;
* ``callback_on_step_end(pipe, step, timestep, callback_kwargs)`` is called after each
  denoising step (once per region for engines without steps) with ``timestep=None``
  and an empty ``callback_kwargs``; what it returns is ignored: latents cannot be
  changed from outside;
* ``num_inference_steps`` defaults to 50 as in diffusers (inpaintkit's own default is 30);
* IP-Adapter: :meth:`InpaintPipeline.load_ip_adapter` records a local weights file (and
  its image encoder folder) as the diffusion engine's ``ip_adapter`` /
  ``ip_adapter_encoder`` options, with scale 1.0 as diffusers loads it;
  ``ip_adapter_image`` becomes the engine's ``reference``. The engine attaches the
  adapter to the UNet for each call and restores the UNet's own attention processors
  afterwards, so a ``from_pipe`` pipeline is left as it was.

Nothing here imports torch unless the caller hands in a tensor or asks for ``"pt"``
output, or uses the diffusion engine.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inpaintkit.convert import is_pil_image, to_float_rgb
from inpaintkit.engines.registry import (
    ENGINES,
    check_engine_options,
    engine_entry,
    resolve_engine_name,
)
from inpaintkit.errors import InvalidInputError, InvalidParameterError, MissingExtraError
from inpaintkit.types import Result

__all__ = ["InpaintPipeline", "InpaintPipelineOutput"]

DIFFUSERS_DEFAULT_STEPS = 50  # diffusers' default num_inference_steps
OUTPUT_TYPES = ("pil", "np", "pt")
_DIFFUSION = "diffusion"

# inpaint()'s own keywords a caller may pass through (besides the engine's options).
_PASSED_THROUGH = (
    "grow",
    "feather",
    "seam",
    "mask_resize",
    "invert_mask",
    "mask_alpha",
    "max_pixels",
    "seam_band",
)
# diffusers keywords with no inpaintkit counterpart, and what to do instead.
_NOT_SUPPORTED = {
    "latents": "inpaintkit draws its noise from the seed: pass generator",
    "prompt_embeds": "pass prompt as text",
    "negative_prompt_embeds": "pass negative_prompt as text",
    "pooled_prompt_embeds": "pass prompt as text",
    "negative_pooled_prompt_embeds": "pass negative_prompt as text",
    "masked_image_latents": "pass image and mask_image",
    "ip_adapter_image_embeds": (
        "pass ip_adapter_image (a picture): inpaintkit computes the embeddings with the "
        "image encoder of the adapter loaded by pipe.load_ip_adapter(...)"
    ),
    "eta": "choose a scheduler instead (scheduler='ddim', 'euler-a', ...)",
    "timesteps": "set num_inference_steps and strength",
    "sigmas": "set num_inference_steps and strength",
    "cross_attention_kwargs": "fuse LoRA scales into the pipeline before from_pipe",
    "clip_skip": "not available",
    "guidance_rescale": "not available",
    "denoising_start": "not available",
    "denoising_end": "not available",
    "aesthetic_score": "not available",
    "negative_aesthetic_score": "not available",
    "callback": "use callback_on_step_end",
    "callback_steps": "use callback_on_step_end",
    "original_size": "not available: SDXL's size conditioning is the region's size",
    "target_size": "not available: SDXL's size conditioning is the region's size",
    "crops_coords_top_left": "not available",
    "max_sequence_length": "not available",
}
# from_pretrained keywords that diffusers scripts pass and that change nothing here.
_LOAD_IGNORED = {"safety_checker", "requires_safety_checker", "use_safetensors"}

StepEndCallback = Callable[[Any, int, Any, dict[str, Any]], Any]


@dataclass
class InpaintPipelineOutput:
    """What :meth:`InpaintPipeline.__call__` returns, shaped like diffusers' output.

    ``images``: a list of PIL images (``output_type="pil"``), a float32 N×H×W×3 array in
    [0, 1] (``"np"``) or a float32 N×3×H×W tensor in [0, 1] (``"pt"``); pictures of
    different sizes come back as a list of H×W×3 arrays / 3×H×W tensors instead.
    ``results`` holds inpaintkit's own :class:`~inpaintkit.types.Result` per output
    image (plan, seed, recipe, what the engine did); ``notes`` says what was ignored.
    """

    images: Any
    nsfw_content_detected: list[bool] | None = None  # inpaintkit runs no safety checker
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        """The seed each output image was made with (replay it with ``generator``)."""
        return [result.seed for result in self.results]

    def to_tuple(self) -> tuple[Any, list[bool] | None]:
        return self.images, self.nsfw_content_detected

    def __getitem__(self, key: int | str) -> Any:
        """``output[0]`` and ``output["images"]`` as with diffusers' BaseOutput."""
        if isinstance(key, str):
            return getattr(self, key)
        return self.to_tuple()[key]


class InpaintPipeline:
    """Inpaint with diffusers' call shape and inpaintkit's guarantees.

    ``InpaintPipeline(engine="auto")`` uses an engine that needs no weights;
    :meth:`from_pretrained` and :meth:`from_pipe` use the diffusion engine. ``options``
    are defaults for every call: engine options (``scheduler="euler"``,
    ``masked_content="latent-noise"``, ``radius=5``, ...) and inpaintkit's own keywords
    (``grow``, ``feather``, ``seam``, ...).

    >>> import numpy as np
    >>> photo = np.full((32, 32, 3), 200, np.uint8)
    >>> hole = np.zeros((32, 32), np.float32); hole[8:16, 8:16] = 1
    >>> pipe = InpaintPipeline(engine="telea")
    >>> out = pipe(image=photo, mask_image=hole, generator=0)
    >>> out.images[0].size, int(np.asarray(out.images[0])[0, 0, 0])
    ((32, 32), 200)
    """

    def __init__(self, engine: str = "auto", **options: Any) -> None:
        self.engine = resolve_engine_name(engine)
        self._engine_names = set(engine_entry(self.engine).options.names)
        _check_keywords(options, self.engine, "InpaintPipeline()")
        engine_options = {k: v for k, v in options.items() if k in self._engine_names}
        check_engine_options(self.engine, engine_options)
        self.options: dict[str, Any] = dict(options)
        self.pipeline: Any = None  # the adopted diffusers pipeline (from_pipe / variant)
        self.num_timesteps = 0  # steps of the current call, as diffusers pipelines expose
        # Where ip_adapter_image pictures are written for the engine's ``reference``
        # option (a path): made on first use, removed with the pipeline.
        self._references: tempfile.TemporaryDirectory[str] | None = None

    def __repr__(self) -> str:
        model = self.options.get("model")
        where = f", model={model!r}" if model is not None else ""
        return f"InpaintPipeline(engine={self.engine!r}{where})"

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> InpaintPipeline:
        """Load a model as ``DiffusionPipeline.from_pretrained`` would: a diffusers folder,
        a ``.safetensors``/``.ckpt`` checkpoint (``config=`` a folder of its configs) or
        a hub id. Keywords: ``torch_dtype``/``dtype`` (a torch dtype or its name),
        ``device``, ``variant`` (``"fp16"``: weight files ``*.fp16.*`` of a folder),
        ``config``/``model_config``, any diffusion engine option (``scheduler=``,
        ``working_size=``, ...) and inpaintkit keywords. ``safety_checker``,
        ``requires_safety_checker`` and ``use_safetensors`` are accepted and change
        nothing (inpaintkit never runs a safety checker). The model loads now, once:
        later calls (and ``inpaintkit.inpaint`` with the same model) reuse it.
        """
        _require_diffusion()
        options = _load_keywords(kwargs)
        variant = options.pop("variant", None)
        options["model"] = str(pretrained_model_name_or_path)
        pipe = cls(engine=_DIFFUSION, **options)
        from inpaintkit.engines.diffusion.device import choose_placement
        from inpaintkit.engines.diffusion.models import adopt_pipeline, load_model, open_pipeline

        chosen = _resolved(options)
        placement = choose_placement(chosen["device"], chosen["dtype"])
        if variant is None:
            load_model(chosen["model"], chosen["model_config"], placement, chosen["controlnet"])
            return pipe
        # A variant picks other weight files: load them uncached and run that pipeline.
        loaded = open_pipeline(
            chosen["model"], placement, config=chosen["model_config"], variant=str(variant)
        )
        pipe.options = {**options, "model": adopt_pipeline(loaded)}
        for name in ("device", "dtype", "model_config"):
            pipe.options.pop(name, None)
        pipe.pipeline = loaded
        return pipe

    @classmethod
    def from_pipe(cls, pipeline: Any, **kwargs: Any) -> InpaintPipeline:
        """Run on a diffusers pipeline you already have, as it is: its weights (LoRAs
        included), its scheduler (unless ``scheduler=`` names another), its device and
        dtype. Nothing is loaded, copied or moved. Keywords: diffusion engine options
        other than the model's placement, and inpaintkit keywords."""
        if isinstance(pipeline, InpaintPipeline):
            copied = cls(engine=pipeline.engine, **{**pipeline.options, **kwargs})
            copied.pipeline = pipeline.pipeline
            copied._references = pipeline._references
            return copied
        _require_diffusion()
        for name in ("device", "dtype", "torch_dtype", "model", "model_config", "variant"):
            if name in kwargs:
                raise InvalidParameterError(
                    f"from_pipe() runs the pipeline where and as it is, so {name}= does not "
                    "apply: move it first (pipeline.to('cuda', torch.float16)), or load "
                    "with InpaintPipeline.from_pretrained(...)"
                )
        from inpaintkit.engines.diffusion.models import adopt_pipeline

        key = adopt_pipeline(pipeline)
        pipe = cls(engine=_DIFFUSION, **kwargs, model=key)
        pipe.pipeline = pipeline
        return pipe

    def to(self, device: Any = None, dtype: Any = None) -> InpaintPipeline:
        """Move the model, as ``DiffusionPipeline.to`` does; returns the pipeline.

        A pipeline from :meth:`from_pipe` moves the diffusers pipeline itself (yours:
        the move is visible there too); one from :meth:`from_pretrained` runs later calls
        with that device / dtype (a placement not yet loaded loads the model again).
        No-weights engines have nothing to move: a no-op.
        """
        if self.engine != _DIFFUSION:
            return self
        if (
            device is not None
            and not isinstance(device, str)
            and hasattr(device, "is_floating_point")
        ):
            device, dtype = None, device  # pipe.to(torch.float16)
        if self.pipeline is not None:  # the engine reads its placement on every run
            self.pipeline.to(*[value for value in (device, dtype) if value is not None])
            return self
        if device is not None:
            self.options["device"] = getattr(device, "type", None) or str(device).split(":")[0]
        if dtype is not None:
            self.options["dtype"] = _dtype_name(dtype)
        check_engine_options(
            self.engine, {k: self.options[k] for k in ("device", "dtype") if k in self.options}
        )
        return self

    # ------------------------------------------------------------------ IP-Adapter

    def load_ip_adapter(
        self,
        pretrained_model_name_or_path_or_dict: Any,
        subfolder: str | Sequence[str] | None = None,
        weight_name: str | Sequence[str] | None = None,
        image_encoder_folder: str | None = "image_encoder",
        **kwargs: Any,
    ) -> None:
        """Use an IP-Adapter, as diffusers' ``load_ip_adapter``: pass ``ip_adapter_image``
        to each call afterwards. Scale 1.0 until :meth:`set_ip_adapter_scale`.

        The weights file is found as diffusers finds it in a local folder:
        ``folder/weight_name``, else ``folder/subfolder/weight_name``; the first argument
        may also be the file itself. The image encoder (a CLIPVisionModelWithProjection
        folder) is ``folder/subfolder/image_encoder_folder``, or
        ``folder/image_encoder_folder`` when ``image_encoder_folder`` contains a ``/``;
        ``image_encoder_folder=None`` looks for ``image_encoder`` beside the weights file
        or one level up. One adapter at a time (lists of one are accepted); hub ids and
        state dicts are not: download the files and pass their folder.
        ``low_cpu_mem_usage`` and ``local_files_only`` are accepted and change nothing.
        Nothing is loaded into the model here: the diffusion engine attaches the adapter
        for each call and takes it off again afterwards.
        """
        if self.engine != _DIFFUSION:
            raise InvalidParameterError(
                f"load_ip_adapter needs the diffusion engine, not {self.engine!r}: load a "
                "model with InpaintPipeline.from_pretrained(...) or from_pipe(...)"
            )
        unknown = sorted(set(kwargs) - {"low_cpu_mem_usage", "local_files_only"})
        if unknown:
            raise InvalidParameterError(
                f"load_ip_adapter() got an unknown keyword {unknown[0]!r}; it accepts "
                "subfolder, weight_name, image_encoder_folder, low_cpu_mem_usage and "
                "local_files_only (the files must be local)"
            )
        weights, encoder = _ip_adapter_files(
            pretrained_model_name_or_path_or_dict,
            _one_adapter(subfolder, "subfolder"),
            _one_adapter(weight_name, "weight_name"),
            image_encoder_folder,
        )
        check_engine_options(self.engine, {"ip_adapter": weights, "ip_adapter_encoder": encoder})
        self.options.update(ip_adapter=weights, ip_adapter_encoder=encoder, ip_adapter_scale=1.0)

    def set_ip_adapter_scale(self, scale: float | Sequence[float] | Mapping[str, Any]) -> None:
        """How strongly ``ip_adapter_image`` steers, as diffusers' ``set_ip_adapter_scale``:
        a number from 0 (not at all) to 2 (a list of one number works too). diffusers'
        per-block dictionaries are not supported."""
        if isinstance(scale, list | tuple):
            if len(scale) != 1:
                raise InvalidParameterError(
                    f"set_ip_adapter_scale got {len(scale)} scales; one IP-Adapter is "
                    "loaded at a time: pass one number"
                )
            scale = scale[0]
        if isinstance(scale, Mapping):
            raise InvalidParameterError(
                "set_ip_adapter_scale: per-block scales (a dict) are not supported; pass one "
                "number for the whole UNet"
            )
        checked = check_engine_options(self.engine, {"ip_adapter_scale": scale})
        self.options["ip_adapter_scale"] = checked["ip_adapter_scale"]

    def unload_ip_adapter(self) -> None:
        """Forget the IP-Adapter (and any ``reference`` given to the constructor): later
        calls are not steered. The model itself never kept the adapter."""
        for name in ("ip_adapter", "ip_adapter_encoder", "ip_adapter_scale", "reference"):
            self.options.pop(name, None)

    def _reference_options(self, ip_adapter_image: Any, general: dict[str, Any]) -> dict[str, Any]:
        """``ip_adapter_image`` as the engine's ``reference`` option (a path); a clear
        error when the adapter and the picture do not come together."""
        adapter = general.get("ip_adapter") is not None
        if ip_adapter_image is None:
            if adapter and general.get("reference") is None:
                raise InvalidParameterError(
                    "an IP-Adapter is loaded: pass ip_adapter_image= (the reference picture), "
                    "or call pipe.unload_ip_adapter() to inpaint without it"
                )
            return {}
        if not adapter:
            raise InvalidParameterError(
                "ip_adapter_image needs an IP-Adapter: call pipe.load_ip_adapter(folder, "
                "subfolder=..., weight_name=...) first"
            )
        if general.get("reference") is not None:
            raise InvalidParameterError("pass ip_adapter_image or reference, not both")
        return {"reference": self._reference_path(ip_adapter_image)}

    def _reference_path(self, picture: Any) -> str:
        """A file holding ``picture`` (PIL, NumPy, torch, as ``image`` is read): the
        engine's ``reference`` option takes a path. uint8 pixels are written as they are,
        others as 16-bit; one file per distinct picture, in a folder that lives as long
        as this pipeline (so a result's recipe replays while the pipeline lives)."""
        if isinstance(picture, str | os.PathLike):
            return os.fspath(picture)  # inpaintkit only: a file, recorded as it is
        if not (
            isinstance(picture, list | tuple | np.ndarray)
            or is_pil_image(picture)
            or _is_tensor(picture)
        ):
            raise InvalidInputError(
                f"ip_adapter_image is a {type(picture).__name__}; pass a PIL image, a numpy "
                "array or a torch tensor (one picture)"
            )
        try:
            pictures = split_images(picture)
        except InvalidInputError as error:
            raise InvalidInputError(f"ip_adapter_image: {error}") from None
        if len(pictures) != 1:
            raise InvalidInputError(
                f"ip_adapter_image holds {len(pictures)} pictures; one IP-Adapter takes one "
                "reference picture: pass one"
            )
        from inpaintkit.convert import from_float
        from inpaintkit.imageio import digest_of, load_image, save_image

        pixels = load_image(pictures[0]).pixels
        if pixels.dtype not in (np.uint8, np.uint16):
            pixels = from_float(to_float_rgb(pixels), np.uint16)
        if self._references is None:
            self._references = tempfile.TemporaryDirectory(prefix="inpaintkit-reference-")
        name = digest_of(pixels).partition(":")[2][:32]
        path = os.path.join(self._references.name, f"{name}.png")
        if not os.path.exists(path):
            save_image(path, pixels)
        return path

    # ------------------------------------------------------------------ the call

    def __call__(
        self,
        prompt: str | Sequence[str] | None = None,
        image: Any = None,
        mask_image: Any = None,
        strength: float = 1.0,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        negative_prompt: str | Sequence[str] | None = None,
        num_images_per_prompt: int = 1,
        generator: Any = None,
        height: int | None = None,
        width: int | None = None,
        padding_mask_crop: int | None = None,
        output_type: str = "pil",
        callback_on_step_end: StepEndCallback | None = None,
        callback_on_step_end_tensor_inputs: Sequence[str] | None = None,
        return_dict: bool = True,
        ip_adapter_image: Any = None,
        **options: Any,
    ) -> Any:
        """Inpaint ``mask_image`` (white = repaint) in ``image``; see the class docs.

        ``image``: a PIL image, a NumPy array (H×W×C, or N×H×W×C for a batch; uint8 /
        uint16 by their dtype, float in [0, 1], or [-1, 1] when it has negative values),
        a torch tensor (C×H×W or N×C×H×W, [0, 1] or [-1, 1] likewise) or a list of these.
        ``mask_image``: the same kinds, one channel (H×W, N×H×W, 1×H×W, N×1×H×W, PIL
        "L"), values in [0, 1]; one mask serves every image. ``ip_adapter_image``: one
        reference picture (the same kinds as ``image``) for every image, after
        :meth:`load_ip_adapter`. Returns an
        :class:`InpaintPipelineOutput` (or ``(images, None)`` with ``return_dict=False``).
        """
        _check_keywords(options, self.engine, "pipe(...)")
        if output_type not in OUTPUT_TYPES:
            extra = (
                " (inpaintkit composites decoded pixels, so it has no latents to return)"
                if output_type == "latent"
                else ""
            )
            raise InvalidParameterError(
                f"output_type {output_type!r} is not supported{extra}; use 'pil', 'np' or 'pt'"
            )
        if callback_on_step_end_tensor_inputs:
            raise InvalidParameterError(
                "callback_on_step_end_tensor_inputs is not supported: the callback gets an "
                "empty callback_kwargs (inpaintkit does not hand out its latents)"
            )
        if image is None or mask_image is None:
            raise InvalidInputError("pass both image= and mask_image= (white = repaint)")
        if not isinstance(num_images_per_prompt, int) or not 1 <= num_images_per_prompt <= 16:
            raise InvalidParameterError(
                f"num_images_per_prompt must be an integer from 1 to 16, got "
                f"{num_images_per_prompt!r}"
            )
        pictures = split_images(image)
        masks = split_masks(mask_image)
        prompts = _per_item(prompt, "prompt")
        negatives = _per_item(negative_prompt, "negative_prompt")
        count = _batch_size(len(pictures), len(masks), len(prompts), len(negatives))
        per_picture = num_images_per_prompt
        general = {**self.options, **options}
        general.update(self._reference_options(ip_adapter_image, general))
        seeds = _seeds(generator, count, per_picture, general.pop("seed", None))

        notes: list[str] = []
        given, defaults = self._mapped(
            strength=strength,
            steps=num_inference_steps,
            guidance=guidance_scale,
            height=height,
            width=width,
            notes=notes,
        )
        # Arguments of this call win; diffusers' defaults only fill what the pipeline's
        # own options (from the constructor) leave open.
        general = {**defaults, **general, **given}
        if padding_mask_crop is not None:
            general["padding"] = padding_mask_crop
        for message in notes:
            warnings.warn(message, UserWarning, stacklevel=2)

        from inpaintkit.pipeline import inpaint

        results: list[Result] = []
        for index in range(count):
            text: dict[str, Any] = {
                **self._text(prompts[index % len(prompts)], "prompt", notes),
                **self._text(negatives[index % len(negatives)], "negative_prompt", notes),
            }
            picture = pictures[index % len(pictures)]
            mask = masks[index % len(masks)]
            run_seeds = seeds[index * per_picture : (index + 1) * per_picture]
            consecutive = run_seeds == list(range(run_seeds[0], run_seeds[0] + per_picture))
            groups = [run_seeds] if consecutive else [[seed] for seed in run_seeds]
            for group in groups:
                result = inpaint(
                    picture,
                    mask,
                    engine=self.engine,
                    seed=group[0],
                    num_images=len(group),
                    progress=self._progress(callback_on_step_end),
                    **general,
                    **text,
                )
                results += [result, *result.variants]
        images = convert_output([result.image for result in results], output_type)
        if not return_dict:
            return images, None
        return InpaintPipelineOutput(images=images, results=results, notes=notes)

    # ------------------------------------------------------------------ helpers

    def _mapped(
        self,
        *,
        strength: float,
        steps: int | None,
        guidance: float | None,
        height: int | None,
        width: int | None,
        notes: list[str],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """diffusers' arguments as the engine's options: (given, defaults); a note for
        each given one the engine lacks."""
        working = _working_size(height, width)
        wanted = {  # option: (value, given by the caller, diffusers' name)
            "strength": (strength, strength != 1.0, "strength"),
            "steps": (
                DIFFUSERS_DEFAULT_STEPS if steps is None else steps,
                steps is not None,
                "num_inference_steps",
            ),
            "guidance": (guidance, guidance is not None, "guidance_scale"),
            "working_size": (working, working is not None, "height/width"),
        }
        given: dict[str, Any] = {}
        defaults: dict[str, Any] = {}
        for option, (value, was_given, spelled) in wanted.items():
            if option in self._engine_names:
                if value is not None:
                    (given if was_given else defaults)[option] = value
            elif was_given:
                notes.append(f"engine {self.engine!r} has no {spelled}: ignored")
        return given, defaults

    def _text(self, text: str | None, option: str, notes: list[str]) -> dict[str, str]:
        if text is None:
            return {}
        if option in self._engine_names:
            return {option: text}
        message = f"engine {self.engine!r} takes no {option}: ignored"
        if text and message not in notes:
            notes.append(message)
            warnings.warn(message, UserWarning, stacklevel=3)
        return {}

    def _progress(self, callback: StepEndCallback | None) -> Callable[[int, int], None] | None:
        if callback is None:
            return None

        def on_progress(done: int, total: int) -> None:
            self.num_timesteps = total
            callback(self, done - 1, None, {})

        return on_progress


# ---------------------------------------------------------------------- keywords


def _require_diffusion() -> None:
    import importlib.util

    entry = ENGINES[_DIFFUSION]
    missing = [name for name in entry.requires if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"InpaintPipeline.from_pretrained/from_pipe need {', '.join(missing)}: "
            f"pip install 'inpaintkit[{entry.extra}]'",
            extra=entry.extra,
        )


def _check_keywords(options: dict[str, Any], engine: str, where: str) -> None:
    """Every keyword is an engine option or one of inpaint()'s own."""
    known = set(engine_entry(engine).options.names) | set(_PASSED_THROUGH) | {"seed"}
    for name in options:
        if name in known:
            continue
        if name in _NOT_SUPPORTED:
            raise InvalidParameterError(
                f"{name} is not supported by InpaintPipeline: {_NOT_SUPPORTED[name]}"
            )
        if name in ("image", "mask", "engine", "num_images", "padding", "progress"):
            raise InvalidParameterError(
                f"{where} got {name}=: use the diffusers spelling (image, mask_image, "
                "num_images_per_prompt, padding_mask_crop, callback_on_step_end)"
            )
        # The engine's own check names the engine that takes an option, or lists its own.
        check_engine_options(engine, {name: options[name]})


def _one_adapter(value: str | Sequence[str] | None, name: str) -> str | None:
    """diffusers' ``subfolder`` / ``weight_name`` (a string, or a list per adapter) for
    one adapter."""
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise InvalidParameterError(
                f"load_ip_adapter got {len(value)} values for {name}; InpaintPipeline uses "
                "one IP-Adapter at a time: pass one"
            )
        value = value[0]
    if value is not None and not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(f"load_ip_adapter: {name} must be text, got {value!r}")
    return None if value is None else os.fspath(value)


def _ip_adapter_files(
    source: Any, subfolder: str | None, weight_name: str | None, encoder_folder: str | None
) -> tuple[str, str | None]:
    """The weights file and the image encoder folder (None: the engine's default
    search), found as diffusers' ``load_ip_adapter`` finds them in a local folder."""
    if isinstance(source, list | tuple) and len(source) == 1:
        source = source[0]
    if isinstance(source, dict):
        raise InvalidParameterError(
            "load_ip_adapter takes a folder or a weights file, not a state dict: save it "
            "with safetensors.torch.save_file and pass the file"
        )
    if not isinstance(source, str | os.PathLike):
        raise InvalidParameterError(
            f"load_ip_adapter takes a folder or a weights file, got {type(source).__name__}"
        )
    root = os.fspath(source)
    if os.path.isfile(root):
        weights = root
        folder = os.path.dirname(root)
    else:
        if not os.path.isdir(root):
            raise InvalidInputError(
                f"IP-Adapter folder {root!r} not found: download the adapter (e.g. "
                "huggingface_hub.snapshot_download) and pass its local folder"
            )
        if weight_name is None:
            raise InvalidParameterError(
                "load_ip_adapter needs weight_name= (e.g. 'ip-adapter_sd15.safetensors')"
            )
        candidates = [os.path.join(root, weight_name)]
        if subfolder:
            candidates.append(os.path.join(root, subfolder, weight_name))
        found = [path for path in candidates if os.path.isfile(path)]
        if not found:
            raise InvalidInputError(
                f"no IP-Adapter weights at {' or '.join(candidates)}: check subfolder= "
                "and weight_name="
            )
        weights = found[0]
        folder = root
    _check_adapter_file(weights)
    if encoder_folder is None:
        return weights, None
    if encoder_folder.count("/") == 0:  # diffusers: relative to the subfolder
        encoder = os.path.join(folder, subfolder or "", encoder_folder)
    else:
        encoder = os.path.join(folder, encoder_folder)
    encoder = os.path.normpath(encoder)
    if not os.path.isfile(os.path.join(encoder, "config.json")):
        raise InvalidInputError(
            f"no IP-Adapter image encoder at {encoder} (a CLIPVisionModelWithProjection "
            "folder with config.json): pass image_encoder_folder= (a folder name inside "
            "subfolder, or a path with a '/' from the adapter's folder)"
        )
    return weights, encoder


def _check_adapter_file(path: str) -> None:
    """A .safetensors file must hold image_proj and ip_adapter weights (read from its
    header only); .bin files are read, and checked, on the first call."""
    if not path.endswith(".safetensors"):
        return
    try:
        from safetensors import safe_open

        with safe_open(path, framework="numpy") as handle:
            heads = {key.partition(".")[0] for key in handle.keys()}  # noqa: SIM118
    except Exception as error:  # a corrupt or foreign file: say which and why
        raise InvalidInputError(
            f"IP-Adapter weights {path!r} could not be read ({type(error).__name__}: {error})"
        ) from None
    if not {"image_proj", "ip_adapter"} <= heads:
        raise InvalidInputError(
            f"{path!r} holds no image_proj/ip_adapter weights: it is not an IP-Adapter file"
        )


def _dtype_name(value: Any) -> str:
    text = str(value).removeprefix("torch.")
    aliases = {"fp16": "float16", "half": "float16", "fp32": "float32", "bf16": "bfloat16"}
    return aliases.get(text, text)


def _load_keywords(kwargs: dict[str, Any]) -> dict[str, Any]:
    """from_pretrained's keywords as engine options; a clear error for unknown ones."""
    from inpaintkit.engines.tables import DIFFUSION

    options: dict[str, Any] = {}
    if "torch_dtype" in kwargs and "dtype" in kwargs:
        raise InvalidParameterError("pass torch_dtype or dtype, not both")
    if "config" in kwargs and "model_config" in kwargs:
        raise InvalidParameterError("pass config or model_config, not both")
    for name, value in kwargs.items():
        if name in ("torch_dtype", "dtype"):
            options["dtype"] = _dtype_name(value)
        elif name == "device":
            options["device"] = getattr(value, "type", None) or str(value)
        elif name in ("config", "model_config"):
            options["model_config"] = None if value is None else str(value)
        elif name == "variant":
            options["variant"] = value
        elif name in _LOAD_IGNORED:
            if name == "safety_checker" and value is not None:
                raise InvalidParameterError(
                    "safety_checker: inpaintkit runs no safety checker; pass None or leave it out"
                )
        elif name in DIFFUSION.names or name in _PASSED_THROUGH or name == "seed":
            if name == "model":
                raise InvalidParameterError(
                    "the model is the first argument of from_pretrained; leave out model="
                )
            options[name] = value
        else:
            placement = {"model", "model_config", "device", "dtype"}
            engine_options = [option for option in DIFFUSION.names if option not in placement]
            accepted = (
                "torch_dtype, dtype, device, variant, config, safety_checker=None, "
                "the diffusion engine's options (" + ", ".join(engine_options) + ") "
                "and " + ", ".join(_PASSED_THROUGH)
            )
            raise InvalidParameterError(
                f"from_pretrained() got an unknown keyword {name!r}; it accepts {accepted}"
            )
    return options


def _resolved(options: dict[str, Any]) -> dict[str, Any]:
    from inpaintkit.engines.registry import resolve_engine_options

    engine_options = {k: v for k, v in options.items() if k in ENGINES[_DIFFUSION].options.names}
    return resolve_engine_options(_DIFFUSION, engine_options)


def _working_size(height: int | None, width: int | None) -> int | None:
    """``height``/``width`` as the working size: the longer of the two."""
    sides = [side for side in (height, width) if side is not None]
    for side in sides:
        if isinstance(side, bool) or not isinstance(side, int | np.integer) or side % 8:
            raise InvalidParameterError(
                f"height and width must be multiples of 8 (as in diffusers), got {side!r}"
            )
    return int(max(sides)) if sides else None


def _per_item(text: str | Sequence[str] | None, name: str) -> list[str | None]:
    if text is None or isinstance(text, str):
        return [text]
    items = list(text)
    if not items or not all(isinstance(item, str) for item in items):
        raise InvalidParameterError(f"{name} must be a string or a non-empty list of strings")
    return list(items)


def _batch_size(*counts: int) -> int:
    """How many pictures: lists of one broadcast, longer ones must agree."""
    longest = max(counts)
    if any(count not in (1, longest) for count in counts):
        raise InvalidInputError(
            "image, mask_image, prompt and negative_prompt give "
            + ", ".join(map(str, counts))
            + " items: pass one of each, or lists of the same length"
        )
    return longest


def _seed_of(generator: Any) -> int:
    if isinstance(generator, int | np.integer) and not isinstance(generator, bool):
        if generator < 0:
            raise InvalidParameterError(f"a seed must be >= 0, got {generator}")
        return int(generator)
    if hasattr(generator, "initial_seed") and type(generator).__module__.startswith("torch"):
        return int(generator.initial_seed())
    raise InvalidParameterError(
        f"generator must be a torch.Generator, a list of them, or an integer seed; got "
        f"{type(generator).__name__}"
    )


def _seeds(generator: Any, count: int, per_picture: int, seed: Any) -> list[int]:
    """One seed per output image (picture-major), from the generator(s) or a seed."""
    if seed is not None and generator is not None:
        raise InvalidParameterError("pass generator or seed, not both")
    if isinstance(generator, list | tuple):
        if len(generator) != count * per_picture:
            raise InvalidParameterError(
                f"got {len(generator)} generators for {count * per_picture} images "
                f"({count} pictures × {per_picture} per prompt): pass one per image, or one"
            )
        return [_seed_of(item) for item in generator]
    chosen = generator if generator is not None else seed
    if chosen is None:
        starts = [secrets.randbelow(2**31) for _ in range(count)]
    else:
        starts = [_seed_of(chosen)] * count
    return [start + k for start in starts for k in range(per_picture)]


# ---------------------------------------------------------------------- inputs


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _tensor_to_numpy(tensor: Any) -> np.ndarray:
    array: np.ndarray = tensor.detach().cpu().float().numpy()
    return array


def _signed_to_unit(array: np.ndarray) -> np.ndarray:
    """Float pixels with negative values are read as [-1, 1], as diffusers reads them."""
    if array.dtype.kind == "f" and array.size and float(array.min()) < 0:
        return ((array.astype(np.float32) + 1) / 2).astype(np.float32)
    return array


def _pil_pixels(picture: Any) -> Any:
    """An 8-bit RGB/RGBA/grey PIL image as its array (no PNG round trip); others as they are."""
    if picture.mode in ("RGB", "RGBA", "L"):
        return np.asarray(picture)
    return picture


def split_images(image: Any) -> list[Any]:
    """One entry per picture: arrays H×W(×C) or PIL images, as diffusers splits a batch."""
    if isinstance(image, list | tuple):
        if not image:
            raise InvalidInputError("image is an empty list: pass at least one picture")
        return [picture for item in image for picture in split_images(item)]
    if is_pil_image(image):
        return [_pil_pixels(image)]
    if _is_tensor(image):
        array = _tensor_to_numpy(image)
        if array.ndim == 3:
            array = array[None]
        if array.ndim != 4:
            raise InvalidInputError(
                f"image tensor has shape {tuple(array.shape)}; pass C×H×W or N×C×H×W"
            )
        if array.shape[1] == 4:
            raise InvalidInputError(
                "a 4-channel image tensor is read as latents by diffusers; InpaintPipeline "
                "takes pixels: pass C×H×W with 1 or 3 channels in [0, 1] or [-1, 1]"
            )
        return [_signed_to_unit(np.ascontiguousarray(item.transpose(1, 2, 0))) for item in array]
    if isinstance(image, np.ndarray):
        if image.ndim == 4:
            return [_signed_to_unit(item) for item in image]
        if image.ndim in (2, 3):
            return [_signed_to_unit(image)]
        raise InvalidInputError(
            f"image array has shape {image.shape}; pass H×W×C or N×H×W×C (channels last)"
        )
    raise InvalidInputError(
        f"image is a {type(image).__name__}; pass a PIL image, a numpy array, a torch "
        "tensor or a list of them"
    )


def split_masks(mask: Any) -> list[Any]:
    """One entry per mask (H×W arrays or PIL images), as diffusers' mask processor reads
    a batch: numpy H×W, H×W×1 or N×H×W(×1); torch H×W, N×H×W or N×1×H×W."""
    if isinstance(mask, list | tuple):
        if not mask:
            raise InvalidInputError("mask_image is an empty list: pass at least one mask")
        return [item for part in mask for item in split_masks(part)]
    if is_pil_image(mask):
        return [np.asarray(mask) if mask.mode == "L" else mask]
    if _is_tensor(mask):
        array = _tensor_to_numpy(mask)
        if array.ndim == 2:
            return [array]
        if array.ndim == 3:
            return list(array)
        if array.ndim == 4 and array.shape[1] == 1:
            return list(array[:, 0])
        raise InvalidInputError(
            f"mask tensor has shape {tuple(array.shape)}; pass H×W, N×H×W or N×1×H×W"
        )
    if isinstance(mask, np.ndarray):
        if mask.ndim == 2 or (mask.ndim == 3 and mask.shape[2] in (1, 3, 4)):
            return [mask]
        if mask.ndim == 3:
            return list(mask)
        if mask.ndim == 4 and mask.shape[3] == 1:
            return list(mask[..., 0])
        raise InvalidInputError(f"mask array has shape {mask.shape}; pass H×W, H×W×1 or N×H×W(×1)")
    raise InvalidInputError(
        f"mask_image is a {type(mask).__name__}; pass a PIL image, a numpy array, a torch "
        "tensor or a list of them"
    )


# ---------------------------------------------------------------------- outputs


def _as_rgb_float(image: np.ndarray) -> np.ndarray:
    return (
        image
        if image.dtype == np.float32 and image.ndim == 3 and image.shape[2] == 3
        else (to_float_rgb(image))
    )


def _to_pil(image: np.ndarray) -> Any:
    from PIL import Image

    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return Image.fromarray(image)
    rgb = to_float_rgb(image)
    return Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8))


def convert_output(images: list[np.ndarray], output_type: str) -> Any:
    """Result images (each in its input's dtype and layout) as diffusers returns them."""
    if output_type == "pil":
        return [_to_pil(image) for image in images]
    floats = [_as_rgb_float(image) for image in images]
    same_size = len({image.shape for image in floats}) == 1
    if output_type == "np":
        return np.stack(floats) if same_size else floats
    import torch

    tensors = [torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1))) for f in floats]
    return torch.stack(tensors) if same_size else tensors
