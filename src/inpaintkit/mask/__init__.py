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
from inpaintkit.mask.damage import (
    DAMAGE_KINDS,
    detect_damage,
    detect_damage_by_kind,
    detect_missing,
    drop_line_patterns,
)
from inpaintkit.mask.lint import lint_mask
from inpaintkit.mask.long_scratches import detect_long_scratches
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
    "DAMAGE_KINDS",
    "MaskRegion",
    "Stroke",
    "blur",
    "combine",
    "detect_damage",
    "detect_damage_by_kind",
    "detect_long_scratches",
    "detect_missing",
    "detect_scratches",
    "drop_line_patterns",
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
