"""The pipeline: one short function that wires the stages together.

inputs → validate/convert → mask refine → plan regions → engine → composite → result.
Every front end calls :func:`run` (or :func:`inpaint`, its keyword-argument form).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from inpaintkit.composite import composite_region_into, match_colors, poisson_blend, seam_score
from inpaintkit.convert import to_float_rgb
from inpaintkit.engines.registry import (
    check_engine_params,
    engine_capabilities,
    get_engine,
    resolve_engine_name,
)
from inpaintkit.errors import InvalidInputError
from inpaintkit.imageio import ImageData, MaskData, load_image, load_mask, sha256_of
from inpaintkit.mask.lint import lint_mask
from inpaintkit.mask.refine import feather, grow
from inpaintkit.prepare.outpaint import extend_canvas
from inpaintkit.prepare.plan import crop_mask, crop_region, plan_regions, uncrop
from inpaintkit.recipe import build_recipe
from inpaintkit.schema import Request, make_request
from inpaintkit.types import LintFinding, Plan, Region, Result

Progress = Callable[[int, int], None]
ImageSource = Any  # a path, bytes or an array; imageio validates it
MaskSource = Any  # a path, a box string or an array


def inpaint(
    image: ImageSource,
    mask: MaskSource,
    *,
    engine: str = "auto",
    grow: int = 0,
    feather: float = 0.0,
    padding: int | None = None,
    seed: int | None = None,
    seam: str = "none",
    mask_resize: bool = False,
    invert_mask: bool = False,
    max_pixels: int | None = None,
    progress: Progress | None = None,
    **engine_params: Any,
) -> Result:
    """Inpaint ``mask`` (1 = regenerate) in ``image``; pixels where the mask is 0 are kept
    bit for bit. ``image`` and ``mask`` may be paths or arrays (uint8, uint16 or float32).

    >>> import numpy as np
    >>> photo = np.full((32, 32, 3), 200, np.uint8)
    >>> hole = np.zeros((32, 32), np.float32); hole[8:16, 8:16] = 1
    >>> result = inpaint(photo, hole, engine="telea", seed=0)
    >>> bool((result.image[hole == 0] == photo[hole == 0]).all())
    True
    """
    options: dict[str, Any] = {
        "engine": engine,
        "grow": grow,
        "feather": feather,
        "padding": padding,
        "seed": seed,
        "seam": seam,
        "mask_resize": mask_resize,
        "invert_mask": invert_mask,
        "engine_params": engine_params,
    }
    if max_pixels is not None:
        options["max_pixels"] = max_pixels
    for name, source in (("image", image), ("mask", mask)):
        if isinstance(source, str):
            options[name] = source
        elif hasattr(source, "__fspath__"):
            options[name] = str(source)
    return run(make_request(**options), image=image, mask=mask, progress=progress)


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def run(
    request: Request,
    *,
    image: ImageSource | None = None,
    mask: MaskSource | None = None,
    progress: Progress | None = None,
) -> Result:
    """Run one request; ``image``/``mask`` override the request's paths with loaded data."""
    engine_name = resolve_engine_name(request.engine)
    check_engine_params(engine_name, request.engine_params)
    capabilities = engine_capabilities(engine_name)
    clock = _Stopwatch()
    with clock.stage("load"):
        picture = load_image(_pick(image, request.image, "image"), max_pixels=request.max_pixels)
        mask_data = _load_mask(mask, request, picture)
    hashing = _hash_in_background(picture.pixels, mask_data.mask)
    with clock.stage("refine"):
        picture, refined, findings = _prepare_mask(picture, mask_data, request)
    with clock.stage("plan"):
        plan = plan_regions(
            picture.size,
            refined,
            padding=request.padding if request.padding is not None else capabilities.context,
            multiple=capabilities.size_multiple,
            working_size=capabilities.preferred_working_size,
        )
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    seam = _fill_regions(
        picture, refined, plan, engine_name, request, seed, hashing, clock, progress
    )
    image_sha256, mask_sha256 = hashing.result()
    recipe = build_recipe(
        request,
        engine=engine_name,
        seed=seed,
        plan=plan,
        image_sha256=image_sha256,
        mask_sha256=mask_sha256,
        image_source=picture.source,
        mask_source=mask_data.source,
    )
    output = picture.pixels if picture.alpha is None else np.dstack([picture.pixels, picture.alpha])
    return Result(
        image=output,
        mask=refined,
        plan=plan,
        engine=engine_name,
        seed=seed,
        seam_score=seam,
        findings=findings,
        timings=clock.timings,
        recipe=recipe,
        icc_profile=picture.icc_profile,
    )


def _hash_in_background(pixels: np.ndarray, mask: np.ndarray) -> Future[tuple[str, str]]:
    """Hashing an 8K photo for the recipe takes as long as a small fill: do it beside the
    engine (hashlib releases the GIL). Wait for it before the pixels change."""
    hasher = ThreadPoolExecutor(max_workers=1)
    hashing = hasher.submit(lambda: (sha256_of(pixels), sha256_of(mask)))
    hasher.shutdown(wait=False)
    return hashing


def _prepare_mask(
    picture: ImageData, mask_data: MaskData, request: Request
) -> tuple[ImageData, np.ndarray, list[LintFinding]]:
    """Refine and lint the user's mask; for outpainting, extend the canvas around both."""
    refined = _refine(mask_data.mask, request)
    findings = list(mask_data.findings)
    if refined.any():  # outpainting may come without a mask of its own
        findings += lint_mask(None, refined)
    if request.outpaints:
        picture, refined = _extend(picture, refined, request)
    return picture, refined, findings


def _fill_regions(
    picture: ImageData,
    mask: np.ndarray,
    plan: Plan,
    engine_name: str,
    request: Request,
    seed: int,
    hashing: Future[tuple[str, str]],
    clock: _Stopwatch,
    progress: Progress | None,
) -> float:
    """Fill each region and composite it into ``picture.pixels``; return the worst seam.

    load_image gave us our own copy of the pixels, so results are composited into it in
    place (regions never overlap) instead of copying a possibly 8K image once more.
    """
    engine = get_engine(engine_name)
    scores = []
    for index, region in enumerate(plan.regions):
        original = _float_crop(picture, region)
        with clock.stage("engine"):
            generated = engine.inpaint(
                crop_region(picture.pixels, region),
                crop_mask(mask, region),
                params={**request.engine_params, "seed": seed + index},
            )
        with clock.stage("composite"):
            hashing.result()  # the recipe hashes the input: finish before changing it
            generated = _treat_seam(uncrop(generated, region), original, mask, region, request)
            composite_region_into(picture.pixels, generated, mask, region.crop)
            filled = _float_crop(picture, region)
            scores.append(seam_score(original, filled, mask[region.crop.slices]))
        if progress is not None:
            progress(index + 1, len(plan.regions))
    return max(scores, default=0.0)


def _pick(given: Any, from_request: str | None, what: str) -> Any:
    if given is not None:
        return given
    if from_request is None:
        raise InvalidInputError(f"no {what} given: pass an {what} path or array")
    return from_request


def _load_mask(mask: MaskSource | None, request: Request, picture: ImageData) -> MaskData:
    if mask is None and request.mask is None and request.outpaints:
        return MaskData(np.zeros(picture.pixels.shape[:2], np.float32), source="<none>")
    return load_mask(
        _pick(mask, request.mask, "mask"),
        size=picture.size,
        resize=request.mask_resize,
        alpha=request.mask_alpha,
        invert=request.invert_mask,
        max_pixels=request.max_pixels,
    )


def _extend(picture: ImageData, mask: np.ndarray, request: Request) -> tuple[ImageData, np.ndarray]:
    """Outpainting: grow the canvas, pre-fill it, and add the new area to the mask."""
    left, top, right, bottom = request.extend
    sides = {"left": left, "top": top, "right": right, "bottom": bottom}
    pixels = picture.pixels if picture.alpha is None else np.dstack([picture.pixels, picture.alpha])
    canvas, new_area = extend_canvas(
        pixels, **sides, fill=request.extend_fill, seed=request.seed or 0
    )
    extended = replace(
        picture,
        pixels=canvas[..., :3],
        alpha=canvas[..., 3] if canvas.shape[-1] == 4 else None,
    )
    return extended, np.maximum(np.pad(mask, ((top, bottom), (left, right))), new_area)


def _refine(mask: np.ndarray, request: Request) -> np.ndarray:
    if request.grow:
        mask = grow(mask, pixels=request.grow)
    if request.feather:
        mask = feather(mask, sigma=request.feather)
    return mask


def _treat_seam(
    generated: np.ndarray,
    original: np.ndarray,
    mask: np.ndarray,
    region: Region,
    request: Request,
) -> np.ndarray:
    if request.seam == "none":
        return generated
    region_mask = mask[region.crop.slices]
    if "color" in request.seam:
        generated = match_colors(generated, original, region_mask)
    if "poisson" in request.seam:
        generated = poisson_blend(original, generated, region_mask)
    return generated


def _float_crop(picture: ImageData, region: Region) -> np.ndarray:
    return to_float_rgb(picture.pixels[region.crop.slices])


__all__ = ["ImageData", "MaskData", "inpaint", "run"]
