"""Images in and out of HTTP: multipart uploads, base64 and data URLs, PNG answers.

Sizes are checked before decoding: the body against ``max_upload_bytes`` while it is
read (also when the client sends no Content-Length), and each image's header against
the pixel limit (:func:`check_pixels`, then again inside
:func:`inpaintkit.imageio.load_image`).

A request's fields come as a multipart form (files and text fields), a URL-encoded form
or a JSON object; :func:`read_fields` turns all three into one :class:`Fields`: the
images as bytes, everything else as values (text from a form, JSON values from JSON).
The schema checks the values either way (``"5"`` and ``5`` are the same ``grow``).
An answer is encoded once (:func:`encode_answer`) and sent as PNG or JSON
(:func:`answer_response`), whichever the client's Accept header prefers.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import math
import re
import warnings
from collections.abc import AsyncGenerator, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from inpaintkit.errors import (
    NAME_ONLY,
    ImageTooLargeError,
    InvalidInputError,
    InvalidParameterError,
)
from inpaintkit.server.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from inpaintkit.types import Result

_DATA_URL = re.compile(r"^data:[\w.+/-]*(;[\w=.+-]+)*;base64,", re.IGNORECASE)
# A mask given as boxes: "x0,y0,x1,y1", several joined by ";". Only digits and separators,
# so the text can never name a file on the server.
BOX_STRING = re.compile(
    r"^\s*[-+\d.]+(\s*,\s*[-+\d.]+){3}(\s*;\s*[-+\d.]+(\s*,\s*[-+\d.]+){3})*\s*;?\s*$"
)
JSON_TYPES = ("application/json", "text/json")


def decode_base64_image(text: str, *, field: str, max_bytes: int) -> bytes:
    """The bytes of an image sent as base64 or a ``data:image/...;base64,`` URL.

    >>> decode_base64_image("data:image/png;base64,iVBORw0K", field="init_images", max_bytes=99)
    b'\\x89PNG\\r\\n'
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(
            f"{{{field}}} is empty: send the image as base64 or a data URL",
            options={field: None},
        )
    body = _DATA_URL.sub("", text.strip(), count=1)
    if len(body) * 3 // 4 > max_bytes:
        raise PayloadTooLargeError(
            f"{{{field}}} is over the upload limit of {max_bytes:,} bytes; send a smaller image",
            options={field: None},
        )
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=False)
    except (binascii.Error, ValueError) as error:
        raise InvalidInputError(
            f"{{{field}}} is not valid base64 ({_escaped(error)}); send the file's bytes as base64",
            options={field: None},
        ) from None


def quote_field(name: str) -> str:
    """A field name the client chose, as JSON text, for a message with no ``{fields}``
    (a name is never put in a template: braces or colons in it would break it).

    >>> quote_field('gorw')
    '"gorw"'
    """
    text = json.dumps(name, ensure_ascii=False)
    return text if len(text) <= 60 else text[:56] + '..."'


def _escaped(value: object) -> str:
    """Text for inside a message template that has ``{fields}``."""
    return str(value).replace("{", "{{").replace("}", "}}")


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Fields:
    """What a request sent: ``files`` are images (uploaded files, or base64 text already
    decoded), ``values`` everything else (text from a form, any JSON value from JSON)."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    from_form: bool = False

    def pop(self, name: str, default: Any = None) -> Any:
        """A value, removed; an empty form field counts as not given."""
        value = self.values.pop(name, default)
        if self.from_form and value == "":
            return default
        return value


async def read_fields(
    request: Request,
    *,
    max_bytes: int,
    image_fields: Collection[str],
    keep_text: Collection[str] = (),
) -> Fields:
    """The request's body as :class:`Fields`. ``image_fields`` are the names that hold
    images: sent as text (JSON, or a form's text field) they are base64-decoded, except
    values in ``keep_text`` (e.g. a box string for ``mask``, a keyword such as ``canny``)
    matched by :func:`keeps_text`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = await _read_form(request, max_bytes)
    elif kind in JSON_TYPES or kind.endswith("+json") or kind == "":
        fields = await _read_json(request, max_bytes)
    else:
        raise UnsupportedMediaTypeError(
            f"the body is {kind}; send multipart/form-data (files 'image', 'mask') or "
            "application/json (images as base64 or data URLs)"
        )
    for name in image_fields:
        value = fields.values.get(name)
        if value is None or (fields.from_form and value == ""):
            fields.values.pop(name, None)
            continue
        if name in fields.files:
            raise InvalidInputError(
                f"{{{name}}} is given twice (as a file and as text); send it once",
                options={name: NAME_ONLY},
            )
        if keeps_text(name, value, keep_text):
            continue
        if not isinstance(value, str):
            raise InvalidInputError(
                f"{{{name}}} must be an image as base64 or a data URL, got {type(value).__name__}",
                options={name: NAME_ONLY},
            )
        decode = functools.partial(decode_base64_image, value, field=name, max_bytes=max_bytes)
        fields.files[name] = await _off_loop_if_large(len(value), decode)
        del fields.values[name]
    return fields


ResultT = TypeVar("ResultT")
_LARGE = 2**20  # bytes of work above which the event loop hands it to a worker thread


async def _off_loop_if_large(size: int, work: Callable[[], ResultT]) -> ResultT:
    """``work()``, in a worker thread when ``size`` says it takes long enough to stall
    the event loop (decoding or encoding megabytes of base64 or JSON)."""
    import anyio.to_thread

    if size <= _LARGE:
        return work()
    return await anyio.to_thread.run_sync(work)


def keeps_text(name: str, value: Any, keep_text: Collection[str]) -> bool:
    """Whether text in an image field is meant as text: a box string for ``mask``, or one
    of ``keep_text`` (an image option's keywords)."""
    if not isinstance(value, str):
        return False
    return value in keep_text or (name == "mask" and bool(BOX_STRING.match(value)))


async def _limited(request: Request, max_bytes: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, stopping with 413 past ``max_bytes`` (the middleware checks a
    declared Content-Length; this catches chunked bodies that declare none)."""
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLargeError(
                f"the request is over this server's limit of {max_bytes:,} bytes; send a "
                "smaller image"
            )
        yield chunk


async def _read_json(request: Request, max_bytes: int) -> Fields:
    body = bytearray()
    async for chunk in _limited(request, max_bytes):
        body += chunk
    if not body.strip():
        return Fields()
    try:
        document = await _off_loop_if_large(len(body), lambda: json.loads(bytes(body)))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidInputError(
            f"the body is not valid JSON ({error}); send a JSON object such as "
            '{"image": "<base64>", "mask_box": "10,10,60,60"}'
        ) from None
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"the body is a JSON {type(document).__name__}; send a JSON object with the "
            'fields, such as {"image": "<base64>", "mask_box": "10,10,60,60"}'
        )
    return Fields(values=document)


async def _read_form(request: Request, max_bytes: int) -> Fields:
    from starlette.datastructures import UploadFile
    from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

    class InMemoryParser(MultiPartParser):
        # Uploads are bounded by max_bytes already: keep them in memory instead of
        # spooling each one to a temporary file and reading it back.
        spool_max_size = max_bytes + 1

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    stream = _limited(request, max_bytes)
    try:
        if kind == "multipart/form-data":
            form = await InMemoryParser(
                request.headers, stream, max_files=16, max_fields=256, max_part_size=2**20
            ).parse()
        else:
            form = await FormParser(request.headers, stream).parse()
    except MultiPartException as error:
        raise InvalidInputError(f"the multipart body cannot be read: {error.message}") from None
    fields = Fields(from_form=True)
    try:
        for name, value in form.multi_items():
            if name in fields.values or name in fields.files:
                raise InvalidInputError(f"{quote_field(name)} is given twice; send each field once")
            if isinstance(value, UploadFile):
                fields.files[name] = await value.read()
            else:
                fields.values[name] = value
    finally:
        await form.close()
    return fields


def parse_json_object(value: Any, name: str) -> dict[str, Any]:
    """A field that holds a JSON object: the object itself (JSON) or its text (a form)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as error:
            said = str(error).replace("{", "{{").replace("}", "}}")
            raise InvalidParameterError(
                f"{{{name}}} is not a JSON object ({said}); send e.g. " + '{{"radius": 5}}',
                options={name: NAME_ONLY},
            ) from None
    if not isinstance(value, dict):
        raise InvalidParameterError(
            f"{{{name}}} must be a JSON object of engine options, got {type(value).__name__}",
            options={name: NAME_ONLY},
        )
    return value


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_model(model: type[ModelT], values: Mapping[str, Any]) -> ModelT:
    """``model(**values)`` with pydantic's errors as one readable line in JSON's terms.

    >>> from pydantic import BaseModel, Field
    >>> class Grow(BaseModel):
    ...     grow: int = Field(0, ge=0)
    >>> parse_model(Grow, {"grow": "3"}).grow
    3
    >>> parse_model(Grow, {"grow": "-1"})
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: grow: input should be greater than ... (got '-1')
    """
    try:
        return model(**values)
    except ValidationError as error:
        known = set(model.model_fields)
        names = {str(e["loc"][0]) for e in error.errors() if e["loc"]} & known
        problems = "; ".join(_describe(e, known) for e in error.errors())
        raise InvalidParameterError(problems, options=dict.fromkeys(names)) from None


def _describe(problem: Any, known: Collection[str]) -> str:
    name = str(problem["loc"][0]) if problem["loc"] else None
    if name is None:
        where = "request"
    elif name in known:
        where = "{" + name + "}"
    else:  # a name the client made up: written out, never a template field
        where = _escaped(quote_field(name))
    message = str(problem["msg"]).lower()
    if problem["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{where}: " + _escaped(f"{message} (got {_short(problem['input'])})")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_pixels(data: bytes, *, field: str, limit: int, server_limit: int) -> None:
    """413 when the image's header says it has more than ``limit`` pixels, before any
    pixel is decoded or the request waits in a queue. ``server_limit`` is this server's
    own cap (``limit`` may be a smaller one the client set). Unreadable headers pass:
    the decoder says what is wrong with them."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Exception:  # any header Pillow cannot read is the decoder's business
        return
    if width * height <= limit:
        return
    where = f"the limit of {limit:,} set by {{max_pixels}}"
    fix = f"downscale it or raise {{max_pixels}} (this server allows up to {server_limit:,})"
    if limit >= server_limit:
        where, fix = f"this server's limit of {server_limit:,}", "downscale it"
    raise ImageTooLargeError(
        f"{{{field}}} is {width}×{height} = {width * height:,} pixels, over {where}; {fix}",
        options={field: NAME_ONLY, "max_pixels": NAME_ONLY},
    )


@dataclass
class Answer:
    """A result, encoded once: the PNG and what the JSON answer says about it."""

    png: bytes
    seed: int
    engine: str
    seam_score: float
    report: dict[str, Any]  # plan, findings, warnings, timings, details
    variants: list[Answer] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        headers = {
            "X-Inpaintkit-Seed": str(self.seed),
            "X-Inpaintkit-Engine": self.engine,
            "X-Inpaintkit-Seam-Score": f"{self.seam_score:.6g}",
        }
        if self.variants:
            headers["X-Inpaintkit-Images"] = str(1 + len(self.variants))
        return headers

    def to_json(self) -> dict[str, Any]:
        return {
            "image": encode_base64(self.png),
            "seed": self.seed,
            "engine": self.engine,
            "seam_score": self.seam_score,
            **self.report,
            "variants": [variant.to_json() for variant in self.variants],
        }


def encode_answer(result: Result, *, png_level: int | None = None) -> Answer:
    """``result`` (and its variants) as PNG in the photo's own mode with the recipe, the
    fast banded encoder at the default level: what every answer sends. Blocking: call it
    in a worker thread."""
    from inpaintkit.imageio import encode_image

    options: dict[str, Any] = {"png_level": png_level} if png_level is not None else {}
    if result.palette is not None:
        options["palette"] = result.palette
    png, warned = encode_image(
        result.image, icc_profile=result.icc_profile, recipe=result.recipe, **options
    )
    seam = float(result.seam_score)
    return Answer(
        png=png,
        seed=int(result.seed),
        engine=result.engine,
        seam_score=seam if math.isfinite(seam) else 0.0,
        report={
            "plan": result.plan.to_dict(),
            "findings": [finding.to_dict() for finding in result.findings],
            "warnings": warned,
            "timings": {stage: round(s, 6) for stage, s in result.timings.items()},
            "details": result.details,
        },
        variants=[encode_answer(variant, png_level=png_level) for variant in result.variants],
    )


def wants_json(accept: str | None) -> bool:
    """Whether an Accept header prefers JSON to PNG (PNG when it says neither).

    >>> wants_json("application/json"), wants_json("image/png, application/json;q=0.5")
    (True, False)
    >>> wants_json(None), wants_json("*/*")
    (False, False)
    """
    best: dict[str, float] = {}
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Equal quality: the one named first wins.
        score = quality - position * 1e-6
        best[media.lower()] = max(best.get(media.lower(), -1.0), score)
    json_score = max(best.get("application/json", -1.0), best.get("text/json", -1.0))
    png_score = max(best.get("image/png", -1.0), best.get("image/*", -1.0))
    return json_score > 0 and json_score > png_score


def json_bytes(document: Any) -> bytes:
    """JSON for an answer; numpy numbers and other odd values in a report are made plain,
    and a number that is not finite becomes null (JSON has no NaN).

    >>> json_bytes({"a": float("nan"), "b": (1, 2)})
    b'{"a": null, "b": [1, 2]}'
    """
    return json.dumps(_finite(document), default=_plain, ensure_ascii=False).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        try:
            plain = item()
        except (TypeError, ValueError):
            return str(value)
        return plain if not isinstance(plain, float) or math.isfinite(plain) else None
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def json_response(
    document: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json_bytes(document), status_code=status, media_type="application/json", headers=headers
    )


def answer_response(answer: Answer, accept: str | None) -> Response:
    """The answer as JSON when the client asks for it, else the PNG with the headers.
    Blocking for a large JSON answer: from async code, use :func:`send_answer`."""
    if wants_json(accept):
        return json_response(answer.to_json(), headers=answer.headers)
    return Response(answer.png, media_type="image/png", headers=answer.headers)


async def send_answer(answer: Answer, accept: str | None) -> Response:
    """:func:`answer_response` with a large JSON answer built off the event loop."""
    size = len(answer.png) if wants_json(accept) else 0
    return await _off_loop_if_large(size, lambda: answer_response(answer, accept))
