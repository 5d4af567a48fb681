"""Read and write images and masks: formats, modes, bit depth, EXIF, limits, recipe chunk.

Everything that crosses the file boundary is checked here, so later stages can trust
their inputs. Errors name the file and the fix, on one line.

Where things are:

* :mod:`~inpaintkit.imageio.read_image`: decoding (formats, modes, 16-bit, EXIF
  orientation, pixel limits), :class:`ImageData`, :func:`load_image`, :func:`sha256_of`.
* :mod:`~inpaintkit.imageio.read_mask`: mask sources, JPEG-noise cleanup, size fitting,
  :class:`MaskData`, :func:`load_mask`.
* :mod:`~inpaintkit.imageio.mask_geometry`: masks from box strings and JSON geometry.
* :mod:`~inpaintkit.imageio.write_image`: :func:`save_image` (atomic, recipe chunk, fast
  PNG at :data:`DEFAULT_PNG_LEVEL`), :func:`check_output_path` (before any work) and
  :func:`read_recipe`.
* :mod:`~inpaintkit.imageio.layout`: :func:`to_input_layout` (a result back in the
  input's own shape and dtype) and palette mapping.
* :mod:`~inpaintkit.imageio.png_chunks`: byte-level PNG chunk helpers.
"""

from __future__ import annotations

from inpaintkit.imageio.layout import to_input_layout
from inpaintkit.imageio.read_image import (
    DEFAULT_MAX_PIXELS,
    SUPPORTED_FORMATS,
    ImageData,
    digest_of,
    load_image,
    sha256_of,
)
from inpaintkit.imageio.read_image import ImageSource as ImageSource
from inpaintkit.imageio.read_mask import MaskData, load_mask
from inpaintkit.imageio.write_image import (
    DEFAULT_PNG_LEVEL,
    check_output_path,
    encode_image,
    read_recipe,
    save_image,
)
from inpaintkit.imageio.write_image import RECIPE_KEYWORD as RECIPE_KEYWORD

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_PNG_LEVEL",
    "SUPPORTED_FORMATS",
    "ImageData",
    "MaskData",
    "check_output_path",
    "digest_of",
    "encode_image",
    "load_image",
    "load_mask",
    "read_recipe",
    "save_image",
    "sha256_of",
    "to_input_layout",
]
