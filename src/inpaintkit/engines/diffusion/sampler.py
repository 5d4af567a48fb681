"""The denoising loop: noise added and removed only where the mask releases it.

One loop serves both model kinds and soft masks:

* the **latent mask** is :func:`~inpaintkit.mask.refine.mask_for_latent` of the pixel
  mask (max-pooling over 8×8 cells), so a 1 px stroke still marks its latent cell —
  a plain resize, as other tools do, drops strokes thinner than a cell;
* **blended latents** (4-channel models, and any model with a soft mask): before every
  step, latents a pixel has not been released for are replaced by the original's
  latents noised to that step, and after the last step by the clean original;
* **differential diffusion** (soft masks): a latent cell with mask value ``m`` is
  released at step ``i`` of ``n`` once ``m > 1 - (i + 1) / n`` — a cell at 1 changes
  for the whole schedule, one at 0.3 only for the last 30 %, one at 0 never, so the
  change grows with the mask value instead of flipping at a threshold;
* ``strength`` < 1 starts the schedule part-way, from the (pre-filled) picture noised
  to that step, as img2img does;
* an IP-Adapter's image embeddings (:mod:`.ip_adapter`) reach every UNet call as
  ``added_cond_kwargs["image_embeds"]``, doubled for guidance as the prompt's are.

The decoded crop still goes through the pipeline's exact compositing, which throws
away what the VAE round trip did to kept pixels. NaN/Inf in the latents stop the run
with a clear error; NaN/Inf after decoding (the fp16 VAE "black image") trigger one
retry of the decode in fp32.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inpaintkit.engines.diffusion.device import DiffusionFailedError
from inpaintkit.engines.diffusion.models import LoadedModel
from inpaintkit.engines.diffusion.options import SCHEDULERS, DiffusionOptions
from inpaintkit.mask.refine import mask_for_latent

StepCallback = Callable[[int, int], None]


@dataclass
class Sampling:
    """What one crop needs besides the model: the pictures, seed and hooks."""

    image: np.ndarray  # H×W×3 float32 in [0, 1], the original crop
    start: np.ndarray  # the picture the schedule starts from (original or pre-filled)
    mask: np.ndarray  # H×W float32, 1 = regenerate
    seed: int
    control: np.ndarray | None = None  # H×W×3 float32 control image, or None
    # IP-Adapter (positive, negative) image embeddings, or None (see ip_adapter.py)
    image_embeds: tuple[Any, Any] | None = None
    on_step: StepCallback | None = None
    report: dict[str, Any] = field(default_factory=dict)


def make_scheduler(model: LoadedModel, name: str | None) -> Any:
    """A fresh scheduler per run: schedulers keep state, and a cached model is shared."""
    import diffusers

    base = model.pipe.scheduler
    scheduler_class = type(base) if name is None else getattr(diffusers, SCHEDULERS[name])
    return scheduler_class.from_config(base.config)


def _to_tensor(picture: np.ndarray, model: LoadedModel, *, signed: bool) -> Any:
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(picture.transpose(2, 0, 1)))[None]
    if signed:
        tensor = tensor * 2 - 1
    return tensor.to(model.placement.device, model.placement.dtype)


def _encode(model: LoadedModel, picture: np.ndarray | Any) -> Any:
    """Scaled latents of a picture: an H×W×3 array in [0, 1] or a signed 1×3×H×W tensor."""
    vae = model.pipe.vae
    pixels = _to_tensor(picture, model, signed=True) if isinstance(picture, np.ndarray) else picture
    latents = vae.encode(pixels.to(vae.dtype)).latent_dist.mode()
    return (latents * vae.config.scaling_factor).to(model.placement.dtype)


def decode(model: LoadedModel, latents: Any, report: dict[str, Any]) -> np.ndarray:
    """Latents to an H×W×3 float32 picture, retrying in fp32 if half precision overflows."""
    import torch

    vae = model.pipe.vae
    scaled = latents / vae.config.scaling_factor + (getattr(vae.config, "shift_factor", 0) or 0)
    pixels = vae.decode(scaled.to(vae.dtype), return_dict=False)[0]
    if not bool(torch.isfinite(pixels).all()):
        report["vae_fp32_retry"] = True
        original_dtype = vae.dtype
        vae.to(torch.float32)
        try:
            pixels = vae.decode(scaled.to(torch.float32), return_dict=False)[0]
        finally:
            vae.to(original_dtype)
        if not bool(torch.isfinite(pixels).all()):
            raise DiffusionFailedError(
                "the VAE decoded NaN/Inf even in float32 (a broken VAE or model file); "
                "no image was written. Try another VAE/model, or --param dtype=float32"
            )
    picture = (pixels[0].float() / 2 + 0.5).clamp(0, 1)
    return np.ascontiguousarray(picture.permute(1, 2, 0).cpu().numpy(), dtype=np.float32)


def _prompt_embeddings(model: LoadedModel, options: DiffusionOptions, guided: bool) -> dict:
    """Text embeddings (negative first when guided), plus SDXL's pooled/time inputs."""
    import torch

    pipe, device = model.pipe, model.placement.device
    negative = options.negative_prompt or None
    if model.kind.family == "sd":
        positive, negative_embeds = pipe.encode_prompt(
            options.prompt, device, 1, guided, negative_prompt=negative
        )
        embeds = torch.cat([negative_embeds, positive]) if guided else positive
        return {"encoder_hidden_states": embeds}
    positive, negative_embeds, pooled, negative_pooled = pipe.encode_prompt(
        prompt=options.prompt,
        device=device,
        num_images_per_prompt=1,
        do_classifier_free_guidance=guided,
        negative_prompt=negative,
    )
    embeds = torch.cat([negative_embeds, positive]) if guided else positive
    text_embeds = torch.cat([negative_pooled, pooled]) if guided else pooled
    return {"encoder_hidden_states": embeds, "text_embeds": text_embeds}


def _sdxl_time_ids(model: LoadedModel, height: int, width: int, text_embeds: Any) -> Any:
    """SDXL's size conditioning: original size, crop corner, target (or aesthetic score).

    The count of values the UNet expects tells the base layout (6) from the refiner's (5).
    """
    import torch

    unet = model.pipe.unet
    per_value = unet.config.addition_time_embed_dim
    values = (unet.add_embedding.linear_1.in_features - text_embeds.shape[-1]) // per_value
    ids = [height, width, 0, 0, height, width] if values == 6 else [height, width, 0, 0, 6.0]
    tensor = torch.tensor([ids], dtype=text_embeds.dtype, device=text_embeds.device)
    return tensor.repeat(text_embeds.shape[0], 1)


def _release_schedule(latent_mask: Any, count: int) -> list[Any]:
    """Per step, which latent cells may change (differential diffusion)."""
    return [latent_mask > 1 - (i + 1) / count for i in range(count)]


def steps_to_run(options: DiffusionOptions) -> int:
    """Steps a run with this strength takes, counted as diffusers counts them."""
    return min(int(options.steps * options.strength), options.steps)


def _check_finite(latents: Any, step: int, total: int, model: LoadedModel) -> None:
    """Stop at the first step whose latents hold NaN/Inf: nothing after it can recover."""
    import torch

    if not bool(torch.isfinite(latents).all()):
        raise DiffusionFailedError(
            f"the model produced NaN/Inf at step {step} of {total} "
            f"({model.placement.dtype_name} overflow?); no image was written. Run with "
            "--param dtype=float32 (or bfloat16 on a GPU)"
        )


def _timesteps(scheduler: Any, options: DiffusionOptions, device: str) -> Any:
    scheduler.set_timesteps(options.steps, device=device)
    begin = (options.steps - steps_to_run(options)) * scheduler.order
    if hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(begin)
    return scheduler.timesteps[begin:]


def _start_latents(
    model: LoadedModel,
    options: DiffusionOptions,
    job: Sampling,
    original: Any,
    released: Any,
    generator: Any,
) -> Any:
    """The clean latents a part-way schedule starts from: the photo or its pre-fill,
    with fresh noise or zeros in the hole for the latent starts."""
    import torch
    from diffusers.utils.torch_utils import randn_tensor

    start = original if job.start is job.image else _encode(model, job.start)
    if options.masked_content == "latent-noise":
        fresh = randn_tensor(
            start.shape, generator=generator, device=start.device, dtype=start.dtype
        )
        return torch.where(released, fresh, start)
    if options.masked_content == "latent-nothing":
        return torch.where(released, torch.zeros_like(start), start)
    return start


def sample(model: LoadedModel, options: DiffusionOptions, job: Sampling) -> np.ndarray:
    """Inpaint one working-size crop; returns H×W×3 float32 in [0, 1]."""
    import torch

    with torch.inference_mode():
        if model.kind.path == "flux-fill":
            return _sample_flux_fill(model, options, job)
        return _sample(model, options, job)


def _sample_flux_fill(model: LoadedModel, options: DiffusionOptions, job: Sampling) -> np.ndarray:
    """FLUX.1 Fill through diffusers' own loop: its packed 2×2 latents and its mask
    channels (the pixel mask folded 8×8 into channels, so thin strokes survive) are the
    pipeline's business. Soft masks act through compositing only here."""
    import torch

    pipe, report = model.pipe, job.report
    height, width = job.mask.shape
    steps_run: list[int] = []

    def on_step_end(_pipe: Any, index: int, _timestep: Any, tensors: dict) -> dict:
        steps_run.append(index)
        _check_finite(tensors["latents"], len(steps_run), total, model)
        if job.on_step is not None:
            job.on_step(len(steps_run), total)
        return tensors

    total = steps_to_run(options)
    report.update(differential=False, scheduler=type(pipe.scheduler).__name__, steps_run=total)
    if total == 0:
        return job.image
    picture = torch.from_numpy(np.ascontiguousarray(job.start.transpose(2, 0, 1)))[None]
    hole = torch.from_numpy((job.mask > 0).astype(np.float32))[None, None]
    latents = pipe(
        prompt=options.prompt,
        image=picture,
        mask_image=hole,
        height=height,
        width=width,
        strength=options.strength,
        num_inference_steps=options.steps,
        guidance_scale=options.guidance,
        generator=torch.Generator("cpu").manual_seed(job.seed),
        output_type="latent",
        callback_on_step_end=on_step_end,
        return_dict=False,
    )[0]
    latents = unpack_flux_latents(latents, height, width, pipe.vae_scale_factor)
    return decode(model, latents, report)


def unpack_flux_latents(latents: Any, height: int, width: int, vae_scale_factor: int) -> Any:
    """FLUX's packed latents (batch, patches, 4·C: one token per 2×2 latent patch) back to
    the VAE's (batch, C, h, w) layout, as diffusers' private ``FluxPipeline._unpack_latents``
    does: kept here so a diffusers release may rename or change it without breaking us."""
    batch, _patches, packed_channels = latents.shape
    rows = 2 * (int(height) // (vae_scale_factor * 2))  # latent size, made even by packing
    columns = 2 * (int(width) // (vae_scale_factor * 2))
    channels = packed_channels // 4
    patches = latents.view(batch, rows // 2, columns // 2, channels, 2, 2)
    return patches.permute(0, 3, 1, 4, 2, 5).reshape(batch, channels, rows, columns)


def _sample(model: LoadedModel, options: DiffusionOptions, job: Sampling) -> np.ndarray:
    import torch
    from diffusers.utils.torch_utils import randn_tensor

    pipe, device, dtype = model.pipe, model.placement.device, model.placement.dtype
    report = job.report
    scheduler = make_scheduler(model, options.scheduler)
    timesteps = _timesteps(scheduler, options, device)
    report.update(steps_run=len(timesteps), scheduler=type(scheduler).__name__)
    if len(timesteps) == 0:  # strength too low for a single step: nothing may change
        return job.image
    generator = torch.Generator("cpu").manual_seed(job.seed)
    guidance = options.guidance if options.guidance is not None else 7.5
    guided = guidance > 1.0
    conditioning = _prompt_embeddings(model, options, guided)
    height, width = job.mask.shape

    latent_mask = torch.from_numpy(mask_for_latent(job.mask, scale=pipe.vae_scale_factor))
    latent_mask = latent_mask[None, None].to(device, dtype)
    released = latent_mask > 0
    soft = bool(((latent_mask > 0) & (latent_mask < 1)).any())
    blend = model.kind.path == "blended-latents" or soft
    # Encode the photo only when something reads its latents: blending needs them, a
    # start part-way down the schedule needs them; at strength 1 a 9-channel model with
    # a hard mask starts from pure noise and sees the photo through its masked-image
    # input only (as in diffusers, which skips this encode too).
    original = _encode(model, job.image) if blend or options.strength < 1.0 else None
    shape = (1, pipe.vae.config.latent_channels, *latent_mask.shape[-2:])
    noise = randn_tensor(shape, generator=generator, device=torch.device(device), dtype=dtype)
    if options.strength >= 1.0:
        latents = noise * scheduler.init_noise_sigma
    else:
        latents = scheduler.add_noise(
            _start_latents(model, options, job, original, released, generator), noise, timesteps[:1]
        )
    schedule = (
        _release_schedule(latent_mask, len(timesteps)) if soft else [released] * len(timesteps)
    )
    report["differential"] = soft

    extra: dict[str, Any] = {}
    if model.kind.path == "inpaint-unet":
        hole = torch.nn.functional.interpolate(released.to(dtype), size=(height, width))
        masked = _to_tensor(job.image, model, signed=True) * (hole < 0.5)
        extra["inpaint_inputs"] = torch.cat([released.to(dtype), _encode(model, masked)], dim=1)
    if model.kind.family == "sdxl":
        extra["added_cond_kwargs"] = {
            "text_embeds": conditioning["text_embeds"],
            "time_ids": _sdxl_time_ids(model, height, width, conditioning["text_embeds"]),
        }
    if job.image_embeds is not None:  # IP-Adapter: the reference beside the prompt
        positive, negative = job.image_embeds
        embeds = torch.cat([negative, positive]) if guided else positive
        extra["added_cond_kwargs"] = {
            **(extra.get("added_cond_kwargs") or {}),
            "image_embeds": [embeds],
        }
    control = None
    if model.controlnet is not None and job.control is not None:
        control = _to_tensor(job.control, model, signed=False)
        control = torch.cat([control] * 2) if guided else control

    takes_generator = "generator" in inspect.signature(scheduler.step).parameters
    for index, timestep in enumerate(timesteps):
        if blend:
            noised = scheduler.add_noise(original, noise, timestep.reshape(1))
            latents = torch.where(schedule[index], latents, noised)
        model_input = torch.cat([latents] * 2) if guided else latents
        model_input = scheduler.scale_model_input(model_input, timestep)
        unet_input = model_input
        if "inpaint_inputs" in extra:
            inputs = extra["inpaint_inputs"]
            inputs = torch.cat([inputs] * 2) if guided else inputs
            unet_input = torch.cat([model_input, inputs], dim=1)
        residuals: dict[str, Any] = {}
        if control is not None:
            down, mid = model.controlnet(
                model_input,
                timestep,
                encoder_hidden_states=conditioning["encoder_hidden_states"],
                controlnet_cond=control,
                conditioning_scale=options.control_scale,
                added_cond_kwargs=extra.get("added_cond_kwargs"),
                return_dict=False,
            )
            residuals = {
                "down_block_additional_residuals": down,
                "mid_block_additional_residual": mid,
            }
        prediction = pipe.unet(
            unet_input,
            timestep,
            encoder_hidden_states=conditioning["encoder_hidden_states"],
            added_cond_kwargs=extra.get("added_cond_kwargs"),
            return_dict=False,
            **residuals,
        )[0]
        if guided:
            unconditional, conditional = prediction.chunk(2)
            prediction = unconditional + guidance * (conditional - unconditional)
        step_options = {"generator": generator} if takes_generator else {}
        latents = scheduler.step(prediction, timestep, latents, return_dict=False, **step_options)[
            0
        ]
        _check_finite(latents, index + 1, len(timesteps), model)
        if job.on_step is not None:
            job.on_step(index + 1, len(timesteps))
    if original is not None and blend:
        latents = torch.where(latent_mask > 0, latents, original)
    return decode(model, latents, report)
