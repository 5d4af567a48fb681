"""Where a model runs, in which precision, and whether it fits.

``auto`` picks CUDA, then Apple's MPS, then the CPU; half precision (fp16 on CUDA and
MPS) only on an accelerator, since CPUs run fp16 slowly or not at all. The memory
estimate is deliberately simple (weights + activations that scale with the latent
area) and is used for two decisions: turn on attention slicing / VAE tiling when the
estimate is close to what is free, and say in an out-of-memory message what to change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from inpaintkit.errors import InpaintKitError, InvalidParameterError

_GIB = 1024**3


class OutOfMemoryError(InpaintKitError, MemoryError):
    """A run did not fit in the device's memory; the message says what to change."""


class DiffusionFailedError(InpaintKitError):
    """The model produced NaN/Inf (e.g. an fp16 overflow) even after the fp32 retry."""


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: Any  # a torch.dtype

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")


def choose_placement(device: str, dtype: str) -> Placement:
    """Resolve ``auto`` device/dtype and check an explicit choice is available."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            "device cuda was asked for but torch sees no CUDA GPU here; use --device cpu "
            "(or auto), or install a CUDA build of torch"
        )
    elif device == "mps" and not torch.backends.mps.is_available():
        raise InvalidParameterError("device mps was asked for but is not available; use cpu")
    if dtype == "auto":
        dtype = "float32" if device == "cpu" else "float16"
    return Placement(device, getattr(torch, dtype))


def free_memory(device: str) -> int | None:
    """Bytes free on ``device`` now, or None when it cannot be told."""
    import torch

    if device == "cuda":
        free, _ = torch.cuda.mem_get_info()
        return int(free)
    if device == "cpu" and hasattr(os, "sysconf"):
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            return None
    return None


def module_bytes(*modules: Any) -> int:
    """Bytes of parameters and buffers of the given torch modules (None skipped)."""
    total = 0
    for module in modules:
        if module is None:
            continue
        for tensor in (*module.parameters(), *module.buffers()):
            total += tensor.numel() * tensor.element_size()
    return total


def estimate_bytes(
    weights: int, *, width: int, height: int, batch: int, element_size: int, unet_width: int
) -> int:
    """Weights plus activations for one UNet call and one VAE decode at this size.

    A rough model: UNet activations scale with the latent area, the batch (2 with
    classifier-free guidance) and the UNet's first block width; the VAE decoder keeps a
    few full-resolution 128..512-channel maps alive. Checked against one measurement
    (benchmarks/diffusion_bench.py, SD 1.5 inpainting, fp32 on the CPU, 512²): estimate
    5.0 GiB, peak RSS 5.7 GiB, which includes ~0.5 GiB of Python and torch themselves.
    """
    latent_area = (width // 8) * (height // 8)
    unet = 24 * batch * latent_area * unet_width * element_size
    vae = 6 * width * height * 128 * element_size
    return weights + unet + vae


def describe_bytes(count: int) -> str:
    return f"{count / _GIB:.1f} GiB"


@contextmanager
def out_of_memory_as_error(*, device: str, needed: int, working_size: int) -> Iterator[None]:
    """Turn torch's out-of-memory errors into one message with what to change."""
    import torch

    try:
        yield
    except (torch.OutOfMemoryError, MemoryError, RuntimeError) as error:
        text = str(error).lower()
        if not isinstance(error, torch.OutOfMemoryError | MemoryError) and not (
            "out of memory" in text or "can't allocate memory" in text
        ):
            raise
        smaller = max(256, (working_size // 2) // 64 * 64)
        raise OutOfMemoryError(
            f"out of memory on {device} (this run needs about {describe_bytes(needed)}): "
            f"use a smaller working size (--param working_size={smaller}), fewer images, "
            "--param dtype=float16 on a GPU, or close other programs using the "
            f"{'GPU' if device != 'cpu' else 'memory'}"
        ) from None
