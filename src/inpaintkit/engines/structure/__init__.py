"""``structure``: the best fill that needs no model.

A multi-scale structure + texture fill. The crop is halved until the hole is small; there
a smooth diffusion fill (Navier-Stokes) estimates the structure. Going back up, a
data-parallel PatchMatch finds for every hole pixel a known patch whose colours *and*
smooth-fill guide match, the matched patches vote the pixel's colour, and the matches are
carried up to seed the next level, so edges found at coarse scale continue into the hole
while texture is copied sharp from the photo. Finally the fill's low frequencies are
pulled part way toward the smooth fill. Deterministic for a given seed; a soft mask is
honoured by the pipeline's composite (the engine fills ``mask > 0``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inpaintkit.engines.base import Capabilities, int_param
from inpaintkit.engines.registry import ENGINES
from inpaintkit.engines.structure.synthesis import fill_structure
from inpaintkit.errors import InvalidParameterError

__all__ = ["StructureEngine", "fill_structure"]


class StructureEngine:
    name = "structure"
    capabilities: Capabilities = ENGINES["structure"].capabilities

    def inpaint(
        self, image: np.ndarray, mask: np.ndarray, *, params: Mapping[str, Any]
    ) -> np.ndarray:
        patch_size = int_param(params, "patch_size", 7, 3, 15)
        if patch_size % 2 == 0:
            raise InvalidParameterError(f"patch_size must be odd, got {patch_size}")
        iterations = int_param(params, "iterations", 4, 1, 20)
        hole = mask > 0
        image = np.asarray(image, np.float32)
        if not hole.any():
            return image.copy()
        return fill_structure(
            image,
            hole,
            patch_size=patch_size,
            iterations=iterations,
            seed=int(params["seed"]),
        )
