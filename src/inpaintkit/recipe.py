"""The recipe stored in every PNG inpaintkit writes: enough to know and redo the job.

It records the version, engine, options, seed, the sha256 of the inputs and the plan.
"""

from __future__ import annotations

from typing import Any

from inpaintkit._version import __version__
from inpaintkit.schema import Request
from inpaintkit.types import Plan

RECIPE_FORMAT = 1


def build_recipe(
    request: Request,
    *,
    engine: str,
    seed: int,
    plan: Plan,
    image_sha256: str,
    mask_sha256: str,
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
        "image": {"source": image_source, "sha256": image_sha256},
        "mask": {"source": mask_source, "sha256": mask_sha256},
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
