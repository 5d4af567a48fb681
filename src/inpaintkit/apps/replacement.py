"""Replace a part of a photo with what a prompt describes (object replacement, virtual
try-on): a mask from a file, a box or clicks (grown a little, as for
:func:`~inpaintkit.apps.removal.remove`), then the diffusion engine with the prompt.

Replacing needs a generative model: without ``model=`` it is an error that says so. The
diffusion engine's own options (``strength=``, ``steps=``, ``guidance=``, ...) pass
through. Pixels outside the grown mask are kept bit for bit, and the recipe replays like
``remove``'s (``inpaintkit replace`` writes the mask beside the result).

A reference picture of the garment or object steers the fill through an IP-Adapter
whose weights the user supplies: ``reference=``, ``ip_adapter=`` (and
``ip_adapter_scale=``), options of the diffusion engine
(:mod:`inpaintkit.engines.diffusion.ip_adapter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace as replaced
from typing import Any

from inpaintkit.apps.removal import PointLike, default_grow, object_mask, parse_box, parse_point
from inpaintkit.errors import InvalidParameterError
from inpaintkit.types import Box, Result

__all__ = ["replace"]

DIFFUSION = "diffusion"


def replace(
    image: Any,
    *,
    prompt: str,
    mask: Any = None,
    box: Box | Sequence[int] | str | None = None,
    points: Sequence[PointLike] = (),
    negatives: Sequence[PointLike] = (),
    grow: int | None = None,
    model: str | None = None,
    seed: int | None = None,
    **options: Any,
) -> Result:
    """Repaint the part of ``image`` given by ``mask``, ``box`` or ``points`` (and
    ``negatives``) as ``prompt`` says, with the diffusion ``model``. The mask is grown by
    ``grow`` px (default :func:`~inpaintkit.apps.removal.default_grow`; a ``mask`` you
    give is thresholded at 0.5 and not grown unless you set ``grow``). Other keywords
    are the diffusion engine's options (``strength``, ``steps``, ``guidance``, ...).
    """
    from inpaintkit.imageio import load_image
    from inpaintkit.mask.refine import grow as grow_mask
    from inpaintkit.pipeline import inpaint

    if model is None:
        raise InvalidParameterError(
            "replace paints new content and needs a diffusion model: pass {model} (a "
            "diffusers inpainting folder or a .safetensors checkpoint)",
            options={"model": "PATH"},
        )
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidParameterError(
            "replace needs {prompt}: say what to paint in the masked part",
            options={"prompt": "a red wool sweater"},
        )
    engine = options.pop("engine", DIFFUSION)
    if engine != DIFFUSION:
        raise InvalidParameterError(
            f"replace runs the diffusion engine, not {engine!r}; leave {{engine}} out",
            options={"engine": DIFFUSION},
        )
    picture = load_image(image)
    found, method = object_mask(
        picture.as_float(), mask=mask, box=box, points=points, negatives=negatives
    )
    if grow is None:
        grow = 0 if method == "mask" else default_grow(found)
    if isinstance(grow, bool) or not isinstance(grow, int) or not 0 <= grow <= 4096:
        raise InvalidParameterError(
            f"grow is {grow!r}; pass {{grow}} as whole pixels from 0 to 4096",
            options={"grow": 8},
        )
    used = grow_mask(found, pixels=grow) if grow else found
    result = inpaint(
        image, used, engine=DIFFUSION, model=model, prompt=prompt, seed=seed, **options
    )
    app = {
        "name": "replace",
        "method": method,
        "box": list(parse_box(box, *picture.size)) if box is not None else None,
        "points": [list(parse_point(p, *picture.size, "points")) for p in points],
        "negatives": [list(parse_point(p, *picture.size, "negatives")) for p in negatives],
        "grow": grow,
    }
    return replaced(result, recipe={**result.recipe, "app": app})
