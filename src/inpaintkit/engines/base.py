"""The one protocol every engine implements, and the small call context it receives.

An engine sees a float32 RGB crop in [0, 1] (H×W×3) and a float32 mask (H×W, 1 =
regenerate) already cut, resized and seeded by the pipeline, and returns a float32 RGB
crop of the same size. Cropping, resizing, compositing and seeding stay in the pipeline,
so an engine is only the fill itself.

The call has two parts, kept apart on purpose: ``options`` are the user's engine options
(checked against the engine's table, defaults filled in), ``context`` is what the
pipeline hands over for this one call (seed, guide images cropped like the photo,
progress and a report the engine may write into).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

StepCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Capabilities:
    """What an engine needs and honours; the pipeline plans around it."""

    description: str = ""
    needs_prompt: bool = False
    honours_soft_mask: bool = False
    size_multiple: int = 1
    preferred_working_size: int | None = None
    deterministic: bool = True
    # Context in pixels the engine needs around a hole; None = in proportion to the hole,
    # for fills that copy texture from around it.
    context: int | None = None
    # A fill that continues what surrounds the hole has nothing to continue when the
    # mask covers the whole photo; a generative model paints from nothing (text-to-image).
    needs_surroundings: bool = True
    # Side of one latent cell in pixels, for models that work on latents (lint warns
    # about strokes thinner than a cell); None = the engine works per pixel.
    latent_scale: int | None = None
    # Options that hold a full-size guide image (e.g. a ControlNet control image): the
    # pipeline loads it at the photo's size and crops it with the same plan.
    guides: tuple[str, ...] = ()
    # A learned engine is ready only when it has weights: the option that names them,
    # and the environment variable that may stand in for it.
    model_option: str | None = None
    model_variable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PlanHints(NamedTuple):
    """What the region plan needs from the engine: working size (None = the crop's own)
    and the multiple every working side must be."""

    working_size: int | None
    multiple: int


@dataclass(frozen=True)
class CallContext:
    """What the pipeline hands an engine for one region, besides the pixels and options."""

    seed: int
    guides: Mapping[str, np.ndarray] = field(default_factory=dict)  # cropped like the photo
    on_step: StepCallback | None = None  # engines that work in steps report them here
    report: dict[str, Any] = field(default_factory=dict)  # what the engine did, for the user

    def step(self, done: int, total: int) -> None:
        if self.on_step is not None:
            self.on_step(done, total)


class Engine(Protocol):
    """The engine protocol. Engines subclass it to inherit the default :meth:`plan_hints`."""

    name: str
    capabilities: Capabilities

    def plan_hints(self, options: Mapping[str, Any]) -> PlanHints:
        """Working size and multiple for the plan; an engine whose model decides them
        (a diffusion model's native size) overrides this."""
        return PlanHints(self.capabilities.preferred_working_size, self.capabilities.size_multiple)

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        """Fill ``mask > 0`` in ``image``.

        Returning ``image`` itself (the same object) means "nothing to change here": the
        pipeline then keeps the photo's pixels instead of compositing a resized copy.
        """
        ...
