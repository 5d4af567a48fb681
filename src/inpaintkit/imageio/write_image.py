"""Write images (:func:`save_image`), check output paths before any work
(:func:`check_output_path`) and read back the recipe stored in them (:func:`read_recipe`).

Decisions worth knowing:

* Output paths are checked before any work (:func:`check_output_path`): a known
  extension, not a folder, a parent that is (or can be made) a folder we may write in,
  and no existing file unless ``overwrite``. Any ``OSError`` while writing still becomes
  an :class:`~inpaintkit.errors.InvalidOutputError` that names the path and the fix.
* Writes are atomic: the bytes go to a temporary file in the target folder, are synced,
  and replace the target in one ``os.replace``, so a crash never leaves half a file and
  ``overwrite=False`` is checked again just before the replace. The file gets the
  permissions a plain ``open()`` would give it: those of the file it replaces, else
  ``0o666 & ~umask`` (``mkstemp`` alone would leave 0600).
* PNG is encoded at compression level :data:`DEFAULT_PNG_LEVEL` (1) unless
  ``png_level`` says otherwise. Measured on 6000×4000 photos (``benchmarks/io_bench.py``,
  2 shared cores): OpenCV level 1 takes 1.6 s for 33.7 MB where Pillow's default
  (level 6) takes 14 s for 30.1 MB: 9× faster for a file 12 % larger. Levels 2–3 save
  2–4 % more for 20–60 % more time, level 0 doubles the file. Grey, grey + alpha, RGB
  and RGBA (8 and 16 bits) go through :mod:`inpaintkit.imageio.png_bands`, which
  deflates bands of rows on every core and joins them into one stream: 3.0× faster
  than OpenCV at level 1 on 2 cores (0.48 s against 1.47 s; 1.6× on one core) for a
  file 0.3 % smaller, and 0.99–1.01× OpenCV's size on native-size photos. The ICC
  profile and the recipe go in as chunks (:mod:`inpaintkit.imageio.png_chunks`).
  Palette (P) PNGs go through Pillow.
* uint16 pixels stay 16-bit in PNG and TIFF. Formats that store 8 bits get the pixels
  rounded, with a warning; float16/float32/float64 pixels are written as 8 bits (rounded).
* H×W pixels are written as grey (L, or I;16 for uint16), and H×W + alpha as LA where the
  format has it (PNG, 8-bit TIFF), else as RGBA.
* With ``palette`` (a palette file's colours, :attr:`ImageData.palette`) a PNG is written
  in mode P with that palette: every pixel is mapped to its nearest entry without
  dithering, so colours already in the palette come back exactly.
* Lossy formats, dropped alpha and a recipe that only PNG can hold are reported as
  warnings (returned, not raised), since the file is still what the user asked for.
"""

from __future__ import annotations

import contextlib
import errno
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
    NAME_ONLY,
    InvalidInputError,
    InvalidOutputError,
    InvalidParameterError,
    OutputExistsError,
    UnreadableFileError,
)
from inpaintkit.imageio._shared import _SAVE_FORMATS, _literal, _one_line, _read_file

RECIPE_KEYWORD = "inpaintkit"

DEFAULT_PNG_LEVEL = 1
"""PNG compression level (0–9) used when ``png_level`` is None: ~9× faster than Pillow's
default level 6 on a 6000×4000 photo, for a file ~12 % larger."""


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Raise now, before any work, if ``path`` cannot be written; return it as a Path.

    Checks: a known extension, not a folder, no file where a parent folder should be, a
    parent folder that exists or can be created and that we may write in, and no existing
    file unless ``overwrite``. Nothing is created.

    >>> check_output_path("result.png", overwrite=True)
    PosixPath('result.png')
    >>> check_output_path("result.gif", overwrite=True)
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidOutputError: cannot write result.gif: unknown extension '.gif'; use one of .bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp
    """  # noqa: E501
    target = Path(path)
    try:
        return _checked_output_path(target, overwrite=overwrite)
    except InvalidInputError:
        raise  # ours already say what to do (and are ValueErrors too)
    except OSError as error:  # e.g. a folder on the way we may not even look into
        raise _output_error(target, error) from error
    except ValueError as error:  # anything else the OS cannot take as a path
        raise InvalidOutputError(
            f"cannot write {str(target)!r}: {_one_line(error)}; pass a normal file name"
        ) from error


def _checked_output_path(target: Path, *, overwrite: bool) -> Path:
    if "\0" in str(target):
        raise InvalidOutputError(
            f"cannot write {str(target)!r}: the path contains a null character; "
            "pass a normal file name"
        )
    if target.is_dir():
        raise InvalidOutputError(
            f"{target} is a folder; pass a file name such as {target / 'out.png'}"
        )
    known = ", ".join(sorted(_SAVE_FORMATS))
    if not target.suffix:
        raise InvalidOutputError(
            f"cannot write {target}: the name has no extension to choose the format; "
            f"add one of {known} (e.g. {target.name or 'out'}.png)"
        )
    if target.suffix.lower() not in _SAVE_FORMATS:
        raise InvalidOutputError(
            f"cannot write {target}: unknown extension '{target.suffix}'; use one of {known}"
        )
    _check_parent(target)
    if target.exists() or target.is_symlink():
        if target.exists() and not target.is_file():
            raise InvalidOutputError(
                f"cannot write {target}: it exists and is not a regular file; "
                "choose another output name"
            )
        if not overwrite:
            raise OutputExistsError(
                f"{_literal(target)} exists; pass {{overwrite}} to replace it",
                options={"overwrite": True},
            )
    return target


def _check_parent(target: Path) -> None:
    """The nearest existing folder above ``target`` must be a folder we may write in."""
    folder = target.parent
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise InvalidOutputError(
            f"cannot write {target}: {folder} is a file, not a folder; "
            "choose an output path inside a folder"
        )
    if not folder.exists():
        raise InvalidOutputError(
            f"cannot write {target}: its folder {folder} cannot be reached; check the path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        missing = "" if folder == target.parent else f" to create {target.parent}"
        raise InvalidOutputError(
            f"cannot write {target}: no permission to write in {folder}{missing} "
            "(read-only or owned by someone else); choose a folder you can write to"
        )


def save_image(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    recipe: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    quality: int = 95,
    png_level: int | None = None,
    palette: np.ndarray | None = None,
) -> list[str]:
    """Write ``pixels`` atomically; return warnings for the user (lossy format, dropped
    alpha or recipe, ...).

    ``pixels`` is H×W×3 (RGB), H×W×4 (RGBA), H×W or H×W×1 (grey) or H×W×2 (grey +
    alpha), in uint8, uint16 or float in [0, 1]. The format follows the extension. uint16
    stays 16-bit in PNG and TIFF; floats are written as 8-bit (rounded). ``recipe`` is
    stored as JSON in a PNG ``iTXt`` chunk. ``png_level`` is the PNG compression level,
    0 (fastest) to 9 (smallest); None means :data:`DEFAULT_PNG_LEVEL`. ``palette``
    (N×3 or N×4 uint8) writes a PNG in palette mode with those colours.
    """
    target = check_output_path(path, overwrite=overwrite)
    encoded, warnings_out = encode_image(
        pixels,
        name=str(target),
        alpha=alpha,
        icc_profile=icc_profile,
        recipe=recipe,
        quality=quality,
        png_level=png_level,
        palette=palette,
    )
    _write_atomically(target, encoded, overwrite=overwrite)
    return warnings_out


def encode_image(
    pixels: np.ndarray,
    *,
    name: str = "image.png",
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    recipe: Mapping[str, Any] | None = None,
    quality: int = 95,
    png_level: int | None = None,
    palette: np.ndarray | None = None,
) -> tuple[bytes, list[str]]:
    """The encoded file :func:`save_image` would write for ``name`` (its extension picks
    the format), and the warnings, without touching the disk: for sending over HTTP.

    >>> data, warnings = encode_image(np.zeros((2, 2), np.uint8))
    >>> data[:4], warnings
    (b'\x89PNG', [])
    """
    target = Path(name)
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_SAVE_FORMATS))
        raise InvalidOutputError(
            f"cannot encode {_literal(name)}: unknown extension '{target.suffix}'; use one of "
            f"{known}"
        )
    if not 1 <= quality <= 100:
        raise InvalidParameterError(f"quality is {quality}; pass a value from 1 to 100")
    level = _checked_png_level(png_level)
    entries = None if palette is None else _checked_palette(palette)
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
    if entries is not None and fmt != "PNG":
        warnings_out.append(f"the palette is only used for PNG output; {target.name} is RGB")
        entries = None
    if entries is not None and opacity is not None and entries.shape[1] == 3:
        warnings_out.append(
            "the palette has no transparency but the image has alpha; written as RGBA, "
            "not in palette mode"
        )
        entries = None
    if recipe is not None and fmt != "PNG":
        warnings_out.append(f"the recipe is only stored in PNG files; {target.name} has none")
    recipe_text = None if recipe is None else json.dumps(recipe, sort_keys=True, default=str)
    if fmt == "PNG" and entries is not None:
        encoded = _encode_palette_png(colours, opacity, entries, icc_profile, recipe_text, level)
    elif fmt == "PNG":
        encoded = _encode_png(colours, opacity, icc_profile, recipe_text, level)
    elif colours.dtype == np.uint16:
        encoded = _encode_16bit_tiff(colours, opacity, target)
        if icc_profile:
            warnings_out.append(
                "the ICC profile is not stored in 16-bit TIFF output; use .png to keep it"
            )
    else:
        encoded = _encode_8bit(colours, opacity, fmt, icc_profile, quality)
    return encoded, warnings_out


def _checked_png_level(level: Any) -> int:
    if level is None:
        return DEFAULT_PNG_LEVEL
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or not 0 <= level <= 9:
        raise InvalidParameterError(
            f"PNG compression level is {_literal(repr(level))}; set {{png_level}} to a whole "
            f"number from 0 (fastest, largest) to 9 (slowest, smallest); {DEFAULT_PNG_LEVEL} "
            "is the default",
            options={"png_level": NAME_ONLY},
        )
    return int(level)


def _checked_palette(palette: Any) -> np.ndarray:
    if (
        not isinstance(palette, np.ndarray)
        or palette.dtype != np.uint8
        or palette.ndim != 2
        or palette.shape[1] not in (3, 4)
        or not 1 <= palette.shape[0] <= 256
    ):
        shape = getattr(palette, "shape", type(palette).__name__)
        dtype = getattr(palette, "dtype", "")
        raise InvalidParameterError(
            f"palette has shape {shape} {dtype}; pass N×3 (RGB) or N×4 (RGBA) uint8 with "
            "1 to 256 entries, e.g. ImageData.palette"
        )
    return palette


def _checked_output(
    pixels: np.ndarray, alpha: np.ndarray | None, target: Path
) -> tuple[np.ndarray, np.ndarray | None]:
    """Colours (H×W or H×W×3) and alpha (H×W or None), both uint8 or both uint16."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4) and alpha is None:
        pixels, alpha = pixels[..., :-1], pixels[..., -1]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    is_grey = pixels.ndim == 2
    if not (is_grey or (pixels.ndim == 3 and pixels.shape[2] == 3)) or pixels.size == 0:
        raise InvalidInputError(
            f"cannot write {target}: pixels have shape {pixels.shape}; "
            "pass H×W×3 (RGB), H×W×4 (RGBA), H×W (grey) or H×W×2 (grey + alpha)"
        )
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
        # min and max expose NaN (it propagates) and infinities without a full-size temporary.
        low, high = float(values.min()), float(values.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InvalidInputError(f"cannot write {target}: {what} contain NaN or infinite values")
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"cannot write {target}: float {what} are in [{low:g}, {high:g}], "
                "outside [0, 1]; clip or rescale them"
            )
        return to_dtype(values, np.uint8)
    raise InvalidInputError(
        f"cannot write {target}: {what} have dtype {values.dtype}; pass uint8, uint16 or "
        "float in [0, 1]"
    )


def _png_chunks(icc_profile: bytes | None, recipe_text: str | None) -> list[bytes]:
    from inpaintkit.imageio.png_chunks import icc_chunk, text_chunk

    chunks = []
    if icc_profile:
        chunks.append(icc_chunk(icc_profile))
    if recipe_text is not None:
        chunks.append(text_chunk(RECIPE_KEYWORD, recipe_text))
    return chunks


def _encode_png(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    icc_profile: bytes | None,
    recipe_text: str | None,
    level: int,
) -> bytes:
    """Grey, grey + alpha, RGB and RGBA, 8 or 16 bits, deflated in bands on every core
    (:mod:`inpaintkit.imageio.png_bands`), with the ICC profile and recipe chunks."""
    from inpaintkit.imageio.png_bands import encode_png_bands

    pixels = colours if opacity is None else np.dstack([colours, opacity])
    chunks = _png_chunks(icc_profile, recipe_text)
    return encode_png_bands(pixels, level=level, chunks=chunks)


def _pillow_png(
    array: np.ndarray,
    mode: str,
    icc_profile: bytes | None,
    recipe_text: str | None,
    level: int,
    *,
    palette: np.ndarray | None = None,
) -> bytes:
    from PIL import Image, PngImagePlugin

    image = Image.fromarray(np.ascontiguousarray(array), mode)
    options: dict[str, Any] = {"compress_level": level}
    if palette is not None:
        image.putpalette(palette[:, :3].tobytes(), "RGB")
        if palette.shape[1] == 4:
            options["transparency"] = palette[:, 3].tobytes()
    if icc_profile:
        options["icc_profile"] = icc_profile
    info = PngImagePlugin.PngInfo()
    if recipe_text is not None:
        info.add_itxt(RECIPE_KEYWORD, recipe_text)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, **options)
    return buffer.getvalue()


def _encode_palette_png(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    palette: np.ndarray,
    icc_profile: bytes | None,
    recipe_text: str | None,
    level: int,
) -> bytes:
    from inpaintkit.imageio.layout import quantize_to_palette

    if colours.dtype != np.uint8:
        colours = to_dtype(colours, np.uint8)
        opacity = None if opacity is None else to_dtype(opacity, np.uint8)
    if colours.ndim == 2:
        colours = np.repeat(colours[..., None], 3, axis=2)
    if palette.shape[1] == 4:
        # Match alpha too, so an opaque pixel never lands on a transparent entry.
        if opacity is None:
            opacity = np.full(colours.shape[:2], 255, np.uint8)
        colours = np.dstack([colours, opacity])
    indices = quantize_to_palette(colours, palette)
    return _pillow_png(indices, "P", icc_profile, recipe_text, level, palette=palette)


def _encode_16bit_tiff(colours: np.ndarray, opacity: np.ndarray | None, target: Path) -> bytes:
    import cv2

    if colours.ndim == 2 and opacity is not None:
        colours = np.repeat(colours[..., None], 3, axis=2)  # OpenCV has no grey + alpha
    bgr = colours if colours.ndim == 2 else colours[..., ::-1]
    if opacity is not None:
        bgr = np.dstack([bgr, opacity])
    ok, buffer = cv2.imencode(".tiff", np.ascontiguousarray(bgr))
    if not ok:
        raise InvalidInputError(f"cannot encode 16-bit pixels for {target}; try .png")
    return bytes(buffer.tobytes())


def _encode_8bit(
    colours: np.ndarray,
    opacity: np.ndarray | None,
    fmt: str,
    icc_profile: bytes | None,
    quality: int,
) -> bytes:
    """Every format but PNG, with Pillow."""
    from PIL import Image

    if opacity is None:
        image = Image.fromarray(np.ascontiguousarray(colours))
    elif colours.ndim == 2 and fmt == "TIFF":
        image = Image.fromarray(np.ascontiguousarray(np.dstack([colours, opacity])), "LA")
    else:
        if colours.ndim == 2:
            colours = np.repeat(colours[..., None], 3, axis=2)
        image = Image.fromarray(np.ascontiguousarray(np.dstack([colours, opacity])))
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        options.update(quality=quality, lossless=quality >= 100, exact=True)
    elif fmt == "TIFF":
        options["compression"] = "tiff_deflate"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _write_atomically(target: Path, data: bytes, *, overwrite: bool) -> None:
    mode = _new_file_mode(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise _output_error(target, error) from error
    try:
        with os.fdopen(handle, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if not overwrite and target.exists():
            raise OutputExistsError(
                f"{_literal(target)} exists; pass {{overwrite}} to replace it",
                options={"overwrite": True},
            )
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _output_error(target, error) from error
        raise


def _new_file_mode(target: Path) -> int:
    """The permissions ``open(target, "wb")`` would leave: the replaced file's own, else
    0o666 minus the umask."""
    with contextlib.suppress(OSError):
        if target.is_file():
            return target.stat().st_mode & 0o777
    return 0o666 & ~_current_umask()


def _current_umask() -> int:
    # /proc says it without changing it; os.umask can only read it by setting it, which
    # for an instant affects every thread of the process.
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _output_error(target: Path, error: OSError) -> InvalidOutputError:
    code = error.errno
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a folder you can write to"
    elif code == errno.ENOSPC or code == getattr(errno, "EDQUOT", None):
        fix = "free some disk space or choose another disk"
    elif code in (errno.ENOTDIR, errno.EEXIST):
        fix = "a part of the path is a file, not a folder; choose another output path"
    elif code == errno.EISDIR:
        fix = f"pass a file name such as {target / 'out.png'}"
    elif code == errno.ENAMETOOLONG:
        fix = "use a shorter name"
    else:
        fix = "check the path"
    return InvalidOutputError(f"cannot write {target} ({_one_line(error)}); {fix}")


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
