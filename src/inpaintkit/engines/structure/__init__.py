"""``structure``: the best fill that needs no model.

A multi-scale structure + texture fill. The crop is halved until the hole is small; there
a diffusion fill (Navier-Stokes) and exemplar fills (pypatchmatch) estimate the
structure. Going back up, a data-parallel PatchMatch finds for every hole pixel a known
patch whose colours, structure guide *and* local texture amplitude match (so a grainy
neighbourhood gets grainy patches, not the smooth ones a blurry first estimate favours),
the matched patches vote the pixel's colour, and the matches are carried up to seed the
next level, so edges found at coarse scale continue into the hole while texture is
copied sharp from the photo. Finally the fill keeps only its finest detail (σ = 1 px)
over the low frequencies of the structure estimate (diffusion plus averaged exemplar
fills). Deterministic for a given seed; a soft mask is honoured by the pipeline's
composite (the engine fills ``mask > 0``). Known limit: a thin bar continues across
holes up to about 56 px; wider holes are halved first and a 2 px bar no longer survives
the coarse exemplar fill.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inpaintkit.engines.base import CallContext, Capabilities, Engine
from inpaintkit.engines.registry import ENGINES
from inpaintkit.engines.structure.synthesis import fill_structure

__all__ = ["StructureEngine", "fill_structure"]


class StructureEngine(Engine):
    name = "structure"
    capabilities: Capabilities = ENGINES["structure"].capabilities

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        hole = mask > 0
        image = np.asarray(image, np.float32)
        if not hole.any():
            return image.copy()
        return fill_structure(
            image,
            hole,
            patch_size=options["patch_size"],
            iterations=options["iterations"],
            seed=context.seed,
        )
