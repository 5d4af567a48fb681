"""``inpaintkit serve``: the HTTP API and the web editor on this machine."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from inpaintkit.cli.app import app


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback only by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (7860, where A1111 clients look).")] = 7860,
    token: Annotated[
        str | None,
        typer.Option(help="Bearer token every API call must send (or $INPAINTKIT_TOKEN)."),
    ] = None,
    api_auth: Annotated[
        str | None, typer.Option(help="user:pass for HTTP Basic, as A1111 clients send it.")
    ] = None,
    max_upload_mb: Annotated[int, typer.Option(help="Largest request body, MiB.")] = 256,
    queue_size: Annotated[
        int, typer.Option(help="Requests that may wait per engine before 429.")
    ] = 8,
    cors: Annotated[
        list[str] | None, typer.Option(help="Allow browser calls from this origin (repeat).")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(help="A diffusion model the A1111 routes offer: TITLE=PATH (repeat)."),
    ] = None,
) -> None:
    """Serve the HTTP API (/v1, /sdapi/v1, OpenAPI at /docs) and the mask editor at /."""
    from inpaintkit.errors import InvalidInputError, MissingExtraError

    try:
        import uvicorn

        from inpaintkit.server import ServerSettings, create_app
    except ImportError as missing:
        raise MissingExtraError(
            f"inpaintkit serve needs {missing.name}, which is not installed: "
            "pip install 'inpaintkit[server]'",
            extra="server",
        ) from None
    models = {}
    for pair in model or []:
        title, sep, path = pair.partition("=")
        if not sep or not title or not path:
            raise InvalidInputError(f"--model {pair!r} is not TITLE=PATH, e.g. sd15=./models/sd15")
        models[title] = path
    settings = ServerSettings(
        host=host,
        port=port,
        api_auth=api_auth,
        max_upload_bytes=max_upload_mb * 2**20,
        queue_size=queue_size,
        cors_origins=tuple(cors or ()),
        models=models,
    )
    if token:
        settings = replace(settings, token=token)
    if host not in ("127.0.0.1", "localhost", "::1") and not (settings.token or api_auth):
        typer.echo(
            f"warning: serving on {host} without --token: anyone who can reach it may use it",
            err=True,
        )
    typer.echo(f"inpaintkit: editor and API at http://{host}:{port}/ (OpenAPI at /docs)", err=True)
    # Open event streams (a job being watched) would hold a graceful shutdown forever.
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
