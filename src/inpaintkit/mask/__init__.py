"""Mask tools: create masks from geometry or automatically, refine them, lint them."""

from inpaintkit.mask.auto import mask_from_box, mask_from_points, prompted_mask, salient_mask
from inpaintkit.mask.create import (
    Stroke,
    mask_from_boxes,
    mask_from_polygons,
    mask_from_rle,
    mask_from_strokes,
    mask_to_rle,
)
from inpaintkit.mask.lint import lint_mask
from inpaintkit.mask.refine import (
    MaskRegion,
    blur,
    combine,
    feather,
    fill_holes,
    grow,
    invert,
    is_binary,
    list_regions,
    mask_bounds,
    mask_for_latent,
    refine_mask,
    remove_islands,
    shrink,
    threshold,
)
from inpaintkit.mask.scratches import detect_scratches

__all__ = [
    "MaskRegion",
    "Stroke",
    "blur",
    "combine",
    "detect_scratches",
    "feather",
    "fill_holes",
    "grow",
    "invert",
    "is_binary",
    "lint_mask",
    "list_regions",
    "mask_bounds",
    "mask_for_latent",
    "mask_from_box",
    "mask_from_boxes",
    "mask_from_points",
    "mask_from_polygons",
    "mask_from_rle",
    "mask_from_strokes",
    "mask_to_rle",
    "prompted_mask",
    "refine_mask",
    "remove_islands",
    "salient_mask",
    "shrink",
    "threshold",
]
