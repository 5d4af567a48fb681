"""Mask operations on a 4K mask: inpaintkit vs what diffusers and other UIs do.

Run: ``.venv/bin/python benchmarks/masks_bench.py [--quick]``

Every baseline is timed the way a user holding inpaintkit's float32 ``H×W`` mask would
call it, conversions included: numpy → PIL ``"L"`` (×255, round, uint8) and back to
float32 for PIL-based calls; numpy → torch (a copy, since ``binarize`` writes in place)
and back for tensor calls. Each table row names its baseline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import base_parser, describe_machine, markdown_table, ratio, time_pair

GROW_PIXELS = 8
SIGMA = 4
PAD = 32


def make_mask(width: int, height: int, *, seed: int = 0) -> np.ndarray:
    """A float32 mask with a few elliptical blobs, like objects selected for removal."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    side = min(width, height)
    for _ in range(4):
        centre = (
            int(rng.integers(width // 8, width * 7 // 8)),
            int(rng.integers(height // 8, height * 7 // 8)),
        )
        axes = (int(rng.integers(side // 40, side // 8)), int(rng.integers(side // 40, side // 8)))
        cv2.ellipse(mask, centre, axes, float(rng.integers(0, 180)), 0, 360, 1, thickness=-1)
    return mask.astype(np.float32)


def _to_pil(mask: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(np.round(mask * 255).astype(np.uint8), mode="L")


def _from_pil(image: Any) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / np.float32(255)


def cases(mask: np.ndarray) -> list[tuple[str, str, Callable[[], Any], Callable[[], Any]]]:
    """(operation, baseline name, ours, baseline) for every compared operation."""
    import scipy.ndimage
    import torch
    from diffusers.image_processor import VaeImageProcessor
    from PIL import ImageFilter

    from inpaintkit.mask.refine import blur, feather, grow, threshold
    from inpaintkit.prepare.plan import plan_regions
    from inpaintkit.types import Extent

    height, width = mask.shape
    size = Extent(width, height)
    processor = VaeImageProcessor(do_normalize=False, do_binarize=True, do_convert_grayscale=True)
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
    soft = blur(mask, sigma=SIGMA)  # a soft mask to binarize

    def pil_max_filter() -> np.ndarray:
        return _from_pil(_to_pil(mask).filter(ImageFilter.MaxFilter(2 * GROW_PIXELS + 1)))

    def comfy_grow() -> np.ndarray:
        # ComfyUI GrowMask: `expand` grey dilations with a 3×3 cross (tapered corners).
        out = mask
        for _ in range(GROW_PIXELS):
            out = scipy.ndimage.grey_dilation(out, footprint=cross)
        return out

    def diffusers_blur() -> np.ndarray:
        return _from_pil(processor.blur(_to_pil(mask), SIGMA))

    def diffusers_binarize() -> np.ndarray:
        return processor.binarize(torch.from_numpy(soft.copy())).numpy()

    def diffusers_crop() -> Any:
        return processor.get_crop_region(_to_pil(mask), width, height, pad=PAD)

    def ours_prepare() -> Any:
        return plan_regions(size, feather(grow(mask, pixels=GROW_PIXELS), sigma=SIGMA), padding=PAD)

    def peers_prepare() -> Any:
        pil = _to_pil(mask).filter(ImageFilter.MaxFilter(2 * GROW_PIXELS + 1))
        blurred = processor.blur(pil, SIGMA)
        return _from_pil(blurred), processor.get_crop_region(blurred, width, height, pad=PAD)

    return [
        (
            f"grow r={GROW_PIXELS}",
            f"PIL MaxFilter({2 * GROW_PIXELS + 1}) (A1111/Forge style)",
            lambda: grow(mask, pixels=GROW_PIXELS),
            pil_max_filter,
        ),
        (
            f"grow r={GROW_PIXELS}",
            f"ComfyUI GrowMask (scipy grey_dilation ×{GROW_PIXELS})",
            lambda: grow(mask, pixels=GROW_PIXELS),
            comfy_grow,
        ),
        (
            f"feather σ={SIGMA}",
            f"diffusers VaeImageProcessor.blur({SIGMA})",
            lambda: feather(mask, sigma=SIGMA),
            diffusers_blur,
        ),
        (
            f"blur σ={SIGMA}",
            f"diffusers VaeImageProcessor.blur({SIGMA})",
            lambda: blur(mask, sigma=SIGMA),
            diffusers_blur,
        ),
        (
            "threshold 0.5",
            "diffusers VaeImageProcessor.binarize (torch)",
            lambda: threshold(soft, level=0.5),
            diffusers_binarize,
        ),
        (
            f"plan_regions pad={PAD}",
            f"diffusers get_crop_region(pad={PAD})",
            lambda: plan_regions(size, mask, padding=PAD),
            diffusers_crop,
        ),
        (
            "grow → feather → plan",
            "MaxFilter → diffusers blur → get_crop_region",
            ours_prepare,
            peers_prepare,
        ),
    ]


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    width, height = (1920, 1080) if args.quick else (3840, 2160)
    repeats = args.repeats or (3 if args.quick else 7)
    mask = make_mask(width, height)
    print(f"# Mask operations on a {width}×{height} mask ({mask.mean():.1%} selected)\n")
    print(describe_machine())
    print(
        f"median of {repeats} runs after 1 warm-up, ours and baseline alternating; "
        "baseline times include the conversions a numpy user needs "
        "(float32 ↔ PIL 'L' uint8, or ↔ torch)\n"
    )
    rows = []
    for operation, baseline_name, ours, baseline in cases(mask):
        ours_s, baseline_s = time_pair(ours, baseline, repeats=repeats)
        rows.append(
            [
                operation,
                baseline_name,
                f"{ours_s * 1000:.1f}",
                f"{baseline_s * 1000:.1f}",
                ratio(baseline_s, ours_s),
                "yes" if ours_s <= baseline_s else "no",
            ]
        )
    print(
        markdown_table(
            ["operation", "baseline", "ours (ms)", "baseline (ms)", "baseline/ours", "target met"],
            rows,
        )
    )
    met = sum(row[-1] == "yes" for row in rows)
    print(f"\ntarget (ours ≤ baseline) met on {met} of {len(rows)} operations")


if __name__ == "__main__":
    main()
