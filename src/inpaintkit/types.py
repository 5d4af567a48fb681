"""Plain data shared by every stage: geometry tuples, the region plan, lint findings, results.

Geometry is half-open pixel boxes and integer extents; pure functions over them live in
:mod:`inpaintkit.prepare.geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class Extent(NamedTuple):
    """A size in pixels.

    >>> Extent(640, 480).area
    307200
    """

    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    def __str__(self) -> str:
        return f"{self.width}×{self.height}"


class Box(NamedTuple):
    """A half-open pixel rectangle: columns x0..x1-1, rows y0..y1-1.

    >>> b = Box(10, 20, 30, 60)
    >>> (b.width, b.height, b.area)
    (20, 40, 800)
    """

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def extent(self) -> Extent:
        return Extent(self.width, self.height)

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    @property
    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index an ``H×W[×C]`` array with ``array[box.slices]``."""
        return (slice(self.y0, self.y1), slice(self.x0, self.x1))


@dataclass(frozen=True)
class Region:
    """One crop the engine works on.

    ``crop`` is the box cut from the full image (mask bounding box plus context, snapped
    to the engine's multiple and clipped to the image); ``mask_box`` is the tight bounding
    box of the masked pixels inside it; ``working_size`` is the size the engine sees after
    resizing the crop (equal to ``crop.extent`` when no resize is needed).
    """

    crop: Box
    mask_box: Box
    working_size: Extent

    @property
    def scale(self) -> float:
        """Working size over crop size (1.0 = no resize)."""
        return self.working_size.width / max(self.crop.width, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "crop": list(self.crop),
            "mask_box": list(self.mask_box),
            "working_size": list(self.working_size),
        }


@dataclass(frozen=True)
class Plan:
    """The record of how an image is cut into regions and mapped back (convention 6)."""

    image_size: Extent
    regions: tuple[Region, ...]
    padding: int | None
    multiple: int
    working_size: int | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_size": list(self.image_size),
            "padding": self.padding,
            "multiple": self.multiple,
            "working_size": self.working_size,
            "regions": [r.to_dict() for r in self.regions],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            image_size=Extent(*data["image_size"]),
            regions=tuple(
                Region(
                    crop=Box(*r["crop"]),
                    mask_box=Box(*r["mask_box"]),
                    working_size=Extent(*r["working_size"]),
                )
                for r in data["regions"]
            ),
            padding=data["padding"],
            multiple=int(data["multiple"]),
            working_size=data.get("working_size"),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class LintFinding:
    """Something about a mask a user should know before they run it.

    ``code`` is a stable identifier (e.g. ``"thin-stroke"``), ``severity`` one of
    ``"info"``, ``"warning"``, ``"error"``.
    """

    code: str
    severity: str
    message: str
    box: Box | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "box": list(self.box) if self.box is not None else None,
        }


@dataclass
class Result:
    """What :func:`inpaintkit.inpaint` returns.

    ``image`` has the input's own dtype and layout (uint8, uint16 or float; H×W grey,
    H×W×1, RGB or RGBA as it came), so pixels outside the mask are bit-identical to the
    input. A palette photo comes back as RGB(A) with its ``palette``, which
    :func:`inpaintkit.save_result` uses to write it back in palette mode.
    """

    image: np.ndarray
    mask: np.ndarray
    plan: Plan
    engine: str
    seed: int
    seam_score: float
    findings: list[LintFinding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    icc_profile: bytes | None = None  # the input's colour profile, to write back with the image
    palette: np.ndarray | None = None  # a palette photo's colours (N×3 or N×4 uint8)
    # What the engine did, in its own words (e.g. the diffusion model kind, device, dtype).
    details: dict[str, Any] = field(default_factory=dict)
    # With num_images > 1: the other results, each from its own seed (seed + k).
    variants: tuple[Result, ...] = ()
