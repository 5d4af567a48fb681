"""The application factory: one FastAPI app with the native API, the A1111 subset, jobs,
the editor's static files, and the checks every request passes first (auth, upload
size)."""

from __future__ import annotations

import base64
import hmac
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from inpaintkit._version import __version__
from inpaintkit.server.errors import error_response, install_error_handlers
from inpaintkit.server.runner import Runner
from inpaintkit.server.settings import ServerSettings

STATIC = Path(__file__).parent / "static"
# Open to anyone: a liveness probe, and the editor's own files (they hold no data; the
# page asks for the token before it calls the API).
_PUBLIC = ("/healthz", "/static/")


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """A FastAPI app serving inpaintkit with ``settings`` (defaults: loopback, no token)."""
    from inpaintkit.server import jobs, native, sdapi

    settings = settings or ServerSettings()
    app = FastAPI(
        title="inpaintkit",
        version=__version__,
        description="Inpainting with masks that do exactly what they say: pixels outside "
        "the mask come back bit for bit. Native API under /v1, an AUTOMATIC1111-compatible "
        "subset under /sdapi/v1, the mask editor at /.",
    )
    app.state.settings = settings
    app.state.runner = Runner(settings)
    install_error_handlers(app)
    _install_guards(app, settings)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            # A page on another origin reads the seed, engine and seam score of a result.
            expose_headers=[
                "X-Inpaintkit-Seed",
                "X-Inpaintkit-Engine",
                "X-Inpaintkit-Seam-Score",
                "X-Inpaintkit-Images",
                "X-Inpaintkit-Coverage",
                "Retry-After",
                "Location",
            ],
        )

    @app.get("/healthz", tags=["server"])
    def healthz() -> dict[str, Any]:
        """Liveness: always open, no token needed. `curl http://127.0.0.1:7860/healthz`"""
        return {"status": "ok", "version": __version__}

    app.include_router(native.router)
    app.include_router(jobs.router)
    app.include_router(sdapi.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def editor() -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html")

    return app


def _install_guards(app: FastAPI, settings: ServerSettings) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        path = request.url.path
        public = path == "/" or path.startswith(_PUBLIC)
        if not public and not _authorised(request, settings):
            return error_response(
                401,
                "Unauthorized",
                "this server needs a token: send 'Authorization: Bearer TOKEN'"
                + (" or HTTP Basic user:pass" if settings.api_auth else ""),
                **{"WWW-Authenticate": "Bearer" if settings.token else "Basic"},
            )
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_upload_bytes:
            return error_response(
                413,
                "PayloadTooLargeError",
                f"the request is {int(length):,} bytes, over this server's limit of "
                f"{settings.max_upload_bytes:,}; send a smaller image",
            )
        response: Response = await call_next(request)
        return response


def _authorised(request: Request, settings: ServerSettings) -> bool:
    if not settings.token and not settings.api_auth:
        return True
    header = request.headers.get("authorization", "")
    if not header and settings.token and "token" in request.query_params:
        # EventSource (server-sent events in a browser) cannot send headers.
        header = "Bearer " + request.query_params["token"]
    scheme, _, credentials = header.partition(" ")
    if settings.token and scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.strip(), settings.token)
    if settings.api_auth and scheme.lower() == "basic":
        try:
            given = base64.b64decode(credentials.strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given, settings.api_auth)
    return False
