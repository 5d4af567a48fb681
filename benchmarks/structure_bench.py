"""Speed of the ``structure`` engine against PatchMatch and Telea on box holes.

Run: ``.venv/bin/python benchmarks/structure_bench.py [--quick] [--repeats N]``

Every engine runs through :func:`inpaintkit.inpaint` (region plan with automatic
context, crop, engine, exact composite). The photo is skimage's astronaut enlarged to
1024×1024; holes are centred squares covering the stated share of the image. Timing
follows ``_common.time_call`` (one warm-up, median of the repeats).

Targets: the 15 % box in at most 2 s and no slower than PatchMatch; time growing
roughly linearly with hole area.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import base_parser, describe_machine, load_photo, markdown_table, ratio, time_call

SIDE = 1024


def box_mask(share: float) -> np.ndarray:
    side = round((share * SIDE * SIDE) ** 0.5)
    start = (SIDE - side) // 2
    mask = np.zeros((SIDE, SIDE), np.float32)
    mask[start : start + side, start : start + side] = 1
    return mask


def main() -> None:
    import inpaintkit

    args = base_parser(__doc__.splitlines()[0]).parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    photo = cv2.resize(load_photo("astronaut", max_side=SIDE), (SIDE, SIDE), cv2.INTER_CUBIC)

    def seconds(engine: str, mask: np.ndarray) -> float:
        run = lambda: inpaintkit.inpaint(photo, mask, engine=engine, seed=0)  # noqa: E731
        return time_call(run, repeats=repeats)[0]

    print(f"# structure engine speed ({SIDE}×{SIDE} astronaut, centred box holes)\n")
    print(describe_machine() + f"; median of {repeats}\n")
    mask = box_mask(0.15)
    times = {name: seconds(name, mask) for name in ("structure", "patchmatch", "telea")}
    rows = [
        [name, f"{t:.2f}", ratio(t, times["structure"]) if name != "structure" else "1.00×"]
        for name, t in times.items()
    ]
    print("## 15 % box hole\n")
    print(markdown_table(["engine", "time (s)", "engine time / structure time"], rows))

    rows = []
    shares = (0.05, 0.10) if args.quick else (0.05, 0.10, 0.20, 0.40)
    base: dict[str, float] = {}
    for share in shares:
        mask = box_mask(share)
        ours, theirs = seconds("structure", mask), seconds("patchmatch", mask)
        base.setdefault("structure", ours)
        base.setdefault("patchmatch", theirs)
        rows.append(
            [
                f"{share:.0%}",
                f"{ours:.2f}",
                f"{ours / base['structure']:.2f}",
                f"{theirs:.2f}",
                f"{theirs / base['patchmatch']:.2f}",
                ratio(theirs, ours),
            ]
        )
    print("\n## Time against hole area (area ratio to 5 %: 1, 2, 4, 8)\n")
    headers = ["hole", "structure (s)", "× 5 % time", "patchmatch (s)", "× 5 % time", "PM / ours"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
