"""Remove an object: an automatic mask from a box, clicks or the salient object, grown a
little, then filled by an engine (``auto`` unless told otherwise).

The mask is grown by ``grow`` pixels before the fill, because objects leave a shadow,
a halo or a soft anti-aliased rim just outside what a segmenter calls "object", and a
fill that keeps that rim keeps a ghost outline. The default, :func:`default_grow`, is
8 px or 5 % of the object's size (the square root of its area), whichever is larger,
and at most 64 px: a spoon in a 600×400 photo gets 8 px, a person filling half of a
4000 px photo gets about 64.

The mask actually used (after growing) is what the engine saw and what the recipe
records: :func:`save_with_mask` writes it beside the result (``photo.removed.mask.png``)
and points the recipe at it, so ``inpaintkit replay photo.removed.png`` reproduces the
result bit for bit. It also writes a preview of the mask over the photo.

>>> import numpy as np
>>> photo = np.full((64, 64, 3), 200, np.uint8); photo[20:40, 20:40] = (200, 30, 30)
>>> hole = np.zeros((64, 64), np.float32); hole[20:40, 20:40] = 1
>>> result = remove(photo, mask=hole, engine="telea", seed=0)
>>> int(result.image[30, 30, 1]) > 150, result.recipe["app"]["grow"]
(True, 8)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from inpaintkit.errors import NAME_ONLY, EmptyMaskError, InvalidInputError, InvalidParameterError
from inpaintkit.types import Box, Result

__all__ = ["default_grow", "object_mask", "remove", "save_with_mask", "side_paths"]

MIN_GROW = 8
GROW_SHARE = 0.05
MAX_GROW = 64

Point = tuple[int, int]
PointLike = tuple[int, int] | Sequence[int] | str  # (x, y) or "x,y"


def default_grow(mask: np.ndarray) -> int:
    """Pixels to grow an object's mask by: 5 % of its size (√area), at least 8, at most 64.

    >>> m = np.zeros((400, 400), np.float32); m[:300, :300] = 1
    >>> default_grow(m)
    15
    """
    area = float(np.count_nonzero(np.asarray(mask) > 0.5))
    return int(min(MAX_GROW, max(MIN_GROW, round(GROW_SHARE * math.sqrt(area)))))


def object_mask(
    pixels: np.ndarray,
    *,
    mask: Any = None,
    box: Box | Sequence[int] | str | None = None,
    points: Sequence[PointLike] = (),
    negatives: Sequence[PointLike] = (),
    salient: bool = False,
) -> tuple[np.ndarray, str]:
    """The object's binary mask (float32 {0, 1}) from exactly one of ``mask`` (given),
    ``box``, ``points`` (with ``negatives``) or ``salient``, and the method's name."""
    height, width = pixels.shape[:2]
    given = [
        name
        for name, value in (
            ("mask", mask is not None),
            ("box", box is not None),
            ("points", bool(points)),
            ("salient", bool(salient)),
        )
        if value
    ]
    if negatives and not points:
        raise InvalidInputError(
            "{negatives} marks what is not the object; it goes with {points}",
            options={"negatives": NAME_ONLY, "points": "x,y"},
        )
    if len(given) != 1:
        what = "nothing" if not given else " and ".join(given)
        raise InvalidInputError(
            f"say which object to work on with exactly one of {{box}}, {{points}} or "
            f"{{salient}} (got {what})",
            options={"box": "x0,y0,x1,y1", "points": "x,y", "salient": True},
        )
    method = given[0]
    if method == "mask":
        from inpaintkit.imageio import load_mask
        from inpaintkit.types import Extent

        found = load_mask(mask, size=Extent(width, height)).mask
    elif method == "box":
        from inpaintkit.mask.auto import mask_from_box

        found = mask_from_box(pixels, parse_box(box, width, height))
    elif method == "points":
        from inpaintkit.mask.auto import mask_from_points

        checked = [parse_point(p, width, height, "points") for p in points]
        against = [parse_point(p, width, height, "negatives") for p in negatives]
        found = mask_from_points(pixels, checked, negatives=against)
    else:
        from inpaintkit.mask.auto import salient_mask

        found = salient_mask(pixels)
    binary = (np.asarray(found, np.float32) > 0.5).astype(np.float32)
    if not binary.any():
        raise EmptyMaskError(
            f"no object found from the {method} given: "
            + {
                "mask": "the mask is empty; paint the object white",
                "box": "draw the box tightly around the object",
                "points": "click on the object itself (and {negatives} on what is not)",
                "salient": "there is no clear main object; use {box} or {points} instead",
            }[method],
            options={"negatives": "x,y", "box": "x0,y0,x1,y1", "points": "x,y"},
        )
    return binary, method


def parse_box(box: Any, width: int, height: int) -> Box:
    """A box from ``Box``, 4 numbers or ``"x0,y0,x1,y1"``, checked against the photo."""
    values = box.replace(" ", "").split(",") if isinstance(box, str) else list(box)
    try:
        x0, y0, x1, y1 = (int(float(v)) for v in values)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"box {box!r} is not four numbers; pass {{box}} (left, top, right, bottom, px)",
            options={"box": "x0,y0,x1,y1"},
        ) from None
    clipped = Box(max(0, x0), max(0, y0), min(width, x1), min(height, y1))
    if clipped.is_empty:
        raise InvalidParameterError(
            f"box {x0},{y0},{x1},{y1} holds no pixel of the {width}×{height} photo; pass "
            "{box} with x0 < x1 and y0 < y1 inside the photo",
            options={"box": "x0,y0,x1,y1"},
        )
    return clipped


def parse_point(point: Any, width: int, height: int, name: str) -> Point:
    """A point from ``(x, y)`` or ``"x,y"``, checked to lie inside the photo."""
    values = point.replace(" ", "").split(",") if isinstance(point, str) else list(point)
    try:
        x, y = (int(float(v)) for v in values)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"point {point!r} is not two numbers; pass {{{name}}}", options={name: "x,y"}
        ) from None
    if not (0 <= x < width and 0 <= y < height):
        raise InvalidParameterError(
            f"point {x},{y} is outside the {width}×{height} photo; pass {{{name}}} inside it",
            options={name: "x,y"},
        )
    return x, y


def remove(
    image: Any,
    *,
    box: Box | Sequence[int] | str | None = None,
    points: Sequence[PointLike] = (),
    negatives: Sequence[PointLike] = (),
    salient: bool = False,
    mask: Any = None,
    grow: int | None = None,
    engine: str = "auto",
    seed: int | None = None,
    **options: Any,
) -> Result:
    """Remove the object picked by ``box``, ``points`` (and ``negatives``), ``salient`` or
    a ready ``mask``: the mask is grown by ``grow`` px (default :func:`default_grow`) and
    filled by ``engine`` with its ``options`` (``model=``, ``prompt=``, ...). Pixels
    outside the grown mask are kept bit for bit. ``result.mask`` is the mask used;
    ``result.recipe["app"]`` records how it was found.
    """
    from inpaintkit.imageio import load_image
    from inpaintkit.mask.refine import grow as grow_mask
    from inpaintkit.pipeline import inpaint

    picture = load_image(image)
    found, method = object_mask(
        picture.as_float(),
        mask=mask,
        box=box,
        points=points,
        negatives=negatives,
        salient=salient,
    )
    pixels = default_grow(found) if grow is None else grow
    if isinstance(pixels, bool) or not isinstance(pixels, int) or not 0 <= pixels <= 4096:
        raise InvalidParameterError(
            f"grow is {grow!r}; pass {{grow}} as whole pixels from 0 to 4096",
            options={"grow": 8},
        )
    used = grow_mask(found, pixels=pixels) if pixels else found
    if "model" in options and engine == "auto":
        engine = "diffusion"  # as `inpaintkit run --model`: a model means diffusion
    result = inpaint(image, used, engine=engine, seed=seed, **options)
    app = {
        "name": "remove",
        "method": method,
        "box": list(parse_box(box, *picture.size)) if box is not None else None,
        "points": [list(parse_point(p, *picture.size, "points")) for p in points],
        "negatives": [list(parse_point(p, *picture.size, "negatives")) for p in negatives],
        "grow": pixels,
    }
    return replace(result, recipe={**result.recipe, "app": app})


def side_paths(output: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``photo.removed.png`` → its mask and overlay: ``photo.removed.mask.png``,
    ``photo.removed.overlay.png``.

    >>> [p.as_posix() for p in side_paths("out/a.removed.png")]
    ['out/a.removed.mask.png', 'out/a.removed.overlay.png']
    """
    path = Path(output)
    return path.with_name(f"{path.stem}.mask.png"), path.with_name(f"{path.stem}.overlay.png")


def save_with_mask(
    result: Result,
    output: str | os.PathLike[str],
    *,
    photo: Any,
    overwrite: bool = False,
    png_level: int | None = None,
    overlay: bool = True,
) -> list[Path]:
    """Write ``result`` with the mask it used beside it (recorded in its recipe, so
    :func:`inpaintkit.replay` finds it) and, with ``overlay``, the mask over ``photo``.

    Every path is checked before anything is written. Returns the paths written:
    result, mask, then overlay.
    """
    from inpaintkit.imageio import check_output_path, load_image, save_image
    from inpaintkit.output import output_paths, save_result
    from inpaintkit.preview import overlay_mask

    mask_path, overlay_path = side_paths(output)
    targets = [*output_paths(output, 1 + len(result.variants)), mask_path]
    if overlay:
        targets.append(overlay_path)
    for path in targets:
        check_output_path(path, overwrite=overwrite)
    mask_u8 = np.round(np.clip(result.mask, 0.0, 1.0) * 255).astype(np.uint8)
    save_image(mask_path, mask_u8, overwrite=overwrite)
    recorded = {**result.recipe["mask"], "source": str(mask_path)}
    pointed = replace(
        result,
        recipe={**result.recipe, "mask": recorded},
        variants=tuple(replace(v, recipe={**v.recipe, "mask": recorded}) for v in result.variants),
    )
    save_result(pointed, output, overwrite=overwrite, png_level=png_level)
    written = [Path(output), mask_path]
    if overlay:
        save_image(overlay_path, overlay_mask(load_image(photo).pixels, result.mask))
        written.append(overlay_path)
    return written
