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

__version__ = "0.1.0"

_EXPORTS = {
    "inpaint": "inpaintkit.pipeline",
    "load_image": "inpaintkit.imageio",
    "load_mask": "inpaintkit.imageio",
    "save_image": "inpaintkit.imageio",
    "Request": "inpaintkit.schema",
    "Result": "inpaintkit.types",
    "Plan": "inpaintkit.types",
    "Box": "inpaintkit.types",
    "Extent": "inpaintkit.types",
    "list_engines": "inpaintkit.engines.registry",
}

__all__ = [
    "Box",
    "Extent",
    "Plan",
    "Request",
    "Result",
    "__version__",
    "inpaint",
    "list_engines",
    "load_image",
    "load_mask",
    "save_image",
]

if TYPE_CHECKING:
    from inpaintkit.engines.registry import list_engines
    from inpaintkit.imageio import load_image, load_mask, save_image
    from inpaintkit.pipeline import inpaint
    from inpaintkit.schema import Request
    from inpaintkit.types import Box, Extent, Plan, Result


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
