"""``diffusion``: prompt-guided inpainting with Stable Diffusion models (diffusers).

Needs ``pip install 'inpaintkit[diffusion]'``. The pipeline hands this engine one
working-size crop per region (512 px for SD 1.x, 1024 for SDXL, from the model's
config); the engine pre-fills the hole if asked, runs :func:`sampler.sample` and
returns the decoded crop, which the pipeline composites exactly.

Engine options are declared in :data:`inpaintkit.engines.tables.DIFFUSION`; the CLI
sets them from ``--model``, ``--prompt``, ``--steps`` and friends. The call context
brings the per-step progress callback, the report this engine fills with what it did
(model kind, device, dtype, retries) and a control image cropped like the photo. With
``reference`` and ``ip_adapter`` the run is steered by a picture too
(:mod:`.ip_adapter`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from inpaintkit.engines.base import CallContext, Capabilities, Engine, PlanHints
from inpaintkit.engines.diffusion.device import (
    choose_placement,
    describe_bytes,
    estimate_bytes,
    free_memory,
    out_of_memory_as_error,
)
from inpaintkit.engines.diffusion.models import LoadedModel, load_model
from inpaintkit.engines.diffusion.options import DiffusionOptions, for_family
from inpaintkit.engines.diffusion.sampler import Sampling, sample
from inpaintkit.engines.registry import ENGINES, run_engine
from inpaintkit.engines.tables import CANNY, CLASSICAL_PREFILLS
from inpaintkit.errors import InvalidParameterError

__all__ = ["CLASSICAL_PREFILLS", "DiffusionEngine", "canny_control"]

_MEMORY_HEADROOM = 0.85  # turn on slicing/tiling when the estimate passes this share


def canny_control(image: np.ndarray, *, low: int = 100, high: int = 200) -> np.ndarray:
    """Canny edges of an H×W×3 float picture as a 3-channel control image in [0, 1]."""
    grey = cv2.cvtColor((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, low, high).astype(np.float32) / 255.0
    return np.repeat(edges[..., None], 3, axis=2)


def _model_width(pipe: Any) -> int:
    """The denoiser's first feature width (UNet block 0, or the transformer's width)."""
    if hasattr(pipe, "unet"):
        return int(pipe.unet.config.block_out_channels[0])
    config = pipe.transformer.config
    return int(config.num_attention_heads * config.attention_head_dim)


class DiffusionEngine(Engine):
    name = "diffusion"
    capabilities: Capabilities = ENGINES["diffusion"].capabilities

    def model(self, options: DiffusionOptions) -> LoadedModel:
        placement = choose_placement(options.device, options.dtype)
        return load_model(options.model, options.model_config, placement, options.controlnet)

    def plan_hints(self, options: Mapping[str, Any]) -> PlanHints:
        """Working size and multiple for the region plan: the model's native size."""
        chosen = DiffusionOptions.from_resolved(options)
        kind = self.model(chosen).kind
        working_size = chosen.working_size or kind.native_size
        if working_size % kind.size_multiple:
            raise InvalidParameterError(
                f"{{working_size}} must be a multiple of {kind.size_multiple} for this model",
                options={"working_size": None},
            )
        return PlanHints(working_size, kind.size_multiple)

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        chosen = DiffusionOptions.from_resolved(options)
        model = self.model(chosen)
        chosen = for_family(chosen, model.kind.family)
        seed = context.seed
        report = context.report
        height, width = mask.shape
        multiple = model.kind.size_multiple
        if height % multiple or width % multiple:
            raise InvalidParameterError(
                f"this model needs sides that are multiples of {multiple}, got {width}×{height}"
            )
        start = image
        if chosen.masked_content in CLASSICAL_PREFILLS:
            start = run_engine(chosen.masked_content, image, mask, seed=seed)
        job = Sampling(
            image=image,
            start=start,
            mask=mask,
            seed=seed,
            control=self._control(chosen, image, model, context),
            on_step=context.on_step,
            report=report,
        )
        needed = self._prepare_memory(model, chosen, width, height, report)
        with out_of_memory_as_error(
            device=model.placement.device, needed=needed, working_size=max(width, height)
        ):
            if chosen.ip_adapter is None or chosen.reference is None:
                return sample(model, chosen, job)
            return self._sample_with_reference(model, chosen, job)

    def _sample_with_reference(
        self, model: LoadedModel, options: DiffusionOptions, job: Sampling
    ) -> np.ndarray:
        """Sample with the IP-Adapter loaded for this call only (see :mod:`.ip_adapter`)."""
        from inpaintkit.engines.diffusion.ip_adapter import attached_ip_adapter
        from inpaintkit.imageio import load_image

        assert options.ip_adapter is not None and options.reference is not None
        reference = load_image(options.reference).as_float()
        with attached_ip_adapter(
            model,
            weights=options.ip_adapter,
            encoder=options.ip_adapter_encoder,
            reference=reference,
            scale=options.ip_adapter_scale,
        ) as embeds:
            job.report["ip_adapter"] = {"scale": options.ip_adapter_scale}
            return sample(model, options, replace(job, image_embeds=embeds))

    def _control(
        self,
        options: DiffusionOptions,
        image: np.ndarray,
        model: LoadedModel,
        context: CallContext,
    ) -> np.ndarray | None:
        if model.controlnet is None:
            return None
        if options.control_image == CANNY:
            return canny_control(image)
        control = context.guides.get("control_image")
        if control is None or control.shape[:2] != image.shape[:2]:
            raise InvalidParameterError(
                "{control_image} must be 'canny' or an image of the photo's size "
                "(the pipeline crops it with the same plan as the photo)",
                options={"control_image": None},
            )
        return control.astype(np.float32)

    def _prepare_memory(
        self,
        model: LoadedModel,
        options: DiffusionOptions,
        width: int,
        height: int,
        report: dict[str, Any],
    ) -> int:
        """Estimate the run's memory; slice attention and tile the VAE when it is tight."""
        pipe = model.pipe
        needed = estimate_bytes(
            model.weights_bytes,
            width=width,
            height=height,
            batch=2 if model.kind.family != "flux" and (options.guidance or 0) > 1 else 1,
            element_size=model.placement.dtype.itemsize,
            unet_width=_model_width(pipe),
        )
        free = free_memory(model.placement.device)
        tight = free is not None and needed > _MEMORY_HEADROOM * (free + model.weights_bytes)
        if tight:
            pipe.enable_attention_slicing()
            pipe.vae.enable_tiling()
        report.update(
            model_kind=model.kind.path,
            model_family=model.kind.family,
            model=model.kind.describe(),
            device=model.placement.device,
            dtype=model.placement.dtype_name,
            memory_estimate=describe_bytes(needed),
            memory_saving=tight,
            masked_content=options.masked_content,
            controlnet=model.controlnet is not None,
        )
        return needed
