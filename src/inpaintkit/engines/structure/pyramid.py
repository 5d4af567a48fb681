"""Image pyramids with exact 2×2 parentage, and the smooth fill that guides the search.

Each coarser level halves the size (rounding up) by averaging 2×2 blocks; a coarse pixel
is a hole if any of its four children is, so hole pixels never leak into known ones.
Child ``(y, x)`` has parent ``(y // 2, x // 2)``, which the search relies on when it
carries matches up a level.
"""

from __future__ import annotations

import cv2
import numpy as np


def _pad_even(array: np.ndarray) -> np.ndarray:
    pad_y, pad_x = array.shape[0] % 2, array.shape[1] % 2
    if not (pad_y or pad_x):
        return array
    widths = [(0, pad_y), (0, pad_x)] + [(0, 0)] * (array.ndim - 2)
    return np.pad(array, widths, mode="edge")


def halve_image(image: np.ndarray) -> np.ndarray:
    """Average 2×2 blocks (edge-padded to even sides).

    >>> halve_image(np.arange(16, dtype=np.float32).reshape(4, 4, 1))[..., 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    even = _pad_even(image)
    h, w = even.shape[0] // 2, even.shape[1] // 2
    blocks = even.reshape(h, 2, w, 2, *even.shape[2:])
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def halve_hole(hole: np.ndarray) -> np.ndarray:
    """A coarse pixel is a hole if any of its 2×2 children is."""
    even = _pad_even(hole)
    h, w = even.shape[0] // 2, even.shape[1] // 2
    return np.asarray(even.reshape(h, 2, w, 2).any(axis=(1, 3)))


def diffusion_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Smooth fill of ``hole`` (OpenCV Navier-Stokes on the 0..255 scale, per channel).

    Float channels keep precision finer than 8 bits (uint16-derived input).
    """
    hole8 = hole.astype(np.uint8)
    if not hole8.any():
        return image.copy()
    levels = np.ascontiguousarray(image * 255.0, dtype=np.float32)
    channels = [
        cv2.inpaint(np.ascontiguousarray(levels[..., c]), hole8, 3, cv2.INPAINT_NS)
        for c in range(image.shape[2])
    ]
    return np.clip(np.stack(channels, axis=-1) / 255.0, 0.0, 1.0).astype(np.float32)


def enlarge(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize to ``shape`` (height, width)."""
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def exemplar_fill(image: np.ndarray, hole: np.ndarray, *, seed: int) -> np.ndarray:
    """Coarse structure by pypatchmatch (its own pyramid and EM) when installed, else
    the smooth fill. Used on a small level only, where it costs little; 8-bit precision
    is plenty for a structure guide."""
    try:
        import patchmatch
    except ImportError:  # pragma: no cover - a core dependency, but the fill survives it
        return diffusion_fill(image, hole)
    if not patchmatch.patchmatch_available or min(hole.shape) < 8:
        return diffusion_fill(image, hole)
    patchmatch.set_random_seed(seed & 0x7FFFFFFF)
    image8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    filled = np.asarray(patchmatch.inpaint(image8, hole.astype(np.uint8) * 255, patch_size=3))
    out = image.copy()
    out[hole] = filled[hole].astype(np.float32) / 255.0
    return out
