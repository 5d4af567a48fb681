"""``remove`` and ``compose`` figures (a section of applications_bench.py).

**remove**: an object whose clean background is known: a textured ellipse cut from one
scikit-image photo is pasted onto another, then removed with the default engine from a
box (the object's bounding box grown by 6 px), a click (the object's innermost pixel)
and the salient object (U²-Net-p, only when fetched). Per case: the IoU of the found
mask with the truth, PSNR and SSIM inside the grown mask against the clean background,
the result's seam score, and the time of the whole ``remove`` call.

**compose**: a cut-out from one photo (GrabCut from a box, as a user would make it)
pasted onto another with a colour mismatch; the seam score over the object's outline of
a plain alpha paste (before) and of each classical blend (after): colour match only,
Poisson only, both.
"""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from _common import load_photo, markdown_table

REMOVE_CASES = (  # background, texture of the object, centre (share of w, h), axes (px)
    ("coffee", "astronaut", (0.8, 0.7), (40, 28)),
    ("chelsea", "rocket", (0.25, 0.3), (36, 30)),
    ("rocket", "chelsea", (0.7, 0.75), (45, 25)),
    ("astronaut", "coffee", (0.25, 0.8), (38, 38)),
)
COMPOSE_CASES = (  # cut-out photo, its box, background, where (share), scale
    ("chelsea", (60, 10, 330, 290), "coffee", (0.75, 0.65), 0.45),
    ("coffee", (110, 10, 420, 290), "rocket", (0.3, 0.7), 0.4),
    ("astronaut", (140, 20, 360, 300), "chelsea", (0.7, 0.5), 0.45),
    ("rocket", (220, 40, 360, 420), "astronaut", (0.3, 0.55), 0.5),
)
BLENDS = ("none", "color", "poisson", "color+poisson")


def _object_on(background: np.ndarray, texture: np.ndarray, centre: Any, axes: Any) -> Any:
    height, width = background.shape[:2]
    cx, cy = round(centre[0] * width), round(centre[1] * height)
    truth = np.zeros((height, width), np.uint8)
    cv2.ellipse(truth, (cx, cy), axes, 15, 0, 360, 1, -1)
    patch = cv2.resize(texture, (width, height), interpolation=cv2.INTER_AREA)
    photo = background.copy()
    photo[truth > 0] = patch[truth > 0]
    return photo, truth.astype(np.float32), (cx, cy)


def _psnr_ssim(clean: np.ndarray, result: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import structural_similarity

    ys, xs = np.nonzero(mask)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    inside = mask > 0
    error = (clean[inside].astype(np.float64) - result[inside]) ** 2
    psnr = 10 * np.log10(255.0**2 / max(error.mean(), 1e-12))
    _, full = structural_similarity(
        clean[box], result[box], channel_axis=2, data_range=255, full=True
    )
    return float(psnr), float(full.mean(axis=2)[inside[box]].mean())


def _remove_rows(quick: bool) -> list[list[str]]:
    from inpaintkit.apps import remove
    from inpaintkit.errors import InpaintKitError

    rows = []
    cases = REMOVE_CASES[:2] if quick else REMOVE_CASES
    side = 320 if quick else 512
    for background_name, texture_name, centre, axes in cases:
        clean = load_photo(background_name, max_side=side)
        photo, truth, _ = _object_on(clean, load_photo(texture_name, max_side=side), centre, axes)
        ys, xs = np.nonzero(truth)
        box = (xs.min() - 6, ys.min() - 6, xs.max() + 7, ys.max() + 7)
        inner = cv2.distanceTransform(truth.astype(np.uint8), cv2.DIST_L2, 5)
        deepest = np.unravel_index(int(np.argmax(inner)), inner.shape)
        methods: dict[str, dict[str, Any]] = {
            "box": {"box": box},
            "click": {"points": [(int(deepest[1]), int(deepest[0]))]},
            "salient": {"salient": True},
        }
        for method, how in methods.items():
            start = time.perf_counter()
            try:
                result = remove(photo, seed=0, **how)
            except InpaintKitError as error:
                rows.append([f"{background_name}+{texture_name}", method, "-", "-", "-", "-", "-",
                             f"skipped: {str(error)[:60]}"])  # fmt: skip
                continue
            seconds = time.perf_counter() - start
            found = result.mask > 0
            covered = (found & (truth > 0)).sum() / max((truth > 0).sum(), 1)
            area = found.sum() / max((truth > 0).sum(), 1)
            psnr, ssim = _psnr_ssim(clean, result.image, result.mask)
            rows.append([
                f"{background_name}+{texture_name}", method, f"{covered:.3f}", f"{area:.2f}",
                f"{psnr:.2f}", f"{ssim:.3f}", f"{result.seam_score:.2f}", f"{seconds:.2f}",
            ])  # fmt: skip
    return rows


def _compose_rows(quick: bool) -> list[list[str]]:
    from inpaintkit.apps import compose
    from inpaintkit.mask.auto import mask_from_box

    rows = []
    cases = COMPOSE_CASES[:2] if quick else COMPOSE_CASES
    for source, box, background_name, where, scale in cases:
        photo = load_photo(source, max_side=512)
        alpha = mask_from_box(photo, box)
        cutout = np.dstack([photo, np.rint(alpha * 255).astype(np.uint8)])
        scene = load_photo(background_name, max_side=512)
        at = (round(where[0] * scene.shape[1]), round(where[1] * scene.shape[0]))
        scores = []
        before = 0.0
        for blend in BLENDS:
            result = compose(scene, cutout, at=at, center=True, scale=scale, blend=blend)
            before = result.details["seam_before"]
            scores.append(f"{result.details['seam_after']:.2f}")
        rows.append([f"{source} → {background_name}", f"{before:.2f}", *scores])
    return rows


def run(args: Any) -> str:
    quick = bool(getattr(args, "quick", False))
    remove_table = markdown_table(
        [
            "object on",
            "mask from",
            "object covered",
            "mask/object area",
            "PSNR hole",
            "SSIM hole",
            "seam",
            "s",
        ],
        _remove_rows(quick),
    )
    compose_table = markdown_table(
        ["cut-out → scene", "pasted", *[f"after {b}" for b in BLENDS]], _compose_rows(quick)
    )
    return (
        "### remove (default engine, grown mask; PSNR/SSIM inside it vs the clean photo)\n\n"
        + remove_table
        + "\n\n### compose (seam score over the object's outline, 1/255; lower = less visible)\n\n"
        + compose_table
    )
