"""Mask tools: create masks from geometry, refine them, lint them."""

from inpaintkit.mask.create import (
    Stroke,
    mask_from_boxes,
    mask_from_polygons,
    mask_from_rle,
    mask_from_strokes,
    mask_to_rle,
)

__all__ = [
    "Stroke",
    "mask_from_boxes",
    "mask_from_polygons",
    "mask_from_rle",
    "mask_from_strokes",
    "mask_to_rle",
]
