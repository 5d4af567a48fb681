"""Scratch and dust detection on old-photo damage drawn into real photos.

Run: ``.venv/bin/python benchmarks/scratches_bench.py [--quick] [--seed-offset 100]``
(a different offset draws a fresh damage set, to check nothing is tuned to one).

Each photo from ``skimage.data`` (native size, at most 768 px) gets seeded damage: long
thin straight and curved scratches, bright and dark, 1–4 px wide, blurred slightly
(Gaussian σ 0.5–0.9) and with contrast (0.12–0.45 of full scale in luminance) that
fades along the line, plus small dust specks (radius 1–3 px, contrast 0.25–0.6). The
ground truth is every pixel the damage changes by at least 0.03 (8 of 255 levels) in
some channel; damage lost in clipping (a bright scratch on white sky) is invisible and
so not counted.

Scores are pixel-wise with a 2-pixel tolerance band: a detected pixel is correct when
it lies within 2 px (Euclidean: the ground truth dilated by a radius-2 disc, a 5×5
ellipse) of a damaged pixel; a damaged pixel is found when a detected pixel lies within
2 px of it. ``covered`` is the strict share of damaged pixels inside the mask itself
(what an inpainting pass will replace). ``clean FP`` is the share of the undamaged
photo flagged: false alarms on texture and real edges. A second table splits the mean
recall into damaged pixels that are mostly scratch and mostly dust speck (the
damage and the scores above are the same either way).

A third table repeats the mean scores on a set with short straight scratches (45–75 px)
instead, so a change that spares short real structures by ignoring short scratches
shows.

Baseline ("naive"): the same top-hat and black-hat (square kernel of the same size),
one global threshold at mean + 3·std of their maximum, grown by the same 1 px.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    base_parser,
    describe_machine,
    load_photo,
    markdown_table,
    ratio,
    time_pair,
)
from inpaintkit.mask.scratches import detect_scratches

PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "stereo_motorcycle", "moon")
MAX_WIDTH = 7
TOLERANCE = 2
VISIBLE = 0.03


def _short(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Points of one short straight stroke, 45 to 75 px long, int32 N×2."""
    start = rng.uniform((20, 20), (width - 20, height - 20))
    angle = rng.uniform(0, np.pi)
    end = start + rng.uniform(45, 75) * np.array([np.cos(angle), np.sin(angle)])
    t = np.linspace(0, 1, 30)[:, None]
    return np.rint((1 - t) * start + t * end).astype(np.int32)


def _curve(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Points of one straight or gently curved stroke (a quadratic Bézier), int32 N×2."""
    start = rng.uniform((0, 0), (width, height))
    length = rng.uniform(0.15, 0.6) * max(width, height)
    angle = rng.uniform(0, np.pi)
    # Old-film scratches run mostly vertical; prints get any direction.
    if rng.random() < 0.4:
        angle = np.pi / 2 + rng.normal(0, 0.08)
    end = start + length * np.array([np.cos(angle), np.sin(angle)])
    bend = rng.normal(0, 0.12 * length) if rng.random() < 0.6 else 0.0
    normal = np.array([-np.sin(angle), np.cos(angle)])
    middle = (start + end) / 2 + bend * normal
    t = np.linspace(0, 1, 60)[:, None]
    points = (1 - t) ** 2 * start + 2 * (1 - t) * t * middle + t**2 * end
    return np.rint(points).astype(np.int32)


def damage_photo(photo: np.ndarray, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` with seeded scratches and dust drawn in, and the damaged-pixel truth."""
    damaged, truth, _ = damage_parts(photo, seed=seed)
    return damaged, truth


def damage_parts(
    photo: np.ndarray, *, seed: int, short: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`damage_photo`, plus which damaged pixels are mostly a dust speck's doing.

    ``short``: the scratches are short straight ones (45–75 px) instead.
    """
    stroke_points = _short if short else _curve
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    values = photo.astype(np.float32) / 255
    change = np.zeros((height, width), np.float32)
    # Kept apart only to split the recall; ``change`` alone makes the damage.
    dust = np.zeros((height, width), np.float32)
    # Contrast fades along a scratch: a smooth random field between 0.5 and 1.
    fade = cv2.resize(rng.uniform(0.6, 1.0, (6, 6)).astype(np.float32), (width, height))
    for _ in range(int(rng.integers(5, 10))):
        stroke: np.ndarray = np.zeros((height, width), np.float32)
        points = stroke_points(rng, width, height)
        cv2.polylines(stroke, [points], False, 1.0, int(rng.integers(1, 5)))
        stroke = cv2.GaussianBlur(stroke, (0, 0), rng.uniform(0.5, 0.9))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += sign * rng.uniform(0.2, 0.5) * stroke * fade
    scratches = change.copy()
    for _ in range(int(rng.integers(8, 20))):
        speck: np.ndarray = np.zeros((height, width), np.float32)
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        cv2.ellipse(speck, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        speck = cv2.GaussianBlur(speck, (0, 0), 0.6)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        amount = sign * rng.uniform(0.25, 0.6) * speck
        change += amount
        dust += amount
    damaged = np.clip(values + change[:, :, None], 0, 1)
    truth = np.abs(damaged - values).max(axis=2) >= VISIBLE
    return (
        np.rint(damaged * 255).astype(np.uint8),
        truth,
        truth & (np.abs(dust) > np.abs(scratches)),
    )


def detect_naive(image: np.ndarray, *, max_width: int = MAX_WIDTH, grow: int = 1) -> np.ndarray:
    """The baseline: plain top-hat/black-hat, one global mean + 3·std threshold."""
    luminance = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    side = max_width + 3 - max_width % 2
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    response = np.maximum(
        cv2.morphologyEx(luminance, cv2.MORPH_TOPHAT, kernel),
        cv2.morphologyEx(luminance, cv2.MORPH_BLACKHAT, kernel),
    )
    found = (response > response.mean() + 3 * response.std()).astype(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(found, disc).astype(np.float32)


def detect_ours(image: np.ndarray) -> np.ndarray:
    return detect_scratches(image, max_width=MAX_WIDTH)


def score(
    found: np.ndarray, truth: np.ndarray, specks: np.ndarray | None = None
) -> dict[str, float]:
    """Precision, recall and F1 with the tolerance band, and the strict coverage.

    With ``specks`` (the damaged pixels that are mostly dust), the recall is also
    split into ``R scratches`` and ``R specks``.
    """
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * TOLERANCE + 1,) * 2)
    found_bool = found > 0.5
    near_truth = cv2.dilate(truth.astype(np.uint8), disc).astype(bool)
    near_found = cv2.dilate(found_bool.astype(np.uint8), disc).astype(bool)
    precision = float(near_truth[found_bool].mean()) if found_bool.any() else 1.0
    recall = float(near_found[truth].mean()) if truth.any() else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    covered = float(found_bool[truth].mean()) if truth.any() else 1.0
    result = {"P": precision, "R": recall, "F1": f1, "covered": covered}
    if specks is not None:
        for key, part in (("R scratches", truth & ~specks), ("R specks", specks)):
            result[key] = float(near_found[part].mean()) if part.any() else 1.0
    return result


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--seed-offset", type=int, default=0, help="added to every damage seed (a fresh set)"
    )
    arguments = parser.parse_args()
    offset = arguments.seed_offset
    repeats = arguments.repeats or (1 if arguments.quick else 3)
    photos = PHOTOS[:3] if arguments.quick else PHOTOS
    print(f"# Scratch detection (damage seeds + {offset})\n\n{describe_machine()}\n")
    headers = [
        "photo", "size", "ours P", "ours R", "ours F1", "ours covered", "ours clean FP",
        "ours ms", "naive P", "naive R", "naive F1", "naive covered", "naive clean FP",
        "naive ms",
    ]  # fmt: skip
    rows = []
    totals: dict[str, list[dict[str, float]]] = {"ours": [], "naive": []}
    for index, name in enumerate(photos):
        photo = load_photo(name, max_side=768)
        damaged, truth, specks = damage_parts(photo, seed=index + offset)
        row: list[object] = [name, f"{photo.shape[1]}×{photo.shape[0]}"]
        seconds = time_pair(
            partial(detect_ours, damaged), partial(detect_naive, damaged), repeats=repeats
        )
        for label, detect, spent in zip(
            ("ours", "naive"), (detect_ours, detect_naive), seconds, strict=True
        ):
            result = score(detect(damaged), truth, specks)
            result["clean"] = float((detect(photo) > 0.5).mean())
            totals[label].append(result)
            row += [_fmt(result[k]) for k in ("P", "R", "F1", "covered")]
            row += [f"{100 * result['clean']:.2f}%", f"{1000 * spent:.1f}"]
        rows.append(row)
    overall: list[object] = ["**mean**", ""]
    for label in ("ours", "naive"):
        means = {k: float(np.mean([r[k] for r in totals[label]])) for k in totals[label][0]}
        overall += [_fmt(means[k]) for k in ("P", "R", "F1", "covered")]
        overall += [f"{100 * means['clean']:.2f}%", ""]
    rows.append(overall)
    print(markdown_table(headers, rows))
    print(f"\nTolerance {TOLERANCE} px; target: ours P and R >= 0.8 on average.\n")
    # Where the recall is lost: damaged pixels that are mostly scratch, or mostly dust.
    split = [
        [label] + [_fmt(float(np.mean([r[k] for r in totals[label]]))) for k in keys]
        for label in ("ours", "naive")
        for keys in [("R", "R scratches", "R specks")]
    ]
    print(markdown_table(["mean recall", "all", "scratch pixels", "speck pixels"], split))
    print()

    # Short scratches (45–75 px): the long-line search must not trade them away unseen.
    short: dict[str, list[dict[str, float]]] = {"ours": [], "naive": []}
    for index, name in enumerate(photos):
        photo = load_photo(name, max_side=768)
        damaged, truth, specks = damage_parts(photo, seed=index + offset + 7, short=True)
        for label, detect in (("ours", detect_ours), ("naive", detect_naive)):
            short[label].append(score(detect(damaged), truth, specks))
    print(
        markdown_table(
            ["short scratches (45–75 px)", "P", "R", "R scratches", "F1"],
            [
                [label] + [_fmt(float(np.mean([r[k] for r in short[label]]))) for k in keys]
                for label in ("ours", "naive")
                for keys in [("P", "R", "R scratches", "F1")]
            ],
        )
    )
    print()

    # A 4K scan: damage drawn at 4K, so scratches stay 1–4 px wide.
    big = cv2.resize(
        load_photo("astronaut", max_side=768), (3840, 2160), interpolation=cv2.INTER_CUBIC
    )
    damaged, truth = damage_photo(big, seed=99 + offset)
    ours_s, naive_s = time_pair(
        lambda: detect_ours(damaged), lambda: detect_naive(damaged), repeats=repeats
    )
    big_score = score(detect_ours(damaged), truth)
    print(
        markdown_table(
            ["4K (3840×2160)", "ours s", "naive s", "naive / ours", "ours P", "ours R"],
            [
                [
                    "astronaut, upscaled",
                    f"{ours_s:.3f}",
                    f"{naive_s:.3f}",
                    ratio(naive_s, ours_s),
                    _fmt(big_score["P"]),
                    _fmt(big_score["R"]),
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
