"""Write images (:func:`save_image`) and read back the recipe stored in them
(:func:`read_recipe`).

Decisions worth knowing:

* Writes are atomic: the bytes go to a temporary file in the target folder, are synced,
  and replace the target in one ``os.replace``, so a crash never leaves half a file and
  ``overwrite=False`` is checked again just before the replace.
* uint16 pixels stay 16-bit in PNG and TIFF; they are encoded with OpenCV (Pillow cannot
  write 16-bit RGB) and the ICC profile and recipe are added to the PNG's bytes with
  :mod:`inpaintkit.imageio.png_chunks`. Formats that store 8 bits get the pixels rounded,
  with a warning.
* Lossy formats, dropped alpha and a recipe that only PNG can hold are reported as
  warnings (returned, not raised), since the file is still what the user asked for.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from inpaintkit.convert import to_dtype
from inpaintkit.errors import (
    InvalidInputError,
    InvalidParameterError,
    OutputExistsError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from inpaintkit.imageio._shared import _SAVE_FORMATS, _one_line, _read_file

RECIPE_KEYWORD = "inpaintkit"


def save_image(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    recipe: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    quality: int = 95,
) -> list[str]:
    """Write ``pixels`` (H×W×3 or H×W; uint8, uint16 or float32 [0, 1]) atomically.

    Returns warnings for the user (lossy format, dropped alpha or recipe, ...).

    The format follows the extension. uint16 stays 16-bit in PNG and TIFF; float32 is
    written as 8-bit (rounded). ``recipe`` is stored as JSON in a PNG ``iTXt`` chunk.
    """
    target = Path(path)
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {target}: unknown extension '{target.suffix}'; use one of "
            f"{', '.join(sorted(_SAVE_FORMATS))}"
        )
    if target.is_dir():
        raise OutputExistsError(f"{target} is a folder; pass a file name such as {target}/out.png")
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
    if not 1 <= quality <= 100:
        raise InvalidParameterError(f"quality is {quality}; pass a value from 1 to 100")
    warnings_out: list[str] = []
    colours, opacity = _checked_output(pixels, alpha, target)
    if colours.dtype == np.uint16 and fmt not in ("PNG", "TIFF"):
        colours = to_dtype(colours, np.uint8)
        opacity = None if opacity is None else to_dtype(opacity, np.uint8)
        warnings_out.append(
            f"{target.suffix} stores 8 bits per channel: 16-bit pixels were rounded to 8 bits "
            "— use .png or .tiff to keep them"
        )
    if fmt == "JPEG":
        warnings_out.append(
            "JPEG re-encodes every pixel; outside-mask pixels will no longer be bit-identical "
            "— use .png to keep them"
        )
        if opacity is not None:
            opacity = None
            warnings_out.append("JPEG has no alpha channel: transparency was dropped — use .png")
    if fmt == "WEBP" and quality < 100:
        warnings_out.append(
            "lossy WebP re-encodes every pixel; outside-mask pixels will no longer be "
            "bit-identical — use .png, or quality=100 for lossless WebP"
        )
    if recipe is not None and fmt != "PNG":
        warnings_out.append(f"the recipe is only stored in PNG files; {target.name} has none")
    recipe_text = None if recipe is None else json.dumps(recipe, sort_keys=True, default=str)
    if colours.dtype == np.uint16:
        encoded = _encode_16bit(colours, opacity, fmt, icc_profile, recipe_text, target)
        if icc_profile and fmt == "TIFF":
            warnings_out.append(
                "the ICC profile is not stored in 16-bit TIFF output; use .png to keep it"
            )
    else:
        encoded = _encode_8bit(colours, opacity, fmt, icc_profile, recipe_text, quality)
    _write_atomically(target, encoded, overwrite=overwrite)
    return warnings_out


def _checked_output(
    pixels: np.ndarray, alpha: np.ndarray | None, target: Path
) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and alpha is None:
        pixels, alpha = pixels[..., :3], pixels[..., 3]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    is_grey = pixels.ndim == 2
    if not (is_grey or (pixels.ndim == 3 and pixels.shape[2] == 3)) or pixels.size == 0:
        raise InvalidInputError(
            f"cannot write {target}: pixels have shape {pixels.shape}; "
            "pass H×W×3 (RGB) or H×W (greyscale)"
        )
    if is_grey and alpha is not None:
        # Grey plus alpha is written as RGBA: every format here stores that.
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    colours = _to_output_dtype(pixels, target, "pixels")
    if alpha is None:
        return colours, None
    alpha = np.asarray(alpha)
    if alpha.shape != pixels.shape[:2]:
        raise InvalidInputError(
            f"cannot write {target}: alpha has shape {alpha.shape} but pixels are "
            f"{pixels.shape[:2]}; pass an H×W alpha"
        )
    opacity = _to_output_dtype(alpha, target, "alpha")
    if opacity.dtype != colours.dtype:
        # Bring alpha to the pixels' bit depth: 8 -> 16 bits is an exact ×257.
        opacity = to_dtype(opacity, colours.dtype)
    return colours, opacity


def _to_output_dtype(values: np.ndarray, target: Path, what: str) -> np.ndarray:
    if values.dtype in (np.uint8, np.uint16):
        return np.ascontiguousarray(values)
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise InvalidInputError(f"cannot write {target}: {what} contain NaN or infinite values")
        low, high = float(values.min()), float(values.max())
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"cannot write {target}: float {what} are in [{low:g}, {high:g}], "
                "outside [0, 1]; clip or rescale them"
            )
        return to_dtype(values, np.uint8)
    raise InvalidInputError(
        f"cannot write {target}: {what} have dtype {values.dtype}; pass uint8, uint16 or "
        "float32 in [0, 1]"
    )


def _encode_16bit(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    fmt: str,
    icc_profile: bytes | None,
    recipe_text: str | None,
    target: Path,
) -> bytes:
    import cv2

    from inpaintkit.imageio.png_chunks import icc_chunk, insert_chunks, text_chunk

    bgr = colours if colours.ndim == 2 else colours[..., ::-1]
    if opacity is not None:
        bgr = np.dstack([bgr, opacity])
    ok, buffer = cv2.imencode(".png" if fmt == "PNG" else ".tiff", np.ascontiguousarray(bgr))
    if not ok:
        raise InvalidInputError(f"cannot encode 16-bit pixels for {target}; try .png")
    encoded = buffer.tobytes()
    if fmt != "PNG":
        return encoded
    chunks = []
    if icc_profile:
        chunks.append(icc_chunk(icc_profile))
    if recipe_text is not None:
        chunks.append(text_chunk(RECIPE_KEYWORD, recipe_text))
    return insert_chunks(encoded, chunks) if chunks else encoded


def _encode_8bit(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    fmt: str,
    icc_profile: bytes | None,
    recipe_text: str | None,
    quality: int,
) -> bytes:
    from PIL import Image, PngImagePlugin

    if opacity is None:
        image = Image.fromarray(np.ascontiguousarray(colours))
    else:
        image = Image.fromarray(np.ascontiguousarray(np.dstack([colours, opacity])))
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if recipe_text is not None:
            info.add_itxt(RECIPE_KEYWORD, recipe_text)
        options["pnginfo"] = info
    elif fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        options.update(quality=quality, lossless=quality >= 100, exact=True)
    elif fmt == "TIFF":
        options["compression"] = "tiff_deflate"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _write_atomically(target: Path, data: bytes, *, overwrite: bool) -> None:
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if not overwrite and target.exists():
            raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_recipe(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The recipe JSON stored in a PNG written by :func:`save_image`, or None."""
    from inpaintkit.imageio.png_chunks import find_text

    name = os.fspath(path)
    data = _read_file(name, what="file")
    try:
        text = find_text(data, RECIPE_KEYWORD)
    except Exception as error:  # any damage in the chunk bytes
        raise UnreadableFileError(
            f"{name} has a damaged inpaintkit recipe chunk ({_one_line(error)})"
        ) from error
    if text is None:
        return None
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFileError(
            f"{name} has an inpaintkit recipe that is not valid JSON ({_one_line(error)})"
        ) from error
    return recipe if isinstance(recipe, dict) else None
