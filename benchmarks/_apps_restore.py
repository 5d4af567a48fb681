"""The restore section: damage found per kind, and the PSNR the fill wins back.

Photos: detectors were tuned on ``astronaut``, ``camera``, ``coffee``, ``chelsea`` and
``rocket`` (the TUNING set). The tables report the HELD-OUT photos below, each damaged
``DRAWS`` times per kind (``--quick``: once) with seeds never used while tuning
(20000 + 100 · kind + photo + 1000 · draw). One draw per photo decided too much: a
photo's recall swings from 0 to 1 between draws, so 8 damaged photos gave ±0.05. (The
seeds 3000+, one draw per photo, were this table's until 2026-12-06; they had been
looked at while tuning.) Damage of one kind at a time is drawn by
``benchmarks/_damage.py``; the truth is every pixel it changed by at least 0.03. Scores
as in ``scratches_bench.py``: 2 px tolerance both ways; P and R are means over the
damaged photos.

Columns: P and R of :func:`inpaintkit.mask.detect_damage` (default kinds) against that
kind's truth; ``clean FP``: the share of the undamaged photo flagged (the same for every
kind, so given once per detector set); PSNR of the damaged photo and of
:func:`inpaintkit.apps.restore`'s result against the undamaged photo, and the gain, for
the default engine ``auto`` and for ``telea`` and ``structure`` on the same mask.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from _common import load_photo, markdown_table
from _damage import KINDS, draw_damage
from scratches_bench import detect_naive, score

TUNING = ("astronaut", "camera", "coffee", "chelsea", "rocket")
HELD_OUT = ("stereo_motorcycle", "cat", "coins", "moon", "brick", "grass", "gravel", "clock")
QUICK = ("stereo_motorcycle", "cat", "grass")
SEED_BASE = 20000
DRAWS = 4
_LABELS = {"long_scratches": "detect_damage (default kinds)"}


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if error == 0 else float(10 * np.log10(255.0**2 / error))


def _fill(damaged: np.ndarray, mask: np.ndarray, engine: str) -> np.ndarray:
    from inpaintkit import inpaint

    if not mask.any():
        return damaged
    return np.asarray(inpaint(damaged, mask, engine=engine, seed=0).image)


def run(args: Any) -> str:
    from inpaintkit.mask.damage import DEFAULT_DAMAGE_KINDS, detect_damage_by_kind
    from inpaintkit.mask.long_scratches import detect_long_scratches
    from inpaintkit.mask.scratches import detect_scratches

    quick = bool(getattr(args, "quick", False))
    photos = QUICK if quick else HELD_OUT
    engines = ("auto", "telea") if quick else ("auto", "telea", "structure")
    loaded = {name: load_photo(name, max_side=768) for name in photos}
    rows: dict[str, dict[str, list[float]]] = {kind: {} for kind in KINDS}
    extra: dict[str, list[float]] = {}
    seconds: list[float] = []
    clean_default: list[float] = []
    clean_all: list[float] = []
    for photo in loaded.values():
        clean_default.append(float((sum(detect_damage_by_kind(photo).values()) > 0).mean()))
        clean_all.append(
            float((sum(detect_damage_by_kind(photo, kinds="all").values()) > 0).mean())
        )
    draws = 1 if quick else DRAWS
    cases = [
        (photo_index, photo, draw)
        for photo_index, photo in enumerate(loaded.values())
        for draw in range(draws)
    ]
    for kind_index, kind in enumerate(KINDS):
        for photo_index, photo, draw in cases:
            seed = SEED_BASE + 100 * kind_index + photo_index + 1000 * draw
            damaged, truth = draw_damage(photo, kind, seed=seed)
            start = time.perf_counter()
            parts = detect_damage_by_kind(damaged, kinds=DEFAULT_DAMAGE_KINDS)
            seconds.append(time.perf_counter() - start)
            found = np.zeros(truth.shape, np.float32)
            for part in parts.values():
                np.maximum(found, part, out=found)
            result = score(found, truth)
            row = rows[kind]
            row.setdefault("P", []).append(result["P"])
            row.setdefault("R", []).append(result["R"])
            row.setdefault("before", []).append(_psnr(damaged, photo))
            for engine in engines:
                row.setdefault(engine, []).append(_psnr(_fill(damaged, found, engine), photo))
            if kind == "long_lines":
                every = detect_damage_by_kind(damaged, kinds="all")
                union = np.zeros(truth.shape, np.float32)
                for part in every.values():
                    np.maximum(union, part, out=union)
                result = score(union, truth)
                extra.setdefault("P", []).append(result["P"])
                extra.setdefault("R", []).append(result["R"])
                extra.setdefault("auto", []).append(_psnr(_fill(damaged, union, "auto"), photo))
                extra.setdefault("before", []).append(_psnr(damaged, photo))
            if kind == "long_scratches":
                for label, mask in (
                    ("long-scratch detector alone", detect_long_scratches(damaged)),
                    ("detect_scratches (before)", detect_scratches(damaged)),
                    ("naive top-hat", detect_naive(damaged)),
                ):
                    result = score(mask, truth)
                    rows.setdefault(label, {}).setdefault("P", []).append(result["P"])
                    rows[label].setdefault("R", []).append(result["R"])

    def mean(values: list[float]) -> str:
        return f"{float(np.mean(values)):.3f}"

    def decibels(values: list[float]) -> str:
        return f"{float(np.mean(values)):.2f}"

    headers = ["kind", "P", "R", "PSNR damaged"]
    for engine in engines:
        headers += [f"PSNR {engine}", f"gain {engine}"]
    table = []
    for kind in KINDS:
        row = rows[kind]
        line = [kind, mean(row["P"]), mean(row["R"]), decibels(row["before"])]
        for engine in engines:
            gain = np.array(row[engine]) - np.array(row["before"])
            line += [decibels(row[engine]), f"{float(np.mean(gain)):+.2f}"]
        table.append(line)
    gain = np.array(extra["auto"]) - np.array(extra["before"])
    table.append(
        ["long_lines, kinds=all", mean(extra["P"]), mean(extra["R"]), decibels(extra["before"]),
         decibels(extra["auto"]), f"{float(np.mean(gain)):+.2f}"]
        + ["", ""] * (len(engines) - 1)
    )  # fmt: skip
    out = [
        f"Held-out photos ({', '.join(photos)}; tuned on {', '.join(TUNING)}), damaged "
        f"{draws} time(s) each per kind ({draws * len(photos)} damaged photos per kind), "
        f"seeds {SEED_BASE}+, max side 768 px; detect_damage with its default kinds "
        f"({', '.join(DEFAULT_DAMAGE_KINDS)}) unless the row says otherwise.\n",
        markdown_table(headers, table),
        "",
        markdown_table(
            ["clean photos flagged", "default kinds", "kinds=all"],
            [
                [
                    "mean share of the photo",
                    f"{100 * np.mean(clean_default):.2f}%",
                    f"{100 * np.mean(clean_all):.2f}%",
                ]
            ],
        ),
        "",
        markdown_table(
            ["long film scratches, detector", "P", "R"],
            [
                [_LABELS.get(label, label), mean(rows[label]["P"]), mean(rows[label]["R"])]
                for label in (
                    "long_scratches",
                    "long-scratch detector alone",
                    "detect_scratches (before)",
                    "naive top-hat",
                )
            ],
        ),
        "",
        f"detect_damage (default kinds) took {np.median(seconds):.2f} s per photo (median, "
        f"{min(p.shape[0] * p.shape[1] for p in loaded.values()) / 1e6:.2f}–"
        f"{max(p.shape[0] * p.shape[1] for p in loaded.values()) / 1e6:.2f} MP).",
    ]
    return "\n".join(out)
