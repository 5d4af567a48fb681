"""Compose: paste a cut-out (an RGBA image whose alpha is the object) into a scene, then
rework only a band around its edge so it sits in the scene.

Steps:

1. Place: the cut-out is scaled (area filter down, cubic up, on premultiplied colours so
   no dark fringe appears) and put with its top-left corner ``at`` (or its centre, with
   ``center=True``); parts outside the background are clipped, with a note.
2. Colour (``blend`` with ``"color"``): the object's Lab mean moves half way
   (:data:`COLOR_SHARE`) toward the mean of the scene in a ring around it, so a cut-out
   shot under other light takes on some of the scene's; its own contrast is kept.
3. Edge: ``engine="classical"`` (the default) Poisson-blends the object into the scene
   (``blend`` with ``"poisson"``; :func:`inpaintkit.composite.poisson_blend`) and keeps
   the Poisson result only in a band of ``band`` px inside the object's edge, fading to
   the object's own pixels further in: the edge meets the scene without a step and the
   object keeps its look. Any other engine (``"diffusion"`` with ``model=`` and
   ``prompt=``, or a classical fill such as ``"telea"``) regenerates a soft band
   ``band`` px either side of the edge through :func:`inpaintkit.inpaint`.

Pixels outside the object's footprint grown by ``band`` are the background's, bit for
bit. ``result.details`` holds the seam score (:func:`inpaintkit.composite.seam_score`
over the object's outline) of a plain paste (``seam_before``) and of the result
(``seam_after``).

The recipe: a pipeline engine's result carries the ordinary recipe of that run, over the
pasted picture and the band mask; ``inpaintkit compose`` writes both beside the result
(``.pasted.png``, ``.mask.png``), so ``inpaintkit replay`` reproduces it. The classical
blend is not a pipeline run: its recipe's ``app`` entry records the inputs and settings,
and :func:`replay_composition` redoes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from inpaintkit.errors import NAME_ONLY, InvalidInputError, InvalidParameterError
from inpaintkit.types import Box, Extent, Plan, Region, Result

if TYPE_CHECKING:
    from inpaintkit.recipe_replay import Replay

__all__ = ["BLENDS", "Pasted", "blend_edge", "compose", "edge_band", "paste", "replay_composition"]

BLENDS = ("none", "color", "poisson", "color+poisson")
DEFAULT_BAND = 8
COLOR_SHARE = 0.5  # how far the object's Lab mean moves toward the scene's
RING = 16  # px of scene around the object whose colours it is matched toward
CLASSICAL = "classical"


@dataclass
class _Placed:
    """The cut-out placed on the background: full-size colours and alpha, and where."""

    colours: np.ndarray  # H×W×3 float32, valid where alpha > 0
    alpha: np.ndarray  # H×W float32 in [0, 1]
    box: Box  # the placed (clipped) rectangle
    notes: list[str]


def compose(
    background: Any,
    cutout: Any,
    *,
    at: tuple[int, int] | str,
    scale: float = 1.0,
    center: bool = False,
    band: int = DEFAULT_BAND,
    blend: str = "color+poisson",
    cutout_mask: Any = None,
    engine: str = CLASSICAL,
    seed: int | None = None,
    **options: Any,
) -> Result:
    """Paste ``cutout`` (RGBA, or RGB with ``cutout_mask``) onto ``background`` at
    ``at`` = (x, y), its top-left corner (its centre with ``center``), scaled by
    ``scale``; then blend its edge (see the module docstring). Returns a
    :class:`~inpaintkit.types.Result` in the background's layout; pixels farther than
    ``band`` px from the object are the background's exactly.

    >>> import numpy as np
    >>> scene = np.full((40, 40, 3), 90, np.uint8)
    >>> thing = np.zeros((10, 10, 4), np.uint8); thing[..., 0] = 250; thing[2:8, 2:8, 3] = 255
    >>> result = compose(scene, thing, at=(15, 15), band=2)
    >>> int(result.image[20, 20, 0]) > 150, bool((result.image[:10] == 90).all())
    (True, True)
    """
    pasted = paste(
        background,
        cutout,
        at=at,
        scale=scale,
        center=center,
        band=band,
        blend=blend,
        cutout_mask=cutout_mask,
    )
    return blend_edge(pasted, engine=engine, seed=seed, **options)


@dataclass
class Pasted:
    """A cut-out pasted onto a background (steps 1 and 2), before its edge is blended.

    ``image`` is the pasted picture in the background's own layout and dtype (exactly the
    background outside the object's footprint): what a pipeline engine starts from.
    """

    scene: Any  # the background's ImageData
    image: np.ndarray
    colours: np.ndarray  # float32 RGB of the pasted picture
    naive: np.ndarray  # float32 RGB of a plain paste (no colour match), for seam_before
    alpha: np.ndarray  # the placed alpha, H×W float32
    box: Box  # where the cut-out landed (clipped)
    crop: Box  # the box every change lies in, with some scene around it
    band: int
    blend: str
    record: dict[str, Any]  # what the recipe's ``app`` entry says


def paste(
    background: Any,
    cutout: Any,
    *,
    at: tuple[int, int] | str,
    scale: float = 1.0,
    center: bool = False,
    band: int = DEFAULT_BAND,
    blend: str = "color+poisson",
    cutout_mask: Any = None,
) -> Pasted:
    """Steps 1 and 2 of :func:`compose`: place, scale and colour-match the cut-out."""
    from inpaintkit.composite import composite_region
    from inpaintkit.imageio import load_image, to_input_layout

    if blend not in BLENDS:
        raise InvalidParameterError(
            f"blend {blend!r} is unknown; pass {{blend}} as one of {', '.join(BLENDS)}",
            options={"blend": "color+poisson"},
        )
    if isinstance(band, bool) or not isinstance(band, int | np.integer) or not 1 <= band <= 512:
        raise InvalidParameterError(
            f"band is {band!r}; pass {{band}} as whole pixels from 1 to 512",
            options={"band": DEFAULT_BAND},
        )
    scene = load_image(background)
    scene_rgb = scene.as_float()
    placed = _place(scene_rgb.shape[:2], cutout, cutout_mask, at, scale, center)
    crop = _grown_box(placed.box, band + RING, scene.size)
    naive = _paste(scene_rgb, placed.colours, placed.alpha)
    colours = placed.colours
    if "color" in blend:
        colours = _match_object_colours(scene_rgb, placed, crop)
    pasted = _paste(scene_rgb, colours, placed.alpha)
    covered = (placed.alpha > 0).astype(np.float32)
    own = composite_region(scene.pixels, pasted[crop.slices], covered, crop)
    record = {
        "name": "compose",
        "background": {"source": scene.source},
        "cutout": {"source": _source_of(cutout)},
        "cutout_mask": None if cutout_mask is None else {"source": _source_of(cutout_mask)},
        "at": list(_pair(at, "at")),
        "scale": float(scale),
        "center": bool(center),
        "band": int(band),
        "blend": blend,
        "placed": list(placed.box),
        "notes": placed.notes,
    }
    return Pasted(
        scene=scene,
        image=to_input_layout(scene, own, scene.alpha),
        colours=pasted,
        naive=naive,
        alpha=placed.alpha,
        box=placed.box,
        crop=crop,
        band=int(band),
        blend=blend,
        record=record,
    )


def blend_edge(
    pasted: Pasted, *, engine: str = CLASSICAL, seed: int | None = None, **options: Any
) -> Result:
    """Step 3 of :func:`compose`: the Poisson edge (``engine="classical"``) or a soft band
    regenerated by a pipeline engine, and the seam scores before and after."""
    from inpaintkit.composite import seam_score
    from inpaintkit.convert import to_float_rgb
    from inpaintkit.imageio import load_image, to_input_layout

    if "model" in options and engine in (CLASSICAL, "auto"):
        engine = "diffusion"  # a model means the diffusion engine, as in `inpaintkit run`
    if engine == "auto":
        engine = CLASSICAL
    scene, crop = pasted.scene, pasted.crop
    if engine == CLASSICAL:
        pixels, changed = _classical_edge(scene, pasted)
        plan = Plan(
            scene.size, (Region(crop, pasted.box, crop.extent),), padding=pasted.band, multiple=1
        )
        result = Result(
            image=to_input_layout(scene, pixels, scene.alpha),
            mask=changed,
            plan=plan,
            engine=CLASSICAL,
            seed=0 if seed is None else int(seed),
            seam_score=0.0,
            icc_profile=scene.icc_profile,
        )
        recipe = _classical_recipe(result, scene)
    else:
        from inpaintkit.pipeline import inpaint

        result = inpaint(
            pasted.image, edge_band(pasted.alpha, pasted.band), engine=engine, seed=seed, **options
        )
        result.icc_profile = scene.icc_profile
        recipe = result.recipe
    scene_rgb = scene.as_float()[crop.slices]
    outline = (pasted.alpha[crop.slices] > 0.5).astype(np.float32)
    before = seam_score(scene_rgb, pasted.naive[crop.slices], outline)
    after_rgb = to_float_rgb(load_image(result.image).pixels)[crop.slices]
    after = seam_score(scene_rgb, after_rgb, outline)
    kept = {k: v for k, v in options.items() if k not in ("progress", "on_stage")}
    app = {**pasted.record, "engine": engine, "options": kept}
    details = {**result.details, "seam_before": before, "seam_after": after}
    details["notes"] = list(pasted.record["notes"])
    return replace(result, seam_score=after, recipe={**recipe, "app": app}, details=details)


def edge_band(alpha: np.ndarray, band: int) -> np.ndarray:
    """A soft mask over the object's edge: 1 on the pixels either side of the outline,
    falling linearly to 0 beyond ``band`` px inside and outside it (what a pipeline
    engine regenerates).

    >>> a = np.zeros((20, 20), np.float32); a[5:15, 5:15] = 1
    >>> m = edge_band(a, 2)
    >>> float(m[10, 10]), float(m[0, 0]), float(m[10, 4]) > 0.4
    (0.0, 0.0, True)
    """
    inside = (alpha > 0.5).astype(np.uint8)
    into = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    out_of = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    # pixels from the outline: 1 for the pixels either side of it, 2 for the next, ...
    distance = np.where(inside > 0, into, out_of)
    weight = np.clip(1.0 - (distance - 1.0) / float(band), 0.0, 1.0).astype(np.float32)
    weight[(alpha > 0) & (inside == 0)] = np.maximum(weight[(alpha > 0) & (inside == 0)], 0.5)
    # in steps of 1/255, so the mask written as an 8-bit PNG reads back the same
    return np.round(weight * 255).astype(np.uint8).astype(np.float32) / np.float32(255)


def _place(
    shape: tuple[int, int], cutout: Any, cutout_mask: Any, at: Any, scale: float, center: bool
) -> _Placed:
    from inpaintkit.imageio import load_image, load_mask

    picture = load_image(cutout)
    name = picture.source
    if cutout_mask is not None:
        alpha = load_mask(cutout_mask, size=picture.size).mask
    elif picture.alpha is not None:
        alpha = picture.alpha.astype(np.float32) / _scale_of(picture.alpha.dtype)
    else:
        raise InvalidInputError(
            f"cut-out {name} has no alpha channel, so nothing says which pixels are the "
            "object: pass an RGBA PNG whose transparent pixels are not the object, or the "
            "object's mask with {cutout_mask} (make one with `inpaintkit mask auto "
            "--salient` or `--box`)",
            options={"cutout_mask": "MASK.png"},
        )
    if not (alpha > 0).any():
        raise InvalidInputError(
            f"cut-out {name} is fully transparent: its alpha (or mask) must be opaque "
            "where the object is"
        )
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= 16:
        raise InvalidParameterError(
            f"scale is {scale!r}; pass {{scale}} above 0 and at most 16", options={"scale": 0.5}
        )
    colours = picture.as_float()
    notes: list[str] = []
    if scale != 1.0:
        colours, alpha = _resized(colours, alpha, scale)
    height, width = alpha.shape
    x, y = _pair(at, "at")
    if center:
        x, y = x - width // 2, y - height // 2
    target = Box(x, y, x + width, y + height)
    rows, columns = shape
    clipped = Box(max(0, x), max(0, y), min(columns, x + width), min(rows, y + height))
    if clipped.is_empty:
        where = "centre" if center else "top-left corner"
        raise InvalidParameterError(
            f"the {width}×{height} cut-out with its {where} at {_pair(at, 'at')} lies outside "
            f"the {columns}×{rows} background; pass {{at}} inside it",
            options={"at": f"{columns // 2},{rows // 2}"},
        )
    if clipped != target:
        notes.append(
            f"the cut-out reaches outside the background: {target.area - clipped.area} of "
            f"its {target.area} px were clipped"
        )
    inner = Box(clipped.x0 - x, clipped.y0 - y, clipped.x1 - x, clipped.y1 - y)
    full_colours = np.zeros((rows, columns, 3), np.float32)
    full_alpha = np.zeros((rows, columns), np.float32)
    full_colours[clipped.slices] = colours[inner.slices]
    full_alpha[clipped.slices] = alpha[inner.slices]
    if not (full_alpha > 0.5).any():
        raise InvalidParameterError(
            "the part of the cut-out inside the background is transparent; move it with {at}",
            options={"at": NAME_ONLY},
        )
    return _Placed(full_colours, full_alpha, clipped, notes)


def _scale_of(dtype: np.dtype[Any]) -> float:
    if dtype == np.uint8:
        return 255.0
    if dtype == np.uint16:
        return 65535.0
    return 1.0


def _resized(colours: np.ndarray, alpha: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale colours and alpha together, premultiplied so no background colour bleeds in:
    an area filter when shrinking, cubic when enlarging."""
    height, width = alpha.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    how = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    premultiplied = np.dstack([colours * alpha[..., None], alpha]).astype(np.float32)
    scaled = np.clip(cv2.resize(premultiplied, size, interpolation=how), 0.0, 1.0)
    new_alpha = scaled[..., 3]
    new_colours = scaled[..., :3] / np.maximum(new_alpha, 1e-6)[..., None]
    return np.clip(new_colours, 0.0, 1.0).astype(np.float32), new_alpha.astype(np.float32)


def _pair(value: Any, name: str) -> tuple[int, int]:
    raw = value.replace(" ", "").split(",") if isinstance(value, str) else value
    try:
        x, y = (int(v) for v in raw)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} {value!r} is not two whole numbers; pass {{{name}}}",
            options={name: "x,y"},
        ) from None
    return x, y


def _grown_box(box: Box, pixels: int, size: Extent) -> Box:
    return Box(
        max(0, box.x0 - pixels),
        max(0, box.y0 - pixels),
        min(size.width, box.x1 + pixels),
        min(size.height, box.y1 + pixels),
    )


def _paste(scene: np.ndarray, colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    weight = alpha[..., None]
    return (scene * (1.0 - weight) + colours * weight).astype(np.float32)


def _match_object_colours(scene: np.ndarray, placed: _Placed, crop: Box) -> np.ndarray:
    """The object's colours with their Lab mean moved :data:`COLOR_SHARE` of the way to
    the scene's mean in a ring of :data:`RING` px around the object."""
    alpha = placed.alpha[crop.slices]
    inside = alpha > 0.5
    near = cv2.dilate(inside.astype(np.uint8), np.ones((2 * RING + 1,) * 2, np.uint8)) > 0
    ring = near & (alpha <= 0)
    if ring.sum() < 8 or inside.sum() < 1:
        return placed.colours
    scene_lab = cv2.cvtColor(np.ascontiguousarray(scene[crop.slices]), cv2.COLOR_RGB2Lab)
    object_lab = cv2.cvtColor(np.ascontiguousarray(placed.colours[crop.slices]), cv2.COLOR_RGB2Lab)
    shift = COLOR_SHARE * (scene_lab[ring].mean(axis=0) - object_lab[inside].mean(axis=0))
    moved = cv2.cvtColor((object_lab + shift).astype(np.float32), cv2.COLOR_Lab2RGB)
    colours = placed.colours.copy()
    colours[crop.slices] = np.clip(moved, 0.0, 1.0)
    return colours


def _classical_edge(scene: Any, pasted: Pasted) -> tuple[np.ndarray, np.ndarray]:
    """The background with the object composited in (its own dtype), and where it changed.

    With Poisson: the Poisson clone of the pasted object, kept fully on the outline and
    fading to the pasted object over ``band`` px inside it."""
    from inpaintkit.composite import composite_region, poisson_blend

    crop = pasted.crop
    alpha = pasted.alpha[crop.slices]
    result = pasted.colours[crop.slices].copy()
    if "poisson" in pasted.blend:
        inside = alpha > 0.5
        cloned = poisson_blend(scene.as_float()[crop.slices], result, inside.astype(np.float32))
        depth = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
        weight = np.clip(1.0 - (depth - 1.0) / float(pasted.band), 0.0, 1.0)[..., None]
        result = np.where(inside[..., None], result + weight * (cloned - result), result)
    changed = np.zeros(pasted.alpha.shape, np.float32)
    changed[crop.slices] = (alpha > 0).astype(np.float32)
    pixels = composite_region(scene.pixels, result.astype(np.float32), changed, crop)
    return pixels, changed


def _source_of(source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return "<array>"


def _classical_recipe(result: Result, scene: Any) -> dict[str, Any]:
    """The recipe keys every result carries; the blend itself is in the ``app`` entry.

    The classical blend is not a pipeline run (its "engine" is no registered engine), so
    :func:`replay_composition`, not :func:`inpaintkit.replay`, redoes it."""
    from inpaintkit._version import __version__
    from inpaintkit.imageio import digest_of
    from inpaintkit.recipe import RECIPE_FORMAT

    return {
        "format": RECIPE_FORMAT,
        "inpaintkit": __version__,
        "engine": CLASSICAL,
        "seed": result.seed,
        "options": {},
        "image": {"source": scene.source, "digest": digest_of(scene.pixels)},
        "mask": {"source": "<none>", "digest": "none"},
        "plan": result.plan.to_dict(),
    }


def replay_composition(path: str | os.PathLike[str]) -> Replay:
    """Redo the composition recorded in the PNG at ``path`` (inputs looked up beside it
    first, as :func:`inpaintkit.replay` does) and say whether it matches bit for bit."""
    from inpaintkit.imageio import load_image
    from inpaintkit.recipe_replay import Replay, read_recipe_of

    recipe = read_recipe_of(path)
    app = recipe.get("app") or {}
    if app.get("name") != "compose":
        raise InvalidInputError(
            f"{os.fspath(path)} was not written by compose; replay it with `inpaintkit replay`"
        )
    folder = Path(path).parent

    def find(entry: dict[str, Any] | None) -> Any:
        if entry is None:
            return None
        relative = entry.get("from_output")
        if relative and (folder / relative).is_file():
            return str(folder / relative)
        return entry["source"]

    result = compose(
        find(app["background"]),
        find(app["cutout"]),
        at=(int(app["at"][0]), int(app["at"][1])),
        scale=app["scale"],
        center=app["center"],
        band=app["band"],
        blend=app["blend"],
        cutout_mask=find(app["cutout_mask"]),
        engine=app["engine"],
        seed=recipe["seed"],
        **app["options"],
    )
    stored = load_image(path).pixels
    again = load_image(result.image).pixels
    identical = stored.shape == again.shape and bool(np.array_equal(stored, again))
    return Replay(os.fspath(path), result, identical, recipe)
