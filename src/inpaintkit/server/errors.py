"""Every error as a JSON answer with a 4xx status and a message in JSON's terms.

``{"error": {"type": "SizeMismatchError", "message": "...", "status": 400}}``. Options a
message names are spelled as JSON fields (``"mask_resize": true``). Nothing a client
sends should end in a 5xx: an unexpected error is a 500 with a short message, and the
tests run schemathesis over the OpenAPI spec to keep it that way.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inpaintkit.errors import (
    EngineUnavailableError,
    ImageTooLargeError,
    InpaintKitError,
    InvalidInputError,
    spell_json,
)


class QueueFullError(InpaintKitError):
    """Every slot and queue place for the engine is taken; retry later."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(InvalidInputError):
    """The request body is over the server's upload limit."""


class UnsupportedMediaTypeError(InvalidInputError):
    """The request body is neither multipart/form-data nor JSON (nor a URL-encoded form)."""


class UnknownJobError(InvalidInputError):
    """No job has that id (never created, expired, or deleted)."""


class JobNotReadyError(InvalidInputError):
    """A job's result was asked for before the job was done (or after it failed)."""


class RunTimeoutError(InpaintKitError):
    """A direct request ran past the server's ``timeout_s``; it was called off."""


def error_response(status: int, kind: str, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"type": kind, "message": message, "status": status}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def json_message(error: InpaintKitError) -> str:
    """The error's message with the options it names spelled as JSON fields, on one line."""
    return " ".join(error.spelled(spell_json).split())


def status_of(error: InpaintKitError) -> int:
    if isinstance(error, PayloadTooLargeError | ImageTooLargeError):
        return 413
    if isinstance(error, QueueFullError):
        return 429
    if isinstance(error, UnsupportedMediaTypeError):
        return 415
    if isinstance(error, UnknownJobError):
        return 404
    if isinstance(error, JobNotReadyError):
        return 409
    if isinstance(error, RunTimeoutError):
        return 503  # the server's limit, not the request's fault; /v1/jobs has none
    if isinstance(error, EngineUnavailableError):
        return 409  # the server's set-up, not the request, lacks something; a fix is named
    if isinstance(error, InvalidInputError):
        return 400
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Map inpaintkit's errors, FastAPI's validation errors and HTTP errors to JSON."""

    @app.exception_handler(InpaintKitError)
    async def _ours(_request: Request, error: InpaintKitError) -> JSONResponse:
        headers: dict[str, Any] = {}
        if isinstance(error, QueueFullError):
            headers["Retry-After"] = str(error.retry_after)
        return error_response(
            status_of(error), type(error).__name__, json_message(error), **headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'request'}: "
            f"{e.get('msg', 'invalid')}"
            for e in error.errors()
        )
        return error_response(422, "RequestValidationError", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        return error_response(error.status_code, "HTTPException", str(error.detail), **headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        return error_response(500, "InternalError", f"{type(error).__name__}: {error}")
