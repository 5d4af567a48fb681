"""Replay the recipe stored in a result PNG and check it reproduces the stored pixels.

>>> import numpy as np, tempfile, os
>>> import inpaintkit
>>> folder = tempfile.mkdtemp()
>>> photo = os.path.join(folder, "photo.png")
>>> _ = inpaintkit.save_image(photo, np.full((16, 16, 3), 120, np.uint8))
>>> result = inpaintkit.inpaint(photo, "4,4,8,8", engine="telea", seed=1)
>>> _ = inpaintkit.save_result(result, os.path.join(folder, "out.png"))
>>> inpaintkit.replay(os.path.join(folder, "out.png")).identical
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inpaintkit.errors import InvalidInputError
from inpaintkit.imageio import load_image, load_mask, read_recipe, sha256_of
from inpaintkit.imageio.layout import quantize_to_palette
from inpaintkit.recipe import request_from_recipe
from inpaintkit.types import Result

__all__ = ["Replay", "read_recipe_of", "replay"]


@dataclass(frozen=True)
class Replay:
    """What a replay found: the new result and whether it matches the stored pixels."""

    path: str
    result: Result
    identical: bool
    recipe: dict[str, Any]


def read_recipe_of(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The recipe stored in ``path``, or an error saying the file has none."""
    recipe = read_recipe(path)
    if recipe is None:
        raise InvalidInputError(
            f"{os.fspath(path)} has no inpaintkit recipe: only PNGs written by inpaintkit carry one"
        )
    return recipe


def replay(
    path: str | os.PathLike[str], *, image: str | None = None, mask: str | None = None
) -> Replay:
    """Re-run the recipe in ``path``; ``image``/``mask`` replace the recorded inputs.

    Recorded relative paths are looked up next to ``path`` first (where the recipe says
    they were relative to the output), then from the working directory. An input whose
    pixels differ from the recorded hash is an error that names it.
    """
    from inpaintkit.pipeline import run

    recipe = read_recipe_of(path)
    if (recipe.get("app") or {}).get("name") == "compose" and recipe["engine"] == "classical":
        # A classical composition is a paste and a blend, not a pipeline run: redo that.
        from inpaintkit.apps.composition import replay_composition

        return replay_composition(path)
    folder = Path(path).parent
    request = request_from_recipe(
        recipe,
        image=image or _find_input(recipe, "image", folder),
        mask=mask or _find_input(recipe, "mask", folder),
    )
    result = run(request)
    for name in ("image", "mask"):
        if not _same_input(recipe[name], result.recipe[name], name, request):
            raise InvalidInputError(
                f"{name} {result.recipe[name]['source']} differs from the one recorded in "
                f"{os.fspath(path)} (digest mismatch); pass {{{name}}} with the original",
                options={name: "PATH"},
            )
    stored = load_image(path)
    replayed = load_image(result.image).pixels
    if result.palette is not None:  # stored in palette mode: compare what was written
        replayed = result.palette[quantize_to_palette(replayed, result.palette)][..., :3]
    identical = stored.pixels.shape == replayed.shape and bool(
        np.array_equal(stored.pixels, replayed)
    )
    return Replay(os.fspath(path), result, identical, recipe)


def _same_input(recorded: dict[str, Any], now: dict[str, Any], name: str, request: Any) -> bool:
    """Whether an input is the recorded one: by BLAKE3 digest (recipe format 2), or by
    the SHA-256 that format-1 recipes recorded (image pixels, or the loaded mask)."""
    if "digest" in recorded:
        return bool(recorded["digest"] == now["digest"])
    source = now["source"]
    if source.startswith("<"):
        return True  # nothing on disk to compare; the run itself recorded what it used
    if name == "image":
        return bool(sha256_of(load_image(source).pixels) == recorded.get("sha256"))
    picture = load_image(request.image)
    mask = load_mask(source, size=picture.size, resize=request.mask_resize).mask
    return bool(sha256_of(mask) == recorded.get("sha256"))


def _find_input(recipe: dict[str, Any], name: str, folder: Path) -> str | None:
    entry = recipe[name]
    source = entry["source"]
    if source == "<none>" or source.startswith("<"):
        return None
    from_output = entry.get("from_output")
    if not os.path.isabs(source) and from_output and (folder / from_output).is_file():
        return str(folder / from_output)
    return str(source)
