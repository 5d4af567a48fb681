"""The recipe stored in every PNG inpaintkit writes: enough to know and redo the job.

It records the version, engine, options, seed, the digests of the inputs and the plan.
Format 2 records ``digest`` (BLAKE3, :func:`~inpaintkit.imageio.digest_of`); format 1
recorded ``sha256``, which :func:`inpaintkit.replay` still checks.
"""

from __future__ import annotations

from typing import Any

from inpaintkit._version import __version__
from inpaintkit.schema import Request
from inpaintkit.types import Plan

RECIPE_FORMAT = 2


def build_recipe(
    request: Request,
    *,
    engine: str,
    seed: int,
    plan: Plan,
    image_digest: str,
    mask_digest: str,
    image_source: str,
    mask_source: str,
) -> dict[str, Any]:
    options = request.model_dump(exclude={"image", "mask", "seed", "engine"})
    return {
        "format": RECIPE_FORMAT,
        "inpaintkit": __version__,
        "engine": engine,
        "seed": seed,
        "options": options,
        "image": {"source": image_source, "digest": image_digest},
        "mask": {"source": mask_source, "digest": mask_digest},
        "plan": plan.to_dict(),
    }


def request_from_recipe(
    recipe: dict[str, Any], *, image: str | None = None, mask: str | None = None
) -> Request:
    """The request that reproduces ``recipe``; ``image``/``mask`` override the stored paths."""
    from inpaintkit.schema import make_request

    recorded_mask = recipe["mask"]["source"]
    return make_request(
        image=image or recipe["image"]["source"],
        mask=mask or (None if recorded_mask == "<none>" else recorded_mask),
        engine=recipe["engine"],
        seed=recipe["seed"],
        **recipe["options"],
    )
