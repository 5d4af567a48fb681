"""The applications: thin compositions of the library for one task each.

:func:`remove` (an object, from a box, clicks or the salient object), :func:`restore`
(an old photo's scratches, dust and tears), :func:`compose` (a cut-out into a scene),
:func:`replace` (a part, with a prompt). Each returns a :class:`~inpaintkit.types.Result`
whose recipe replays. Imported on first use, like the package itself.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "remove": "inpaintkit.apps.removal",
    "restore": "inpaintkit.apps.restoration",
    "compose": "inpaintkit.apps.composition",
    "replace": "inpaintkit.apps.replacement",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inpaintkit.apps' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
