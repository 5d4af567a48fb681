"""The one protocol every engine implements.

An engine sees a float32 RGB crop in [0, 1] (H×W×3) and a float32 mask (H×W, 1 =
regenerate) already cut, resized and seeded by the pipeline, and returns a float32 RGB
crop of the same size. Cropping, resizing, compositing and seeding stay in the pipeline,
so an engine is only the fill itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from inpaintkit.errors import InvalidParameterError


@dataclass(frozen=True)
class Capabilities:
    """What an engine needs and honours; the pipeline plans around it."""

    needs_prompt: bool = False
    honours_soft_mask: bool = False
    size_multiple: int = 1
    preferred_working_size: int | None = None
    deterministic: bool = True
    description: str = ""
    params: tuple[str, ...] = ()  # engine options a user may set (besides the seed)
    # Context in pixels the engine needs around a hole; None = in proportion to the hole,
    # for fills that copy texture from around it.
    context: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def int_param(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """An integer engine option within ``[low, high]``, or a clear error.

    >>> int_param({"radius": 3}, "radius", 5, 1, 64)
    3
    """
    value = params.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (low <= int(value) <= high)
    ):
        raise InvalidParameterError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def float_param(
    params: Mapping[str, Any], name: str, default: float, low: float, high: float
) -> float:
    """A numeric engine option within ``[low, high]``, or a clear error.

    >>> float_param({"strength": 0.4}, "strength", 1.0, 0.0, 1.0)
    0.4
    """
    value = params.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not (low <= float(value) <= high)
    ):
        raise InvalidParameterError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


@runtime_checkable
class Engine(Protocol):
    name: str
    capabilities: Capabilities

    def inpaint(
        self, image: np.ndarray, mask: np.ndarray, *, params: Mapping[str, Any]
    ) -> np.ndarray:
        """Fill ``mask > 0`` in ``image``; ``params`` always carries an integer ``seed``.

        Returning ``image`` itself (the same object) means "nothing to change here": the
        pipeline then keeps the photo's pixels instead of compositing a resized copy.
        """
        ...
