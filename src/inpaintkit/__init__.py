"""inpaintkit: inpainting with masks that do exactly what they say.

>>> import inpaintkit
>>> inpaintkit.__version__
'0.1.0'

The public names are imported on first use, so ``import inpaintkit`` stays fast and
needs none of the optional extras.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from inpaintkit._version import __version__ as __version__

_EXPORTS = {
    "inpaint": "inpaintkit.pipeline",
    "outpaint": "inpaintkit.pipeline",
    "run": "inpaintkit.pipeline",
    "replay": "inpaintkit.recipe_replay",
    "Replay": "inpaintkit.recipe_replay",
    "save_result": "inpaintkit.output",
    "load_image": "inpaintkit.imageio",
    "load_mask": "inpaintkit.imageio",
    "save_image": "inpaintkit.imageio",
    "Request": "inpaintkit.schema",
    "Result": "inpaintkit.types",
    "Plan": "inpaintkit.types",
    "Box": "inpaintkit.types",
    "Extent": "inpaintkit.types",
    "list_engines": "inpaintkit.engines.registry",
    "InpaintPipeline": "inpaintkit.pipe",
    "remove": "inpaintkit.apps.removal",
    "restore": "inpaintkit.apps.restoration",
    "compose": "inpaintkit.apps.composition",
    "replace": "inpaintkit.apps.replacement",
}

__all__ = [
    "Box",
    "Extent",
    "InpaintPipeline",
    "Plan",
    "Replay",
    "Request",
    "Result",
    "__version__",
    "compose",
    "inpaint",
    "list_engines",
    "load_image",
    "load_mask",
    "outpaint",
    "remove",
    "replace",
    "replay",
    "restore",
    "run",
    "save_image",
    "save_result",
]

if TYPE_CHECKING:
    from inpaintkit.apps.composition import compose
    from inpaintkit.apps.removal import remove
    from inpaintkit.apps.replacement import replace
    from inpaintkit.apps.restoration import restore
    from inpaintkit.engines.registry import list_engines
    from inpaintkit.imageio import load_image, load_mask, save_image
    from inpaintkit.output import save_result
    from inpaintkit.pipe import InpaintPipeline
    from inpaintkit.pipeline import inpaint, outpaint, run
    from inpaintkit.recipe_replay import Replay, replay
    from inpaintkit.schema import Request
    from inpaintkit.types import Box, Extent, Plan, Result


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    """The lazy public names too, so ``dir(inpaintkit)`` and tab completion show the API."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
