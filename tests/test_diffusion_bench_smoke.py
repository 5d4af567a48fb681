"""Smoke check of benchmarks/diffusion_bench.py: the --quick run (a tiny random-weight
inpainting model built into a temporary folder, no full-size build, no download) finishes
and prints every table. Slow (tens of seconds on 2 cores): run with ``make test-slow``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("diffusers")
pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "diffusion_bench.py"


@pytest.mark.slow
def test_quick_run_prints_every_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--skip-large",
            "--steps",
            "1",
            "--cache-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for heading in ("## 1. Overhead", "## 2. Preservation", "## 3. Large image", "## 4. Thin"):
        assert heading in out
    # The header names the command and says the weights are random.
    assert "command: " in out and "--quick" in out
    assert "random weights" in out
    assert (tmp_path / "tiny-inpaint-random" / "model_index.json").is_file()
    # The diffusers baseline ran; mask_for_latent keeps every pixel of the thin strokes.
    assert "diffusers StableDiffusionInpaintPipeline (baseline)" in out
    assert "failed" not in out.split("## 2.")[0]
    thin = out.split("## 4. Thin")[1]
    assert thin.count("**100.0%**") == 2  # 3-px and 1-px strokes, all angles
