"""Rows of a batch: read from a manifest (JSON Lines or CSV) or matched from two
folders, each validated into a :class:`~inpaintkit.schema.Request` before anything runs.

Validation reports every bad row at once (:class:`RowError`, with its row number), so a
user fixes a manifest in one pass. Checks: the schema (the same as a CLI call, engine
options against the engine's table), files exist, the mask's size matches the image's
(from file headers: nothing is decoded; geometry masks are drawn, which is cheap), and
no two rows write the same output.

Choices (docs/batch.md says them to users):

* Row numbers are line numbers in the manifest file (a CSV's header is line 1); in
  folder mode, positions in the sorted list of images.
* Relative paths in a manifest are relative to the manifest's folder; they are made
  absolute, so the recipe in each output names its inputs whatever the working folder.
* The output name is the ``output`` column, else the image's stem + ``.png``. Two rows
  with the same output are both reported as bad (naming each other): nothing is
  overwritten, nothing renamed behind the user's back.
* A row without a seed gets one derived from its output name (the first 8 bytes of its
  BLAKE2b hash, below 2**31), so a rerun computes byte-identical outputs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from inpaintkit.batch import storage
from inpaintkit.errors import InpaintKitError, InvalidInputError, spell_json
from inpaintkit.schema import Request

__all__ = [
    "IMAGE_SUFFIXES",
    "Row",
    "RowError",
    "derive_seed",
    "read_manifest",
    "rows_from_folders",
    "spell_error",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
MASK_SUFFIXES = (*IMAGE_SUFFIXES, ".gif", ".npy", ".json")
_REQUEST_FIELDS = set(Request.model_fields) - {"image", "mask", "engine_params"}
_PARAMS_KEYS = ("engine_params", "params")


@dataclass(frozen=True)
class Row:
    """One validated job: its number, its request and the output name (in OUTDIR)."""

    number: int
    request: Request
    output: str
    mask_data: Any = None  # an inline JSON mask (strokes, polygons, RLE) of a JSONL row


@dataclass(frozen=True)
class RowError:
    """A row that cannot run, or failed: what a user reads in errors.jsonl."""

    number: int
    image: str | None
    message: str
    kind: str  # invalid, missing-file, mask-size, duplicate-output, missing-mask, bad-input, ...

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.number, "image": self.image, "kind": self.kind, "message": self.message}


def spell_error(error: InpaintKitError) -> str:
    """An error's message in a manifest's terms: options as JSON fields / CSV columns."""
    return " ".join(error.spelled(spell_json).split())


def derive_seed(output: str) -> int:
    """The seed of a row that gives none: stable across runs and machines.

    >>> derive_seed("photo.png") == derive_seed("photo.png"), derive_seed("a.png") < 2**31
    (True, True)
    """
    digest = hashlib.blake2b(output.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 2**31


# ---------------------------------------------------------------------------- reading


def read_manifest(path: str, *, defaults: dict[str, Any]) -> tuple[list[Row], list[RowError]]:
    """The rows of a JSON Lines or CSV manifest, validated; and every bad row.

    ``defaults`` are request fields (and ``engine_params``) for every row, e.g. from
    command-line flags; a row's own values win. A manifest that cannot be read at all
    raises :class:`~inpaintkit.errors.InvalidInputError`.
    """
    text = _read_text(path)
    folder = _folder_of(path)
    raw = _csv_rows(text, path) if _is_csv(path, text) else _jsonl_rows(text)
    if not raw:
        raise InvalidInputError(f"manifest {path} has no rows; add one row per image")
    return _validate(raw, folder, defaults)


def rows_from_folders(
    images: str, masks: str | None, *, mask: str | None, defaults: dict[str, Any]
) -> tuple[list[Row], list[RowError]]:
    """One row per image in ``images`` (sorted by name), each with the mask of the same
    stem in ``masks`` or the one ``mask`` for all; an image without a mask is a bad row."""
    if (masks is None) == (mask is None):
        raise InvalidInputError(
            "folder mode needs the masks: give --masks DIR (matched by file stem) "
            "or --mask FILE (one mask for every image)"
        )
    pictures = _listing(images, IMAGE_SUFFIXES, "images")
    if not pictures:
        raise InvalidInputError(
            f"no images in {images} (looked for {', '.join(IMAGE_SUFFIXES)}); check --images"
        )
    by_stem: dict[str, list[str]] = {}
    if masks is not None:
        for name in _listing(masks, MASK_SUFFIXES, "masks"):
            by_stem.setdefault(_stem(name), []).append(name)
    raw: list[tuple[int, dict[str, Any] | RowError]] = []
    for number, name in enumerate(pictures, start=1):
        entry: dict[str, Any] = {"image": os.path.abspath(os.path.join(images, name))}
        if mask is not None:
            entry["mask"] = mask if _is_geometry_string(mask) else os.path.abspath(mask)
        else:
            assert masks is not None
            found = by_stem.get(_stem(name), [])
            if len(found) > 1:
                message = f"{name} matches several masks ({', '.join(found)}); keep one per stem"
                raw.append((number, RowError(number, name, message, "ambiguous-mask")))
                continue
            if not found:
                message = (
                    f"{name} has no mask of the same stem in {masks}; add one (any image "
                    "extension), or give one mask for every image with --mask"
                )
                raw.append((number, RowError(number, name, message, "missing-mask")))
                continue
            entry["mask"] = os.path.abspath(os.path.join(masks, found[0]))
        raw.append((number, entry))
    return _validate(raw, None, defaults)


def _listing(folder: str, suffixes: tuple[str, ...], what: str) -> list[str]:
    if not os.path.isdir(folder):
        raise InvalidInputError(f"--{what} {folder} is not a folder; give the folder of the {what}")
    return sorted(
        name
        for name in os.listdir(folder)
        if not name.startswith(".")
        and name.lower().endswith(suffixes)
        and os.path.isfile(os.path.join(folder, name))
    )


def _stem(name: str) -> str:
    return os.path.splitext(name)[0]


def _read_text(path: str) -> str:
    if not storage.is_uri(path) and not os.path.isfile(path):
        raise InvalidInputError(f"manifest {path} does not exist; check the path")
    data = storage.read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"manifest {path} is not UTF-8 text ({error.reason} at byte {error.start}); "
            "save it as UTF-8 JSON Lines or CSV"
        ) from None


def _folder_of(path: str) -> str:
    if storage.is_uri(path):
        return path.rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(path))


def _is_csv(path: str, text: str) -> bool:
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        return True
    if suffix in (".jsonl", ".ndjson", ".json"):
        return False
    first = text.lstrip()[:1]
    return first != "{"


def _jsonl_rows(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    rows: list[tuple[int, dict[str, Any] | RowError]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            message = f"not valid JSON ({error.msg} at column {error.colno})"
            rows.append((number, RowError(number, None, message, "invalid")))
            continue
        if not isinstance(value, dict):
            message = 'a row must be a JSON object such as {"image": "a.png"}'
            rows.append((number, RowError(number, None, message, "invalid")))
            continue
        rows.append((number, value))
    return rows


def _csv_rows(text: str, path: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInputError(
            f"manifest {path} is empty; add a header and one row per image"
        ) from None
    except csv.Error as error:
        raise InvalidInputError(f"manifest {path} is not valid CSV ({error})") from None
    columns = [_key(name) for name in header]
    if "image" not in columns:
        raise InvalidInputError(
            f"manifest {path} has no 'image' column (header: {','.join(header)}); a CSV "
            "manifest starts with a header such as image,mask,output — or write JSON Lines"
        )
    rows: list[tuple[int, dict[str, Any] | RowError]] = []
    line = reader.line_num
    try:
        for cells in reader:
            number, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                message = f"{len(cells)} cells but {len(columns)} columns in the header"
                rows.append((number, RowError(number, None, message, "invalid")))
                continue
            entry = {
                column: _csv_value(column, cell)
                for column, cell in zip(columns, cells, strict=False)
                if cell.strip() != ""
            }
            rows.append((number, entry))
    except csv.Error as error:
        raise InvalidInputError(f"manifest {path} is not valid CSV ({error})") from None
    return rows


def _csv_value(column: str, cell: str) -> Any:
    """A CSV cell: paths and names as text, every other value as JSON where it parses."""
    if column in ("image", "mask", "output", "engine"):
        return cell.strip()
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        return cell.strip()


def _key(name: str) -> str:
    return name.strip().replace("-", "_")


# ---------------------------------------------------------------------------- validation


def _validate(
    raw: list[tuple[int, dict[str, Any] | RowError]], folder: str | None, defaults: dict[str, Any]
) -> tuple[list[Row], list[RowError]]:
    rows: list[Row] = []
    errors: list[RowError] = []
    for number, entry in raw:
        if isinstance(entry, RowError):
            errors.append(entry)
            continue
        try:
            row = _row(number, entry, folder, defaults)
            _check_files(row)
        except _RowProblem as problem:
            errors.append(RowError(number, problem.image, problem.message, problem.kind))
            continue
        rows.append(row)
    rows, duplicates = _without_duplicates(rows)
    errors += duplicates
    return rows, sorted(errors, key=lambda error: error.number)


class _RowProblem(Exception):
    def __init__(self, message: str, kind: str, image: str | None) -> None:
        super().__init__(message)
        self.message, self.kind, self.image = message, kind, image


def _row(
    number: int, entry: Mapping[str, Any], folder: str | None, defaults: dict[str, Any]
) -> Row:
    from inpaintkit.schema import make_request

    given = {_key(name): value for name, value in entry.items()}
    image = given.pop("image", None)
    if not isinstance(image, str) or not image.strip():
        raise _RowProblem('no image: every row needs an "image" path', "invalid", None)
    image = _resolve(image.strip(), folder)
    mask = given.pop("mask", None)
    if mask is None or (isinstance(mask, str) and not mask.strip()):
        mask = defaults.get("mask")  # already resolved (--mask)
    mask_data = None
    if isinstance(mask, dict | list):
        mask_data, mask = mask, None
    elif mask is not None and not isinstance(mask, str):
        raise _RowProblem(
            f'"mask" is {mask!r}; give a path, a box string "x0,y0,x1,y1" or inline JSON geometry',
            "invalid",
            image,
        )
    elif isinstance(mask, str) and mask is not defaults.get("mask"):
        mask = mask.strip() if _is_geometry_string(mask) else _resolve(mask.strip(), folder)
    output = given.pop("output", None)
    params: dict[str, Any] = dict(defaults.get("engine_params") or {})
    for key in _PARAMS_KEYS:
        extra = given.pop(key, None)
        if extra is not None and not isinstance(extra, dict):
            raise _RowProblem(f'"{key}" must be an object of engine options', "invalid", image)
        params |= extra or {}
    fields = {k: v for k, v in defaults.items() if k in _REQUEST_FIELDS}
    for key, value in given.items():
        if key in _REQUEST_FIELDS:
            fields[key] = value
        else:
            params[key] = value  # the engine's table says whether it is an option
    if mask is None and mask_data is None and not _outpaints(fields):
        raise _RowProblem(
            'no mask: give a "mask" (path, box string or JSON geometry), or --mask for all rows',
            "invalid",
            image,
        )
    output = _output_name(output, image)
    if fields.get("seed") is None:
        fields["seed"] = derive_seed(output)
    try:
        request = make_request(image=image, mask=mask, engine_params=params, **fields)
    except InpaintKitError as error:
        raise _RowProblem(spell_error(error), "invalid", image) from None
    return Row(number, request, output, mask_data)


def _outpaints(fields: Mapping[str, Any]) -> bool:
    extend = fields.get("extend")
    return isinstance(extend, list | tuple) and any(bool(side) for side in extend)


def _resolve(location: str, folder: str | None) -> str:
    if storage.is_uri(location) or os.path.isabs(location) or folder is None:
        return location
    if storage.is_uri(folder):
        return folder.rstrip("/") + "/" + location
    return os.path.normpath(os.path.join(folder, location))


def _is_geometry_string(text: str) -> bool:
    """A box string ``x0,y0,x1,y1[;...]`` rather than a file name."""
    from inpaintkit.imageio.mask_geometry import _BOX_STRING

    return "," in text and bool(_BOX_STRING.match(text))


def _output_name(output: Any, image: str) -> str:
    if output is None:
        base = image.rstrip("/").rsplit("/", 1)[-1]
        return _stem(base) + ".png"
    if not isinstance(output, str) or not output.strip():
        raise _RowProblem('"output" must be a file name such as "a.png"', "invalid", image)
    name = output.strip().replace("\\", "/")
    posix = PurePosixPath(name)
    if posix.is_absolute() or ".." in posix.parts or storage.is_uri(name):
        raise _RowProblem(
            f'"output" {name} must stay inside the output folder: give a relative name '
            "without '..'",
            "invalid",
            image,
        )
    if posix.suffix.lower() != ".png":
        raise _RowProblem(
            f'"output" {name} must end in .png (results carry their recipe in a PNG)',
            "invalid",
            image,
        )
    return str(posix)


def _check_files(row: Row) -> None:
    """Inputs exist and fit together, from headers where that is cheap."""
    request = row.request
    assert request.image is not None
    image = request.image
    if not storage.exists(image):
        raise _RowProblem(f"image {image} does not exist; check the path", "missing-file", image)
    # reading a header from an object store costs a download: skipped there
    size = None if storage.is_uri(image) else _header_size(image, "image", image)
    if row.mask_data is not None:
        if size is None:
            return  # drawn at the image's size, unknown until the row runs
        _check_geometry(
            json.dumps(row.mask_data).encode(), f"row {row.number}'s inline mask", size, row
        )
        return
    mask = request.mask
    if mask is None:
        return
    if _is_geometry_string(mask):
        if size is not None:
            from inpaintkit.imageio.mask_geometry import _mask_from_box_string

            _guarded(lambda: _mask_from_box_string(mask, _extent(size)), image)
        return
    if not storage.exists(mask):
        raise _RowProblem(f"mask {mask} does not exist; check the path", "missing-file", image)
    if storage.is_uri(mask) or size is None:
        return
    suffix = os.path.splitext(mask)[1].lower()
    if suffix == ".json":
        _check_geometry(storage.read_bytes(mask), mask, size, row)
        return
    if suffix == ".npy":
        import numpy as np

        shape = _guarded(lambda: np.load(mask, mmap_mode="r", allow_pickle=False).shape, image)
        mask_size = (int(shape[1]), int(shape[0])) if len(shape) >= 2 else None
    else:
        mask_size = _header_size(mask, "mask", image)[:2]
    _check_sizes(row, size, mask_size, mask)


def _extent(size: tuple[int, int, int]) -> Any:
    from inpaintkit.types import Extent

    width, height, orientation = size
    return Extent(height, width) if orientation >= 5 else Extent(width, height)


def _check_geometry(data: bytes, name: str, size: tuple[int, int, int] | None, row: Row) -> None:
    from inpaintkit.imageio.mask_geometry import _mask_from_json

    image = row.request.image
    extent = _extent(size) if size is not None else None
    drawn = _guarded(lambda: _mask_from_json(data, name, extent, row.request.max_pixels), image)
    if extent is not None:
        _check_sizes(row, size, (int(drawn.shape[1]), int(drawn.shape[0])), name)


def _check_sizes(
    row: Row, size: tuple[int, int, int] | None, mask_size: tuple[int, int] | None, mask: str
) -> None:
    if size is None or mask_size is None or row.request.mask_resize:
        return
    width, height, orientation = size
    allowed = {(width, height)} | ({(height, width)} if orientation >= 5 else set())
    if mask_size in allowed:
        return
    upright = (height, width) if orientation >= 5 else (width, height)
    raise _RowProblem(
        f"mask {mask} is {mask_size[0]}×{mask_size[1]} but image {row.request.image} is "
        f'{upright[0]}×{upright[1]}; set "mask_resize": true (or --mask-resize) to resize '
        "it, or supply a mask of the image's size",
        "mask-size",
        row.request.image,
    )


def _header_size(path: str, what: str, image: str) -> tuple[int, int, int]:
    """(width, height, EXIF orientation) from the file's header, without decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            orientation = 1
            if what == "image":
                orientation = int(picture.getexif().get(0x0112, 1) or 1)
            return int(picture.width), int(picture.height), orientation
    except (UnidentifiedImageError, OSError, ValueError) as error:
        detail = str(error).split("\n")[0]
        raise _RowProblem(
            f"{what} {path} cannot be read as an image ({detail}); replace the file",
            "unreadable",
            image,
        ) from None


def _guarded(check: Any, image: str | None) -> Any:
    try:
        return check()
    except InpaintKitError as error:
        raise _RowProblem(spell_error(error), "invalid-mask", image) from None
    except (OSError, ValueError) as error:
        raise _RowProblem(str(error).split("\n")[0], "unreadable", image) from None


def _without_duplicates(rows: list[Row]) -> tuple[list[Row], list[RowError]]:
    """Rows whose outputs (and variants) no other row writes; the others, as errors."""
    from inpaintkit.output import output_paths

    writers: dict[str, list[Row]] = {}
    for row in rows:
        for path in output_paths(row.output, row.request.num_images):
            writers.setdefault(path.as_posix().lower(), []).append(row)
    clashing: dict[int, set[int]] = {}
    for same in writers.values():
        if len(same) > 1:
            for row in same:
                clashing.setdefault(row.number, set()).update(o.number for o in same)
    good = [row for row in rows if row.number not in clashing]
    errors = []
    for row in rows:
        if row.number in clashing:
            others = ", ".join(str(n) for n in sorted(clashing[row.number] - {row.number}))
            errors.append(
                RowError(
                    row.number,
                    row.request.image,
                    f"output {row.output} is also written by row {others}; give each row its "
                    'own "output" name',
                    "duplicate-output",
                )
            )
    return good, errors
