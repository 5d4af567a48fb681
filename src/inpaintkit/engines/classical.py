"""Classical fills that need no model weights: OpenCV's Telea and Navier-Stokes, PatchMatch.

They fill the binary hole ``mask > 0``; a soft mask is honoured later by compositing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from inpaintkit.convert import from_float, to_float32
from inpaintkit.engines.base import CallContext, Capabilities, Engine
from inpaintkit.engines.registry import ENGINES


def _hole(mask: np.ndarray) -> np.ndarray:
    return (mask > 0).astype(np.uint8)


class _OpenCVEngine(Engine):
    name: str
    flag: int
    capabilities: Capabilities

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        radius = options["radius"]
        hole = _hole(mask)
        levels = image * 255.0
        eight_bit = np.rint(levels)
        if np.array_equal(levels, eight_bit):
            filled = cv2.inpaint(eight_bit.astype(np.uint8), hole, radius, self.flag)
            return to_float32(filled)
        # Finer than 8 bits (a 16-bit photo): OpenCV fills 3 channels only as uint8, so fill
        # one float channel at a time. Telea's float path misbehaves on [0, 1] data in
        # OpenCV 5, but is exact on the 0..255 scale it was written for.
        channels = [
            cv2.inpaint(np.ascontiguousarray(levels[..., c]), hole, radius, self.flag)
            for c in range(3)
        ]
        return np.clip(np.stack(channels, axis=-1) / 255.0, 0.0, 1.0).astype(np.float32)


class TeleaEngine(_OpenCVEngine):
    name = "telea"
    flag = cv2.INPAINT_TELEA
    capabilities = ENGINES["telea"].capabilities


class NavierStokesEngine(_OpenCVEngine):
    name = "navier-stokes"
    flag = cv2.INPAINT_NS
    capabilities = ENGINES["navier-stokes"].capabilities


class PatchMatchEngine(Engine):
    name = "patchmatch"
    capabilities = ENGINES["patchmatch"].capabilities

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        import patchmatch

        patch_size = options["patch_size"]
        # The native library keeps one global generator: seed it right before each call.
        patchmatch.set_random_seed(context.seed & 0x7FFFFFFF)
        image8 = from_float(image, np.uint8)
        filled = patchmatch.inpaint(image8, _hole(mask) * 255, patch_size=patch_size)
        return to_float32(np.asarray(filled))
