"""The diffusion engine's options as one frozen record.

The options are declared, checked and defaulted by the table in
:mod:`inpaintkit.engines.tables` (``DIFFUSION``); the engine receives them resolved and
only turns them into a :class:`DiffusionOptions` and fills in what depends on the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from inpaintkit.engines.tables import SCHEDULERS
from inpaintkit.errors import InvalidParameterError

__all__ = ["DEFAULT_GUIDANCE", "SCHEDULERS", "DiffusionOptions", "for_family"]


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
    control_image: Any = None  # "canny", or None; a guide image comes in the call context
    control_scale: float = 1.0
    reference: str | None = None  # a picture for the IP-Adapter
    ip_adapter: str | None = None
    ip_adapter_encoder: str | None = None
    ip_adapter_scale: float = 0.6

    @classmethod
    def from_resolved(cls, options: Mapping[str, Any]) -> DiffusionOptions:
        """From options the engine's table has checked and defaulted."""
        return cls(**{f.name: options[f.name] for f in fields(cls)})


# FLUX Fill is guidance-distilled: its "guidance" is an input of the model, not
# classifier-free guidance, and its usual value is much higher.
DEFAULT_GUIDANCE = {"sd": 7.5, "sdxl": 7.5, "flux": 30.0}


def for_family(options: DiffusionOptions, family: str) -> DiffusionOptions:
    """Fill in what depends on the model: the default guidance; reject what it lacks."""
    if family == "flux":
        if options.ip_adapter is not None:
            raise InvalidParameterError(
                "FLUX Fill takes no IP-Adapter here; leave out {ip_adapter} and {reference}",
                options={"ip_adapter": None, "reference": None},
            )
        if options.negative_prompt:
            raise InvalidParameterError(
                "FLUX Fill takes no negative prompt; leave out {negative_prompt}",
                options={"negative_prompt": None},
            )
        if options.masked_content in ("latent-noise", "latent-nothing"):
            raise InvalidParameterError(
                f"{{masked_content}} {options.masked_content!r} is not available with FLUX "
                "Fill; use original or a classical engine's pre-fill",
                options={"masked_content": None},
            )
    if options.guidance is not None:
        return options
    return replace(options, guidance=DEFAULT_GUIDANCE[family])
