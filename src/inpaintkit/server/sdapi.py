"""``/sdapi/v1``: the part of AUTOMATIC1111's web API that inpainting clients use, so
existing scripts and plugins (the ``webuiapi`` package, editor plugins) work unchanged.

Field names, defaults and answer shapes are A1111's (``modules/api/models.py``); runs go
through the server's :class:`~inpaintkit.server.runner.Runner` like every other route.
How A1111's inpainting fields map onto inpaintkit:

* ``init_images[0]`` is the photo (base64 or a data URL), ``mask`` the mask (white =
  regenerate). A mask whose alpha is not fully opaque is read by its alpha (opaque =
  regenerate), as A1111 does; otherwise by its grey value. A mask of another size is
  resized to the photo, since A1111 resizes both.
* ``mask_blur`` (default 4) → ``feather``: a Gaussian edge of that sigma *inside* the
  mask, so pixels outside it still come back exact (A1111 blurs both ways).
* ``inpainting_fill`` → the diffusion engine's ``masked_content``: 0 "fill" → ``telea``
  (A1111 pre-fills the hole with colours spread in from its edge and blurred; OpenCV's
  Telea fill is the closest pre-fill inpaintkit has), 1 "original" → ``original``, 2
  "latent noise" → ``latent-noise``, 3 "latent nothing" → ``latent-nothing``.
* ``inpaint_full_res`` true ("only masked", A1111's API default): inpaintkit's region
  plan, a crop around each masked area; ``inpaint_full_res_padding`` → ``padding``, where
  0 (the default) means the engine's own context, since a crop with no context leaves a
  fill nothing to continue. false ("whole picture"): the padding reaches the whole photo
  (up to 8192 px each side), so one region covers it and a diffusion model sees the
  whole picture at its working size, as in A1111.
* ``width``/``height``: A1111 resizes the picture to them; inpaintkit keeps the photo's
  own size (the model works at its native working size inside the crop) and says so in
  ``info``. ``info.width``/``height`` are the photo's.
* ``sampler_name`` (or the older ``sampler_index``): A1111 names → inpaintkit schedulers
  (see :data:`SAMPLERS`); old "... Karras" names map to the same sampler, without Karras
  sigmas. None → the model's own scheduler. An unknown name is a 400 listing the known
  ones (only for the diffusion engine; classical engines take no sampler).
* ``denoising_strength`` → ``strength``, ``cfg_scale`` → ``guidance``, ``steps``,
  ``prompt``, ``negative_prompt``; ``inpainting_mask_invert`` → ``invert_mask``;
  ``seed`` -1 → a random seed, reported in ``info``; ``batch_size`` × ``n_iter`` images
  (at most 16) from seeds seed, seed + 1, ...
* Engine: the checkpoint chosen with ``POST /sdapi/v1/options {"sd_model_checkpoint":
  TITLE}`` (or per request in ``override_settings``), a title from ``settings.models`` →
  engine ``diffusion`` with that model. Without one, the classical engine ``auto``
  answers, and ``info.inpaintkit.notes`` says what it ignored (the prompt, ...).
* Every other field clients send (styles, restore_faces, script_args, alwayson_scripts,
  ...) is accepted and ignored; the ones that would change the picture are named in a
  note.

``POST /sdapi/v1/interrupt`` cannot stop a fill in the middle of an image: the classical
engines have no steps to stop between, and the diffusion loop has no hook that leaves a
usable picture. It marks the img2img requests in flight; each finishes the image it is
making and returns the images done so far (a batch stops early), and ``/progress``
shows ``interrupted``. ``txt2img`` answers 400 with a message instead of a 404.
"""

from __future__ import annotations

import json
import math
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from inpaintkit._version import __version__
from inpaintkit.engines.tables import SCHEDULERS
from inpaintkit.errors import InpaintKitError, InvalidInputError, InvalidParameterError
from inpaintkit.schema import Request as InpaintRequest
from inpaintkit.schema import make_request
from inpaintkit.server.payload import check_pixels, decode_base64_image, encode_base64
from inpaintkit.types import Result

__all__ = ["SAMPLERS", "Img2ImgRequest", "router"]

CLASSICAL_ENGINE = "auto"
MAX_IMAGES = 16
# A1111's inpainting_fill → the diffusion engine's masked_content.
MASKED_CONTENT = {0: "telea", 1: "original", 2: "latent-noise", 3: "latent-nothing"}
FILL_NAMES = {0: "fill", 1: "original", 2: "latent noise", 3: "latent nothing"}
# A1111 sampler name, its aliases, inpaintkit's scheduler (engines/tables.py).
SAMPLERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Euler a", ("k_euler_a", "k_euler_ancestral"), "euler-a"),
    ("Euler", ("k_euler",), "euler"),
    ("LMS", ("k_lms",), "lms"),
    ("DPM++ 2M", ("k_dpmpp_2m",), "dpm++2m"),
    ("DDIM", ("ddim",), "ddim"),
    ("PLMS", ("plms", "PNDM"), "pndm"),
    ("UniPC", ("unipc",), "unipc"),
)
_WHOLE_PICTURE_PADDING = 8192  # the most Request.padding allows
# Fields that change an A1111 picture but mean nothing here: named in a note when set.
_UNSUPPORTED = (
    "restore_faces",
    "tiling",
    "styles",
    "subseed_strength",
    "script_name",
    "alwayson_scripts",
    "enable_hr",
    "refiner_checkpoint",
)
# inpaintkit's option names → the A1111 fields a client set them with, for messages.
_A1111_NAMES = {
    "guidance": "cfg_scale",
    "strength": "denoising_strength",
    "feather": "mask_blur",
    "padding": "inpaint_full_res_padding",
    "invert_mask": "inpainting_mask_invert",
    "num_images": "batch_size",
    "scheduler": "sampler_name",
    "masked_content": "inpainting_fill",
    "model": "sd_model_checkpoint",
}


class UnsupportedRouteError(InvalidInputError):
    """An A1111 route inpaintkit does not serve; the message says what to use instead."""


# --- errors with A1111's "detail" as well --------------------------------------------


class _A1111Route(APIRoute):
    """Answers errors as the app does (``{"error": {...}}``) and adds FastAPI's usual
    ``"detail"`` with the message, which A1111 clients show to their users."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:
                return await _error_answer(request, error)

        return handler


async def _error_answer(request: Request, error: Exception) -> Response:
    handlers = request.app.exception_handlers
    found = next((handlers[k] for k in type(error).__mro__ if k in handlers), None)
    if found is None:
        raise error
    answer: Response = await found(request, error)
    try:
        body = json.loads(bytes(answer.body))
        body["detail"] = body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return answer
    kept = {
        k: v for k, v in answer.headers.items() if k.lower() in ("retry-after", "www-authenticate")
    }
    return JSONResponse(body, status_code=answer.status_code, headers=kept or None)


router = APIRouter(prefix="/sdapi/v1", tags=["AUTOMATIC1111 API"], route_class=_A1111Route)


# --- what the routes share: the chosen model, options, progress ------------------------


@dataclass
class _Job:
    """One img2img request in flight, as /progress reports it."""

    images: int
    started: float = field(default_factory=time.monotonic)
    timestamp: str = field(default_factory=lambda: time.strftime("%Y%m%d%H%M%S"))
    image: int = 0  # the image being made, from 0
    step: int = 0
    steps: int = 0
    interrupted: bool = False

    @property
    def fraction(self) -> float:
        within = self.step / self.steps if self.steps else 0.0
        return min(1.0, (self.image + within) / max(self.images, 1))


class _State:
    """The A1111 routes' shared state, kept in ``app.state.sdapi``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checkpoint: str | None = None
        self.options: dict[str, Any] = {}
        self.jobs: list[_Job] = []  # in flight, oldest first
        self.interrupted = False  # the last interrupt, until the next job starts

    def begin(self, images: int) -> _Job:
        job = _Job(images)
        with self.lock:
            self.jobs.append(job)
            self.interrupted = False
        return job

    def end(self, job: _Job) -> None:
        with self.lock:
            self.jobs.remove(job)

    def reporter(self, job: _Job) -> Callable[[int, int], None]:
        def report(step: int, steps: int) -> None:
            with self.lock:
                job.step, job.steps = step, steps

        return report

    def next_image(self, job: _Job, image: int) -> bool:
        """Start image ``image`` of ``job``; False when the job was interrupted."""
        with self.lock:
            if image and job.interrupted:
                return False
            job.image, job.step, job.steps = image, 0, 0
            return True

    def interrupt(self) -> None:
        with self.lock:
            self.interrupted = True
            for job in self.jobs:
                job.interrupted = True

    def progress(self) -> dict[str, Any]:
        with self.lock:
            # The request running is the one that has moved; else the oldest waiting.
            moving = [j for j in self.jobs if j.step or j.image]
            job = moving[0] if moving else (self.jobs[0] if self.jobs else None)
            if job is None:
                return _progress_answer(0.0, 0.0, _idle_state(self.interrupted), None)
            fraction = job.fraction
            elapsed = time.monotonic() - job.started
            eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
            state = {
                "skipped": False,
                "interrupted": job.interrupted,
                "stopping_generation": False,
                "job": f"img2img {job.image + 1}/{job.images}",
                "job_count": job.images,
                "job_timestamp": job.timestamp,
                "job_no": job.image,
                "sampling_step": job.step,
                "sampling_steps": job.steps,
                "requests_in_flight": len(self.jobs),
            }
            text = f"image {job.image + 1} of {job.images}, step {job.step} of {job.steps}"
            return _progress_answer(fraction, eta, state, text)


def _idle_state(interrupted: bool) -> dict[str, Any]:
    return {
        "skipped": False,
        "interrupted": interrupted,
        "stopping_generation": False,
        "job": "",
        "job_count": 0,
        "job_timestamp": "0",
        "job_no": 0,
        "sampling_step": 0,
        "sampling_steps": 0,
        "requests_in_flight": 0,
    }


def _progress_answer(
    fraction: float, eta: float, state: dict[str, Any], text: str | None
) -> dict[str, Any]:
    return {
        "progress": fraction,
        "eta_relative": eta,
        "state": state,
        "current_image": None,
        "textinfo": text,
    }


_STATE_LOCK = threading.Lock()


def _state(app: FastAPI) -> _State:
    with _STATE_LOCK:
        state = getattr(app.state, "sdapi", None)
        if state is None:
            state = app.state.sdapi = _State()
        return state


def _models(request: Request) -> dict[str, str]:
    return dict(request.app.state.settings.models)


def _find_checkpoint(request: Request, title: Any, *, field_name: str) -> str | None:
    """The title in settings.models that ``title`` names (exact, case-insensitive, or
    the model's name without folder and extension); None/"" chooses no model."""
    if title is None or title == "":
        return None
    models = _models(request)
    if isinstance(title, str):
        wanted = title.strip().lower()
        for known, path in models.items():
            if wanted in (known.lower(), _model_name(known, path).lower()):
                return known
    offered = ", ".join(repr(t) for t in models) or "none: this server offers no models"
    raise InvalidParameterError(
        f"{{{field_name}}} {title!r} is not a model of this server; choose one of "
        f"GET /sdapi/v1/sd-models: {offered}",
        options={field_name: None},
    )


def _model_name(title: str, path: str) -> str:
    return Path(path.rstrip("/\\")).stem or title


# --- the img2img request ---------------------------------------------------------------


class Img2ImgRequest(BaseModel):
    """A1111's img2img body: the fields inpaintkit reads, A1111's defaults. Every other
    field a client sends is accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    init_images: list[str] | None = Field(None, description="the photo, base64 or a data URL")
    mask: str | None = Field(None, description="white = regenerate; RGBA: its alpha")
    mask_blur: float | None = Field(None, description="feather inside the mask, px (4)")
    inpainting_fill: int = Field(0, description="0 fill, 1 original, 2 latent noise, 3 nothing")
    inpaint_full_res: bool = Field(True, description="true: crop around the mask")
    inpaint_full_res_padding: int = Field(0, description="context around the mask, px")
    inpainting_mask_invert: int = Field(0, description="1: regenerate the black part")
    denoising_strength: float = 0.75
    prompt: str = ""
    negative_prompt: str = ""
    seed: int = -1
    subseed: int = -1
    sampler_name: str | None = None
    sampler_index: str | None = None
    scheduler: str | None = None
    steps: int = 50
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    batch_size: int = 1
    n_iter: int = 1
    include_init_images: bool = False
    send_images: bool = True
    save_images: bool = False
    override_settings: dict[str, Any] | None = None


@dataclass
class _Plan:
    """An img2img request turned into inpaintkit requests."""

    requests: list[InpaintRequest]  # one per image, seeds seed, seed + 1, ...
    subseed: int
    engine: str
    checkpoint: str | None
    sampler: str | None
    notes: list[str]


def _plan_img2img(body: Img2ImgRequest, request: Request, state: _State) -> _Plan:
    notes: list[str] = []
    count = body.batch_size * body.n_iter
    if body.batch_size < 1 or body.n_iter < 1 or count > MAX_IMAGES:
        raise InvalidParameterError(
            f"batch_size × n_iter is {body.batch_size} × {body.n_iter}; this server makes 1 "
            f"to {MAX_IMAGES} images per request: send {{batch_size}} and {{n_iter}} within that",
            options={"batch_size": 1, "n_iter": 1},
        )
    if body.inpainting_fill not in MASKED_CONTENT:
        raise InvalidParameterError(
            f"{{inpainting_fill}} is {body.inpainting_fill}; send 0 (fill), 1 (original), "
            "2 (latent noise) or 3 (latent nothing)",
            options={"inpainting_fill": 1},
        )
    checkpoint = state.checkpoint
    override = body.override_settings or {}
    if "sd_model_checkpoint" in override:
        checkpoint = _find_checkpoint(
            request, override["sd_model_checkpoint"], field_name="sd_model_checkpoint"
        )
    seed = body.seed if body.seed >= 0 else secrets.randbelow(2**32 - 1)
    subseed = body.subseed if body.subseed >= 0 else secrets.randbelow(2**32 - 1)
    padding: int | None = body.inpaint_full_res_padding or None
    if not body.inpaint_full_res:
        padding = _WHOLE_PICTURE_PADDING
    engine, params, sampler = _engine_params(body, request, checkpoint, notes)
    common = {
        "engine": engine,
        "feather": _mask_blur(body),
        "padding": padding,
        "invert_mask": bool(body.inpainting_mask_invert),
        "mask_resize": True,
        "max_pixels": request.app.state.settings.max_pixels,
        "engine_params": params,
    }
    requests = [make_request(seed=seed + k, **common) for k in range(count)]
    if len(body.init_images or ()) > 1:
        notes.append(f"only the first of the {len(body.init_images or ())} init_images is used")
    unsupported = [name for name in _UNSUPPORTED if getattr(body, name, None)]
    if unsupported:
        notes.append("not supported here, ignored: " + ", ".join(unsupported))
    return _Plan(requests, subseed, engine, checkpoint, sampler, notes)


def _engine_params(
    body: Img2ImgRequest, request: Request, checkpoint: str | None, notes: list[str]
) -> tuple[str, dict[str, Any], str | None]:
    """Engine, its options and the sampler's A1111 name for ``body``."""
    given = body.sampler_name or body.sampler_index
    if body.scheduler and body.scheduler.lower() != "automatic":
        notes.append(
            f"scheduler {body.scheduler!r} ignored: the sampler keeps the model's own noise "
            "schedule"
        )
    if checkpoint is None:
        if _models(request):
            why = (
                "no model is chosen: set one with POST /sdapi/v1/options "
                '{"sd_model_checkpoint": TITLE}, a title from GET /sdapi/v1/sd-models'
            )
        else:
            why = "this server offers no diffusion models"
        if body.prompt or body.negative_prompt:
            notes.append(f"prompt ignored by the classical engine {CLASSICAL_ENGINE!r}: {why}")
        else:
            notes.append(f"the classical engine {CLASSICAL_ENGINE!r} answered: {why}")
        notes.append(
            "steps, cfg_scale, sampler_name, denoising_strength and inpainting_fill do not "
            "apply to a classical engine"
        )
        return CLASSICAL_ENGINE, {}, given
    params: dict[str, Any] = {
        "model": _models(request)[checkpoint],
        "prompt": body.prompt,
        "negative_prompt": body.negative_prompt,
        "steps": body.steps,
        "guidance": body.cfg_scale,
        "strength": body.denoising_strength,
        "masked_content": MASKED_CONTENT[body.inpainting_fill],
    }
    name = None
    if given:
        name, scheduler = _find_sampler(given, notes)
        params["scheduler"] = scheduler
    return "diffusion", params, name


def _find_sampler(given: str, notes: list[str]) -> tuple[str, str]:
    """(A1111 name, inpaintkit scheduler) for a sampler name, alias or scheduler name."""
    wanted = given.strip().lower()
    karras = wanted.endswith(" karras")
    if karras:
        wanted = wanted.removesuffix(" karras").strip()
    for name, aliases, scheduler in SAMPLERS:
        if wanted in (name.lower(), scheduler, *(a.lower() for a in aliases)):
            if karras:
                notes.append(f"sampler {given!r} runs as {name!r}, without Karras sigmas")
            return name, scheduler
    known = ", ".join(repr(name) for name, _, _ in SAMPLERS)
    raise InvalidParameterError(
        f"{{sampler_name}} {given!r} is not a sampler of this server; choose one of {known} "
        "(GET /sdapi/v1/samplers)",
        options={"sampler_name": None},
    )


def _in_a1111_terms(error: InvalidInputError) -> InvalidInputError:
    """``error`` with inpaintkit's option names as the A1111 fields the client sent, and
    the images named by their fields."""
    template = error.template.replace("image <bytes>", "init_images[0]").replace(
        "mask <bytes>", "mask"
    )
    options: dict[str, Any] = {}
    for name, value in error.options.items():
        renamed = _A1111_NAMES.get(name, name)
        template = template.replace("{" + name + "}", "{" + renamed + "}")
        # A1111 sends its flags as 0/1 (inpainting_mask_invert).
        options[renamed] = int(value) if isinstance(value, bool) and renamed != name else value
    if template == error.template and options == error.options:
        return error
    return type(error)(template, options=options)


def _mask_alpha(data: bytes, max_pixels: int) -> str:
    """'opaque' when the mask has an alpha channel that is not fully opaque (A1111 then
    reads the mask from its alpha), else 'auto'. An unreadable mask is the pipeline's
    to report."""
    from inpaintkit.imageio import load_image

    try:
        picture = load_image(data, max_pixels=max_pixels)
    except InpaintKitError:
        return "auto"
    alpha = picture.alpha
    if alpha is None:
        return "auto"
    full = 1.0 if alpha.dtype.kind == "f" else float((1 << (8 * alpha.dtype.itemsize)) - 1)
    return "opaque" if float(alpha.min()) < full else "auto"


@router.post("/img2img")
async def img2img(body: Img2ImgRequest, request: Request) -> dict[str, Any]:
    """Inpaint ``init_images[0]`` where ``mask`` is white, with A1111's fields and answer:
    ``{"images": [base64 PNG, ...], "parameters": {...}, "info": "<JSON>"}``."""
    settings = request.app.state.settings
    state = _state(request.app)
    try:
        if not body.init_images:
            raise InvalidInputError(
                "{init_images} is empty: send the photo as base64 or a data URL",
                options={"init_images": ["BASE64"]},
            )
        if not body.mask:
            raise InvalidInputError(
                "{mask} is missing: inpaintkit inpaints, so send a mask as base64 or a data "
                "URL (white = regenerate, black = keep)",
                options={"mask": "BASE64"},
            )
        image = decode_base64_image(
            body.init_images[0], field="init_images", max_bytes=settings.max_upload_bytes
        )
        mask = decode_base64_image(body.mask, field="mask", max_bytes=settings.max_upload_bytes)
        for name, data in (("init_images", image), ("mask", mask)):  # 413 before the queue
            check_pixels(
                data, field=name, limit=settings.max_pixels, server_limit=settings.max_pixels
            )
        plan = _plan_img2img(body, request, state)
        alpha = await anyio.to_thread.run_sync(_mask_alpha, mask, settings.max_pixels)
        if alpha == "opaque":
            plan.requests = [r.model_copy(update={"mask_alpha": alpha}) for r in plan.requests]
            plan.notes.append("mask: read from its alpha channel (opaque = regenerate)")
        results = await _run_all(request, state, plan, image, mask)
    except InvalidInputError as error:
        raise _in_a1111_terms(error) from None
    infotexts = [_infotext(body, plan, r) for r in results]
    images = []
    if body.send_images:
        images = [
            encode_base64(_with_text(await _encode(r), "parameters", text))
            for r, text in zip(results, infotexts, strict=True)
        ]
    parameters = body.model_dump(mode="json")
    if not body.include_init_images:
        parameters["init_images"] = None
        parameters["mask"] = None
    info = _info(body, plan, results, infotexts)
    return {"images": images, "parameters": parameters, "info": _json_text(info)}


async def _run_all(
    request: Request, state: _State, plan: _Plan, image: bytes, mask: bytes
) -> list[Result]:
    """One run per seed through the runner; an interrupt stops before the next image."""
    runner = request.app.state.runner
    job = state.begin(len(plan.requests))
    results: list[Result] = []
    try:
        for index, one in enumerate(plan.requests):
            if not state.next_image(job, index):
                plan.notes.append(
                    f"interrupted: {len(results)} of {len(plan.requests)} images made"
                )
                break
            results.append(
                await runner.run(one, image=image, mask=mask, progress=state.reporter(job))
            )
    finally:
        state.end(job)
    return results


async def _encode(result: Result) -> bytes:
    from inpaintkit.output import encode_result

    return await anyio.to_thread.run_sync(encode_result, result)


def _with_text(png: bytes, key: str, text: str) -> bytes:
    """``png`` with an iTXt chunk ``key`` = ``text`` before IEND: where A1111 writes its
    infotext ("parameters"), which image viewers and A1111's PNG Info read."""
    payload = key.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + payload) & 0xFFFFFFFF)
    end = png.rfind(b"IEND") - 4
    if not png.startswith(b"\x89PNG") or end < 8:
        return png
    return png[:end] + chunk + png[end:]


def _json_text(document: Any) -> str:
    """Strict JSON text (A1111's ``info`` is a string): numpy values as numbers, values
    that are not finite as null."""

    def finite(value: Any) -> Any:
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, dict):
            return {str(key): finite(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [finite(item) for item in value]
        item = getattr(value, "item", None)  # numpy scalars
        if callable(item) and getattr(value, "ndim", None) == 0:
            return finite(item())
        if hasattr(value, "tolist"):
            return finite(value.tolist())
        return value if value is None or isinstance(value, str | int | bool) else str(value)

    return json.dumps(finite(document), allow_nan=False)


def _mask_blur(body: Img2ImgRequest) -> float:
    """A1111's mask_blur (4 when absent), an int when it is one, as A1111 writes it."""
    blur = 4.0 if body.mask_blur is None else body.mask_blur
    return int(blur) if float(blur).is_integer() else blur


def _photo_size(result: Result) -> tuple[int, int]:
    return int(result.image.shape[1]), int(result.image.shape[0])


def _infotext(body: Img2ImgRequest, plan: _Plan, result: Result) -> str:
    """A1111's generation parameters text for one image."""
    width, height = _photo_size(result)
    pairs: list[tuple[str, Any]] = []
    if plan.engine == "diffusion":
        pairs += [
            ("Steps", body.steps),
            ("Sampler", plan.sampler or result.details.get("scheduler", "Default")),
            ("CFG scale", body.cfg_scale),
        ]
    pairs += [("Seed", result.seed), ("Size", f"{width}x{height}")]
    if plan.engine == "diffusion":
        pairs += [
            ("Model", plan.checkpoint),
            ("Denoising strength", body.denoising_strength),
            ("Masked content", FILL_NAMES[body.inpainting_fill]),
        ]
    pairs += [
        ("Mask blur", _mask_blur(body)),
        ("Engine", plan.engine),
        ("Version", f"inpaintkit {__version__}"),
    ]
    lines = [body.prompt] if plan.engine == "diffusion" else [""]
    if plan.engine == "diffusion" and body.negative_prompt:
        lines.append(f"Negative prompt: {body.negative_prompt}")
    lines.append(", ".join(f"{k}: {v}" for k, v in pairs))
    return "\n".join(lines)


def _info(
    body: Img2ImgRequest, plan: _Plan, results: list[Result], infotexts: list[str]
) -> dict[str, Any]:
    """A1111's ``info`` (``Processed.js()``), plus inpaintkit's own record."""
    first = results[0]
    width, height = _photo_size(first)
    notes = list(plan.notes)
    if (body.width, body.height) != (width, height):
        notes.append(
            f"width and height ({body.width}×{body.height}) not applied: inpaintkit keeps "
            f"the photo's own size, {width}×{height}, and changes only the masked part"
        )
    count = len(results)
    seeds = [r.seed for r in results]
    return {
        "prompt": body.prompt,
        "all_prompts": [body.prompt] * count,
        "negative_prompt": body.negative_prompt,
        "all_negative_prompts": [body.negative_prompt] * count,
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": plan.subseed,
        "all_subseeds": [plan.subseed + k for k in range(count)],
        "subseed_strength": getattr(body, "subseed_strength", 0) or 0,
        "width": width,
        "height": height,
        "sampler_name": plan.sampler,
        "cfg_scale": body.cfg_scale,
        "steps": body.steps,
        "batch_size": body.batch_size,
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": plan.checkpoint,
        "sd_model_hash": None,
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": body.denoising_strength,
        "extra_generation_params": {
            "Mask blur": _mask_blur(body),
            "Engine": plan.engine,
        },
        "index_of_first_image": 0,
        "infotexts": infotexts,
        "styles": styles if isinstance(styles := getattr(body, "styles", None), list) else [],
        "job_timestamp": time.strftime("%Y%m%d%H%M%S"),
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "version": f"inpaintkit {__version__}",
        "inpaintkit": {
            "engine": plan.engine,
            "model": plan.checkpoint,
            "plan": first.plan.to_dict(),
            "findings": [f.to_dict() for f in first.findings],
            "seam_scores": [r.seam_score for r in results],
            "details": first.details,
            "notes": notes,
        },
    }


# --- the other routes -------------------------------------------------------------------


@router.post("/txt2img")
async def txt2img() -> None:
    """Not served: inpaintkit inpaints. Answers 400 with what to use instead."""
    raise UnsupportedRouteError(
        "inpaintkit serves img2img inpainting, not text-to-image; use /sdapi/v1/img2img with "
        "init_images and a mask (white = regenerate)"
    )


@router.get("/sd-models")
def sd_models(request: Request) -> list[dict[str, Any]]:
    """The diffusion models this server offers (``settings.models``), in A1111's shape."""
    return [
        {
            "title": title,
            "model_name": _model_name(title, path),
            "hash": None,
            "sha256": None,
            "filename": path,
            "config": None,
        }
        for title, path in _models(request).items()
    ]


@router.post("/refresh-checkpoints")
def refresh_checkpoints() -> None:
    """Nothing to rescan: the models are the server's settings."""


@router.get("/options")
def get_options(request: Request) -> dict[str, Any]:
    """``sd_model_checkpoint`` (the chosen model's title, or null for the classical
    engine) and every other option set with POST, echoed."""
    state = _state(request.app)
    with state.lock:
        return {
            **state.options,
            "sd_model_checkpoint": state.checkpoint,
            "sd_checkpoint_hash": None,
        }


@router.post("/options")
def set_options(options: dict[str, Any], request: Request) -> None:
    """Choose the model (``sd_model_checkpoint``: a title, or null for the classical
    engine); other keys are kept and echoed by GET, and change nothing."""
    state = _state(request.app)
    checkpoint = state.checkpoint
    if "sd_model_checkpoint" in options:
        checkpoint = _find_checkpoint(
            request, options["sd_model_checkpoint"], field_name="sd_model_checkpoint"
        )
    others = {k: v for k, v in options.items() if k not in ("sd_model_checkpoint",)}
    with state.lock:
        state.checkpoint = checkpoint
        state.options.update(others)


@router.get("/samplers")
def samplers() -> list[dict[str, Any]]:
    """The samplers img2img takes, with the inpaintkit scheduler each runs as."""
    return [
        {"name": name, "aliases": list(aliases), "options": {"inpaintkit_scheduler": scheduler}}
        for name, aliases, scheduler in SAMPLERS
        if scheduler in SCHEDULERS
    ]


@router.get("/schedulers")
def schedulers() -> list[dict[str, Any]]:
    """Only the model's own noise schedule ("Automatic")."""
    return [
        {
            "name": "automatic",
            "label": "Automatic",
            "aliases": None,
            "default_rho": -1,
            "need_inner_model": False,
        }
    ]


@router.get("/progress")
def progress(request: Request, skip_current_image: bool = False) -> dict[str, Any]:
    """How far the running img2img is (steps over all its regions and images)."""
    return _state(request.app).progress()


@router.post("/interrupt")
def interrupt(request: Request) -> dict[str, Any]:
    """Stop the img2img requests in flight after the image each is making."""
    _state(request.app).interrupt()
    return {}


@router.get("/sd-vae")
def sd_vae() -> list[dict[str, Any]]:
    return []


@router.get("/upscalers")
def upscalers() -> list[dict[str, Any]]:
    return []


@router.get("/scripts")
def scripts() -> dict[str, list[str]]:
    """No scripts (webuiapi asks when it starts)."""
    return {"txt2img": [], "img2img": []}
