"""Pictures for people: a mask overlay and a before | mask | after strip."""

from __future__ import annotations

import cv2
import numpy as np

from inpaintkit.convert import from_float, to_float_rgb

OVERLAY_COLOR = np.array([1.0, 0.15, 0.15], np.float32)


def overlay_mask(image: np.ndarray, mask: np.ndarray, *, opacity: float = 0.55) -> np.ndarray:
    """Tint the masked area red (soft masks tint partly) and outline its border."""
    rgb = to_float_rgb(image)
    weight = (mask * opacity)[..., None]
    tinted = rgb * (1 - weight) + OVERLAY_COLOR * weight
    edges = cv2.morphologyEx((mask > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3)))
    tinted[edges > 0] = OVERLAY_COLOR
    return tinted.astype(np.float32)


def side_by_side(
    before: np.ndarray, mask: np.ndarray, after: np.ndarray, *, gap: int = 8
) -> np.ndarray:
    """``before | mask overlay | after`` as one uint8 RGB picture with captions."""
    panels = [to_float_rgb(before), overlay_mask(before, mask), to_float_rgb(after)]
    height, width = panels[0].shape[:2]
    caption = max(24, height // 18)
    strip = np.full((height + caption, 3 * width + 2 * gap, 3), 255, np.uint8)
    for index, (panel, label) in enumerate(zip(panels, ("before", "mask", "after"), strict=True)):
        x = index * (width + gap)
        strip[caption:, x : x + width] = from_float(panel, np.uint8)
        scale = caption / 40
        cv2.putText(
            strip, label, (x + 6, int(caption * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, scale,
            (25, 25, 25), max(1, int(scale * 2)), cv2.LINE_AA,
        )  # fmt: skip
    return strip


def result_strip(
    photo: np.ndarray, mask: np.ndarray, result: np.ndarray, *, extend: tuple[int, ...] = (0,) * 4
) -> np.ndarray:
    """``before | mask | after`` for one result, any layout (grey, RGBA, float) in.

    For outpainting (``extend`` = left, top, right, bottom) the photo is shown on a grey
    canvas of the result's size, where it sits in the result.
    """
    from inpaintkit.imageio import load_image

    left, top, right, bottom = extend
    before = to_float_rgb(load_image(photo).pixels)
    before = np.pad(before, ((top, bottom), (left, right), (0, 0)), constant_values=0.5)
    return side_by_side(before, mask, to_float_rgb(load_image(result).pixels))
