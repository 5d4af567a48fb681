"""The native API under ``/v1``: engines, inpaint, outpaint, mask refine and lint.

Every route reads its input the same way (:func:`~inpaintkit.server.payload.read_fields`:
a multipart form with files, a URL-encoded form, or JSON with base64 images), builds the
library's own :class:`~inpaintkit.schema.Request` with
:func:`~inpaintkit.schema.make_request` (so errors are the library's, spelled as JSON
fields) and runs it through the app's :class:`~inpaintkit.server.runner.Runner`. No
image logic lives here.

Over HTTP an image is always sent, never named: ``image`` and ``mask`` are uploads or
base64, and an image-valued engine option (``control_image``) is an upload, base64 or
one of its keywords (``canny``), never a path on the server. Path-valued options
(``model``) name what the server has: a title from ``inpaintkit serve --model
TITLE=PATH`` is replaced by its path; anything else is passed on as given, so run a
server that others reach with a token.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from inpaintkit.errors import NAME_ONLY, EmptyMaskError, InvalidInputError, spell_json
from inpaintkit.schema import ExtendFill, MaskAlpha, Request, make_request
from inpaintkit.server.errors import json_message
from inpaintkit.server.payload import (
    BOX_STRING,
    Fields,
    check_pixels,
    decode_base64_image,
    encode_answer,
    encode_base64,
    json_response,
    parse_json_object,
    parse_model,
    quote_field,
    read_fields,
    send_answer,
    wants_json,
)
from inpaintkit.server.settings import ServerSettings

router = APIRouter(tags=["native"])

RunKind = Literal["inpaint", "outpaint"]

# The Request fields a client sets over HTTP; image and mask are uploads, extend and
# extend_fill are /v1/outpaint's left/top/right/bottom/fill.
RUN_FIELDS = (
    "engine",
    "grow",
    "feather",
    "padding",
    "seed",
    "seam",
    "mask_resize",
    "invert_mask",
    "mask_alpha",
    "num_images",
    "max_pixels",
    "seam_band",
)
SIDES = ("left", "top", "right", "bottom")
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGklEQVR42mM8UaHB"
    "AANhjyrgbCYGHGBwSgAAV/QDKAxyen0AAAAASUVORK5CYII="
)


@cache
def image_options() -> dict[str, tuple[str, ...]]:
    """Engine options that hold an image (``control_image``), with their keywords."""
    from inpaintkit.engines.registry import ENGINES

    found: dict[str, tuple[str, ...]] = {}
    for entry in ENGINES.values():
        for option in entry.options.options:
            if option.kind == "image":
                found[option.name] = option.keywords
    return found


def _keywords() -> tuple[str, ...]:
    return tuple(word for words in image_options().values() for word in words)


@dataclass
class RunInputs:
    """One run as the runner takes it: the checked request, the photo's bytes and the
    mask (PNG bytes, a box string, or None when outpainting without one)."""

    request: Request
    image: bytes
    mask: bytes | str | None


class _Sides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left: int = Field(0, ge=0, le=16384)
    top: int = Field(0, ge=0, le=16384)
    right: int = Field(0, ge=0, le=16384)
    bottom: int = Field(0, ge=0, le=16384)
    fill: ExtendFill = "edge"


async def read_run(request: HttpRequest, kind: RunKind) -> RunInputs:
    """The run a request describes, checked."""
    settings: ServerSettings = request.app.state.settings
    fields = await read_body(request, settings)
    return await anyio.to_thread.run_sync(lambda: parse_run(fields, settings, kind))


async def read_body(request: HttpRequest, settings: ServerSettings) -> Fields:
    return await read_fields(
        request,
        max_bytes=settings.max_upload_bytes,
        image_fields=("image", "mask", *image_options()),
        keep_text=_keywords(),
    )


def parse_run(fields: Fields, settings: ServerSettings, kind: RunKind) -> RunInputs:
    """Fields → :class:`RunInputs`: the library's schema checks every value. Blocking (an
    uploaded control image is decoded): call it in a worker thread."""
    _refuse_other_files(fields, ("image", "mask", *image_options()))
    image = fields.files.pop("image", None)
    if image is None:
        raise InvalidInputError(
            "no {image} given: send the photo as the file field 'image' (multipart) or as "
            "base64 or a data URL in {image} (JSON)",
            options={"image": NAME_ONLY},
        )
    mask = _mask_source(fields, required=kind == "inpaint")
    general = {name: fields.pop(name) for name in RUN_FIELDS if name in fields.values}
    general = {name: value for name, value in general.items() if value is not None}
    limit = _pixel_limit(general, settings)
    general["max_pixels"] = limit
    extend: dict[str, Any] = {}
    if kind == "outpaint":
        sides = parse_model(
            _Sides, {k: v for k in (*SIDES, "fill") if (v := fields.pop(k)) is not None}
        )
        extend = {
            "extend": (sides.left, sides.top, sides.right, sides.bottom),
            "extend_fill": sides.fill,
        }
        if not any(extend["extend"]):
            raise InvalidInputError(
                "nothing to outpaint: give at least one of {left}, {top}, {right}, {bottom}",
                options={"left": 256, "top": NAME_ONLY, "right": NAME_ONLY, "bottom": NAME_ONLY},
            )
    options = _engine_options(fields, settings, kind, limit)
    check_pixels(image, field="image", limit=limit, server_limit=settings.max_pixels)
    if isinstance(mask, bytes):
        check_pixels(mask, field="mask", limit=limit, server_limit=settings.max_pixels)
    run_request = make_request(**general, **extend, engine_params=options)
    return RunInputs(run_request, image, mask)


def _refuse_other_files(fields: Fields, allowed: tuple[str, ...]) -> None:
    for name in fields.files:
        if name not in allowed:
            raise InvalidInputError(
                f"{quote_field(name)} was sent as a file; only {', '.join(allowed)} are files, "
                "send it as a text field"
            )


def _mask_source(fields: Fields, *, required: bool) -> bytes | str | None:
    mask: bytes | str | None = fields.files.pop("mask", None)
    if mask is None:
        mask = fields.pop("mask")  # a box string (read_fields kept it as text)
    box = fields.pop("mask_box")
    if isinstance(box, list) and len(box) == 4 and all(_is_number(v) for v in box):
        box = ",".join(str(v) for v in box)  # JSON may send [x0, y0, x1, y1]
    if box is not None:
        if mask is not None:
            raise InvalidInputError(
                "both {mask} and {mask_box} are given; send one of them",
                options={"mask": NAME_ONLY, "mask_box": NAME_ONLY},
            )
        if not isinstance(box, str) or not BOX_STRING.match(box):
            raise InvalidInputError(
                f"{{mask_box}} must be 'x0,y0,x1,y1' in pixels (boxes joined by ';'), got "
                f"{_quoted(box)}",
                options={"mask_box": NAME_ONLY},
            )
        mask = box
    if mask is None and required:
        raise InvalidInputError(
            "no {mask} given: send the mask (white = regenerate) as the file field 'mask' or "
            "base64 in {mask}, or a box as {mask_box}",
            options={"mask": NAME_ONLY, "mask_box": "x0,y0,x1,y1"},
        )
    return mask


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _quoted(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return text.replace("{", "{{").replace("}", "}}")


def _pixel_limit(general: dict[str, Any], settings: ServerSettings) -> int:
    """The client's max_pixels (checked by the schema), capped by the server's."""
    given = general.get("max_pixels")
    if given is None:
        return settings.max_pixels
    return min(make_request(max_pixels=given).max_pixels, settings.max_pixels)


def _engine_options(
    fields: Fields, settings: ServerSettings, kind: RunKind, limit: int
) -> dict[str, Any]:
    """The engine's options: ``options`` (an object) and the remaining fields by name."""
    from inpaintkit.engines.registry import all_options

    options = parse_json_object(fields.pop("options", {}), "options")
    known = set(all_options())
    for name in options:
        if name not in known:
            raise _unknown_field(name, kind, within_options=True)
    for name, value in list(fields.values.items()):
        if name not in known:
            raise _unknown_field(name, kind)
        if name in options:
            raise InvalidInputError(
                f"{{{name}}} is given twice, on its own and in {{options}}; send it once",
                options={name: NAME_ONLY, "options": NAME_ONLY},
            )
        options[name] = value
    for name, data in fields.files.items():  # an uploaded control image
        if name in options:
            raise InvalidInputError(
                f"{{{name}}} is given twice; send it once", options={name: NAME_ONLY}
            )
        options[name] = data
    for name, value in list(options.items()):
        options[name] = _server_value(name, value, settings, limit)
    return options


def _unknown_field(name: str, kind: RunKind, *, within_options: bool = False) -> InvalidInputError:
    from inpaintkit.engines.registry import all_options

    if within_options:
        close = difflib.get_close_matches(name, list(all_options()), n=1)
        hint = (
            f"did you mean {spell_json(close[0], NAME_ONLY)}?"
            if close
            else ("GET /v1/engines lists each engine's options")
        )
        return InvalidInputError(f'"options" has no option {quote_field(name)}; {hint}')
    own = [*RUN_FIELDS, "image", "mask", "mask_box", "options"]
    if kind == "outpaint":
        own += [*SIDES, "fill"]
    close = difflib.get_close_matches(name, own, n=1)
    hint = (
        f"did you mean {spell_json(close[0], NAME_ONLY)}?"
        if close
        else (
            "the fields are the request's own ("
            + ", ".join(spell_json(n, NAME_ONLY) for n in own)
            + ") and the engine's options (GET /v1/engines)"
        )
    )
    # No {fields} to spell: the names are written in JSON's terms already.
    return InvalidInputError(f"unknown field {quote_field(name)}; {hint}")


def _server_value(name: str, value: Any, settings: ServerSettings, limit: int) -> Any:
    """An engine option's value as the server uses it: images decoded (never a server
    path), a model title from the server's list replaced by its path."""
    from inpaintkit.engines.registry import all_options, engine_entry

    if name in image_options():
        if isinstance(value, str) and value not in image_options()[name]:
            value = decode_base64_image(value, field=name, max_bytes=settings.max_upload_bytes)
        if isinstance(value, bytes):
            from inpaintkit.imageio import load_image

            check_pixels(value, field=name, limit=limit, server_limit=settings.max_pixels)
            return load_image(value, max_pixels=limit).pixels
        if value is not None and value not in image_options()[name]:
            raise InvalidInputError(
                f"{{{name}}} must be an image (a file, base64 or a data URL) or one of "
                f"{', '.join(image_options()[name]) or 'its keywords'}; over HTTP it cannot "
                "name a file on the server",
                options={name: NAME_ONLY},
            )
        return value
    owners = all_options().get(name, [])
    kinds = {engine_entry(owner).options[name].kind for owner in owners}
    if "path" in kinds and isinstance(value, str) and value in settings.models:
        return settings.models[value]
    return value


# --- answers in the OpenAPI document ------------------------------------------------------

_ERROR = {
    "description": "A bad request (400), an unsupported body (415), an image over the "
    "limits (413), a busy engine (429, with Retry-After), an engine this server lacks (409)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "message": {"type": "string"},
                            "status": {"type": "integer"},
                        },
                    }
                },
            },
            "example": {
                "error": {
                    "type": "SizeMismatchError",
                    "message": 'mask <bytes> is 4×4 but image is 8×8; pass "mask_resize": '
                    "true or supply a mask of the same size",
                    "status": 400,
                }
            },
        }
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {code: _ERROR for code in (400, 401, 409, 413, 415, 429)}

_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "image": {"type": "string", "description": "the result PNG, base64"},
        "seed": {"type": "integer"},
        "engine": {"type": "string"},
        "seam_score": {"type": "number"},
        "plan": {"type": "object"},
        "findings": {"type": "array", "items": {"type": "object"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "timings": {"type": "object", "additionalProperties": {"type": "number"}},
        "details": {"type": "object"},
        "variants": {"type": "array", "items": {"type": "object"}},
    },
}
RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The result: a PNG in the photo's own mode (8 or 16 bit, alpha kept) "
        "with its recipe, headers X-Inpaintkit-Seed, -Engine, -Seam-Score; or, with "
        "`Accept: application/json`, the same as JSON",
        "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": _ANSWER_SCHEMA},
        },
    },
    **ERRORS,
}


def _image_property(multipart: bool, what: str) -> dict[str, Any]:
    if multipart:
        return {"type": "string", "format": "binary", "description": what}
    return {"type": "string", "description": what + ", as base64 or a data URL"}


def run_body(kind: RunKind | Literal["job"]) -> dict[str, Any]:
    """The OpenAPI requestBody of a run: multipart with files, or JSON with base64."""
    from inpaintkit.engines.registry import ENGINES

    fields = Request.model_json_schema()["properties"]
    general = {}
    for name in RUN_FIELDS:
        schema = {k: v for k, v in fields[name].items() if k != "title"}
        general[name] = schema
    general["engine"] = {**general["engine"], "enum": sorted(ENGINES)}
    general["max_pixels"]["description"] = "refuse images larger than this (capped by the server)"
    bodies = {}
    for media, multipart in (("multipart/form-data", True), ("application/json", False)):
        properties: dict[str, Any] = {
            "image": _image_property(multipart, "the photo (PNG, JPEG, WebP, TIFF, BMP)"),
            "mask": _image_property(multipart, "the mask, white = regenerate")
            if multipart
            else {
                "type": "string",
                "description": "the mask (white = regenerate) as base64 or a data URL, or a "
                "box string 'x0,y0,x1,y1'",
            },
            "mask_box": {"type": "string", "description": "a box mask 'x0,y0,x1,y1' (px)"},
            **general,
            "options": {"type": "string", "description": "engine options as a JSON object"}
            if multipart
            else {
                "type": "object",
                "additionalProperties": True,
                "description": "engine options (GET /v1/engines lists them)",
            },
        }
        if kind in ("outpaint", "job"):
            for side in SIDES:
                properties[side] = {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 16384,
                    "default": 0,
                    "description": f"outpainting: pixels to add on the {side}",
                }
            properties["fill"] = {
                "type": "string",
                "enum": ["edge", "mirror", "blur", "noise", "telea"],
                "default": "edge",
                "description": "outpainting: how the new border is pre-filled",
            }
        if kind == "job":
            properties["kind"] = {
                "type": "string",
                "enum": ["inpaint", "outpaint"],
                "default": "inpaint",
            }
        body: dict[str, Any] = {
            "schema": {
                "type": "object",
                "properties": properties,
                "required": ["image"],
                "additionalProperties": True,
                "description": "Engine options may also be given as fields by name.",
            }
        }
        if not multipart:
            example: dict[str, Any] = {"image": TINY_PNG, "engine": "telea"}
            example |= {"right": 4} if kind == "outpaint" else {"mask_box": "2,2,6,6"}
            body["example"] = example
        bodies[media] = body
    return {"requestBody": {"required": True, "content": bodies}}


def mask_body(*, refine: bool) -> dict[str, Any]:
    bodies = {}
    for media, multipart in (("multipart/form-data", True), ("application/json", False)):
        properties: dict[str, Any] = {
            "mask": _image_property(multipart, "the mask, white = regenerate"),
            "mask_box": {"type": "string", "description": "a box mask 'x0,y0,x1,y1' (px)"},
            "image": _image_property(multipart, "the photo (size, box masks, preview)"),
        }
        model = _RefineFields if refine else _LintFields
        for name, schema in model.model_json_schema()["properties"].items():
            properties[name] = {k: v for k, v in schema.items() if k != "title"}
        body: dict[str, Any] = {
            "schema": {"type": "object", "properties": properties, "additionalProperties": False}
        }
        if not multipart:
            body["example"] = {"image": TINY_PNG, "mask_box": "2,2,6,6", "grow": 1}
        bodies[media] = body
    return {"requestBody": {"required": True, "content": bodies}}


# --- routes -----------------------------------------------------------------------------------


@router.get(
    "/v1/engines",
    summary="List the engines, whether each can run here, and their options",
    description="""Every registered engine with `ready` (can it run on this server),
`reason` (why not, and the fix), `extra` (the pip extra it needs), `capabilities` and
`options` as JSON Schema (type, default, minimum, maximum, enum, description): what a
form needs to offer the options.

```sh
curl http://127.0.0.1:7860/v1/engines
```""",
    responses={200: {"description": "`{name: {ready, reason, extra, capabilities, options}}`"}},
)
def engines() -> Response:
    from inpaintkit.engines.registry import list_engines

    return json_response({status.name: status.to_dict(spell_json) for status in list_engines()})


@router.post(
    "/v1/inpaint",
    summary="Inpaint the masked part of a photo",
    description="""Regenerate the mask's white part; every pixel outside it comes back
bit for bit, in the photo's own mode (8 or 16 bit, grey, RGB or RGBA). Send a multipart
form with the files `image` and `mask` (or a box `mask_box` = `x0,y0,x1,y1`), or JSON
with both as base64 or data URLs. Other fields: `engine`, `grow`, `feather`, `padding`,
`seed`, `seam`, `mask_resize`, `invert_mask`, `mask_alpha`, `num_images`, `max_pixels`,
`seam_band`, and the engine's options by name (`radius=5`) or all in `options` (a JSON
object; in a form, its text). The answer is the PNG with its recipe, and headers
`X-Inpaintkit-Seed`, `X-Inpaintkit-Engine`, `X-Inpaintkit-Seam-Score`; with
`Accept: application/json` it is JSON (`image` as base64, `seed`, `engine`, `seam_score`,
`plan`, `findings`, `warnings`, `timings`, `details`, `variants`).

```sh
curl -F image=@photo.png -F mask=@mask.png -F engine=telea -F radius=5 \\
     http://127.0.0.1:7860/v1/inpaint -o result.png
curl -H 'Content-Type: application/json' -H 'Accept: application/json' \\
     -d '{"image": "'"$(base64 -w0 photo.png)"'", "mask_box": "100,80,260,200"}' \\
     http://127.0.0.1:7860/v1/inpaint
```""",
    openapi_extra=run_body("inpaint"),
    responses=RESULT_RESPONSES,
)
async def inpaint(request: HttpRequest) -> Response:
    return await _run(request, "inpaint")


@router.post(
    "/v1/outpaint",
    summary="Extend a photo's canvas and fill the new border",
    description="""Add `left`, `top`, `right`, `bottom` pixels and fill them (and the
`mask`, if one is sent); `fill` pre-fills the new border (`edge`, `mirror`, `blur`,
`noise`, `telea`). The photo itself stays exact unless `seam_band` lets the fill blend
into its edge. Inputs and answer as `/v1/inpaint`; the mask is optional.

```sh
curl -F image=@photo.png -F right=256 -F engine=structure \\
     http://127.0.0.1:7860/v1/outpaint -o wider.png
```""",
    openapi_extra=run_body("outpaint"),
    responses=RESULT_RESPONSES,
)
async def outpaint(request: HttpRequest) -> Response:
    return await _run(request, "outpaint")


async def _run(request: HttpRequest, kind: RunKind) -> Response:
    inputs = await read_run(request, kind)
    runner = request.app.state.runner
    result = await runner.run(inputs.request, image=inputs.image, mask=inputs.mask)
    answer = await anyio.to_thread.run_sync(encode_answer, result)
    return await send_answer(answer, request.headers.get("accept"))


class _MaskFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invert_mask: bool = Field(False, description="swap regenerate and keep")
    mask_resize: bool = Field(False, description="resize a mask of another size to the image")
    mask_alpha: MaskAlpha = Field("auto", description="RGBA masks: which alpha is regenerate")


class _RefineFields(_MaskFields):
    threshold: float | None = Field(None, gt=0, le=1, description="binarise at this level")
    fill_holes: bool = Field(False, description="fill enclosed holes")
    remove_islands: int = Field(0, ge=0, description="drop regions under N pixels")
    grow: int = Field(0, ge=0, le=4096, description="grow by N pixels")
    shrink: int = Field(0, ge=0, le=4096, description="shrink by N pixels")
    blur: float = Field(0.0, ge=0, le=1024, description="Gaussian blur, sigma in px")
    feather: float = Field(0.0, ge=0, le=1024, description="soft edge inside the mask, sigma px")
    preview: bool = Field(False, description="JSON answer: add an overlay of the mask on image")


MaskFieldsT = TypeVar("MaskFieldsT", bound=_MaskFields)


class _LintFields(_MaskFields):
    engine: str = Field("auto", description="the engine the mask is for (its latent scale)")
    latent_scale: int | None = Field(
        None, ge=1, le=64, description="latent cell in px (default: the engine's)"
    )


async def _mask_work(request: HttpRequest) -> tuple[Fields, ServerSettings]:
    settings: ServerSettings = request.app.state.settings
    fields = await read_fields(
        request, max_bytes=settings.max_upload_bytes, image_fields=("image", "mask")
    )
    _refuse_other_files(fields, ("image", "mask"))
    return fields, settings


def _load_mask_fields(
    fields: Fields, settings: ServerSettings, model: type[MaskFieldsT]
) -> tuple[MaskFieldsT, Any, Any]:
    """(the route's options, the photo or None, MaskData) for the mask routes."""
    from inpaintkit.imageio import load_image, load_mask

    mask = _mask_source(fields, required=True)
    options = parse_model(model, fields.values)
    image = fields.files.pop("image", None)
    limit = settings.max_pixels
    for name, data in (("image", image), ("mask", mask)):
        if isinstance(data, bytes):
            check_pixels(data, field=name, limit=limit, server_limit=limit)
    picture = load_image(image, max_pixels=limit) if image is not None else None
    loaded = load_mask(
        mask,
        size=picture.size if picture else None,
        resize=options.mask_resize,
        alpha=options.mask_alpha,
        invert=options.invert_mask,
        max_pixels=limit,
        orientation=picture.exif_orientation if picture else 1,
    )
    return options, picture, loaded


async def _limited_thread(request: HttpRequest, work: Any) -> Any:
    """Mask work in a worker thread, at most a few at a time (they hold full-size arrays)."""
    state = request.app.state
    limiter = getattr(state, "mask_limiter", None)
    if limiter is None:
        limiter = state.mask_limiter = anyio.CapacityLimiter(2)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


@router.post(
    "/v1/masks/refine",
    summary="Refine a mask: threshold, fill holes, remove islands, grow, shrink, blur, feather",
    description="""The steps run in one fixed order: `invert_mask`, `threshold`,
`fill_holes`, `remove_islands` (regions under N px), `grow`, `shrink` (N px), `blur`,
`feather` (Gaussian sigma, px). Send `mask` (file or base64; or a box `mask_box` with an
`image` for its size) and optionally `image` (size, `mask_resize`, preview). The answer
is the mask as an 8-bit grey PNG (header `X-Inpaintkit-Coverage`); with
`Accept: application/json`: `{"mask": base64 PNG, "coverage", "findings"}` and, with
`preview=true` and an image, `"preview"`: the mask drawn on the photo (base64 PNG).

```sh
curl -F mask=@mask.png -F grow=8 -F feather=4 \\
     http://127.0.0.1:7860/v1/masks/refine -o refined.png
```""",
    openapi_extra=mask_body(refine=True),
    responses={
        200: {
            "description": "The refined mask (PNG), or JSON",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        **ERRORS,
    },
)
async def refine(request: HttpRequest) -> Response:
    fields, settings = await _mask_work(request)
    as_json = wants_json(request.headers.get("accept"))

    def work() -> tuple[bytes, float, list[dict[str, Any]], bytes | None]:
        import numpy as np

        from inpaintkit.imageio import encode_image
        from inpaintkit.mask import lint_mask, refine_mask

        options, picture, loaded = _load_mask_fields(fields, settings, _RefineFields)
        refined = refine_mask(
            loaded.mask,
            threshold=options.threshold,
            fill_holes=options.fill_holes,
            remove_islands=options.remove_islands,
            grow=options.grow,
            shrink=options.shrink,
            blur=options.blur,
            feather=options.feather,
        )
        findings = [*loaded.findings, *lint_mask(None, refined)]
        png, _ = encode_image(np.rint(refined * 255).astype(np.uint8))
        preview = None
        if as_json and options.preview and picture is not None:
            from inpaintkit.preview import overlay_mask

            preview, _ = encode_image(overlay_mask(picture.pixels, refined))
        coverage = round(float(refined.mean(dtype=np.float64)), 6)
        return png, coverage, [f.to_dict() for f in findings], preview

    png, coverage, findings, preview = await _limited_thread(request, work)
    headers = {"X-Inpaintkit-Coverage": f"{coverage:.6g}"}
    if not as_json:
        return Response(png, media_type="image/png", headers=headers)
    answer: dict[str, Any] = {
        "mask": encode_base64(png),
        "coverage": coverage,
        "findings": findings,
    }
    if preview is not None:
        answer["preview"] = encode_base64(preview)
    return json_response(answer, headers=headers)


@router.post(
    "/v1/masks/lint",
    summary="Say what is likely to go wrong with a mask before running it",
    description="""Findings about `mask` (file, base64, or `mask_box` with an `image`)
for `engine` (its latent cell size decides the thin-stroke check; `latent_scale`
overrides it): thin strokes, tiny islands, coverage, JPEG noise, soft edges.
Answer: `{"findings": [{"code", "severity", "message", "box"}], "latent_scale"}`.

```sh
curl -F mask=@mask.png -F engine=diffusion http://127.0.0.1:7860/v1/masks/lint
```""",
    openapi_extra=mask_body(refine=False),
    responses={200: {"description": '`{"findings": [...]}`'}, **ERRORS},
)
async def lint(request: HttpRequest) -> Response:
    fields, settings = await _mask_work(request)

    def work() -> dict[str, Any]:
        from inpaintkit.engines.registry import engine_capabilities
        from inpaintkit.mask import lint_mask

        try:
            options, _picture, loaded = _load_mask_fields(fields, settings, _LintFields)
        except EmptyMaskError as error:  # for a linter, an empty mask is a finding
            finding = {"code": "empty", "severity": "error", "box": None}
            return {"findings": [{**finding, "message": json_message(error)}]}
        scale = options.latent_scale or engine_capabilities(options.engine).latent_scale
        findings = [*loaded.findings, *lint_mask(None, loaded.mask, latent_scale=scale)]
        return {"findings": [f.to_dict() for f in findings], "latent_scale": scale}

    return json_response(await _limited_thread(request, work))
