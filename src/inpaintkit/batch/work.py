"""One row's work, the same in every runner: skip it when its output is already done,
else run the pipeline and write the output atomically with its recipe.

"Done" means: the output exists and its recipe matches the row, i.e. the same recipe
format and inpaintkit version, engine, seed, every option, and the digests of the
decoded image and the loaded mask. Only when engine, seed, options and version match
are the inputs decoded to compare digests, so a changed parameter costs no decode. A
stale output (its recipe says another input or option) is ours and is overwritten; a
file at the output path without a readable inpaintkit recipe is not ours and is never
touched (the row fails and says so).

:func:`process_row` never raises for a row's own problem: it returns a failed
:class:`RowOutcome` whose :class:`~inpaintkit.batch.manifest.RowError` is spelled for
the user. Inputs and outputs may be object-store URIs (see
:mod:`inpaintkit.batch.storage`); the recipe then records the URIs.

An inline mask (JSON geometry in a JSONL row) is written beside the outputs as
``_inline_masks/<output stem>.json`` before the row runs, so the recipe points at a
real file and ``inpaintkit replay`` works on the output like on any other.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from inpaintkit.batch import storage
from inpaintkit.batch.manifest import Row, RowError, spell_error
from inpaintkit.errors import InpaintKitError, InvalidInputError

__all__ = [
    "INLINE_MASKS",
    "RowOutcome",
    "clean_temp_files",
    "inline_mask_path",
    "is_done",
    "output_locations",
    "output_path",
    "process_row",
]

INLINE_MASKS = "_inline_masks"
_NOT_OURS = "not-ours"


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row."""

    number: int
    output: str  # the path written (or that would be written)
    status: str  # "done" | "skipped" | "failed"
    error: RowError | None
    seconds: float


def output_path(outdir: str, row: Row) -> str:
    """Where ``row``'s output goes: its output name inside ``outdir``."""
    return storage.join(outdir, row.output)


def output_locations(target: str, count: int) -> list[str]:
    """``target`` and the names of its variants (``a.png``, ``a-2.png``, ...), for a path
    or a URI, as :func:`inpaintkit.output.output_paths` names them.

    >>> output_locations("s3://bucket/out/a.png", 2)
    ['s3://bucket/out/a.png', 's3://bucket/out/a-2.png']
    """
    if not storage.is_uri(target):
        from inpaintkit.output import output_paths

        return [os.fspath(path) for path in output_paths(target, count)]
    folder, _, name = target.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    ending = f".{suffix}" if dot else ""
    return [target, *(f"{folder}/{stem}-{number}{ending}" for number in range(2, count + 1))]


def inline_mask_path(outdir: str, row: Row) -> str:
    """Where ``row``'s inline mask is kept: ``_inline_masks/<output stem>.json``."""
    stem = row.output[: -len(".png")] if row.output.lower().endswith(".png") else row.output
    return storage.join(outdir, f"{INLINE_MASKS}/{stem}.json")


def is_done(row: Row, outdir: str) -> bool:
    """Whether ``row``'s output (and its variants) exist with a recipe that matches it."""
    return _done_state(row, outdir) is True


def _done_state(row: Row, outdir: str) -> bool | str:
    """True (done), False (missing or stale: run it) or ``"not-ours"``."""
    from inpaintkit._version import __version__
    from inpaintkit.recipe import RECIPE_FORMAT

    stored = [
        _stored_recipe(location)
        for location in output_locations(output_path(outdir, row), row.request.num_images)
    ]
    if any(isinstance(recipe, str) for recipe in stored):
        return _NOT_OURS  # never overwritten, not even as a variant
    recipes = [recipe for recipe in stored if isinstance(recipe, dict)]
    if len(recipes) < len(stored):
        return False
    expected = _expected_options(row)
    for offset, recipe in enumerate(recipes):
        if not (
            recipe.get("format") == RECIPE_FORMAT
            and recipe.get("inpaintkit") == __version__
            and recipe.get("engine") == row.request.engine
            and recipe.get("seed") == (row.request.seed or 0) + offset
            and recipe.get("options") == expected
        ):
            return False
    image_digest, mask_digest = _input_digests(row, outdir)
    return all(
        recipe.get("image", {}).get("digest") == image_digest
        and recipe.get("mask", {}).get("digest") == mask_digest
        for recipe in recipes
    )


def _stored_recipe(location: str) -> dict[str, Any] | str | None:
    """The recipe at ``location``; None when there is no file; ``"not-ours"`` for a file
    that carries no readable inpaintkit recipe (not a PNG, no recipe chunk, a damaged
    one): such a file is never overwritten. Our own outputs are written atomically, so a
    damaged one is not ours to guess about either."""
    from inpaintkit.imageio.png_chunks import find_text
    from inpaintkit.imageio.write_image import RECIPE_KEYWORD

    if not storage.exists(location):
        return None
    try:
        text = find_text(storage.read_bytes(location), RECIPE_KEYWORD)
        recipe = json.loads(text) if text is not None else None
    except Exception:  # not a PNG, a damaged chunk, not JSON
        return _NOT_OURS
    return recipe if isinstance(recipe, dict) else _NOT_OURS


def _expected_options(row: Row) -> Any:
    """The recipe's ``options`` for this row, as its JSON would read them back."""
    request = row.request.model_copy(update={"num_images": 1})
    options = request.model_dump(exclude={"image", "mask", "seed", "engine"})
    return json.loads(json.dumps(options, default=str))


def _input_digests(row: Row, outdir: str) -> tuple[str, str]:
    """The image and mask digests the pipeline would record for this row."""
    from inpaintkit.imageio import digest_of, load_image
    from inpaintkit.mask.refine import mask_bounds
    from inpaintkit.pipeline import _load_mask, _mask_digest

    with _inputs(row, outdir) as (request, image, mask):
        picture = load_image(image, max_pixels=request.max_pixels)
        loaded = _load_mask(mask, request, picture)
        return digest_of(picture.pixels), _mask_digest(loaded.mask, mask_bounds(loaded.mask))


@contextmanager
def _inputs(row: Row, outdir: str) -> Iterator[tuple[Any, Any, Any]]:
    """(request, image source, mask source) ready for the pipeline: local paths as they
    are, URIs as bytes (or a temporary file, for JSON and .npy masks), an inline mask as
    the file written for it in ``outdir``."""
    request = row.request
    if row.mask_data is not None:
        location = inline_mask_path(outdir, row)
        _write_inline_mask(location, row.mask_data)
        request = request.model_copy(update={"mask": location})
    assert request.image is not None
    image: Any = request.image
    if storage.local_path(image) is None:
        image = storage.read_bytes(image)
    mask: Any = request.mask
    scratch = None
    if mask is not None and storage.local_path(mask) is None:
        suffix = os.path.splitext(mask)[1].lower()
        data = storage.read_bytes(mask)
        if suffix in (".json", ".npy"):  # load_mask knows these by their file name
            scratch = tempfile.TemporaryDirectory(prefix="inpaintkit-batch-")
            mask = os.path.join(scratch.name, "mask" + suffix)
            with open(mask, "wb") as stream:
                stream.write(data)
        else:
            mask = data
    elif mask is not None:
        mask = storage.local_path(mask)
    if isinstance(image, str):
        image = storage.local_path(image)
    try:
        yield request, image, mask
    finally:
        if scratch is not None:
            scratch.cleanup()


def _write_inline_mask(location: str, mask_data: Any) -> None:
    data = (json.dumps(mask_data, sort_keys=True) + "\n").encode()
    if storage.exists(location) and storage.read_bytes(location) == data:
        return
    storage.write_bytes(location, data)


def process_row(row: Row, outdir: str, *, png_level: int | None = None) -> RowOutcome:
    """Skip ``row`` if done, else run it and write its output; never raises for the row's
    own problem (a bad file, an engine error): the outcome says ``failed`` and why."""
    start = time.perf_counter()
    target = output_path(outdir, row)
    try:
        state = _done_state(row, outdir)
        if state == _NOT_OURS:
            raise InvalidInputError(
                f"{target} (or one of its variants) exists and carries no inpaintkit recipe, "
                'so it is not overwritten; move it away or give the row another "output" name'
            )
        if state is True:
            return RowOutcome(row.number, target, "skipped", None, time.perf_counter() - start)
        _run_and_write(row, outdir, target, png_level)
    except InpaintKitError as error:
        kind = "bad-input" if isinstance(error, InvalidInputError) else "failed"
        failure = RowError(row.number, row.request.image, spell_error(error), kind)
        return RowOutcome(row.number, target, "failed", failure, time.perf_counter() - start)
    except Exception as error:  # an engine's own bug must not stop the other rows
        message = f"{type(error).__name__}: {' '.join(str(error).split())}"
        failure = RowError(row.number, row.request.image, message, "failed")
        return RowOutcome(row.number, target, "failed", failure, time.perf_counter() - start)
    return RowOutcome(row.number, target, "done", None, time.perf_counter() - start)


def _run_and_write(row: Row, outdir: str, target: str, png_level: int | None) -> None:
    from inpaintkit.output import encode_result, save_result
    from inpaintkit.pipeline import run

    with _inputs(row, outdir) as (request, image, mask):
        result = run(request, image=image, mask=mask)
    result = _recording_sources(result, request)
    local = storage.local_path(target)
    if local is not None:
        os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
        save_result(result, local, overwrite=True, png_level=png_level)
        return
    results = [result, *result.variants]
    for one, location in zip(results, output_locations(target, len(results)), strict=True):
        storage.write_bytes(location, encode_result(one, png_level=png_level))


def _recording_sources(result: Any, request: Any) -> Any:
    """The result with its recipe naming the row's URI inputs as given (rather than
    ``<bytes>`` or the temporary file they were read through), for it and each variant."""
    uris = {
        key: name
        for key, name in (("image", request.image), ("mask", request.mask))
        if name is not None and storage.is_uri(name)
    }
    if not uris:
        return result

    def renamed(one: Any) -> Any:
        recipe = dict(one.recipe)
        for key, name in uris.items():
            if recipe.get(key):
                recipe[key] = {**recipe[key], "source": name}
        return dataclasses.replace(one, recipe=recipe)

    return dataclasses.replace(renamed(result), variants=tuple(map(renamed, result.variants)))


def clean_temp_files(rows: list[Row], outdir: str) -> int:
    """Delete temporary files a killed run left beside its outputs (``.NAME.*.tmp``, as
    atomic writes name them); returns how many. Local output folders only."""
    folder = storage.local_path(outdir)
    if folder is None or not os.path.isdir(folder):
        return 0
    from inpaintkit.output import output_paths

    names: dict[str, set[str]] = {}
    for row in rows:
        for path in output_paths(output_path(folder, row), row.request.num_images):
            names.setdefault(os.path.dirname(path), set()).add(os.path.basename(path))
        if row.mask_data is not None:
            mask = inline_mask_path(folder, row)
            names.setdefault(os.path.dirname(mask), set()).add(os.path.basename(mask))
    removed = 0
    for parent, wanted in names.items():
        try:
            entries = os.listdir(parent)
        except OSError:
            continue
        for entry in entries:
            if not (entry.startswith(".") and entry.endswith(".tmp")):
                continue
            base = entry[1:].rsplit(".", 2)[0]  # ".a.png.k2j3h4.tmp" -> "a.png"
            if base in wanted:
                try:
                    os.unlink(os.path.join(parent, entry))
                    removed += 1
                except OSError:
                    pass
    return removed
