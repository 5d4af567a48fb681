"""Fill quality per engine on offline photos with LaMa-style masks (thin/medium/thick/box).

Run: ``.venv/bin/python benchmarks/quality_bench.py [--quick] [--engines telea,patchmatch]``

Every engine runs through :func:`inpaintkit.inpaint`, so the region plan and composite
are exercised. The baseline row is OpenCV's ``cv2.inpaint`` (Telea, radius 3) called
directly on the whole image, the way most scripts do it. All metrics are measured
inside the hole only (the pipeline keeps every other pixel exactly, so outside the hole
every engine is perfect):

* PSNR (dB) over the hole's pixels and channels, images in [0, 1];
* SSIM: ``skimage.metrics.structural_similarity(full=True)`` map averaged over the hole;
* detail: mean squared Laplacian of the grey result inside the hole divided by that of
  the original photo (1.0 = as much fine texture as the photo, ≪ 1 = blurred);
* time: mean seconds of one call per photo (after one warm-up call per engine).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from inpaintkit.mask.synthetic import MaskKind

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    PHOTO_NAMES,
    base_parser,
    describe_machine,
    load_photo,
    markdown_table,
    ready_engines,
)

KINDS: tuple[MaskKind, ...] = ("thin", "medium", "thick", "box")
BASELINE = "cv2.inpaint telea (baseline)"

Fill = Callable[[np.ndarray, np.ndarray], np.ndarray]


def psnr_in_hole(original: np.ndarray, result: np.ndarray, hole: np.ndarray) -> float:
    error = (original[hole] - result[hole]) ** 2
    mse = float(error.mean())
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def ssim_in_hole(original: np.ndarray, result: np.ndarray, hole: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    _, ssim_map = structural_similarity(original, result, channel_axis=2, data_range=1.0, full=True)
    return float(ssim_map[hole].mean())


def detail_in_hole(original: np.ndarray, result: np.ndarray, hole: np.ndarray) -> float:
    def energy(image: np.ndarray) -> float:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return float((cv2.Laplacian(grey, cv2.CV_32F) ** 2)[hole].mean())

    reference = energy(original)
    return energy(result) / reference if reference > 0 else float("nan")


def engine_fill(name: str) -> Fill:
    import inpaintkit

    def fill(photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return inpaintkit.inpaint(photo, mask, engine=name, seed=0).image

    return fill


def baseline_fill(photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
    hole = (mask > 0.5).astype(np.uint8)
    return cv2.inpaint(photo, hole, 3, cv2.INPAINT_TELEA)


Scores = tuple[float, float, float, float]  # psnr, ssim, detail, seconds


def _best(entries: dict[str, Scores], key: Callable[[Scores], float]) -> str:
    """The label whose scores minimise ``key``."""
    return min(entries, key=lambda label: key(entries[label]))


def main() -> None:
    from inpaintkit.mask.synthetic import random_mask
    from inpaintkit.types import Extent

    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--engines", default=None, help="comma-separated engine names")
    parser.add_argument("--max-side", type=int, default=None, help="shrink photos to this")
    args = parser.parse_args()
    names = PHOTO_NAMES[:3] if args.quick else PHOTO_NAMES
    max_side = args.max_side or (256 if args.quick else 384)
    engines = ready_engines(args.engines)

    photos = {name: load_photo(name, max_side=max_side) for name in names}
    masks = {
        (name, kind): random_mask(
            Extent(photo.shape[1], photo.shape[0]), kind=kind, seed=1000 + index
        )
        for index, (name, photo) in enumerate(photos.items())
        for kind in KINDS
    }
    fills: dict[str, Fill] = {BASELINE: baseline_fill}
    fills.update({name: engine_fill(name) for name in engines})

    print(f"# Inpainting quality inside the hole ({len(photos)} photos, longest side {max_side})\n")
    print(describe_machine())
    print(f"photos: {', '.join(photos)} (skimage.data); masks: LaMa-style, seed 1000+photo index\n")

    # (label, kind) -> lists of psnr, ssim, detail, seconds
    scores: dict[tuple[str, str], list[list[float]]] = defaultdict(lambda: [[], [], [], []])
    failures: list[str] = []
    for label, fill in fills.items():
        first = next(iter(photos))
        try:
            fill(photos[first], masks[(first, "medium")])  # warm-up: imports, caches
        except Exception as error:  # report and carry on with the other engines
            failures.append(f"{label}: {type(error).__name__}: {error}")
            traceback.print_exc(file=sys.stderr)
            continue
        for (name, kind), mask in masks.items():
            photo = photos[name]
            start = time.perf_counter()
            try:
                result = fill(photo, mask)
            except Exception as error:
                failures.append(f"{label} on {name}/{kind}: {type(error).__name__}: {error}")
                continue
            seconds = time.perf_counter() - start
            original = photo.astype(np.float32) / 255
            filled = np.asarray(result)[:, :, :3].astype(np.float32) / 255
            hole = mask > 0.5
            bucket = scores[(label, kind)]
            bucket[0].append(psnr_in_hole(original, filled, hole))
            bucket[1].append(ssim_in_hole(original, filled, hole))
            bucket[2].append(detail_in_hole(original, filled, hole))
            bucket[3].append(seconds)

    coverage = {kind: np.mean([masks[(n, kind)].mean() for n in photos]) for kind in KINDS}
    rows = []
    means: dict[tuple[str, str], Scores] = {}
    for kind in KINDS:
        for label in fills:
            if (label, kind) not in scores:
                continue
            psnr, ssim, detail, seconds = (float(np.mean(v)) for v in scores[(label, kind)])
            means[(label, kind)] = (psnr, ssim, detail, seconds)
            rows.append(
                [
                    label,
                    kind,
                    f"{coverage[kind]:.0%}",
                    f"{psnr:.2f}",
                    f"{ssim:.3f}",
                    f"{detail:.2f}",
                    f"{seconds * 1000:.0f}",
                ]
            )
    print(
        markdown_table(
            ["engine", "mask", "hole area", "PSNR hole (dB)", "SSIM hole", "detail", "time (ms)"],
            rows,
        )
    )

    winners = []
    for kind in KINDS:
        entries = {label: v for (label, k), v in means.items() if k == kind}
        if entries:
            winners.append(
                [
                    kind,
                    _best(entries, lambda v: -v[0]),
                    _best(entries, lambda v: -v[1]),
                    _best(entries, lambda v: abs(float(np.log(max(v[2], 1e-9))))),
                    _best(entries, lambda v: v[3]),
                ]
            )
    print("\n## Winners per mask kind\n")
    print(
        markdown_table(
            ["mask", "best PSNR", "best SSIM", "detail closest to 1.0", "fastest"], winners
        )
    )
    if failures:
        print("\n## Failures\n")
        for line in failures:
            print(f"- {line}")


if __name__ == "__main__":
    main()
