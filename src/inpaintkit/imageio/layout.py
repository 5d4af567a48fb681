"""Give a finished image back in the caller's own form, and map colours onto a palette.

The pipeline works on H×W×3 pixels (plus an H×W alpha) in the input's dtype;
:func:`to_input_layout` turns the result back into the shape the input had: H×W or
H×W×1 for a grey array, H×W×2 for grey + alpha, H×W×3 or H×W×4 otherwise; grey files
(L, I;16, 1) give H×W and LA files H×W×2. A palette file (P) gives RGB(A) pixels, and
its palette (:attr:`ImageData.palette`) goes to ``save_image(..., palette=...)``, which
maps the pixels onto it with :func:`quantize_to_palette`.

Grey from RGB: where R == G == B (every pixel the engine did not touch, since the input
was grey) the value is taken as it is, so untouched pixels stay bit-identical; elsewhere
it is the BT.601 luminance (0.299 R + 0.587 G + 0.114 B), rounded for integer dtypes.
"""

from __future__ import annotations

import numpy as np

from inpaintkit.convert import IMAGE_DTYPES, from_float, to_dtype
from inpaintkit.errors import InvalidInputError
from inpaintkit.imageio.read_image import ImageData

__all__ = ["grey_from_rgb", "quantize_to_palette", "to_input_layout"]

# ITU-R BT.601 weights, the ones Pillow uses for RGB -> L.
_LUMA = (0.299, 0.587, 0.114)


def to_input_layout(picture: ImageData, pixels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """``pixels`` (H×W×3) and ``alpha`` (H×W or None) in ``picture``'s own shape and dtype.

    ``pixels`` may be larger than ``picture`` (outpainting); only its layout is taken from
    ``picture``. A dtype other than the picture's is converted by scale. An alpha the
    input did not have (or the lack of one it had) changes the layout accordingly: grey
    H×W with alpha comes back H×W×2, RGB with alpha H×W×4.

    >>> from inpaintkit.imageio import load_image
    >>> grey = load_image(np.array([[0, 7]], np.uint8))
    >>> to_input_layout(grey, grey.pixels, None).tolist()
    [[0, 7]]
    >>> column = load_image(np.zeros((2, 1, 1), np.float64))
    >>> out = to_input_layout(column, column.pixels, None)
    >>> out.shape, out.dtype
    ((2, 1, 1), dtype('float64'))
    """
    dtype = picture.pixels.dtype
    colours = _checked_pixels(pixels, dtype)
    opacity = None if alpha is None else _checked_alpha(alpha, colours, dtype)
    shape = picture.input_shape
    if picture.is_grey:
        grey = grey_from_rgb(colours)
        if opacity is not None:
            return np.dstack([grey, opacity])
        if shape is not None and len(shape) == 3:
            return grey[..., None]
        return grey
    if opacity is not None:
        return np.dstack([colours, opacity])
    return colours


def grey_from_rgb(pixels: np.ndarray) -> np.ndarray:
    """H×W grey from H×W×3: channel 0 where R == G == B, else BT.601 luminance (rounded
    for integer dtypes), in ``pixels``' dtype.

    >>> grey_from_rgb(np.array([[[9, 9, 9], [255, 0, 0]]], np.uint8)).tolist()
    [[9, 76]]
    """
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    grey = np.array(red, order="C")
    coloured = (red != green) | (green != blue)
    if coloured.any():
        work = np.float64 if pixels.dtype == np.float64 else np.float32
        chosen = pixels[coloured].astype(work)
        luma = chosen @ np.array(_LUMA, work)
        grey[coloured] = from_float(luma, pixels.dtype, scaled=True)
    return grey


def quantize_to_palette(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Indices (H×W uint8) of the nearest palette entry for each pixel, no dithering.

    ``pixels`` is H×W×3 (or H×W×4) uint8 and ``palette`` N×3 (or N×4) uint8, N ≤ 256;
    alpha takes part when both have it. A colour that is in the palette maps to it
    exactly, so pixels the engine did not touch keep their colours; a new colour goes to
    the nearest entry (squared distance).

    >>> palette = np.array([[0, 0, 0], [250, 10, 10]], np.uint8)
    >>> quantize_to_palette(np.array([[[0, 0, 0], [200, 0, 0]]], np.uint8), palette).tolist()
    [[0, 1]]
    """
    channels = 4 if pixels.shape[-1] == 4 and palette.shape[-1] == 4 else 3
    entries = palette[:, :channels].astype(np.uint32)
    colours = pixels[..., :channels]
    keys = _pack(colours)
    entry_keys = _pack(entries)
    # First entry of each distinct colour (a palette may repeat a colour).
    unique_keys, first = np.unique(entry_keys, return_index=True)
    position = np.searchsorted(unique_keys, keys)
    position = np.minimum(position, len(unique_keys) - 1)
    exact = unique_keys[position] == keys
    indices = first[position].astype(np.uint8)
    if not exact.all():
        new_keys, inverse = np.unique(keys[~exact], return_inverse=True)
        new_colours = _unpack(new_keys, channels).astype(np.int64)
        nearest = np.empty(len(new_keys), np.uint8)
        reference = entries.astype(np.int64)
        for start in range(0, len(new_keys), 4096):
            block = new_colours[start : start + 4096]
            distance = ((block[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)
            nearest[start : start + 4096] = distance.argmin(axis=1)
        indices[~exact] = nearest[inverse.reshape(-1)]
    return indices


def _pack(colours: np.ndarray) -> np.ndarray:
    """Each colour (last axis: 3 or 4 uint8 channels) as one uint32 key."""
    values = colours.astype(np.uint32)
    key = values[..., 0] << 24 | values[..., 1] << 16 | values[..., 2] << 8
    if colours.shape[-1] == 4:
        key |= values[..., 3]
    return np.asarray(key, np.uint32)


def _unpack(keys: np.ndarray, channels: int) -> np.ndarray:
    shifts = (24, 16, 8, 0)[:channels]
    return np.stack([(keys >> shift) & 0xFF for shift in shifts], axis=-1)


def _checked_pixels(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if not isinstance(pixels, np.ndarray) or pixels.ndim != 3 or pixels.shape[2] != 3:
        shape = getattr(pixels, "shape", type(pixels).__name__)
        raise InvalidInputError(f"pixels have shape {shape}; pass the H×W×3 result pixels")
    if pixels.dtype == dtype:
        return pixels
    if pixels.dtype not in IMAGE_DTYPES and pixels.dtype != np.bool_:
        raise InvalidInputError(
            f"pixels have dtype {pixels.dtype}; pass uint8, uint16 or float in [0, 1]"
        )
    return to_dtype(pixels, dtype)


def _checked_alpha(alpha: np.ndarray, colours: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if not isinstance(alpha, np.ndarray) or alpha.shape != colours.shape[:2]:
        shape = getattr(alpha, "shape", type(alpha).__name__)
        raise InvalidInputError(
            f"alpha has shape {shape} but pixels are {colours.shape[:2]}; pass an H×W alpha"
        )
    return alpha if alpha.dtype == dtype else to_dtype(alpha, dtype)
