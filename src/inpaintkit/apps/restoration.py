"""Restore an old photo: find its damage, add the user's own mask, fill both.

:func:`restore` runs :func:`~inpaintkit.mask.damage.detect_damage_by_kind` (long film
scratches, short scratches and dust, torn-off corners and edges; long lines in any
direction on request), unites what it found with ``mask`` (the parts the user marked
themselves), and fills the union with :func:`inpaintkit.inpaint`. Pixels outside that
union are kept bit for bit.

The union is the mask the engine saw, and the recipe records it: written with
:func:`~inpaintkit.apps.removal.save_with_mask` (what ``inpaintkit restore`` does), it
lies beside the result as ``photo.restored.mask.png`` and ``inpaintkit replay`` reads
it, so a replay does not depend on the detector's version. ``result.recipe["app"]``
records the kinds asked for, the sensitivity, and what share of the photo each kind
covered.

Engine: ``auto`` (telea for thin strokes, the structure fill for wider holes) by
default, for every kind: on the restore benchmark (``benchmarks/applications_bench.py
--only restore``) ``auto``, ``telea`` and ``structure`` are within 0.4 dB of each other
on every kind of damage; see ``docs/restore.md``.

>>> import numpy as np
>>> photo = np.full((120, 90, 3), 110, np.uint8)
>>> photo[:, 40] = 230  # a film scratch from top to bottom
>>> result = restore(photo, seed=0)
>>> int(result.image[60, 40, 0]), result.recipe["app"]["found"]["long_scratches"] > 0
(110, True)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from inpaintkit.errors import EmptyMaskError, InvalidParameterError
from inpaintkit.mask.damage import DEFAULT_DAMAGE_KINDS
from inpaintkit.types import Result

__all__ = ["find_damage", "restore"]


def find_damage(
    image: Any,
    *,
    mask: Any = None,
    kinds: Iterable[str] | str = DEFAULT_DAMAGE_KINDS,
    sensitivity: float = 0.5,
    grow: int = 1,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The mask :func:`restore` fills (float32 H×W, 1 = damage) and the part each kind
    of damage contributed (``"mask"``: the user's own ``mask``, if given).

    ``image``: a path or an array; ``mask``: a path, a box string ``"x0,y0,x1,y1"`` or an
    array of the photo's size.
    """
    from inpaintkit.imageio import load_image, load_mask
    from inpaintkit.mask.damage import detect_damage_by_kind

    _check_grow(grow)
    picture = load_image(image)
    parts = detect_damage_by_kind(
        picture.as_float(), kinds=kinds, sensitivity=sensitivity, grow=grow
    )
    if mask is not None:
        loaded = load_mask(mask, size=picture.size, orientation=picture.exif_orientation)
        parts["mask"] = loaded.mask.astype(np.float32)
    union = np.zeros(picture.pixels.shape[:2], np.float32)
    for part in parts.values():
        np.maximum(union, part, out=union)
    return union, parts


def restore(
    image: Any,
    *,
    mask: Any = None,
    kinds: Iterable[str] | str = DEFAULT_DAMAGE_KINDS,
    sensitivity: float = 0.5,
    grow: int = 1,
    engine: str = "auto",
    seed: int | None = None,
    **options: Any,
) -> Result:
    """Find the damage in ``image`` (``kinds``, at ``sensitivity``, each find grown by
    ``grow`` px), add ``mask`` (the user's own marks), and fill the union with
    ``engine`` and its ``options`` (any keyword of :func:`inpaintkit.inpaint`).

    ``result.mask`` is the mask filled; ``result.recipe["app"]`` says what was found.
    A photo where nothing is found and no ``mask`` is given is an
    :class:`~inpaintkit.errors.EmptyMaskError` that names the ways on.
    """
    from inpaintkit.mask.damage import parse_damage_kinds
    from inpaintkit.pipeline import inpaint

    wanted = parse_damage_kinds(kinds)
    _check_sensitivity(sensitivity)
    union, parts = find_damage(image, mask=mask, kinds=wanted, sensitivity=sensitivity, grow=grow)
    if not union.any():
        raise EmptyMaskError(
            "no damage found in the photo (kinds: "
            + ", ".join(wanted)
            + "): raise {sensitivity}, ask for more {kinds}, or mark the damage with {mask}",
            options={"sensitivity": 0.8, "kinds": "all", "mask": "damage.png"},
        )
    if "model" in options and engine == "auto":
        engine = "diffusion"  # as `inpaintkit run --model`: a model means diffusion
    result = inpaint(image, union, engine=engine, seed=seed, **options)
    app = {
        "name": "restore",
        "kinds": list(wanted),
        "sensitivity": float(sensitivity),
        "grow": int(grow),
        "found": {kind: round(float(part.mean()), 6) for kind, part in parts.items()},
        "mask": _describe_source(mask),
    }
    return replace(result, recipe={**result.recipe, "app": app})


def _describe_source(source: Any) -> str | None:
    if source is None:
        return None
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return "<array>"


def _check_sensitivity(sensitivity: object) -> None:
    number = isinstance(sensitivity, int | float) and not isinstance(sensitivity, bool)
    if not number or not 0.0 <= float(sensitivity) <= 1.0:  # type: ignore[arg-type]
        raise InvalidParameterError(
            f"sensitivity is {sensitivity!r}; pass {{sensitivity}} between 0 and 1 (higher "
            "finds fainter damage and more false alarms)",
            options={"sensitivity": 0.5},
        )


def _check_grow(grow: object) -> None:
    if isinstance(grow, bool) or not isinstance(grow, int | np.integer) or not 0 <= grow <= 64:
        raise InvalidParameterError(
            f"grow is {grow!r}; pass {{grow}} as whole pixels from 0 to 64", options={"grow": 1}
        )
