"""How fast are PNG files written and read, and what does a small edit of a big photo cost?

Run: ``.venv/bin/python benchmarks/io_bench.py [--quick] [--all-photos] [--repeats N]``

1. PNG encode: compression level 0–9 against encode time and file size, Pillow
   (``Image.save(compress_level=…)``) and OpenCV (``cv2.imencode`` with
   ``IMWRITE_PNG_COMPRESSION``), on scikit-image photos (astronaut, coffee, chelsea,
   rocket) at their native size (median of 3) and upscaled to 6000×4000 (``cv2.resize``
   bicubic plus ±2 uniform noise, so the big file is not unnaturally smooth; one run
   each). At 6000×4000 only astronaut and levels 0, 1, 2, 3 and 6 are timed by default
   (level 9 alone takes ~15 s per encoder); ``--all-photos`` and ``--all-levels`` add
   the rest.
2. PNG decode of the same 6000×4000 file: Pillow (``Image.open`` + ``np.array``) against
   ``cv2.imdecode`` (+ BGR→RGB in place), and inpaintkit's ``load_image`` (which adds
   the chunk CRC check, header, EXIF and ICC to OpenCV's decode), timed in alternation.
3. PNG encode in bands: :func:`inpaintkit.imageio.png_bands.encode_png_bands` on 1 and 2
   threads against ``cv2.imencode`` at level 1, time and size, on the 6000×4000 photo and
   the native ones (``--bands-only`` runs just this table).
4. End to end: ``inpaintkit run photo.png --mask mask.png -o out.png`` as its own process
   on a 6000×4000 PNG photo with a 200×200 box mask, against a baseline process
   ``python -c`` that only does ``cv2.imread`` + ``cv2.imwrite`` at PNG level 1 of the
   same photo (the least any tool must do). Target: ours ≤ 1.5× the baseline. Then the
   same job in one process, split into decode, pipeline and encode.

``--quick`` uses one photo, 3000×2000 and fewer levels (well under a minute).
"""

from __future__ import annotations

import functools
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import base_parser, describe_machine, load_photo, markdown_table, time_call

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
BIG = (6000, 4000)
QUICK_BIG = (3000, 2000)
TARGET = 1.5


def big_photo(name: str, size: tuple[int, int], *, seed: int = 0) -> np.ndarray:
    """``name`` upscaled to ``size`` (bicubic) with ±2 noise: a large, photo-like uint8 RGB."""
    photo = load_photo(name, max_side=10_000)
    large = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(seed).integers(-2, 3, large.shape, dtype=np.int16)
    return np.clip(large.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def encode_pillow(photo: np.ndarray, level: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG", compress_level=level)
    return buffer.getvalue()


def encode_opencv(photo: np.ndarray, level: int) -> bytes:
    bgr = cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, level])
    assert ok
    return buffer.tobytes()


def encode_table(photos: dict[str, np.ndarray], levels: list[int], repeats: int) -> str:
    rows = []
    for name, photo in photos.items():
        height, width = photo.shape[:2]
        for level in levels:
            pillow_s, pillow_png = time_call(
                lambda p=photo, n=level: encode_pillow(p, n), repeats=repeats, warmup=0
            )
            opencv_s, opencv_png = time_call(
                lambda p=photo, n=level: encode_opencv(p, n), repeats=repeats, warmup=0
            )
            rows.append(
                [
                    name,
                    f"{width}×{height}",
                    level,
                    f"{pillow_s:.3f}",
                    f"{len(pillow_png) / 1e6:.2f}",
                    f"{opencv_s:.3f}",
                    f"{len(opencv_png) / 1e6:.2f}",
                    f"{pillow_s / opencv_s:.2f}×",
                ]
            )
            print(f"  encoded {name} {width}×{height} level {level}", file=sys.stderr)
    headers = [
        "photo",
        "size",
        "level",
        "Pillow (s)",
        "Pillow (MB)",
        "OpenCV (s)",
        "OpenCV (MB)",
        "Pillow/OpenCV time",
    ]
    return markdown_table(headers, rows)


def bands_table(photos: dict[str, np.ndarray], repeats: int, level: int = 1) -> str:
    """``encode_png_bands`` on 1 and 2 threads against ``cv2.imencode``, same zlib level,
    timed in alternation (median / best); sizes and ratios to OpenCV."""
    from inpaintkit.imageio.png_bands import encode_png_bands

    rows = []
    for name, photo in photos.items():
        height, width = photo.shape[:2]
        encoders: list[Callable[[], bytes]] = [
            functools.partial(encode_opencv, photo, level),
            functools.partial(encode_png_bands, photo, level=level, workers=1),
            functools.partial(encode_png_bands, photo, level=level, workers=2),
        ]
        timings = time_alternating(list(encoders), repeats)
        sizes = [len(encode()) for encode in encoders]
        (opencv_s, opencv_best), (one_s, one_best), (two_s, two_best) = timings
        rows.append(
            [
                name,
                f"{width}×{height}",
                f"{opencv_s:.3f} / {opencv_best:.3f}",
                f"{one_s:.3f} / {one_best:.3f}",
                f"{two_s:.3f} / {two_best:.3f}",
                f"{opencv_s / one_s:.2f}× / {opencv_s / two_s:.2f}×",
                f"{sizes[0] / 1e6:.3f}",
                f"{sizes[1] / 1e6:.3f}",
                f"{sizes[1] / sizes[0]:.3f}",
            ]
        )
        print(f"  encoded {name} {width}×{height} in bands", file=sys.stderr)
    headers = [
        "photo",
        "size",
        f"OpenCV L{level} (s, median / best)",
        "bands, 1 thread (s)",
        "bands, 2 threads (s)",
        "speed-up 1 / 2 threads",
        "OpenCV (MB)",
        "bands (MB)",
        "bands/OpenCV size",
    ]
    return markdown_table(headers, rows)


def decode_table(photos: dict[str, np.ndarray], repeats: int) -> str:
    from PIL import Image

    from inpaintkit.imageio import load_image

    rows = []
    for name, photo in photos.items():
        data = encode_opencv(photo, 1)

        def pillow(data: bytes = data) -> np.ndarray:
            image = Image.open(io.BytesIO(data))
            image.load()
            return np.array(image)

        def opencv(data: bytes = data) -> np.ndarray:
            decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)

        (pillow_s, pillow_best), (opencv_s, opencv_best), (ours_s, ours_best) = time_alternating(
            [pillow, opencv, lambda data=data: load_image(data)], max(repeats, 5)
        )
        height, width = photo.shape[:2]
        rows.append(
            [
                name,
                f"{width}×{height}",
                f"{pillow_s:.3f} / {pillow_best:.3f}",
                f"{opencv_s:.3f} / {opencv_best:.3f}",
                f"{ours_s:.3f} / {ours_best:.3f}",
                f"{pillow_best / opencv_best:.2f}×",
            ]
        )
    headers = [
        "photo",
        "size",
        "Pillow (s, median / best)",
        "OpenCV (s, median / best)",
        "load_image (s, median / best)",
        "Pillow/OpenCV (best)",
    ]
    return markdown_table(headers, rows)


def time_alternating(
    functions: list[Callable[[], object]], repeats: int
) -> list[tuple[float, float]]:
    """(median, best) seconds of each function, called in turn after one warm-up round, so
    a load spike on a shared machine hits all of them alike."""
    samples: list[list[float]] = [[] for _ in functions]
    for round_number in range(repeats + 1):
        for function, bucket in zip(functions, samples, strict=True):
            start = time.perf_counter()
            function()
            if round_number:
                bucket.append(time.perf_counter() - start)
    return [(statistics.median(bucket), min(bucket)) for bucket in samples]


def inpaintkit_command() -> list[str]:
    """The ``inpaintkit`` console script next to this Python, else ``python -m inpaintkit``."""
    folder = Path(sys.executable).parent
    for name in ("inpaintkit", "inpaintkit.exe"):
        script = folder / name
        if script.exists():
            return [str(script)]
    found = shutil.which("inpaintkit")
    return [found] if found else [sys.executable, "-m", "inpaintkit"]


BASELINE = (
    "import cv2, sys; "
    "image = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED); "
    "assert cv2.imwrite(sys.argv[2], image, [cv2.IMWRITE_PNG_COMPRESSION, 1])"
)


def run_process(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def end_to_end(
    photo: np.ndarray, folder: Path, repeats: int, engine: str | None
) -> tuple[str, str]:
    height, width = photo.shape[:2]
    photo_path, mask_path = folder / "photo.png", folder / "mask.png"
    cv2.imwrite(str(photo_path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    mask = np.zeros((height, width), np.uint8)
    x0, y0 = width // 2 - 100, height // 2 - 100
    mask[y0 : y0 + 200, x0 : x0 + 200] = 255
    cv2.imwrite(str(mask_path), mask)
    ours_out, baseline_out = folder / "out.png", folder / "baseline.png"
    ours = [
        *inpaintkit_command(),
        "run",
        str(photo_path),
        "--mask",
        str(mask_path),
        "-o",
        str(ours_out),
        "--overwrite",
        *(["--engine", engine] if engine else []),
    ]
    baseline = [sys.executable, "-c", BASELINE, str(photo_path), str(baseline_out)]
    ours_times, baseline_times = [], []
    run_process(ours)  # warm the page cache and any first-run costs
    run_process(baseline)
    for _ in range(repeats):
        ours_times.append(run_process(ours))
        baseline_times.append(run_process(baseline))
    ours_s, baseline_s = statistics.median(ours_times), statistics.median(baseline_times)
    factor = ours_s / baseline_s
    rows = [
        [
            f"{width}×{height}, 200×200 box",
            f"{ours_s:.2f}",
            f"{baseline_s:.2f}",
            f"{factor:.2f}×",
            "yes" if factor <= TARGET else "no",
        ]
    ]
    table = markdown_table(
        [
            "job",
            "inpaintkit run (s)",
            "cv2 read+write L1 (s)",
            "ours/baseline",
            f"target ≤ {TARGET}× met",
        ],
        rows,
    )
    sizes = (
        f"output sizes: ours {ours_out.stat().st_size / 1e6:.1f} MB, "
        f"baseline {baseline_out.stat().st_size / 1e6:.1f} MB; "
        f"command: {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(ours))}"
    )
    breakdown = in_process(photo_path, mask_path, folder / "in-process.png", repeats, engine)
    return table + "\n\n" + sizes, breakdown


def in_process(
    photo_path: Path, mask_path: Path, out: Path, repeats: int, engine: str | None
) -> str:
    import inpaintkit
    from inpaintkit.imageio import load_image, load_mask, save_image

    samples: dict[str, list[float]] = {}
    stages: dict[str, list[float]] = {}
    for _ in range(min(repeats, 2) + 1):  # the first round is a warm-up
        clock = time.perf_counter()
        picture = load_image(photo_path)
        decoded = time.perf_counter()
        mask = load_mask(mask_path, size=picture.size).mask
        masked = time.perf_counter()
        result = inpaintkit.inpaint(picture.pixels, mask, engine=engine or "auto")
        filled = time.perf_counter()
        save_image(out, result.image, recipe=result.recipe, overwrite=True)
        written = time.perf_counter()
        for key, value in (
            ("decode photo", decoded - clock),
            ("decode mask", masked - decoded),
            ("pipeline (inpaint)", filled - masked),
            ("encode PNG", written - filled),
            ("total", written - clock),
        ):
            samples.setdefault(key, []).append(value)
        for key, value in result.timings.items():
            stages.setdefault(key, []).append(value)
    rows = [[key, f"{statistics.median(values[1:]):.3f}"] for key, values in samples.items()]
    rows += [
        [f"  pipeline: {key}", f"{statistics.median(values[1:]):.3f}"]
        for key, values in stages.items()
    ]
    return markdown_table(["in-process step", "seconds (median)"], rows)


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--all-photos", action="store_true", help="all four photos at 6000×4000")
    parser.add_argument("--all-levels", action="store_true", help="levels 0–9 at 6000×4000 too")
    parser.add_argument("--engine", help="engine for the end-to-end run (default: the CLI's)")
    parser.add_argument(
        "--bands-only", action="store_true", help="only the banded PNG encoder against OpenCV"
    )
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    big_size = QUICK_BIG if args.quick else BIG
    names = PHOTOS[:1] if args.quick else PHOTOS
    big_names = PHOTOS if args.all_photos else PHOTOS[:1]
    big_levels = [0, 1, 3] if args.quick else [0, 1, 2, 3, 6]
    if args.all_levels:
        big_levels = list(range(10))

    print("# io_bench: PNG encode/decode and a small edit of a big photo\n")
    print(describe_machine() + "\n")
    native = {name: load_photo(name, max_side=10_000) for name in names}
    w, h = big_size
    big = {name: big_photo(name, big_size) for name in big_names}
    bands_photos = {**{f"{name} (big)": photo for name, photo in big.items()}, **native}
    print(
        f"## PNG encode in bands (png_bands) against OpenCV, level 1: {w}×{h} and native "
        f"sizes ({max(repeats, 3)} alternating runs)\n"
    )
    print(bands_table(bands_photos, max(repeats, 3)) + "\n")
    if args.bands_only:
        return
    print("## PNG encode, native size (median of", max(repeats, 3), "runs)\n")
    print(encode_table(native, list(range(10)), max(repeats, 3)) + "\n")
    print(f"## PNG encode, {w}×{h} (one run each: these take seconds)\n")
    print(encode_table(big, big_levels, 1) + "\n")
    print(f"## PNG decode, {w}×{h} level-1 file ({max(repeats, 5)} alternating runs)\n")
    print(decode_table({big_names[0]: big[big_names[0]]}, repeats) + "\n")
    engine = args.engine or "the CLI's default engine"
    print(f"## End to end, {w}×{h} PNG photo, 200×200 box mask, {engine} (median of {repeats})\n")
    with tempfile.TemporaryDirectory() as folder:
        table, breakdown = end_to_end(big[big_names[0]], Path(folder), repeats, args.engine)
    print(table + "\n")
    print(breakdown)


if __name__ == "__main__":
    main()
