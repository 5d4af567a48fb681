"""Seeded old-photo damage of one kind at a time, for the restore benchmark and tests.

Each ``draw_*`` takes a uint8 RGB photo and a seed and returns ``(damaged, truth)``:
the damaged uint8 photo and the pixels the damage changed by at least ``VISIBLE``
(0.03 of full scale, 8 of 255 levels) in some channel; damage lost in clipping (a
bright scratch on white sky) is invisible and not counted.

Kinds (:data:`KINDS`):

* ``long_scratches``: film scratches, 2–5 per photo, nearly vertical (tilt ~1°), over
  70–100% of the frame height, slowly wandering by up to 4 px, 1–3 px wide, blurred
  (σ 0.4–0.8), bright or dark, contrast 0.12–0.45 that fades in and out along the line
  (0.25–1 of it).
* ``long_lines``: 1–3 straight lines at any angle over 60–100% of the chord they lie
  on (itself at least 0.6 of the frame's long side), 1–3 px, bright or dark, contrast
  0.15–0.45, fading 0.5–1.
* ``short_scratches``: the scratch bench's short straight scratches (45–75 px) and
  ``dust``: its dust specks alone (radius 1–3 px, contrast 0.25–0.6).
* ``creases``: 1–2 folds: a gently curved soft band 6–16 px wide, brighter or darker by
  0.06–0.15, with a thin (1–2 px) bright crack of 0.25–0.5 along its middle.
* ``missing``: one or two corners or edge stretches torn off: a region with a ragged
  edge (a random walk) replaced by off-white paper (0.86–0.97, slightly warm, faint
  grain) or near-black (0.02–0.08).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratches_bench import VISIBLE, _short  # the scratch bench's own strokes

KINDS = (
    "long_scratches",
    "long_lines",
    "short_scratches",
    "dust",
    "creases",
    "missing",
)

Damage = tuple[np.ndarray, np.ndarray]


def _finish(photo: np.ndarray, damaged: np.ndarray) -> Damage:
    values = photo.astype(np.float32) / 255
    damaged = np.clip(damaged, 0, 1)
    out = np.rint(damaged * 255).astype(np.uint8)
    truth = np.abs(out.astype(np.float32) / 255 - values).max(axis=2) >= VISIBLE
    return out, truth


def _add(photo: np.ndarray, change: np.ndarray) -> Damage:
    values = photo.astype(np.float32) / 255
    return _finish(photo, values + change[:, :, None])


def _fade(rng: np.random.Generator, count: int, low: float, knots: int = 6) -> np.ndarray:
    """A smooth random profile of ``count`` values between ``low`` and 1."""
    points = rng.uniform(low, 1.0, knots + 2)
    return np.interp(np.linspace(0, knots + 1, count), np.arange(knots + 2), points)


def draw_long_scratches(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(2, 6))):
        span = rng.uniform(0.7, 1.0) * height
        top = rng.uniform(0, height - span)
        rows = np.arange(int(top), int(top + span))
        tilt = rng.normal(0, 0.02)
        x0 = rng.uniform(0.05 * width, 0.95 * width)
        wander = np.zeros(rows.size)
        for _ in range(2):
            period = rng.uniform(0.5, 2.0) * height
            wander += rng.uniform(0, 2.0) * np.sin(2 * np.pi * rows / period + rng.uniform(0, 6))
        xs = x0 + tilt * (rows - height / 2) + wander
        stroke = np.zeros((height, width), np.float32)
        points = np.rint(np.stack([xs, rows], axis=1)).astype(np.int32)
        cv2.polylines(stroke, [points], False, 1.0, int(rng.integers(1, 4)))
        stroke = cv2.GaussianBlur(stroke, (0, 0), rng.uniform(0.4, 0.8))
        fade = np.zeros(height, np.float32)
        fade[rows] = _fade(rng, rows.size, 0.25, knots=8)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += sign * rng.uniform(0.12, 0.45) * stroke * fade[:, None]
    return _add(photo, change)


def _chord(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Two end points of a straight line across the frame, at least 0.6 of its long side."""
    while True:
        angle = rng.uniform(0, np.pi)
        centre = rng.uniform((0.2 * width, 0.2 * height), (0.8 * width, 0.8 * height))
        direction = np.array([np.cos(angle), np.sin(angle)])
        # Parameters where the line leaves the frame on either side.
        limits = []
        for axis, size in ((0, width), (1, height)):
            if abs(direction[axis]) > 1e-6:
                a = (0 - centre[axis]) / direction[axis]
                b = (size - 1 - centre[axis]) / direction[axis]
                limits.append((min(a, b), max(a, b)))
        low = max(a for a, _ in limits)
        high = min(b for _, b in limits)
        if high - low < 0.6 * max(width, height):
            continue
        share = rng.uniform(0.6, 1.0)
        start = rng.uniform(low, high - share * (high - low))
        end = start + share * (high - low)
        return np.array([centre + start * direction, centre + end * direction])


def draw_long_lines(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        ends = _chord(rng, width, height)
        t = np.linspace(0, 1, 200)[:, None]
        points = (1 - t) * ends[0] + t * ends[1]
        stroke = np.zeros((height, width), np.float32)
        cv2.polylines(
            stroke, [np.rint(points).astype(np.int32)], False, 1.0, int(rng.integers(1, 4))
        )
        stroke = cv2.GaussianBlur(stroke, (0, 0), rng.uniform(0.4, 0.8))
        fade = cv2.resize(rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32), (width, height))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += sign * rng.uniform(0.15, 0.45) * stroke * fade
    return _add(photo, change)


def draw_short_scratches(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    fade = cv2.resize(rng.uniform(0.6, 1.0, (6, 6)).astype(np.float32), (width, height))
    for _ in range(int(rng.integers(5, 10))):
        stroke = np.zeros((height, width), np.float32)
        cv2.polylines(stroke, [_short(rng, width, height)], False, 1.0, int(rng.integers(1, 5)))
        stroke = cv2.GaussianBlur(stroke, (0, 0), rng.uniform(0.5, 0.9))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += sign * rng.uniform(0.2, 0.5) * stroke * fade
    return _add(photo, change)


def draw_dust(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(15, 35))):
        speck = np.zeros((height, width), np.float32)
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        cv2.ellipse(speck, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        speck = cv2.GaussianBlur(speck, (0, 0), 0.6)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += sign * rng.uniform(0.25, 0.6) * speck
    return _add(photo, change)


def draw_creases(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        ends = _chord(rng, width, height)
        bend = rng.normal(0, 0.04) * np.linalg.norm(ends[1] - ends[0])
        direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
        middle = ends.mean(axis=0) + bend * np.array([-direction[1], direction[0]])
        t = np.linspace(0, 1, 120)[:, None]
        points = (1 - t) ** 2 * ends[0] + 2 * (1 - t) * t * middle + t**2 * ends[1]
        points = np.rint(points).astype(np.int32)
        band = np.zeros((height, width), np.float32)
        cv2.polylines(band, [points], False, 1.0, int(rng.integers(6, 17)))
        band = cv2.GaussianBlur(band, (0, 0), rng.uniform(2.0, 4.0))
        crack = np.zeros((height, width), np.float32)
        cv2.polylines(crack, [points], False, 1.0, int(rng.integers(1, 3)))
        crack = cv2.GaussianBlur(crack, (0, 0), 0.5)
        fade = cv2.resize(rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32), (width, height))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        change += (sign * rng.uniform(0.06, 0.15) * band + rng.uniform(0.25, 0.5) * crack) * fade
    return _add(photo, change)


def _ragged(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A ragged path from ``start`` to ``end``: a random walk across the straight line."""
    steps = max(8, int(np.linalg.norm(end - start) / 3))
    t = np.linspace(0, 1, steps)[:, None]
    normal = np.array([-(end - start)[1], (end - start)[0]]) / np.linalg.norm(end - start)
    walk = np.cumsum(rng.normal(0, 1.6, steps))
    walk -= np.linspace(walk[0], walk[-1], steps)  # pinned at both ends
    jag = rng.normal(0, 0.8, steps)
    return (1 - t) * start + t * end + (walk + jag)[:, None] * normal


def draw_missing(photo: np.ndarray, *, seed: int) -> Damage:
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    values = photo.astype(np.float32) / 255
    damaged = values.copy()
    for _ in range(int(rng.integers(1, 3))):
        region = np.zeros((height, width), np.uint8)
        if rng.random() < 0.6:  # a corner
            a = rng.uniform(0.1, 0.35) * width
            b = rng.uniform(0.1, 0.35) * height
            corner = int(rng.integers(0, 4))
            cx, cy = (
                (0.0 if corner in (0, 3) else width - 1.0),
                (0.0 if corner < 2 else height - 1.0),
            )
            sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
            edge = _ragged(rng, np.array([cx + sx * a, cy]), np.array([cx, cy + sy * b]))
            polygon = np.vstack([[cx, cy], edge])
        else:  # a stretch of one edge
            side = int(rng.integers(0, 4))
            length = rng.uniform(0.2, 0.5) * (width if side % 2 == 0 else height)
            depth = rng.uniform(0.04, 0.12) * (height if side % 2 == 0 else width)
            along = rng.uniform(0, (width if side % 2 == 0 else height) - length)
            span = np.linspace(along, along + length, 5)
            inner = np.array([0, depth, depth * rng.uniform(0.7, 1.3), depth, 0])
            pieces = [
                _ragged(rng, np.array([span[k], inner[k]]), np.array([span[k + 1], inner[k + 1]]))
                for k in range(4)
            ]
            edge = np.vstack(pieces)
            if side == 1:
                edge = edge[:, ::-1]
            elif side == 2:
                edge = np.stack([edge[:, 0], height - 1 - edge[:, 1]], axis=1)
            elif side == 3:
                edge = np.stack([width - 1 - edge[:, 1], edge[:, 0]], axis=1)
            polygon = edge
        cv2.fillPoly(region, [np.rint(polygon).astype(np.int32)], 1)
        if rng.random() < 0.7:
            level = rng.uniform(0.86, 0.97)
            paper = np.array([level, level * 0.985, level * 0.95], np.float32)
        else:
            level = rng.uniform(0.02, 0.08)
            paper = np.array([level, level, level], np.float32)
        grain = cv2.GaussianBlur(
            rng.normal(0, 0.012, (height, width)).astype(np.float32), (0, 0), 1
        )
        fill = paper[None, None, :] + grain[:, :, None]
        damaged = np.where(region[:, :, None] > 0, fill, damaged)
    return _finish(photo, damaged)


DRAW: dict[str, Callable[..., Damage]] = {
    "long_scratches": draw_long_scratches,
    "long_lines": draw_long_lines,
    "short_scratches": draw_short_scratches,
    "dust": draw_dust,
    "creases": draw_creases,
    "missing": draw_missing,
}


def draw_damage(photo: np.ndarray, kind: str, *, seed: int) -> Damage:
    """``photo`` with damage of ``kind`` (one of :data:`KINDS`) drawn in, and its truth."""
    return DRAW[kind](photo, seed=seed)
