"""Does inpainting time follow the mask, not the image? One 512×512 hole in 1K–8K images.

Run: ``.venv/bin/python benchmarks/scale_bench.py [--quick] [--engine telea]``

The same elliptical 512×512 object mask sits in the middle of synthetic textured photos
(a tiled scikit-image photo plus noise, uint8; generation is not timed) of 1K to 8K
(16:9). Each size times one :func:`inpaintkit.inpaint` call, and, as the baseline, a
naive ``cv2.inpaint`` (Telea, radius 3) on the whole image, as scripts without a region
plan do. Target: the 8K call takes at most 1.5× the 1K call.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    base_parser,
    describe_machine,
    load_photo,
    markdown_table,
    ready_engines,
    time_call,
)

SIZES = {"1K": (1024, 576), "2K": (2048, 1152), "4K": (4096, 2304), "8K": (8192, 4608)}
OBJECT_SIDE = 512
TARGET = 1.5


def textured_photo(width: int, height: int, *, seed: int = 0) -> np.ndarray:
    """A uint8 RGB photo of any size: astronaut tiled (mirrored, so no hard seams) + noise."""
    tile = load_photo("astronaut", max_side=512)
    mirrored = np.concatenate([tile, tile[:, ::-1]], axis=1)
    mirrored = np.concatenate([mirrored, mirrored[::-1]], axis=0)
    reps = (-(-height // mirrored.shape[0]), -(-width // mirrored.shape[1]), 1)
    photo = np.tile(mirrored, reps)[:height, :width]
    noise = np.random.default_rng(seed).integers(-8, 9, size=photo.shape, dtype=np.int16)
    return np.clip(photo.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def centred_object(width: int, height: int) -> np.ndarray:
    from inpaintkit.mask.synthetic import object_mask
    from inpaintkit.types import Box, Extent

    x0, y0 = (width - OBJECT_SIDE) // 2, (height - OBJECT_SIDE) // 2
    box = Box(x0, y0, x0 + OBJECT_SIDE, y0 + OBJECT_SIDE)
    return object_mask(Extent(width, height), box=box, shape="ellipse")


def peak_extra_mib(function: object) -> float:
    """Peak memory numpy and Python allocate during one call (tracemalloc; OpenCV's own
    buffers are not traced), in MiB."""
    tracemalloc.start()
    try:
        function()  # type: ignore[operator]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    import inpaintkit

    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--engine", default="telea", help="engine to time (default telea)")
    args = parser.parse_args()
    (engine,) = ready_engines(args.engine)
    repeats = args.repeats or (3 if args.quick else 5)
    baseline_repeats = 1 if args.quick else 3

    print(f"# Scaling: one {OBJECT_SIDE}×{OBJECT_SIDE} ellipse hole, engine {engine}\n")
    print(describe_machine())
    print(
        f"ours: inpaintkit.inpaint, median of {repeats} after 1 warm-up; baseline: "
        f"cv2.inpaint TELEA r=3 on the full image, median of {baseline_repeats} after 1 warm-up\n"
    )
    rows = []
    first: float | None = None
    first_baseline: float | None = None
    ours_ratio = 0.0
    for label, (width, height) in SIZES.items():
        photo = textured_photo(width, height)
        mask = centred_object(width, height)
        hole = (mask > 0.5).astype(np.uint8)

        def ours(photo: np.ndarray = photo, mask: np.ndarray = mask) -> inpaintkit.Result:
            return inpaintkit.inpaint(photo, mask, engine=engine, seed=0)

        def naive(photo: np.ndarray = photo, hole: np.ndarray = hole) -> np.ndarray:
            return cv2.inpaint(photo, hole, 3, cv2.INPAINT_TELEA)

        seconds, result = time_call(ours, repeats=repeats)
        baseline, _ = time_call(naive, repeats=baseline_repeats)
        memory = peak_extra_mib(ours)
        first = seconds if first is None else first
        first_baseline = baseline if first_baseline is None else first_baseline
        ours_ratio = seconds / first
        stages = ", ".join(f"{k} {v * 1000:.0f}" for k, v in result.timings.items())
        crops = ", ".join(str(region.crop.extent) for region in result.plan.regions)
        rows.append(
            [
                label,
                f"{width}×{height}",
                f"{seconds * 1000:.1f}",
                f"{ours_ratio:.2f}×",
                f"{memory:.0f}",
                f"{baseline * 1000:.1f}",
                f"{baseline / first_baseline:.2f}×",
                f"{baseline / seconds:.1f}×",
                crops,
                stages,
            ]
        )
        del photo, mask, hole, result
    print(
        markdown_table(
            [
                "size",
                "pixels",
                "ours (ms)",
                "ours / 1K",
                "peak extra (MiB)",
                "naive full cv2.inpaint (ms)",
                "naive / 1K",
                "naive / ours",
                "crop",
                "stages (ms)",
            ],
            rows,
        )
    )
    verdict = "yes" if ours_ratio <= TARGET else "no"
    print(f"\ntarget met: {verdict} (8K / 1K = {ours_ratio:.2f}×, target ≤ {TARGET}×)")


if __name__ == "__main__":
    main()
