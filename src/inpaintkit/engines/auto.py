"""``auto``: choose a fill per region from the shape of its hole.

Thin strokes (scratches, wires, text) are best closed by a smooth diffusion fill, which
is fast and leaves nothing to see at that width; wider holes need structure and texture,
which the ``structure`` engine provides. The width of a hole is twice the largest
distance from a hole pixel to the nearest kept pixel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from inpaintkit.engines.base import CallContext, Capabilities, Engine
from inpaintkit.engines.registry import ENGINES, engine_entry, run_engine

THIN_STROKE_WIDTH = 9.0  # px; holes up to this wide are filled by diffusion


def hole_width(mask: np.ndarray) -> float:
    """Width in pixels of the widest part of ``mask > 0``.

    >>> m = np.zeros((20, 20), np.float32); m[5:15, 9:12] = 1
    >>> hole_width(m)
    4.0
    """
    hole = np.pad((mask > 0).astype(np.uint8), 1)
    if not hole.any():
        return 0.0
    distance = cv2.distanceTransform(hole, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return float(2.0 * np.ceil(distance.max()))


def choose_engine(mask: np.ndarray) -> str:
    """``telea`` for holes at most :data:`THIN_STROKE_WIDTH` wide, else ``structure``."""
    return "telea" if hole_width(mask) <= THIN_STROKE_WIDTH else "structure"


class AutoEngine(Engine):
    name = "auto"
    capabilities: Capabilities = ENGINES["auto"].capabilities

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        chosen = choose_engine(mask)
        own = {k: v for k, v in options.items() if k in engine_entry(chosen).options.names}
        return run_engine(chosen, image, mask, context=context, **own)
