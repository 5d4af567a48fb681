"""Shared helpers for the benchmark scripts: offline photos, timing, engines, tables.

Timing follows one rule everywhere: one untimed warm-up call, then the median of
``repeats`` calls measured with :func:`time.perf_counter`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

# Colour photos scikit-image ships inside its wheel (no download). stereo_motorcycle
# returns (left, right, disparity); the left view is the photo.
PHOTO_NAMES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "stereo_motorcycle",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
)


def load_photo(name: str, *, max_side: int = 512) -> np.ndarray:
    """A uint8 RGB photo from ``skimage.data``, shrunk (area filter) to ``max_side``."""
    import skimage.data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = getattr(skimage.data, name)()
    photo = np.asarray(data[0] if isinstance(data, tuple) else data)
    if photo.ndim == 2:
        photo = np.repeat(photo[:, :, None], 3, axis=2)
    photo = np.ascontiguousarray(photo[:, :, :3].astype(np.uint8))
    height, width = photo.shape[:2]
    factor = max_side / max(height, width)
    if factor < 1:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        photo = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    return photo


def time_call(
    function: Callable[[], Any], *, repeats: int = 5, warmup: int = 1
) -> tuple[float, Any]:
    """Median seconds of ``repeats`` calls after ``warmup`` untimed ones, and the last result."""
    result = None
    for _ in range(warmup):
        result = function()
    samples = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def time_pair(
    first: Callable[[], Any], second: Callable[[], Any], *, repeats: int = 5, warmup: int = 1
) -> tuple[float, float]:
    """Median seconds of two functions timed in alternation, so a load spike on a shared
    machine hits both sides alike."""
    for _ in range(warmup):
        first()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(max(1, repeats)):
        for function, bucket in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - start)
    return statistics.median(samples[0]), statistics.median(samples[1])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; numbers are printed as given (format them first)."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            + " |"
        )

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), separator, *(line(row) for row in cells[1:])])


def ratio(baseline: float, ours: float) -> str:
    """``baseline / ours`` formatted as ``"3.21×"`` (above 1 = ours is faster)."""
    if ours <= 0:
        return "∞"
    return f"{baseline / ours:.2f}×"


def describe_machine() -> str:
    import os

    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, OpenCV {cv2.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPU cores, cv2 threads {cv2.getNumThreads()}"
    )


def ready_engines(requested: str | None) -> list[str]:
    """Engines to run: ``requested`` (comma separated) or every ready, prompt-free engine.

    The default comes from the registry, so engines added later are benchmarked without
    touching the scripts.
    """
    from inpaintkit.engines.registry import list_engines

    statuses = {status.name: status for status in list_engines()}
    if requested:
        names = [name.strip() for name in requested.split(",") if name.strip()]
        unknown = [name for name in names if name not in statuses]
        if unknown:
            sys.exit(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(statuses)}")
        not_ready = [f"{n} ({statuses[n].reason})" for n in names if not statuses[n].ready]
        if not_ready:
            sys.exit(f"engine(s) not ready here: {', '.join(not_ready)}")
        return names
    return [
        name
        for name, status in statuses.items()
        if status.ready and not status.capabilities.needs_prompt
    ]


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case")
    return parser
