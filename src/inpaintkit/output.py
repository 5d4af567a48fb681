"""Write a :class:`~inpaintkit.types.Result` to disk: the image in the photo's own form,
with its recipe, and its variants beside it.

The recipe records each input's path as given and, for files, also relative to the
output's folder (``from_output``), so :func:`inpaintkit.replay` finds the inputs from
any working directory as long as the files keep their places relative to each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from inpaintkit.imageio import check_output_path, encode_image, save_image
from inpaintkit.types import Result

__all__ = ["encode_result", "save_result", "variant_path"]


def variant_path(output: str | os.PathLike[str], number: int) -> Path:
    """``out.png`` → ``out-2.png`` for the second of several images.

    >>> variant_path("out/photo.png", 3).as_posix()
    'out/photo-3.png'
    """
    path = Path(output)
    return path.with_name(f"{path.stem}-{number}{path.suffix}")


def output_paths(output: str | os.PathLike[str], count: int) -> list[Path]:
    """Where a result with ``count`` images is written: the output, then its variants."""
    return [Path(output), *(variant_path(output, k) for k in range(2, count + 1))]


def save_result(
    result: Result,
    output: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    png_level: int | None = None,
) -> list[str]:
    """Write ``result`` (and its variants, as ``out-2.png``, ...) atomically; every path is
    checked before the first byte is written. Returns warnings for the user."""
    results = [result, *result.variants]
    paths = output_paths(output, len(results))
    for path in paths:
        check_output_path(path, overwrite=overwrite)
    warnings: list[str] = []
    for one, path in zip(results, paths, strict=True):
        warnings += save_image(
            path,
            one.image,
            icc_profile=one.icc_profile,
            recipe=_with_paths_from(one.recipe, path.parent),
            overwrite=overwrite,
            **_png_options(png_level, one),
        )
    return list(dict.fromkeys(warnings))


def encode_result(result: Result, *, png_level: int | None = None) -> bytes:
    """``result`` as PNG bytes, in the photo's own mode, with its recipe: what a server
    sends back instead of writing a file."""
    data, _warnings = encode_image(
        result.image,
        icc_profile=result.icc_profile,
        recipe=result.recipe,
        **_png_options(png_level, result),
    )
    return data


def _png_options(png_level: int | None, result: Result) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if png_level is not None:
        options["png_level"] = png_level
    if result.palette is not None:
        options["palette"] = result.palette
    return options


def _with_paths_from(recipe: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The recipe with each file input's path also given relative to ``folder``."""
    if not recipe:
        return recipe
    updated = dict(recipe)
    for name in ("image", "mask"):
        entry = recipe.get(name)
        if not entry or not _is_file(entry.get("source", "")):
            continue
        from_output = os.path.relpath(os.path.abspath(entry["source"]), os.path.abspath(folder))
        updated[name] = {**entry, "from_output": Path(from_output).as_posix()}
    return updated


def _is_file(source: str) -> bool:
    return bool(source) and not source.startswith("<") and os.path.isfile(source)
