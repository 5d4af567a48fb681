"""How fast is the `structure` engine on a real-size photo, and how does time grow with the hole?

Run: ``.venv/bin/python benchmarks/structure_bench.py [--quick] [--repeats N]``

Table 1: a 1024×1024 photo (scikit-image's astronaut, upscaled) with a centred box hole of
15 % of the image, through :func:`inpaintkit.inpaint`, for `structure` against
`patchmatch` (the baseline it must not be slower than) and `telea`. Targets (issue 4):
structure ≤ 2 s on this 2-core machine and ≤ patchmatch's time.
Table 2: the same photo with box holes of 5, 10, 20 and 40 %: time per engine and time
per hole pixel, to show growth is roughly linear in the hole's area.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inpaintkit
from _common import base_parser, describe_machine, load_photo, markdown_table, ratio, time_call

SIDE = 1024
TIME_TARGET_S = 2.0


def box_hole(side: int, share: float) -> np.ndarray:
    """A centred square hole covering ``share`` of a side×side image."""
    hole_side = round(side * share**0.5)
    start = (side - hole_side) // 2
    mask = np.zeros((side, side), np.float32)
    mask[start : start + hole_side, start : start + hole_side] = 1
    return mask


def seconds(photo: np.ndarray, mask: np.ndarray, engine: str, repeats: int) -> float:
    elapsed, _ = time_call(
        lambda: inpaintkit.inpaint(photo, mask, engine=engine, seed=0), repeats=repeats
    )
    return elapsed


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    photo = cv2.resize(load_photo("astronaut"), (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    print("# structure engine speed\n")
    print(describe_machine())
    print(f"median of {repeats} run(s) after 1 warm-up, through inpaintkit.inpaint\n")

    mask = box_hole(SIDE, 0.15)
    times = {name: seconds(photo, mask, name, repeats) for name in ("structure", "patchmatch")}
    times["telea"] = seconds(photo, mask, "telea", repeats)
    rows = [[name, f"{t:.2f}", ratio(times["patchmatch"], t)] for name, t in times.items()]
    print("## 1024×1024, 15 % box hole\n")
    print(markdown_table(["engine", "time (s)", "patchmatch / engine"], rows))
    structure = times["structure"]
    met = structure <= TIME_TARGET_S and structure <= times["patchmatch"]
    print(
        f"\ntarget (structure ≤ {TIME_TARGET_S} s and ≤ patchmatch): "
        f"{'met' if met else 'not met'} ({structure:.2f} s vs {times['patchmatch']:.2f} s)\n"
    )

    shares = (0.05, 0.2) if args.quick else (0.05, 0.10, 0.20, 0.40)
    rows = []
    for share in shares:
        mask = box_hole(SIDE, share)
        hole_pixels = int(mask.sum())
        row: list[object] = [f"{share:.0%}", f"{hole_pixels:,}"]
        for name in ("structure", "patchmatch"):
            elapsed = seconds(photo, mask, name, repeats)
            row += [f"{elapsed:.2f}", f"{elapsed / hole_pixels * 1e6:.1f}"]
        rows.append(row)
    print("## time against hole area\n")
    headers = ["hole", "pixels", "structure (s)", "structure µs/px", "patchmatch (s)", "pm µs/px"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
