"""Masks drawn from geometry: box strings (``"x0,y0,x1,y1;..."``) and JSON files (COCO
RLE, a COCO annotation's ``segmentation``, ``{"polygons": [...]}``, ``{"strokes": [...]}``,
or a bare list of either: objects with ``"points"`` are strokes, point lists polygons).
docs/masks.md shows every form with an example.

Drawing is :mod:`inpaintkit.mask.create`'s job; this module reads the text, finds the
size to draw at (the file's own ``width``/``height``, or the image's) and checks it
against ``max_pixels`` before drawing, and makes every error name the mask file.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from inpaintkit.errors import InvalidInputError, InvalidMaskError, UnreadableFileError
from inpaintkit.imageio._shared import _SAVE_FORMATS, _one_line
from inpaintkit.imageio.read_image import _check_pixel_count
from inpaintkit.types import Box, Extent

_MASK_IMAGE_SUFFIXES = {*_SAVE_FORMATS, ".gif"}

_BOX_STRING = re.compile(r"^\s*[-+\d.,;\s]+$")


def _looks_like_box_string(text: str) -> bool:
    """Box strings are numbers and commas; other comma names without a file suffix too."""
    if "," not in text or os.path.exists(text):
        return False
    if _BOX_STRING.match(text):
        return True
    known = {*_MASK_IMAGE_SUFFIXES, ".npy", ".json"}
    has_folder = "/" in text or os.sep in text
    return Path(text).suffix.lower() not in known and not has_folder


def _mask_from_box_string(text: str, size: Extent | None) -> np.ndarray:
    if size is None:
        raise InvalidMaskError(
            f"box mask '{text}' needs the image size: give the image it belongs to (or its "
            "size) along with the mask"
        )
    size = Extent(*size)
    boxes: list[Box] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        fields = [f.strip() for f in part.split(",")]
        try:
            numbers = [float(f) for f in fields]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) and n == int(n) for n in numbers):
            raise InvalidMaskError(
                f"box mask '{text}': '{part.strip()}' is not 4 whole numbers; "
                "write boxes as 'x0,y0,x1,y1' (pixels, end exclusive), several joined by ';'"
            )
        box = Box(*(int(n) for n in numbers))
        if box.is_empty:
            raise InvalidMaskError(
                f"box mask '{text}': box {part.strip()} is empty; x1 must exceed x0 and "
                "y1 must exceed y0 ('x0,y0,x1,y1')"
            )
        if box.x1 <= 0 or box.y1 <= 0 or box.x0 >= size.width or box.y0 >= size.height:
            raise InvalidMaskError(
                f"box mask '{text}': box {part.strip()} lies outside the {size} image; "
                f"use coordinates within 0..{size.width} and 0..{size.height}"
            )
        boxes.append(box)
    if not boxes:
        raise InvalidMaskError(
            f"box mask '{text}' holds no boxes; write boxes as 'x0,y0,x1,y1', joined by ';'"
        )
    from inpaintkit.mask.create import mask_from_boxes

    return _checked_geometry(mask_from_boxes(size, boxes), text, size)


def _mask_from_json(data: bytes, name: str, size: Extent | None, max_pixels: int) -> np.ndarray:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFileError(
            f"mask {name} is not valid JSON ({_one_line(error)}); fix the file or export it again"
        ) from error
    from inpaintkit.mask import create

    if isinstance(document, list):
        kind = _bare_list_kind(document, name)
        target = _geometry_size({}, name, size, kind)
        _check_area(target, name, max_pixels)
        draw = create.mask_from_strokes if kind == "stroke" else create.mask_from_polygons
        return _draw(name, target, draw, document)
    if not isinstance(document, dict):
        raise _unknown_json(name)
    if "counts" in document and "size" in document:
        return _rle_mask(document, name, max_pixels)
    segmentation = document.get("segmentation")
    if isinstance(segmentation, dict):
        return _rle_mask(segmentation, name, max_pixels)
    if isinstance(segmentation, list) or "polygons" in document:
        polygons = segmentation if segmentation is not None else document["polygons"]
        if not isinstance(polygons, list):
            raise InvalidMaskError(
                f"mask {name}: 'polygons' must be a list of [[x, y], ...] lists; fix the file"
            )
        target = _geometry_size(document, name, size, "polygon")
        _check_area(target, name, max_pixels)
        return _draw(name, target, create.mask_from_polygons, polygons)
    if "strokes" in document:
        strokes = document["strokes"]
        if not isinstance(strokes, list) or not all(isinstance(s, dict) for s in strokes):
            raise InvalidMaskError(
                f"mask {name}: 'strokes' must be a list of objects such as "
                f"{_STROKE_EXAMPLE}; fix the file"
            )
        target = _geometry_size(document, name, size, "stroke")
        _check_area(target, name, max_pixels)
        return _draw(name, target, create.mask_from_strokes, strokes)
    raise _unknown_json(name)


_LONGEST_MESSAGE = 400
_STROKE_EXAMPLE = '{"points": [[10, 20], [60, 25]], "radius": 6}'
_POLYGON_EXAMPLE = "[[10, 10], [60, 10], [35, 50]]"


def _bare_list_kind(document: list[Any], name: str) -> str:
    """A bare JSON list is strokes (objects with "points") or polygons (point lists, or
    COCO's flat ``[x0, y0, x1, y1, ...]`` lists), never a mix."""
    objects = sum(isinstance(item, dict) for item in document)
    lists = sum(isinstance(item, list) for item in document)
    if document and objects == len(document):
        return "stroke"
    if lists == len(document):
        return "polygon"
    if objects and lists:
        found = "both stroke objects and polygon lists"
    else:
        odd = next(item for item in document if not isinstance(item, dict | list))
        found = f"the value {json.dumps(odd)[:40]}"
    raise InvalidMaskError(
        f"mask {name} is a JSON list holding {found}; a list must hold either strokes, "
        f"e.g. [{_STROKE_EXAMPLE}], or polygons, e.g. [{_POLYGON_EXAMPLE}] "
        "(a flat COCO list [x0, y0, x1, y1, ...] per polygon also works)"
    )


def _draw(name: str, size: Extent, draw: Any, shapes: Any) -> np.ndarray:
    """Run a geometry drawer, making its errors name the mask file."""
    try:
        drawn = draw(size, shapes)
    except InvalidInputError as error:
        # Our own messages carry an example of the right form: keep them whole.
        text = " ".join(str(error).split())
        text = text if len(text) <= _LONGEST_MESSAGE else text[: _LONGEST_MESSAGE - 3] + "..."
        raise InvalidMaskError(f"mask {name}: {text}") from error
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidMaskError(f"mask {name}: {_one_line(error)}") from error
    return _checked_geometry(drawn, name, size)


def _unknown_json(name: str) -> InvalidMaskError:
    return InvalidMaskError(
        f"mask {name} has a JSON structure inpaintkit does not recognise; use COCO RLE "
        '{"size": [h, w], "counts": ...}, a COCO annotation with "segmentation", '
        '{"polygons": [...]}, {"strokes": [...]} or a bare list of strokes or polygons'
    )


def _geometry_size(
    document: Mapping[str, Any], name: str, size: Extent | None, kind: str
) -> Extent:
    has_width, has_height = "width" in document, "height" in document
    if has_width != has_height:
        missing = "height" if has_width else "width"
        raise InvalidMaskError(
            f'{kind} mask {name} gives only one of width/height; add "{missing}" '
            "or remove both and pass the image size"
        )
    if has_width:
        try:
            stored = Extent(int(document["width"]), int(document["height"]))
        except (TypeError, ValueError) as error:
            raise InvalidMaskError(
                f"{kind} mask {name} has a non-numeric width/height; write whole pixel counts"
            ) from error
        if stored.width <= 0 or stored.height <= 0:
            raise InvalidMaskError(
                f"{kind} mask {name} has size {stored}; width and height must be positive"
            )
        return stored
    if size is None:
        raise InvalidMaskError(
            f"{kind} mask {name} needs the image size: give the image it belongs to (or its "
            'size) along with the mask, or add "width" and "height" to the file'
        )
    return Extent(*size)


def _check_area(size: Extent, name: str, max_pixels: int) -> None:
    _check_pixel_count((size.width, size.height), name, "mask", max_pixels)


def _rle_mask(rle: Mapping[str, Any], name: str, max_pixels: int) -> np.ndarray:
    stated = rle.get("size")
    if (
        not isinstance(stated, list | tuple)
        or len(stated) != 2
        or not all(isinstance(v, int) and v > 0 for v in stated)
    ):
        raise InvalidMaskError(
            f'mask {name} has an RLE size of {stated!r}; COCO RLE needs "size": [height, width]'
        )
    target = Extent(stated[1], stated[0])
    _check_area(target, name, max_pixels)
    from inpaintkit.mask.create import mask_from_rle

    return _draw(name, target, lambda _size, shapes: mask_from_rle(shapes), rle)


def _checked_geometry(mask: np.ndarray, name: str, size: Extent) -> np.ndarray:
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != (size.height, size.width):
        raise InvalidMaskError(
            f"mask {name} drew a {mask.shape[1]}×{mask.shape[0]} mask, expected {size}; "
            "check its size fields"
        )
    return np.clip(mask, 0.0, 1.0)
