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
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
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
from inpaintkit.mask.refine import feather, grow, is_binary
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
    num_images: int = 1,
    progress: Progress | None = None,
    **engine_params: Any,
) -> Result:
    """Inpaint ``mask`` (1 = regenerate) in ``image``; pixels where the mask is 0 are kept
    bit for bit. ``image`` and ``mask`` may be paths or arrays (uint8, uint16 or float32).
    Engine options go as keywords (e.g. ``model=``, ``prompt=`` for ``engine="diffusion"``).
    With ``num_images`` > 1 the other variants are in ``result.variants``.

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
        "num_images": num_images,
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
    """Run one request; ``image``/``mask`` override the request's paths with loaded data.

    ``num_images`` > 1 runs the request once per seed (seed, seed + 1, ...): the first
    result is returned with the others in its ``variants``.
    """
    if request.num_images > 1:
        return _run_variants(request, image, mask, progress)
    engine_name = resolve_engine_name(request.engine)
    check_engine_params(engine_name, request.engine_params)
    clock = _Stopwatch()
    with clock.stage("load"):
        picture = load_image(_pick(image, request.image, "image"), max_pixels=request.max_pixels)
        mask_data = _load_mask(mask, request, picture)
    hashing = _hash_in_background(picture.pixels, mask_data.mask)
    with clock.stage("refine"):
        picture, refined, findings = _prepare_mask(picture, mask_data, request)
    with clock.stage("plan"):
        plan = _plan(engine_name, request, picture, refined)
    seed = _seed_of(request)
    job = _Job(picture, refined, plan, engine_name, request, seed, hashing, clock, progress)
    seam = _fill_regions(job, _load_guides(request, picture))
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
        details=job.details,
    )


def _seed_of(request: Request) -> int:
    """The request's seed, or a fresh one (recorded in the result and its recipe)."""
    return request.seed if request.seed is not None else secrets.randbelow(2**31)


def _run_variants(
    request: Request, image: ImageSource | None, mask: MaskSource | None, progress: Progress | None
) -> Result:
    """One run per seed (seed, seed + 1, ...); the model stays loaded between them."""
    seed = _seed_of(request)
    results = [
        run(
            request.model_copy(update={"seed": seed + k, "num_images": 1}),
            image=image,
            mask=mask,
            progress=progress,
        )
        for k in range(request.num_images)
    ]
    return replace(results[0], variants=tuple(results[1:]))


def _plan(engine_name: str, request: Request, picture: ImageData, mask: np.ndarray) -> Plan:
    capabilities = engine_capabilities(engine_name)
    working_size, multiple = _plan_hints(engine_name, request)
    return plan_regions(
        picture.size,
        mask,
        padding=request.padding if request.padding is not None else capabilities.context,
        multiple=multiple,
        working_size=working_size,
    )


def _plan_hints(engine_name: str, request: Request) -> tuple[int | None, int]:
    """Working size and size multiple: an engine may decide them from its options (a
    diffusion model's native size); otherwise its static capabilities say."""
    capabilities = engine_capabilities(engine_name)
    hints = getattr(get_engine(engine_name), "plan_hints", None)
    if hints is None:
        return capabilities.preferred_working_size, capabilities.size_multiple
    working_size, multiple = hints(request.engine_params)
    return int(working_size), int(multiple)


def _load_guides(request: Request, picture: ImageData) -> dict[str, np.ndarray]:
    """Full-size guide images among the engine options (a ControlNet control image given
    as a path or array), loaded once at the photo's size, to crop with the same plan."""
    guide = request.engine_params.get("control_image")
    if guide is None or (isinstance(guide, str) and guide == "canny"):
        return {}
    loaded = load_image(guide, max_pixels=request.max_pixels)
    pixels = to_float_rgb(loaded.pixels)
    left, top, right, bottom = request.extend
    pixels = np.pad(pixels, ((top, bottom), (left, right), (0, 0)))  # no guidance outside
    if pixels.shape[:2] != picture.pixels.shape[:2]:
        got, want = pixels.shape[1::-1], picture.pixels.shape[1::-1]
        raise InvalidInputError(
            f"control image {loaded.source} is {got[0]}×{got[1]} after outpainting but the "
            f"photo is {want[0]}×{want[1]}: give a control image of the photo's size"
        )
    return {"control_image": pixels}


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


@dataclass
class _Job:
    """One request on its way through the engine: the loaded, prepared inputs."""

    picture: ImageData
    mask: np.ndarray
    plan: Plan
    engine_name: str
    request: Request
    seed: int
    hashing: Future[tuple[str, str]]
    clock: _Stopwatch
    progress: Progress | None
    details: dict[str, Any] = field(default_factory=dict)  # what the engine reports


def _fill_regions(job: _Job, guides: dict[str, np.ndarray]) -> float:
    """Fill each region and composite it into ``picture.pixels``; return the worst seam.

    load_image gave us our own copy of the pixels, so results are composited into it in
    place (regions never overlap) instead of copying a possibly 8K image once more.
    Engines that work in steps report them through ``on_step``; progress then counts
    steps over all regions.
    """
    picture, mask, request, progress = job.picture, job.mask, job.request, job.progress
    engine = get_engine(job.engine_name)
    scores = []
    count = len(job.plan.regions)
    for index, region in enumerate(job.plan.regions):
        original = _float_crop(picture, region)
        params = {**request.engine_params, "seed": job.seed + index, "report": job.details}
        params |= {name: crop_region(guide, region) for name, guide in guides.items()}
        steps = _StepProgress(progress, index, count)
        if progress is not None:
            params["on_step"] = steps
        crop = crop_region(picture.pixels, region)
        with job.clock.stage("engine"):
            generated = engine.inpaint(crop, _engine_mask(mask, region), params=params)
        if generated is crop:  # the engine changed nothing (e.g. strength 0): keep the photo
            scores.append(0.0)
        else:
            with job.clock.stage("composite"):
                job.hashing.result()  # the recipe hashes the input: finish before changing it
                generated = _treat_seam(uncrop(generated, region), original, mask, region, request)
                composite_region_into(picture.pixels, generated, mask, region.crop)
                filled = _float_crop(picture, region)
                scores.append(seam_score(original, filled, mask[region.crop.slices]))
        if progress is not None and not steps.reported:
            progress(index + 1, count)
    return max(scores, default=0.0)


def _engine_mask(mask: np.ndarray, region: Region) -> np.ndarray:
    """The region's mask at the engine's working size. Resizing gives a hard mask soft
    edges; a hard mask stays hard (any coverage = regenerate), so an engine that treats
    soft values specially (differential diffusion) does so only when the user asked."""
    resized = crop_mask(mask, region)
    if tuple(region.working_size) == tuple(region.crop.extent):
        return resized
    if is_binary(mask[region.crop.slices]):
        return (resized > 0).astype(np.float32)
    return resized


class _StepProgress:
    """Progress in engine steps over all regions, for engines that report steps."""

    def __init__(self, progress: Progress | None, index: int, count: int) -> None:
        self.progress, self.index, self.count = progress, index, count
        self.reported = False

    def __call__(self, step: int, steps: int) -> None:
        self.reported = True
        if self.progress is not None:
            self.progress(self.index * steps + step, self.count * steps)


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
    mask = np.maximum(np.pad(mask, ((top, bottom), (left, right))), new_area)
    band = request.seam_band
    if band is None:
        band = _SEAM_BAND if engine_capabilities(request.engine).honours_soft_mask else 0
    return extended, np.maximum(mask, _seam_ramp(new_area, band))


_SEAM_BAND = 32  # px: default blend into the photo when the engine honours soft masks


def _seam_ramp(new_area: np.ndarray, band: int) -> np.ndarray:
    """A mask falling from 1 at the new area to 0 ``band`` px into the photo, so a
    generated border blends into the photo instead of meeting it at a hard line."""
    if band <= 0:
        return np.zeros_like(new_area)
    inside = (new_area <= 0).astype(np.uint8)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(1.0 - distance / (band + 1), 0.0, 1.0).astype(np.float32) * inside


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
