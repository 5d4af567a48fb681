"""Load masks (1 = regenerate) from images, ``.npy`` arrays, arrays and PIL images, and
hand box strings and JSON files to :mod:`inpaintkit.imageio.mask_geometry`.

Decisions worth knowing:

* An image mask is its grey value, unless it carries alpha: ``alpha="auto"`` uses the
  alpha channel when the colour is flat and the alpha is not (a cut-out painted as
  transparency); ``"opaque"``/``"transparent"`` force it.
* A mask in colour is an error, not a luminance: red strokes on black would otherwise
  become a 30 % blend (0.299 · red) that regenerates almost nothing, silently. "In
  colour" means that at least 1 % of the pixels that are not black (and at least 4)
  have a chroma (max − min channel) over a quarter of full scale; the chroma noise JPEG
  leaves in a black-and-white mask stays far below that, and such a near-grey mask is
  read by its BT.601 luminance. When the alpha channel is the mask, colour does not
  matter.
* An 8- or 16-bit mask whose values are only 0 and 1 is a 0/1 mask (1 = regenerate),
  with an info finding, not "almost nothing" (1/255). An 8-bit mask with only 0, 1 and
  255 is ambiguous and an error; soft masks (other values present) are read by scale.
* JPEG masks have the compression ringing within 0.1 of 0 or 1 snapped away, with a
  finding that says so. Only JPEGs: other files are read exactly as stored.
* A mask of another size is an error unless ``resize`` is set; then binary masks are
  resized nearest (they stay binary) and soft ones by area averaging or bilinear. Before
  that, a mask whose size is the photo's transposed while the photo's EXIF orientation
  turns it by 90° (5–8) is taken to be in the photo's stored orientation and turned
  upright the same way, since resizing would stretch it. (A square photo cannot tell.)
"""

from __future__ import annotations

import colorsys
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from inpaintkit.convert import dtype_scale, is_pil_image, to_float32
from inpaintkit.errors import (
    NAME_ONLY,
    EmptyMaskError,
    ImageTooLargeError,
    InvalidMaskError,
    InvalidParameterError,
    SizeMismatchError,
    UnreadableFileError,
)
from inpaintkit.imageio._shared import _literal, _one_line, _read_file
from inpaintkit.imageio.mask_geometry import (
    _looks_like_box_string,
    _mask_from_box_string,
    _mask_from_json,
)
from inpaintkit.imageio.read_image import (
    DEFAULT_MAX_PIXELS,
    ImageData,
    _apply_orientation,
    _decode_image,
    _image_from_pil,
)
from inpaintkit.types import Extent, LintFinding

_JPEG_NOISE = 0.1  # a JPEG mask's ringing stays within this of 0 or 1

# "In colour": chroma over this share of full scale, in at least this share of the
# pixels that are not black (brightest channel over _DARK of full scale).
_CHROMA = 0.25
_COLOURED_SHARE = 0.01
_COLOURED_MINIMUM = 4
_DARK = 0.1

# ITU-R BT.601 weights, the ones Pillow uses for RGB -> L.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class MaskData:
    """A mask ready for the pipeline: float32 H×W in [0, 1], 1 = regenerate."""

    mask: np.ndarray
    findings: list[LintFinding] = field(default_factory=list)
    source: str = "<array>"

    @property
    def size(self) -> Extent:
        return Extent(int(self.mask.shape[1]), int(self.mask.shape[0]))


def load_mask(
    source: Any,
    *,
    size: Extent | None = None,
    resize: bool = False,
    alpha: Literal["auto", "opaque", "transparent"] = "auto",
    invert: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    orientation: int = 1,
) -> MaskData:
    """Load a mask (1 = regenerate) from an image, ``.npy``, ``.json``, box string or array.

    ``size`` is the image's size: geometry is drawn at it and any other mask size is an
    error unless ``resize`` is set. ``orientation`` is the photo's EXIF orientation
    (``ImageData.exif_orientation``): with a 90° turn (5–8), a mask of the photo's
    stored (transposed) size is turned upright the same way.

    >>> load_mask("1,0,3,2", size=Extent(4, 2)).mask.tolist()
    [[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    """
    if alpha not in ("auto", "opaque", "transparent"):
        raise InvalidParameterError(
            f"mask alpha option is {_literal(repr(alpha))}; set {{mask_alpha}} to 'auto', "
            "'opaque' or 'transparent'",
            options={"mask_alpha": NAME_ONLY},
        )
    if (
        not isinstance(orientation, int | np.integer)
        or isinstance(orientation, bool)
        or not (1 <= orientation <= 8)
    ):
        raise InvalidParameterError(
            f"orientation is {orientation!r}; pass the photo's EXIF orientation, 1 to 8"
        )
    findings: list[LintFinding] = []
    name, mask, from_jpeg = _mask_from_source(
        source, size=size, alpha=alpha, max_pixels=max_pixels, findings=findings
    )
    if from_jpeg:
        mask = _clean_jpeg_noise(mask, name, findings=findings)
    if invert:
        mask = (1.0 - mask).astype(np.float32)
    if size is not None:
        mask = _fit_size(
            mask,
            Extent(*size),
            name,
            resize=resize,
            orientation=orientation,
            findings=findings,
        )
    if not mask.any():
        if invert:
            raise EmptyMaskError(
                f"mask {_literal(name)} selects no pixels once inverted: nothing to inpaint; "
                "white (1) marks the area to regenerate — leave out {invert_mask}?",
                options={"invert_mask": True},
            )
        raise EmptyMaskError(
            f"mask {_literal(name)} selects no pixels: nothing to inpaint; white (1) marks "
            "the area to regenerate — did you mean {invert_mask}?",
            options={"invert_mask": True},
        )
    return MaskData(
        mask=np.ascontiguousarray(mask, dtype=np.float32), findings=findings, source=name
    )


def _mask_from_source(
    source: Any, *, size: Extent | None, alpha: str, max_pixels: int, findings: list[LintFinding]
) -> tuple[str, np.ndarray, bool]:
    """(name, float32 mask, came from a JPEG)."""
    if isinstance(source, np.ndarray):
        return "<array>", _mask_from_array(source, "<array>", max_pixels, findings), False
    if isinstance(source, bytes | bytearray | memoryview):
        return _mask_from_image_bytes(bytes(source), "<bytes>", alpha, max_pixels, findings)
    if is_pil_image(source):
        picture = _image_from_pil(
            source, "<PIL image>", max_pixels=max_pixels, what="mask", grey_2d=True
        )
        return "<PIL image>", _mask_from_image(picture, alpha, findings), False
    if isinstance(source, str) and _looks_like_box_string(source):
        return source, _mask_from_box_string(source, size), False
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        suffix = Path(name).suffix.lower()
        data = _read_file(name, what="mask")
        if suffix == ".npy":
            array = _read_npy(data, name)
            return name, _mask_from_array(array, name, max_pixels, findings), False
        if suffix == ".json":
            return name, _mask_from_json(data, name, size, max_pixels), False
        return _mask_from_image_bytes(data, name, alpha, max_pixels, findings)
    raise InvalidMaskError(
        f"cannot load a mask from a {type(source).__name__}: pass a file path, "
        "a box string 'x0,y0,x1,y1' or a numpy array"
    )


def _mask_from_image_bytes(
    data: bytes, name: str, alpha: str, max_pixels: int, findings: list[LintFinding]
) -> tuple[str, np.ndarray, bool]:
    picture = _decode_image(data, name, max_pixels=max_pixels, what="mask", grey_2d=True)
    mask = _mask_from_image(picture, alpha, findings)
    return name, mask, picture.format == "JPEG"


def _mask_from_image(picture: ImageData, alpha: str, findings: list[LintFinding]) -> np.ndarray:
    """The mask an image holds; ``picture.pixels`` is H×W for a grey file (grey_2d)."""
    colours = picture.pixels
    if picture.alpha is not None:
        opacity = to_float32(picture.alpha, copy=True)
        if alpha == "opaque":
            return opacity
        if alpha == "transparent":
            return (1.0 - opacity).astype(np.float32)
        # One colour everywhere (black, or red for a red cut-out), varying opacity.
        flat_colour = bool((colours == colours[0, 0]).all())
        if flat_colour and picture.alpha.min() != picture.alpha.max():
            return opacity
    elif alpha != "auto":
        raise InvalidMaskError(
            f"mask {_literal(picture.source)} has no alpha channel, but alpha={alpha!r} asks "
            "to use it; pass {mask_alpha} or save the mask with transparency",
            options={"mask_alpha": "auto"},
        )
    if colours.ndim == 2:
        return _mask_from_integers(colours, picture.source, findings)
    red, green, blue = colours[..., 0], colours[..., 1], colours[..., 2]
    if (red == green).all() and (green == blue).all():
        return _mask_from_integers(red, picture.source, findings)
    _refuse_colour(colours, picture.source)
    # Near-grey (e.g. JPEG chroma noise): the luminance.
    weighted = colours.astype(np.float32) @ _LUMA / np.float32(dtype_scale(colours.dtype))
    return np.clip(weighted, 0.0, 1.0).astype(np.float32)


def _refuse_colour(colours: np.ndarray, name: str) -> None:
    """Raise when the pixels are clearly coloured (see the module's notes)."""
    scale = dtype_scale(colours.dtype)
    brightest = colours.max(axis=2)
    chroma = brightest - colours.min(axis=2)
    coloured = chroma > _CHROMA * scale
    count = int(np.count_nonzero(coloured))
    if count < _COLOURED_MINIMUM:
        return
    lit = int(np.count_nonzero(brightest > _DARK * scale))
    if count < _COLOURED_SHARE * max(lit, 1):
        return
    mean = colours[coloured].astype(np.float64).mean(axis=0) / scale
    raise InvalidMaskError(
        f"mask {_literal(name)} is in colour (e.g. {_colour_name(mean)} strokes); a mask is "
        "greyscale: white (1) = regenerate, black = keep. Save it as a greyscale PNG, or "
        "paint white on black; a cut-out with transparency works via {mask_alpha}",
        options={"mask_alpha": "opaque"},
    )


def _colour_name(rgb: np.ndarray) -> str:
    """A plain name for a colour's hue.

    >>> _colour_name(np.array([0.9, 0.1, 0.1])), _colour_name(np.array([0.1, 0.2, 0.9]))
    ('red', 'blue')
    """
    hue = colorsys.rgb_to_hsv(*(float(v) for v in rgb))[0] * 360
    for limit, name in (
        (15, "red"),
        (45, "orange"),
        (70, "yellow"),
        (165, "green"),
        (200, "cyan"),
        (260, "blue"),
        (330, "magenta"),
    ):
        if hue < limit:
            return name
    return "red"


def _mask_from_integers(values: np.ndarray, name: str, findings: list[LintFinding]) -> np.ndarray:
    """uint8/uint16 grey values as a float32 mask, reading 0/1 masks as binary.

    One integer pass finds the box around the nonzero values; only that box is read
    again and converted, and the rest of the float mask stays the zero pages ``np.zeros``
    gets from the system, so a small mark on an 8K canvas costs what the mark costs.
    """
    from inpaintkit.mask.refine import mask_bounds

    box = mask_bounds(values)
    converted = np.zeros(values.shape, np.float32)
    if box is None:
        return converted
    window = values[box.slices]
    top = int(window.max())
    if top == 1:
        findings.append(
            LintFinding(
                code="zero-one-mask",
                severity="info",
                message=(
                    f"mask {name} holds only the values 0 and 1: read as a 0/1 mask "
                    "(1 = regenerate), not as 1/255 grey; save masks as 0/255 to avoid the guess"
                ),
            )
        )
        converted[box.slices] = window
        return converted
    if values.dtype == np.uint8 and top == 255 and _only_0_1_255(window):
        raise InvalidMaskError(
            f"mask {name} mixes the values 1 and 255 (besides 0), so it is unclear whether 1 "
            "means 'regenerate' (a 0/1 mask) or almost nothing (1/255); save it with only "
            "0 and 255, or only 0 and 1"
        )
    converted[box.slices] = to_float32(window)
    return converted


def _only_0_1_255(values: np.ndarray) -> bool:
    """True when the uint8 ``values`` are only 0, 1 and 255, with 1 among them."""
    if not np.count_nonzero(values == 1):
        return False  # the common case, decided without a histogram
    import cv2

    counts = cv2.calcHist([np.ascontiguousarray(values)], [0], None, [256], [0, 256]).ravel()
    return bool(counts[2:255].sum() == 0)


def _read_npy(data: bytes, name: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise UnreadableFileError(
            f"mask {name} is not a readable .npy array ({_one_line(error)}); "
            "save it with numpy.save"
        ) from error


def _mask_from_array(
    array: Any, name: str, max_pixels: int, findings: list[LintFinding]
) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise InvalidMaskError(f"mask {name} does not hold an array; save one with numpy.save")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise InvalidMaskError(
            f"mask {name} has shape {array.shape}; a mask is H×W (or H×W×1) — "
            "take one channel, e.g. mask[..., 0]"
        )
    if array.size == 0:
        raise InvalidMaskError(
            f"mask {name} has shape {array.shape} with no pixels; pass a mask with pixels"
        )
    if array.size > max_pixels:
        raise ImageTooLargeError(
            f"mask {_literal(name)} is {array.shape[1]}×{array.shape[0]} = {array.size:,} "
            f"pixels, over the limit of {max_pixels:,}; downscale it or raise {{max_pixels}}",
            options={"max_pixels": NAME_ONLY},
        )
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype in (np.uint8, np.uint16):
        return _mask_from_integers(array, name, findings)
    if array.dtype.kind == "f":
        # No copy and no temporary the size of the mask: min and max already expose NaN
        # (it propagates) and infinities (out of range), and masks can be 8K.
        values = array.astype(np.float32, copy=False)
        low, high = float(values.min()), float(values.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InvalidMaskError(
                f"mask {name} contains NaN or infinite values; replace them, e.g. "
                "numpy.nan_to_num(mask)"
            )
        if low < 0.0 or high > 1.0:
            raise InvalidMaskError(
                f"mask {name} has values in [{low:g}, {high:g}], outside [0, 1]; "
                "scale it to [0, 1] (1 = regenerate) or save it as uint8"
            )
        return values
    raise InvalidMaskError(
        f"mask {name} has dtype {array.dtype}; save it as bool, uint8, uint16 or float in [0, 1]"
    )


def _clean_jpeg_noise(mask: np.ndarray, name: str, *, findings: list[LintFinding]) -> np.ndarray:
    """Snap values within 0.1 of 0 or 1, the ringing JPEG adds to a black-and-white mask."""
    low = mask < _JPEG_NOISE
    high = mask > 1.0 - _JPEG_NOISE
    noisy = int(np.count_nonzero(low & (mask > 0))) + int(np.count_nonzero(high & (mask < 1)))
    if noisy == 0:
        return mask
    cleaned = mask.copy()
    cleaned[low] = 0.0
    cleaned[high] = 1.0
    findings.append(
        LintFinding(
            code="jpeg-noise-cleaned",
            severity="info",
            message=(
                f"mask {name}: snapped {noisy} near-black/near-white pixels (compression noise) "
                "to exactly 0 or 1; save masks as PNG to avoid this"
            ),
        )
    )
    return cleaned


def _fit_size(
    mask: np.ndarray,
    size: Extent,
    name: str,
    *,
    resize: bool,
    orientation: int = 1,
    findings: list[LintFinding],
) -> np.ndarray:
    actual = Extent(int(mask.shape[1]), int(mask.shape[0]))
    if actual == size:
        return mask
    if orientation >= 5 and actual == Extent(size.height, size.width):
        findings.append(
            LintFinding(
                code="mask-rotated",
                severity="info",
                message=(
                    f"mask {name} is {actual}, the photo's size as stored before its EXIF "
                    f"rotation (orientation {orientation}); it was turned upright the same "
                    "way as the photo"
                ),
            )
        )
        return np.ascontiguousarray(_apply_orientation(mask, orientation))
    if not resize:
        raise SizeMismatchError(
            f"mask {_literal(name)} is {actual} but image is {size}; pass {{mask_resize}} "
            "or supply a mask of the same size",
            options={"mask_resize": True},
        )
    import cv2

    binary = bool(np.isin(mask, (0.0, 1.0)).all())
    if binary:
        interpolation = cv2.INTER_NEAREST
        how = "nearest (binary mask)"
    elif size.width <= actual.width and size.height <= actual.height:
        interpolation = cv2.INTER_AREA
        how = "area averaging (soft mask)"
    else:
        interpolation = cv2.INTER_LINEAR
        how = "bilinear (soft mask)"
    resized = cv2.resize(mask, (size.width, size.height), interpolation=interpolation)
    findings.append(
        LintFinding(
            code="mask-resized",
            severity="info",
            message=f"mask {name} was resized from {actual} to {size} with {how}",
        )
    )
    return np.clip(resized, 0.0, 1.0).astype(np.float32)
