"""How a server runs: where it listens, who may call it, how much it accepts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from inpaintkit.schema import DEFAULT_MAX_PIXELS

TOKEN_VARIABLE = "INPAINTKIT_TOKEN"


@dataclass(frozen=True)
class ServerSettings:
    """Everything :func:`inpaintkit.server.create_app` needs; all have safe defaults.

    ``token``: a bearer token every route but ``/healthz`` and the editor's static files
    requires (default: ``$INPAINTKIT_TOKEN``). ``api_auth``: ``"user:pass"`` for HTTP
    Basic, as AUTOMATIC1111 clients send it. Uploads over ``max_upload_bytes`` and images
    over ``max_pixels`` are refused before decoding. One run at a time per engine, with
    at most ``queue_size`` waiting; more get 429 with Retry-After. ``models`` names the
    diffusion models the A1111 routes offer (title → folder, file or hub id).
    """

    host: str = "127.0.0.1"
    port: int = 7860  # AUTOMATIC1111's port, so its clients find us with their defaults
    token: str | None = field(default_factory=lambda: os.environ.get(TOKEN_VARIABLE) or None)
    api_auth: str | None = None
    max_upload_bytes: int = 256 * 2**20
    max_pixels: int = DEFAULT_MAX_PIXELS
    queue_size: int = 8
    timeout_s: float = 900.0
    cors_origins: tuple[str, ...] = ()
    job_ttl_s: float = 900.0
    models: dict[str, str] = field(default_factory=dict)
