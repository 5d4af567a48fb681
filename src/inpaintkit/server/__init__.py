"""``inpaintkit serve``: the HTTP API, an AUTOMATIC1111-compatible subset and the web
mask editor, over the same pipeline as the library and the CLI. Needs
``pip install 'inpaintkit[server]'``.

Layout: :mod:`.settings` (what a server accepts), :mod:`.runner` (one run per engine,
bounded queue), :mod:`.errors` (4xx JSON answers), :mod:`.payload` (images in and out),
:mod:`.app` (:func:`create_app`), :mod:`.native` (``/v1``), :mod:`.jobs` (``/v1/jobs``),
:mod:`.sdapi` (``/sdapi/v1``), ``static/`` (the editor at ``/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inpaintkit.server.app import create_app
    from inpaintkit.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from inpaintkit.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from inpaintkit.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(f"module 'inpaintkit.server' has no attribute {name!r}")
