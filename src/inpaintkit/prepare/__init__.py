"""Preparing the work: region plans and canvas extension for outpainting."""

from inpaintkit.prepare.geometry import (
    box_gap,
    clip_box,
    intersect_boxes,
    mask_bbox,
    pad_box,
    scale_extent_to,
    snap_box,
    union_boxes,
)
from inpaintkit.prepare.outpaint import extend_canvas
from inpaintkit.prepare.plan import auto_padding, crop_mask, crop_region, plan_regions, uncrop

__all__ = [
    "auto_padding",
    "box_gap",
    "clip_box",
    "crop_mask",
    "crop_region",
    "extend_canvas",
    "intersect_boxes",
    "mask_bbox",
    "pad_box",
    "plan_regions",
    "scale_extent_to",
    "snap_box",
    "uncrop",
    "union_boxes",
]
