"""Small photos, masks and manifests made in the tests (no downloads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.cli.test_cli import run_cli as run_cli  # the batch tests take it from here

SIZE = 96


def make_photo(path: Path, seed: int, size: int = SIZE) -> Path:
    """A seeded 'photo': gradients plus texture, uint8 RGB PNG."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    phase = rng.uniform(0, 6)
    base = np.stack(
        [x / size, y / size, 0.5 + 0.4 * np.sin(x / 9 + phase) * np.cos(y / 13)], axis=-1
    )
    pixels = np.clip(np.rint((base + rng.normal(0, 0.03, base.shape)) * 255), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def make_mask(
    path: Path, box: tuple[int, int, int, int] = (30, 30, 60, 55), size: int = SIZE
) -> Path:
    mask = np.zeros((size, size), np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))
