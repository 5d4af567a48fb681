"""Does inpainting time follow the mask, not the image? One 512×512 hole in 1K–8K images.

Run: ``.venv/bin/python benchmarks/scale_bench.py [--quick] [--engine telea]``
or, for the 1K-vs-8K stage breakdown with the default engine and a 256×256 object,
``.venv/bin/python benchmarks/scale_bench.py --pair [--profile 8k.prof]``

The same elliptical 512×512 object mask sits in the middle of synthetic textured photos
(a tiled scikit-image photo plus noise, uint8; generation is not timed) of 1K to 8K
(16:9). Each size times one :func:`inpaintkit.inpaint` call, and, as the baseline, a
naive ``cv2.inpaint`` (Telea, radius 3) on the whole image, as scripts without a region
plan do. Target: the 8K call takes at most 1.5× the 1K call.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

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


def centred_object(width: int, height: int, *, side: int = OBJECT_SIDE) -> np.ndarray:
    from inpaintkit.mask.synthetic import object_mask
    from inpaintkit.types import Box, Extent

    x0, y0 = (width - side) // 2, (height - side) // 2
    box = Box(x0, y0, x0 + side, y0 + side)
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


PAIR_SIZES = {"1K": SIZES["1K"], "8K": SIZES["8K"]}
PAIR_OBJECT_SIDE = 256
STAGES = ("load", "refine", "plan", "engine", "composite")


def pair(repeats: int, profile: str | None, engine: str | None) -> None:
    """1K against 8K: ``inpaintkit.inpaint(photo, mask)`` with the default engine (or
    ``engine``) and a 256×256 object, total and per stage, with the 8K / 1K ratio."""
    import inpaintkit

    options: dict[str, Any] = {} if engine is None else {"engine": ready_engines(engine)[0]}
    which = "default engine" if engine is None else f"engine {engine}"
    print(f"# 1K vs 8K: one {PAIR_OBJECT_SIDE}×{PAIR_OBJECT_SIDE} ellipse, {which}\n")
    print(describe_machine())
    print(
        f"inpaintkit.inpaint(photo, mask): 1 warm-up each, then {repeats} calls alternating "
        "1K and 8K; medians per column. Stages are result.timings; 'other' is the rest of "
        "each call (validation, hashing wait outside a stage, the result)\n"
    )
    arrays = {
        label: (textured_photo(width, height), centred_object(width, height, side=PAIR_OBJECT_SIDE))
        for label, (width, height) in PAIR_SIZES.items()
    }
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in arrays}
    engines: dict[str, str] = {}
    for round_ in range(repeats + 1):
        for label, (photo, mask) in arrays.items():
            start = time.perf_counter()
            result = inpaintkit.inpaint(photo, mask, seed=0, **options)
            total = time.perf_counter() - start
            engines[label] = result.engine
            if round_ == 0:
                continue  # warm-up
            stages = {name: result.timings.get(name, 0.0) for name in STAGES}
            samples[label].append({"total": total, **stages, "other": total - sum(stages.values())})
    first, last = PAIR_SIZES
    rows = []
    for name in ("total", *STAGES, "other"):
        small = statistics.median(sample[name] for sample in samples[first])
        large = statistics.median(sample[name] for sample in samples[last])
        rows.append(
            [
                name,
                f"{small * 1000:.1f}",
                f"{large * 1000:.1f}",
                f"{large / small:.2f}×" if small > 0 else "–",
                f"{(large - small) * 1000:+.1f}",
            ]
        )
    print(f"engine: {engines[first]} (1K), {engines[last]} (8K)\n")
    print(
        markdown_table(
            ["stage", f"{first} (ms)", f"{last} (ms)", f"{last} / {first}", "extra (ms)"],
            rows,
        )
    )
    ratio = statistics.median(x["total"] for x in samples[last]) / statistics.median(
        x["total"] for x in samples[first]
    )
    verdict = "yes" if ratio <= TARGET else "no"
    print(f"\ntarget met: {verdict} ({last} / {first} = {ratio:.2f}×, target ≤ {TARGET}×)")
    if profile:
        import cProfile
        import pstats

        photo, mask = arrays[last]
        profiler = cProfile.Profile()
        profiler.enable()
        inpaintkit.inpaint(photo, mask, seed=0, **options)
        profiler.disable()
        profiler.dump_stats(profile)
        print(f"\n## cProfile of one {last} call (saved to {profile}), top 25 by own time\n")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    import inpaintkit

    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--engine", default=None, help="engine to time (default telea; with --pair the default)"
    )
    parser.add_argument(
        "--pair",
        action="store_true",
        help="1K vs 8K with the default engine and a 256×256 object, per-stage breakdown",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="with --pair: cProfile one 8K call into FILE"
    )
    args = parser.parse_args()
    if args.pair:
        pair(args.repeats or (3 if args.quick else 5), args.profile, args.engine)
        return
    (engine,) = ready_engines(args.engine or "telea")
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
