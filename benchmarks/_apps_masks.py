"""Automatic masks: IoU and time of each method on a labelled set.

Two sets:

* **composites**, where the truth is exact: a textured cut-out (a patch of one photo cut
  to an ellipse, a star, a rounded rectangle or a smooth random blob) pasted onto another
  photo at a known place, with a soft shadow-free hard edge;
* **photos**: scikit-image's astronaut, coffee and chelsea against the reference masks
  in ``tests/data/automask/`` (U²-Net-p's masks corrected by hand and checked by eye).
  Each reference is the whole scene's object (coffee: cup, saucer and spoon), while the
  deepest point of it, where the click goes, lies on a part (the coffee in the cup, the
  astronaut's suit): a click answered with the part under it scores low here;
* **example spoon**: the bundled ``examples/photo.png`` against
  ``tests/data/automask/example_spoon.png`` (the spoon's bowl and neck below the cup):
  a small object lying on a bigger one, where a click should give the small one.

Prompts are made from the truth, deterministically: the box is the truth's bounding box
grown by 6 px; the clicks are 1 to 3 distance-transform maxima inside the truth (each
next one away from the previous, and only where the object is at least 40 % as deep
as at the first: well inside, as a person clicks), and one background click outside the grown box.
Methods: box GrabCut, clicks GrabCut, clicks region grow (watershed), clicks ``local``
(GrabCut in windows of several sizes around the clicks and on the whole photo, the
candidate found at most scales with a strong outline), and the salient
object (U²-Net-p, when fetched; the composites' salient object is often the photo's own,
which the table shows as it is). Times are medians per call on this machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from _common import load_photo, markdown_table

REFERENCES = Path(__file__).resolve().parents[1] / "tests" / "data" / "automask"
BACKGROUNDS = ("astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle")
TEXTURES = ("chelsea", "coffee", "astronaut", "rocket", "immunohistochemistry")
SHAPES = ("ellipse", "star", "rounded", "blob")


def _shape_mask(kind: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    centre = (width // 2, height // 2)
    if kind == "ellipse":
        cv2.ellipse(mask, centre, (width // 2 - 2, height // 2 - 2), 0, 0, 360, 1, -1)
    elif kind == "star":
        angles = np.linspace(0, 2 * np.pi, 11)[:-1] + rng.uniform(0, 1)
        radii = np.where(np.arange(10) % 2 == 0, 0.48, 0.24)
        points = np.stack(
            [
                centre[0] + radii * width * np.cos(angles),
                centre[1] + radii * height * np.sin(angles),
            ],
            axis=1,
        )
        cv2.fillPoly(mask, [np.rint(points).astype(np.int32)], 1)
    elif kind == "rounded":
        radius = min(height, width) // 5
        cv2.rectangle(mask, (radius, 2), (width - radius, height - 3), 1, -1)
        cv2.rectangle(mask, (2, radius), (width - 3, height - radius), 1, -1)
        for x in (radius, width - radius):
            for y in (radius, height - radius):
                cv2.circle(mask, (x, y), radius - 2, 1, -1)
    else:  # a smooth random blob: low-pass noise thresholded inside an ellipse
        noise = cv2.GaussianBlur(rng.normal(size=(height, width)).astype(np.float32), (0, 0), 9)
        inside = np.zeros_like(mask)
        cv2.ellipse(inside, centre, (width // 2 - 2, height // 2 - 2), 0, 0, 360, 1, -1)
        level = np.quantile(noise[inside > 0], 0.35)
        blob = ((noise > level) & (inside > 0)).astype(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=8)
        mask = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    return mask


def composites(count: int, *, side: int = 384) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``count`` (name, photo, truth) cases; the same every run (seeded)."""
    rng = np.random.default_rng(14)
    cases = []
    for index in range(count):
        background = load_photo(BACKGROUNDS[index % len(BACKGROUNDS)], max_side=side).copy()
        texture_name = TEXTURES[(index * 2 + 1) % len(TEXTURES)]
        if texture_name == BACKGROUNDS[index % len(BACKGROUNDS)]:  # an object must differ
            texture_name = TEXTURES[(index * 2 + 2) % len(TEXTURES)]
        texture = load_photo(texture_name, max_side=side)
        kind = SHAPES[index % len(SHAPES)]
        height, width = background.shape[:2]
        object_h = int(rng.integers(height // 4, height // 2))
        object_w = int(rng.integers(width // 4, width // 2))
        shape = _shape_mask(kind, object_h, object_w, rng)
        ty = int(rng.integers(0, texture.shape[0] - object_h))
        tx = int(rng.integers(0, texture.shape[1] - object_w))
        patch = texture[ty : ty + object_h, tx : tx + object_w]
        y = int(rng.integers(8, height - object_h - 8))
        x = int(rng.integers(8, width - object_w - 8))
        truth = np.zeros((height, width), bool)
        truth[y : y + object_h, x : x + object_w] = shape > 0
        region = background[y : y + object_h, x : x + object_w]
        region[shape > 0] = patch[shape > 0]
        cases.append(
            (
                f"{kind} of {texture_name} on {BACKGROUNDS[index % len(BACKGROUNDS)]}",
                background,
                truth,
            )
        )
    return cases


def photos(*, side: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The real photos and their references, shrunk to ``side`` (None: as stored)."""
    from PIL import Image

    cases = []
    for name in ("astronaut", "coffee", "chelsea"):
        truth = np.asarray(Image.open(REFERENCES / f"{name}.png")) > 0
        photo = load_photo(name, max_side=min(side or max(truth.shape), max(truth.shape)))
        if photo.shape[:2] != truth.shape:
            size = (photo.shape[1], photo.shape[0])
            truth = cv2.resize(truth.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        cases.append((name, photo, truth))
    return cases


def example() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The bundled example (``examples/photo.png``) and its spoon's reference mask: the
    case of one click on a small object lying on a bigger one (the saucer)."""
    from PIL import Image

    root = REFERENCES.parents[2]
    photo = np.asarray(Image.open(root / "examples" / "photo.png").convert("RGB"))
    truth = np.asarray(Image.open(REFERENCES / "example_spoon.png")) > 0
    return [("example spoon", photo, truth)]


def prompts(truth: np.ndarray, *, clicks: int = 3) -> dict[str, Any]:
    """The box (bounding box + 6 px), 1..3 clicks inside and one outside, from the truth."""
    height, width = truth.shape
    ys, xs = np.nonzero(truth)
    box = (
        max(int(xs.min()) - 6, 0),
        max(int(ys.min()) - 6, 0),
        min(int(xs.max()) + 7, width),
        min(int(ys.max()) + 7, height),
    )
    distance = cv2.distanceTransform(np.pad(truth, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    points: list[tuple[int, int]] = []
    deepest = float(distance.max())
    for _ in range(clicks):
        y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
        if points and distance[y, x] < max(0.4 * deepest, 8):  # only clicks well inside
            break
        points.append((int(x), int(y)))
        cv2.circle(distance, (int(x), int(y)), int(distance[y, x] * 1.5) + 4, 0, -1)
    # The background click: in the middle of the widest gap between the box and the border.
    gaps = {
        "left": box[0],
        "right": width - box[2],
        "top": box[1],
        "bottom": height - box[3],
    }
    side = max(gaps, key=lambda k: gaps[k])
    middle_x, middle_y = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    negative = {
        "left": (box[0] // 2, middle_y),
        "right": ((box[2] + width) // 2, middle_y),
        "top": (middle_x, box[1] // 2),
        "bottom": (middle_x, (box[3] + height) // 2),
    }[side]
    return {"box": box, "points": points, "negatives": [negative]}


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    found = mask > 0.5
    union = np.logical_or(found, truth).sum()
    return float(np.logical_and(found, truth).sum() / union) if union else 1.0


def _methods(
    salient: bool, clicks: int
) -> dict[str, Callable[[np.ndarray, dict[str, Any]], np.ndarray]]:
    from inpaintkit.mask.auto import mask_from_box, mask_from_points, salient_mask

    methods: dict[str, Callable[[np.ndarray, dict[str, Any]], np.ndarray]] = {
        "box GrabCut": lambda photo, p: mask_from_box(photo, p["box"]),
        f"{clicks} click(s) + 1 outside, GrabCut": lambda photo, p: mask_from_points(
            photo, p["points"][:clicks], negatives=p["negatives"], method="grabcut"
        ),
        f"{clicks} click(s) + 1 outside, grow": lambda photo, p: mask_from_points(
            photo, p["points"][:clicks], negatives=p["negatives"], method="grow"
        ),
        f"{clicks} click(s) + 1 outside, local": lambda photo, p: mask_from_points(
            photo, p["points"][:clicks], negatives=p["negatives"], method="local"
        ),
    }
    if salient:
        methods["salient U²-Net-p"] = lambda photo, p: salient_mask(photo)
    return methods


def evaluate(
    cases: list[tuple[str, np.ndarray, np.ndarray]], *, clicks: int, salient: bool
) -> dict[str, tuple[list[float], list[float]]]:
    """Per method: the IoU and the seconds of each case (an empty result scores 0)."""
    from inpaintkit.errors import EmptyMaskError

    results: dict[str, tuple[list[float], list[float]]] = {}
    for name, function in _methods(salient, clicks).items():
        scores, seconds = [], []
        for _, photo, truth in cases:
            prompt = prompts(truth)
            start = time.perf_counter()
            try:
                mask = function(photo, prompt)
            except EmptyMaskError:
                mask = np.zeros(truth.shape, np.float32)
            seconds.append(time.perf_counter() - start)
            scores.append(iou(mask, truth))
        results[name] = (scores, seconds)
    return results


def _salient_ready() -> bool:
    try:
        import onnxruntime  # noqa: F401

        from inpaintkit.model_store import locate_model

        locate_model("u2netp")
    except Exception:
        return False
    return True


def run(args: Any) -> str:
    quick = bool(getattr(args, "quick", False))
    salient = _salient_ready()
    sets = {
        "composites": composites(8 if quick else 24, side=320 if quick else 512),
        "photos": photos(side=320 if quick else None),
        "example spoon": example(),
    }
    rows = []
    for clicks in (1, 3):
        for set_name, cases in sets.items():
            results = evaluate(cases, clicks=clicks, salient=salient and clicks == 1)
            for method, (scores, seconds) in results.items():
                if clicks == 3 and "click" not in method:
                    continue
                rows.append(
                    [
                        method,
                        f"{set_name} ({len(cases)})",
                        f"{statistics.mean(scores):.3f}",
                        f"{min(scores):.3f}",
                        f"{statistics.median(seconds) * 1000:.0f}",
                    ]
                )
    table = markdown_table(["method", "set (cases)", "mean IoU", "min IoU", "median ms"], rows)
    note = (
        ""
        if salient
        else "\n\nU²-Net-p is not fetched (`inpaintkit models fetch u2netp`): no salient row."
    )
    return table + note
