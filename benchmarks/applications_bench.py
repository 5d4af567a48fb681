"""The applications' figures in one run: auto masks, remove, compose, restore and
``InpaintPipeline`` against raw diffusers.

Run: ``.venv/bin/python benchmarks/applications_bench.py [--quick] [--only NAME ...]``

Each section lives in its own module (``_apps_*.py`` beside this file) with a
``run(args) -> str`` that returns its markdown tables; this script prints them in order.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import base_parser, describe_machine

SECTIONS = {
    "masks": "_apps_masks",
    "remove": "_apps_remove_compose",
    "restore": "_apps_restore",
    "pipeline": "_apps_pipeline",
}


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), default=None)
    args = parser.parse_args()
    print(describe_machine())
    for name, module in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        section = importlib.import_module(module)
        print(f"\n## {name}\n")
        print(section.run(args))


if __name__ == "__main__":
    main()
