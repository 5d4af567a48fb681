"""Find scratches, dust specks and creases in old photos: a mask for restoration.

Thin defects are narrower than the things a photo shows, so a morphological top-hat
(luminance minus its opening with a square a little wider than ``max_width``) keeps
bright defects and a black-hat (closing minus luminance) keeps dark ones, while flat
areas, gradients and the edges of larger objects answer with (almost) nothing.

Scratches are told from the thin ridges of real things by a line detector: at each
pixel, the response averaged along the best of 16 short line segments through it
(after Ricci and Perfetti's retinal-vessel line detector), less how much the picture
differs on the two sides of that line. A scratch lies *on top of* the picture, so the
picture continues unchanged across it; a rim, a lip or a fold usually separates two
different areas. Both that ridge strength and the pixel's own response must clear a
threshold of ``median + k · 1.4826 · MAD`` (a robust grain level that a few strong
scratches do not move) with ``k`` set by ``sensitivity``, and never below an absolute
floor, since luminance has an absolute scale.

Connected pieces are then kept by shape: a *scratch* is long (bounding-box diagonal at
least ``min_length``) and thin (area over length at most ``max_width``). A *dust speck*
is a small compact blob (at most the kernel across, filling at least 40% of its box,
at most three times as long as wide) of clearly stronger contrast than scratches need,
standing well above the mean response around it. Everything else (texture crumbs,
short ridges of real objects) is dropped. Real thin structures of a photo (a wire, a
whisker, a hair against the sky) look like scratches to any local detector; lower
``sensitivity`` or raise ``min_length`` to spare them, or edit the mask.

Work is OpenCV passes at full resolution (rectangular kernels, so the cost barely grows
with ``max_width``; 11-tap line filters) plus a strided sample for the statistics: a 4K
photo takes about 1.5 s on two cores. Nothing is downscaled, because a one-pixel
scratch at 4K would vanish in a downscaled copy; the statistics alone are taken from a
sample of about a million pixels.

>>> import numpy as np
>>> photo = np.full((64, 64), 0.4, np.float32)
>>> photo[10:54, 30] = 0.9  # a bright vertical scratch, 44 px long and 1 px wide
>>> mask = detect_scratches(photo, grow=0)
>>> mask.dtype, int(mask.sum()), bool(mask[10:54, 30].all())
(dtype('float32'), 44, True)
"""

from __future__ import annotations

from typing import Literal, get_args

import cv2
import numpy as np

from inpaintkit.convert import to_float32
from inpaintkit.errors import InvalidInputError, InvalidParameterError

__all__ = ["ScratchKinds", "detect_scratches"]

ScratchKinds = Literal["both", "bright", "dark"]
_KINDS: tuple[str, ...] = get_args(ScratchKinds)

# Rec. 601 luma weights: old photos are judged by brightness, not by hue.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# The statistics need about a million samples at most; a stride keeps 4K cheap.
_SAMPLE_PIXELS = 1_000_000
# How much a difference between the two sides of a line counts against it as a ridge.
_ASYMMETRY_WEIGHT = 2.0
# A dust speck must stand this many times above the mean response around it.
_DUST_ISOLATION = 6.0
# Line detector: segments short enough to follow gently curved scratches; 16
# orientations keep a 1 px line within 0.5 px of some segment over its length.
_LINE_LENGTH = 11
_ORIENTATIONS = 16
_DUST_MIN_AREA = 3
_DUST_MIN_FILL = 0.4
_DUST_MAX_ELONGATION = 3.0


def detect_scratches(
    image: np.ndarray,
    *,
    sensitivity: float = 0.5,
    max_width: int = 7,
    min_length: int = 15,
    kinds: ScratchKinds = "both",
    grow: int = 1,
) -> np.ndarray:
    """A float32 H×W mask (1 = defect) of thin scratches and dust specks in ``image``.

    ``image`` is H×W (grey) or H×W×3/4 in uint8, uint16 or float [0, 1].
    ``sensitivity`` in [0, 1]: higher finds fainter defects and more false ones.
    ``max_width``: the widest defect, px. ``min_length``: the shortest scratch, px
    (shorter thin pieces count only as dust specks). ``kinds``: ``"bright"``,
    ``"dark"`` or ``"both"``. ``grow``: px added around each defect, so the fill
    also replaces its soft edge.

    >>> detect_scratches(np.zeros((8, 8)), kinds="white")
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: kinds must be 'both', 'bright' or 'dark', got 'white'
    """
    _check_options(sensitivity, max_width, min_length, kinds, grow)
    luminance = _luminance(image)
    side = max_width + 3 - max_width % 2  # odd and wider than any defect
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    operations = {"bright": cv2.MORPH_TOPHAT, "dark": cv2.MORPH_BLACKHAT}
    responses = [
        cv2.morphologyEx(luminance, operation, kernel)
        for kind, operation in operations.items()
        if kinds in ("both", kind)
    ]
    strictness = 1.0 - float(sensitivity)
    ridges = _ridge_strength(luminance, responses, offset=side / 2 + 1)
    found = np.zeros(luminance.shape, np.uint8)
    for response, ridge in zip(responses, ridges, strict=True):
        found |= _select_scratches(
            response, ridge, strictness=strictness, max_width=max_width, min_length=min_length
        )
        found |= _select_dust(response, strictness=strictness, side=side)
    if grow:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        return cv2.dilate(found, disc).astype(np.float32)
    return found.astype(np.float32)


def _check_options(
    sensitivity: object, max_width: object, min_length: object, kinds: object, grow: object
) -> None:
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int | float):
        raise InvalidParameterError(f"sensitivity must be a number in [0, 1], got {sensitivity!r}")
    if not 0.0 <= sensitivity <= 1.0:
        raise InvalidParameterError(
            f"sensitivity must be in [0, 1], got {sensitivity!r}; 0.5 is the default, "
            "higher finds fainter defects"
        )
    for name, value, low in (("max_width", max_width, 1), ("min_length", min_length, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InvalidParameterError(f"{name} must be an integer >= {low} px, got {value!r}")
    if isinstance(grow, bool) or not isinstance(grow, int | np.integer) or grow < 0:
        raise InvalidParameterError(f"grow must be an integer >= 0 px, got {grow!r}")
    if kinds not in _KINDS:
        raise InvalidParameterError(f"kinds must be 'both', 'bright' or 'dark', got {kinds!r}")


def _luminance(image: np.ndarray) -> np.ndarray:
    """Float32 H×W luminance in [0, 1] from grey, RGB or RGBA in a stored dtype."""
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise InvalidInputError(
            f"image has shape {image.shape}; pass H×W (grey) or H×W×3 / H×W×4 (RGB, RGBA)"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InvalidInputError(f"image has shape {image.shape}; it holds no pixels")
    if image.dtype.kind not in "uf" or (image.dtype.kind == "u" and image.itemsize > 2):
        raise InvalidInputError(
            f"image dtype {image.dtype} has no defined scale; use uint8, uint16 or float in [0, 1]"
        )
    values = to_float32(image)
    if image.dtype.kind == "f":
        low, high = float(np.min(values)), float(np.max(values))
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"float image values span [{low}, {high}]; scale them to [0, 1] "
                "(divide by 255 for 8-bit data) and replace NaN or infinity"
            )
    if values.ndim == 2:
        return np.ascontiguousarray(values)
    if values.shape[2] == 1:
        return np.ascontiguousarray(values[:, :, 0])
    return np.ascontiguousarray(values[:, :, :3] @ _LUMA)


def _robust_level(values: np.ndarray, k: float) -> float:
    """``median + k · 1.4826 · MAD`` of ``values``, from a strided sample."""
    stride = max(1, int(np.sqrt(values.size / _SAMPLE_PIXELS)))
    sample = values[::stride, ::stride].ravel()
    median = float(np.median(sample))
    spread = 1.4826 * float(np.median(np.abs(sample - median)))
    return median + k * spread


def _line_kernels(length: int, count: int) -> list[np.ndarray]:
    """Mean filters along ``count`` digital line segments of ``length`` px through the centre."""
    kernels = []
    half = (length - 1) / 2
    for angle in np.linspace(0, np.pi, count, endpoint=False):
        kernel = np.zeros((length, length), np.float32)
        dx, dy = half * np.cos(angle), half * np.sin(angle)
        start = (round(half - dx), round(half - dy))
        end = (round(half + dx), round(half + dy))
        cv2.line(kernel, start, end, 1.0, 1)
        kernels.append(kernel / kernel.sum())
    return kernels


def _shift(values: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``values`` moved by a sub-pixel offset, edges reflected."""
    matrix = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    height, width = values.shape
    return cv2.warpAffine(
        values, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def _ridge_strength(
    luminance: np.ndarray, responses: list[np.ndarray], *, offset: float
) -> list[np.ndarray]:
    """Per response: its mean along the best short line through each pixel, less how
    much the two sides of that line differ.

    A scratch lies *on top of* the picture, so the picture continues unchanged across
    it; the thin ridges of real things (a rim, a lip, a fold) usually separate two
    different areas. The side difference is measured ``offset`` px either side of the
    line on lightly smoothed luminance and averaged along the line like the response.
    """
    smooth = cv2.GaussianBlur(luminance, (0, 0), 1.0)
    best = [np.full_like(luminance, -np.inf) for _ in responses]
    angles = np.linspace(0, np.pi, _ORIENTATIONS, endpoint=False)
    for kernel, angle in zip(_line_kernels(_LINE_LENGTH, _ORIENTATIONS), angles, strict=True):
        nx, ny = -np.sin(angle) * offset, np.cos(angle) * offset
        asymmetry = cv2.absdiff(_shift(smooth, nx, ny), _shift(smooth, -nx, -ny))
        asymmetry = asymmetry * np.float32(_ASYMMETRY_WEIGHT)
        for response, strongest in zip(responses, best, strict=True):
            along = cv2.filter2D(response - asymmetry, -1, kernel, borderType=cv2.BORDER_REFLECT)
            np.maximum(strongest, along, out=strongest)
    return best


def _select_scratches(
    response: np.ndarray,
    ridge: np.ndarray,
    *,
    strictness: float,
    max_width: int,
    min_length: int,
) -> np.ndarray:
    """uint8 0/1: long thin pieces where the ridge is strong and the pixel stands out."""
    ridge_level = max(_robust_level(ridge, 3.0 + 6.0 * strictness), 0.06 + 0.1 * strictness)
    pixel_level = max(_robust_level(response, 2.0 + 4.0 * strictness), 0.02 + 0.03 * strictness)
    weak = ((ridge > ridge_level) & (response > pixel_level)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    width, height, area = (stats[:, i].astype(np.float64) for i in (2, 3, 4))
    length = np.hypot(width, height)
    keep = (length >= min_length) & (area <= max_width * length)
    keep[0] = False
    return keep.astype(np.uint8)[labels]


def _select_dust(response: np.ndarray, *, strictness: float, side: int) -> np.ndarray:
    """uint8 0/1: small compact blobs far above both the grain and their surroundings."""
    window = 4 * side + 1
    local_mean = cv2.blur(response, (window, window), borderType=cv2.BORDER_REFLECT)
    level = max(_robust_level(response, 6.0 + 12.0 * strictness), 0.1 + 0.2 * strictness)
    blobs = ((response > level) & (response > _DUST_ISOLATION * local_mean)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    width, height, area = (stats[:, i].astype(np.float64) for i in (2, 3, 4))
    keep = (
        (np.maximum(width, height) <= side)
        & (area >= _DUST_MIN_AREA)
        & (area >= _DUST_MIN_FILL * width * height)
        & (np.maximum(width, height) <= _DUST_MAX_ELONGATION * np.minimum(width, height))
    )
    keep[0] = False
    return keep.astype(np.uint8)[labels]
