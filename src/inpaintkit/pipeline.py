"""The pipeline: one short function that wires the stages together.

inputs → validate/convert → mask refine → plan regions → engine → composite → result.
Every front end calls :func:`run` (or :func:`inpaint` / :func:`outpaint`, its keyword
forms). Stage logic lives in the stages' own modules; this module only passes data on.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from inpaintkit.composite import composite_region_into, seam_score, treat_seam
from inpaintkit.convert import to_float_rgb
from inpaintkit.engines.base import CallContext, Capabilities, PlanHints
from inpaintkit.engines.registry import (
    engine_capabilities,
    engine_entry,
    get_engine,
    resolve_engine_options,
)
from inpaintkit.errors import InvalidInputError, InvalidMaskError
from inpaintkit.imageio import (
    ImageData,
    MaskData,
    digest_of,
    load_image,
    load_mask,
    to_input_layout,
)
from inpaintkit.mask.lint import lint_mask
from inpaintkit.mask.refine import mask_bounds, refine_mask
from inpaintkit.prepare.geometry import clip_box, pad_box
from inpaintkit.prepare.outpaint import extend_with_mask
from inpaintkit.prepare.plan import crop_engine_mask, crop_region, plan_regions, uncrop
from inpaintkit.recipe import build_recipe
from inpaintkit.schema import DEFAULT_MAX_PIXELS, Request, make_request
from inpaintkit.types import Box, Extent, LintFinding, Plan, Region, Result

Progress = Callable[[int, int], None]
StageCallback = Callable[[str], None]
ImageSource = Any  # a path, bytes or an array; imageio validates it
MaskSource = Any  # a path, a box string or an array

# Outpainting: px of the photo's edge the fill blends into, for engines that honour
# soft masks (a hard line otherwise shows where the photo ended).
DEFAULT_SEAM_BAND = 32


def inpaint(
    image: ImageSource,
    mask: MaskSource = None,
    *,
    engine: str = "auto",
    grow: int = 0,
    feather: float = 0.0,
    padding: int | None = None,
    seed: int | None = None,
    seam: str = "none",
    mask_resize: bool = False,
    invert_mask: bool = False,
    mask_alpha: str = "auto",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    extend: tuple[int, int, int, int] = (0, 0, 0, 0),
    extend_fill: str = "edge",
    seam_band: int | None = None,
    num_images: int = 1,
    progress: Progress | None = None,
    on_stage: StageCallback | None = None,
    **engine_options: Any,
) -> Result:
    """Inpaint ``mask`` (1 = regenerate) in ``image``; pixels where the mask is 0 are kept
    bit for bit. ``image`` and ``mask`` may be paths or arrays (uint8, uint16 or float);
    the result comes back in the photo's own shape and dtype. Every option of
    :class:`~inpaintkit.schema.Request` is a keyword here; engine options (``radius=``,
    ``model=``, ``prompt=``, ...) too, checked against the engine's table. With
    ``num_images`` > 1 the other variants are in ``result.variants``.

    >>> import numpy as np
    >>> photo = np.full((32, 32, 3), 200, np.uint8)
    >>> hole = np.zeros((32, 32), np.float32); hole[8:16, 8:16] = 1
    >>> result = inpaint(photo, hole, engine="telea", seed=0)
    >>> bool((result.image[hole == 0] == photo[hole == 0]).all())
    True
    """
    _check_keywords(engine_options)
    request = make_request(
        image=_path_or_none(image),
        mask=_path_or_none(mask),
        engine=engine,
        grow=grow,
        feather=feather,
        padding=padding,
        seed=seed,
        seam=seam,
        mask_resize=mask_resize,
        invert_mask=invert_mask,
        mask_alpha=mask_alpha,
        max_pixels=max_pixels,
        extend=extend,
        extend_fill=extend_fill,
        seam_band=seam_band,
        engine_params=engine_options,
        num_images=num_images,
    )
    return run(request, image=image, mask=mask, progress=progress, on_stage=on_stage)


def _check_keywords(given: dict[str, Any]) -> None:
    """A keyword no engine takes is most likely a typo of one of inpaint()'s own."""
    import difflib
    import inspect

    from inpaintkit.engines.registry import all_options

    own = [name for name in inspect.signature(inpaint).parameters if name != "engine_options"]
    for name in given:
        close = difflib.get_close_matches(name, own, n=1)
        if name not in all_options() and close:
            raise InvalidInputError(
                f"inpaint() got an unexpected keyword {name!r}; did you mean {close[0]}?"
            )


def outpaint(
    image: ImageSource,
    *,
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    fill: str = "edge",
    mask: MaskSource = None,
    **options: Any,
) -> Result:
    """Extend the canvas of ``image`` by ``left``/``top``/``right``/``bottom`` pixels and
    fill the new border (and ``mask``, if given); the photo itself stays exact unless
    ``seam_band`` lets the fill blend into its edge. Other keywords as :func:`inpaint`.

    >>> import numpy as np
    >>> result = outpaint(np.full((8, 8, 3), 90, np.uint8), right=4, engine="telea", seed=0)
    >>> result.image.shape, int(result.image[4, 10, 0])
    ((8, 12, 3), 90)
    """
    if not any((left, top, right, bottom)):
        raise InvalidInputError(
            "nothing to outpaint: give at least one of {left}, {top}, {right}, {bottom}",
            options={"left": 256, "top": None, "right": None, "bottom": None},
        )
    return inpaint(image, mask, extend=(left, top, right, bottom), extend_fill=fill, **options)


def _path_or_none(source: Any) -> str | None:
    """The path to record for a source given as a path; arrays are recorded by hash."""
    if isinstance(source, str):
        return source
    return str(source) if hasattr(source, "__fspath__") else None


class _Stopwatch:
    def __init__(self, on_stage: StageCallback | None) -> None:
        self.timings: dict[str, float] = {}
        self.on_stage = on_stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage is not None:
            self.on_stage(name)
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def run(
    request: Request,
    *,
    image: ImageSource | None = None,
    mask: MaskSource | None = None,
    progress: Progress | None = None,
    on_stage: StageCallback | None = None,
) -> Result:
    """Run one request; ``image``/``mask`` override the request's paths with loaded data.

    The seed is settled first (a fresh one when none is given) and used by every stage,
    so the recipe replays exactly. ``num_images`` > 1 runs once per seed (seed, seed + 1,
    ...): the first result is returned with the others in its ``variants``.
    """
    request = _with_seed(request)
    if request.num_images > 1:
        return _run_variants(request, image, mask, progress, on_stage)
    job = _Job(
        request,
        engine_capabilities(request.engine),
        resolve_engine_options(request.engine, request.engine_params),
        progress,
        _Stopwatch(on_stage),
    )
    with job.clock.stage("load"):
        source = _pick(image, request.image, "image")
        picture = load_image(source, max_pixels=request.max_pixels, copy=False)
        # The caller's array itself: our copy to composite into is made beside the engine.
        job.own_pixels = _copy_in_background(picture)
        mask_data = _load_mask(mask, request, picture)
        loaded_bounds = mask_bounds(mask_data.mask)
    hashed = picture.unchanged if picture.unchanged is not None else picture.pixels
    hashing = _hash_in_background(hashed, mask_data.mask, loaded_bounds)
    # Compositing changes picture.pixels in place: only then must it wait for the hash.
    wait_for_hash = hashing if hashed is picture.pixels else None
    with job.clock.stage("refine"):
        canvas, refined, findings = _prepare_mask(picture, mask_data, loaded_bounds, job)
    with job.clock.stage("plan"):
        plan = _plan(job, canvas, refined)
    seam = _fill_regions(job, canvas, refined, plan, wait_for_hash, _load_guides(job, canvas))
    _take_own_pixels(job, canvas)  # a result never shares memory with the caller's array
    image_digest, mask_digest = hashing.result()
    recipe = build_recipe(
        request,
        engine=request.engine,
        seed=_seed(request),
        plan=plan,
        image_digest=image_digest,
        mask_digest=mask_digest,
        image_source=picture.source,
        mask_source=mask_data.source,
    )
    return Result(
        image=to_input_layout(canvas, canvas.pixels, canvas.alpha),
        mask=refined,
        plan=plan,
        engine=request.engine,
        seed=_seed(request),
        seam_score=seam,
        findings=findings,
        timings=job.clock.timings,
        recipe=recipe,
        icc_profile=picture.icc_profile,
        palette=picture.palette,
        details=job.details,
    )


def _with_seed(request: Request) -> Request:
    """The request with its seed settled: the given one, or a fresh one to record."""
    if request.seed is not None:
        return request
    return request.model_copy(update={"seed": secrets.randbelow(2**31)})


def _seed(request: Request) -> int:
    assert request.seed is not None  # settled by _with_seed
    return request.seed


def _run_variants(
    request: Request,
    image: ImageSource | None,
    mask: MaskSource | None,
    progress: Progress | None,
    on_stage: StageCallback | None,
) -> Result:
    """One run per seed (seed, seed + 1, ...); the model stays loaded between them."""
    results = [
        run(
            request.model_copy(update={"seed": _seed(request) + k, "num_images": 1}),
            image=image,
            mask=mask,
            progress=progress,
            on_stage=on_stage,
        )
        for k in range(request.num_images)
    ]
    return replace(results[0], variants=tuple(results[1:]))


@dataclass
class _Job:
    """One request on its way through the stages."""

    request: Request
    capabilities: Capabilities
    options: dict[str, Any]  # the engine's, checked and with defaults
    progress: Progress | None
    clock: _Stopwatch
    bounds: Box | None = None  # where the mask is nonzero, found once
    own_pixels: Future[np.ndarray] | None = None  # our copy of the caller's array, coming
    details: dict[str, Any] = field(default_factory=dict)  # what the engine reports


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
        orientation=picture.exif_orientation,
    )


def _copy_in_background(picture: ImageData) -> Future[np.ndarray] | None:
    """Copy a caller's array (an 8K photo: 30 ms) on another core while the engine fills
    its crops from the original; the copy is what results are composited into."""
    if picture.pixels is not picture.unchanged:
        return None  # decoded or converted: already our own
    copier = ThreadPoolExecutor(max_workers=1)
    copying = copier.submit(np.array, picture.pixels, order="C")
    copier.shutdown(wait=False)
    return copying


def _take_own_pixels(job: _Job, picture: ImageData) -> None:
    """From here on ``picture.pixels`` is our copy, safe to composite into."""
    if job.own_pixels is not None:
        picture.pixels = job.own_pixels.result()
        job.own_pixels = None


def _hash_in_background(
    pixels: np.ndarray, mask: np.ndarray, bounds: Box | None
) -> Future[tuple[str, str]]:
    """Hashing an 8K photo for the recipe takes as long as a small fill: do it beside the
    engine (hashlib releases the GIL). Wait for it before the pixels change. The mask is
    zero outside its box, so its size, box and the box's contents identify it."""
    hasher = ThreadPoolExecutor(max_workers=1)
    hashing = hasher.submit(lambda: (digest_of(pixels), _mask_digest(mask, bounds)))
    hasher.shutdown(wait=False)
    return hashing


def _mask_digest(mask: np.ndarray, bounds: Box | None) -> str:
    label = f"{mask.dtype.str}{mask.shape}{tuple(bounds) if bounds else None}"
    inside = "" if bounds is None else digest_of(np.ascontiguousarray(mask[bounds.slices]))
    return digest_of(np.frombuffer((label + inside).encode(), np.uint8))


def _prepare_mask(
    picture: ImageData, mask_data: MaskData, bounds: Box | None, job: _Job
) -> tuple[ImageData, np.ndarray, list[LintFinding]]:
    """Refine and lint the user's mask; for outpainting, extend the canvas around both.
    ``bounds`` (the loaded mask's box) lets every step work inside the box."""
    request = job.request
    refined = mask_data.mask
    if request.grow or request.feather:
        refined = refine_mask(refined, grow=request.grow, feather=request.feather, bounds=bounds)
        bounds = mask_bounds(refined, bounds=_reach(bounds, request, refined.shape))
    findings = list(mask_data.findings)
    if mask_data.source != "<none>":  # outpainting may come without a mask of its own
        scale = job.capabilities.latent_scale
        findings += lint_mask(None, refined, latent_scale=scale, bounds=bounds)
    if request.outpaints:
        picture, refined = _extend(picture, refined, job)
        bounds = mask_bounds(refined)
    _check_surroundings(refined, bounds, request.engine, job.capabilities)
    job.bounds = bounds
    return picture, refined, findings


def _extend(picture: ImageData, mask: np.ndarray, job: _Job) -> tuple[ImageData, np.ndarray]:
    """Outpainting: the canvas grown and pre-filled, the new area added to the mask."""
    request = job.request
    band = request.seam_band
    if band is None:
        band = DEFAULT_SEAM_BAND if job.capabilities.honours_soft_mask else 0
    pixels = picture.pixels if picture.alpha is None else np.dstack([picture.pixels, picture.alpha])
    canvas, mask = extend_with_mask(
        pixels,
        mask,
        sides=request.extend,
        fill=request.extend_fill,
        seed=_seed(request),
        seam_band=band,
    )
    alpha = canvas[..., 3] if canvas.shape[-1] == 4 else None
    job.own_pixels = None  # the new canvas is our own: no copy of the photo is needed
    return replace(picture, pixels=canvas[..., :3], alpha=alpha, unchanged=None), mask


def _reach(bounds: Box | None, request: Request, shape: tuple[int, ...]) -> Box | None:
    """``bounds`` widened by as far as grow and feather can move the mask's edge."""
    if bounds is None:
        return None
    reach = request.grow + int(np.ceil(4 * request.feather)) + 1
    return clip_box(pad_box(bounds, pixels=reach), Extent(shape[1], shape[0]))


def _check_surroundings(
    mask: np.ndarray, bounds: Box | None, engine: str, capabilities: Capabilities
) -> None:
    """A fill that continues the surroundings has none when the mask covers everything."""
    height, width = mask.shape
    whole = bounds is not None and bounds == Box(0, 0, width, height)
    if capabilities.needs_surroundings and whole and bool((mask > 0).all()):
        raise InvalidMaskError(
            f"the mask covers the whole photo, and engine {engine!r} fills a hole from what "
            "surrounds it: nothing is left to continue. Mark only the part to regenerate, "
            "or use {engine} with {model} and {prompt} to paint a new picture",
            options={"engine": "diffusion", "model": "PATH", "prompt": "TEXT"},
        )


def _plan(job: _Job, picture: ImageData, mask: np.ndarray) -> Plan:
    hints: PlanHints = get_engine(job.request.engine).plan_hints(job.options)
    padding = job.request.padding
    return plan_regions(
        picture.size,
        mask,
        padding=padding if padding is not None else job.capabilities.context,
        multiple=hints.multiple,
        working_size=hints.working_size,
        bounds=job.bounds,
    )


def _load_guides(job: _Job, picture: ImageData) -> dict[str, np.ndarray]:
    """Full-size guide images among the engine options (a ControlNet control image as a
    path or array), loaded at the photo's size to be cropped with the same plan."""
    guides = {}
    table = engine_entry(job.request.engine).options
    for name in job.capabilities.guides:
        source = job.options.get(name)
        if source is None or (isinstance(source, str) and source in table[name].keywords):
            continue
        loaded = load_image(source, max_pixels=job.request.max_pixels)
        left, top, right, bottom = job.request.extend
        pixels = np.pad(to_float_rgb(loaded.pixels), ((top, bottom), (left, right), (0, 0)))
        if pixels.shape[:2] != picture.pixels.shape[:2]:
            got, want = pixels.shape[1::-1], picture.pixels.shape[1::-1]
            raise InvalidInputError(
                f"{{{name}}} {loaded.source} is {got[0]}×{got[1]} after outpainting but the "
                f"photo is {want[0]}×{want[1]}: give an image of the photo's size",
                options={name: None},
            )
        guides[name] = pixels
    return guides


def _fill_regions(
    job: _Job,
    picture: ImageData,
    mask: np.ndarray,
    plan: Plan,
    hashing: Future[tuple[str, str]] | None,
    guides: dict[str, np.ndarray],
) -> float:
    """Fill each region and composite it into ``picture.pixels``; return the worst seam.

    load_image gave us our own copy of the pixels, so results are composited into it in
    place (regions never overlap) instead of copying a possibly 8K image once more.
    Engines that work in steps report them; progress then counts steps over all regions.
    """
    engine = get_engine(job.request.engine)
    scores = []
    count = len(plan.regions)
    for index, region in enumerate(plan.regions):
        original = _float_crop(picture, region)
        steps = _StepProgress(job.progress, index, count)
        context = CallContext(
            seed=_seed(job.request) + index,
            guides={name: crop_region(guide, region) for name, guide in guides.items()},
            on_step=steps if job.progress is not None else None,
            report=job.details,
        )
        crop = crop_region(picture.pixels, region)
        with job.clock.stage("engine"):
            generated = engine.inpaint(
                crop, crop_engine_mask(mask, region), options=job.options, context=context
            )
        if generated is crop:  # the engine changed nothing (e.g. strength 0): keep the photo
            scores.append(0.0)
        else:
            with job.clock.stage("composite"):
                _take_own_pixels(job, picture)
                if hashing is not None:  # the recipe hashes these pixels: finish first
                    hashing.result()
                generated = treat_seam(
                    uncrop(generated, region),
                    original,
                    mask[region.crop.slices],
                    how=job.request.seam,
                )
                composite_region_into(picture.pixels, generated, mask, region.crop)
                filled = _float_crop(picture, region)
                scores.append(seam_score(original, filled, mask[region.crop.slices]))
        if job.progress is not None and not steps.reported:
            job.progress(index + 1, count)
    return max(scores, default=0.0)


class _StepProgress:
    """Progress in engine steps over all regions, for engines that report steps."""

    def __init__(self, progress: Progress | None, index: int, count: int) -> None:
        self.progress, self.index, self.count = progress, index, count
        self.reported = False

    def __call__(self, step: int, steps: int) -> None:
        self.reported = True
        if self.progress is not None:
            self.progress(self.index * steps + step, self.count * steps)


def _float_crop(picture: ImageData, region: Region) -> np.ndarray:
    return to_float_rgb(picture.pixels[region.crop.slices])


__all__ = ["ImageData", "MaskData", "inpaint", "outpaint", "run"]
