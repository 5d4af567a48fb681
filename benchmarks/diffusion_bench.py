"""Diffusion inpainting: inpaintkit's `diffusion` engine vs raw diffusers, side by side.

Run: ``.venv/bin/python benchmarks/diffusion_bench.py [--steps N] [--repeats N]
[--skip-large] [--quick]``

The model is the full-size Stable Diffusion 1.5 *inpainting* architecture with seeded
random weights (built once by ``_sd15.py`` into ``~/.cache/inpaintkit-bench``): time and
memory depend on the architecture, not the weights, so it times like the real model. Its
pictures are noise and are never shown as results. CPU, float32, torch's default thread
count; both sides get the same model folder, size, steps, guidance (7.5) and seed.

Every timed or memory-measured run happens in its own child process, so its peak
resident memory (``ru_maxrss``) is that run's alone. A child loads the model, makes one
untimed 1-step warm-up call on a 64×64 copy (loading, kernel set-up and caching happen
there), then times one call. Overhead repeats alternate baseline and ours.

Parts: (1) overhead at 512×512; (2) preservation outside the mask; (3) a 4096×3072 photo
with a 512×512 object mask: inpaintkit's region crop vs diffusers at full resolution
(under a memory limit and a timeout) vs diffusers ``padding_mask_crop=32``; (4) thin
strokes: how much of a 3-px / 1-px stroke still reaches the latent mask, diffusers'
binarize + nearest resize vs ``inpaintkit.mask.refine.mask_for_latent`` (no model).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_photo, markdown_table

PROMPT = "a photo"
NEGATIVE_PROMPT = ""
GUIDANCE = 7.5
SEED = 0
CROP_PADDING = 32  # diffusers' padding_mask_crop in the large-image part
OVERHEAD_TARGET = 1.03  # issue 5: ours at most 3 % slower
RESULT_MARK = "@@RESULT@@ "


# ---------------------------------------------------------------------------------------
# Inputs


def object_mask(
    width: int, height: int, box: tuple[int, int, int, int], *, seed: int = 0
) -> np.ndarray:
    """A float32 object-like mask (an ellipse with a bump) filling ``box`` = (x0, y0, x1, y1)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), np.uint8)
    centre = ((x0 + x1) // 2, (y0 + y1) // 2)
    axes = ((x1 - x0) // 2 - 1, (y1 - y0) // 2 - 1)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1)
    # A second, smaller blob inside the box so the outline is not a plain ellipse.
    bump = (
        int(rng.integers(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4)),
        int(rng.integers(y0, y0 + (y1 - y0) // 3)),
    )
    cv2.circle(mask, bump, max(1, (x1 - x0) // 6), 1, thickness=-1)
    mask[:y0] = 0
    mask[y1:] = 0
    mask[:, :x0] = 0
    mask[:, x1:] = 0
    return mask.astype(np.float32)


def stroke_masks(side: int, width: int) -> dict[str, np.ndarray]:
    """One straight stroke per angle, ``width`` px wide, across a side×side canvas."""
    strokes = {}
    for angle in (0, 10, 30, 45, 60, 80, 90, 135):
        canvas = np.zeros((side, side), np.uint8)
        centre = np.array([side / 2 + 3.3, side / 2 + 1.7])  # off the 8-px grid
        direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        half = side * 0.35
        start = tuple(int(v) for v in np.round(centre - half * direction))
        end = tuple(int(v) for v in np.round(centre + half * direction))
        if width == 1:
            cv2.line(canvas, start, end, 1, thickness=1, lineType=cv2.LINE_8)
        else:
            cv2.line(canvas, start, end, 1, thickness=width, lineType=cv2.LINE_8)
        strokes[f"{angle}°"] = canvas.astype(np.float32)
    return strokes


# ---------------------------------------------------------------------------------------
# Child process: one run, one JSON line back


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _max_change_outside(output: np.ndarray, image: np.ndarray, mask: np.ndarray) -> int:
    keep = mask == 0
    return int(np.abs(output.astype(np.int16) - image.astype(np.int16))[keep].max())


def _warmup_inputs(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 64×64 copy of the inputs for the untimed warm-up call: it loads the model and
    sets up the kernels at a cost of a fraction of a second of denoising."""
    small_photo = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA)
    small_hole = np.zeros((64, 64), np.uint8)
    small_hole[16:48, 16:48] = 255
    return small_photo, small_hole


def _run_diffusers(spec: dict[str, Any], image: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    import torch
    from diffusers import StableDiffusionInpaintPipeline
    from PIL import Image

    pipeline = StableDiffusionInpaintPipeline.from_pretrained(
        spec["model"], torch_dtype=torch.float32
    ).to("cpu")
    pipeline.set_progress_bar_config(disable=True)
    photo = Image.fromarray(image)
    hole = Image.fromarray(np.round(mask * 255).astype(np.uint8), mode="L")
    options: dict[str, Any] = {"height": spec["height"], "width": spec["width"]}
    if spec.get("padding_mask_crop") is not None:
        options["padding_mask_crop"] = spec["padding_mask_crop"]

    def call(steps: int, photo: Any, hole: Any, **options: Any) -> Any:
        return pipeline(
            PROMPT,
            image=photo,
            mask_image=hole,
            negative_prompt=NEGATIVE_PROMPT,
            num_inference_steps=steps,
            guidance_scale=GUIDANCE,
            generator=torch.Generator().manual_seed(SEED),
            **options,
        ).images[0]

    if spec["warmup"]:
        small_photo, small_hole = _warmup_inputs(image, mask)
        call(1, Image.fromarray(small_photo), Image.fromarray(small_hole), height=64, width=64)
    start = time.perf_counter()
    output = call(spec["steps"], photo, hole, **options)
    seconds = time.perf_counter() - start
    result = np.asarray(output.convert("RGB"))
    report: dict[str, Any] = {"seconds": seconds, "output_size": list(output.size)}
    if result.shape == image.shape:
        report["max_change_outside"] = _max_change_outside(result, image, mask)
    else:
        # Without padding_mask_crop diffusers returns its working size, not the photo's.
        report["max_change_outside"] = None
        report["note"] = f"output {output.size[0]}×{output.size[1]} ≠ input size"
    return report


def _run_inpaintkit(spec: dict[str, Any], image: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    import inpaintkit

    options = {
        "engine": "diffusion",
        "seed": SEED,
        "model": spec["model"],
        "prompt": PROMPT,
        "negative_prompt": NEGATIVE_PROMPT,
        "guidance": GUIDANCE,
        "strength": 1.0,
        "device": "cpu",
        "dtype": "float32",
        # The size diffusers runs at on the other side (the model's native size in the
        # full run), so both UNets see the same number of pixels.
        "working_size": spec["working_size"],
    }
    if spec.get("padding") is not None:
        options["padding"] = spec["padding"]
    if spec["warmup"]:
        small_photo, small_hole = _warmup_inputs(image, mask)
        warmup_options = {**options, "padding": 64, "working_size": 64, "steps": 1}
        inpaintkit.inpaint(small_photo, small_hole.astype(np.float32) / 255, **warmup_options)
    start = time.perf_counter()
    result = inpaintkit.inpaint(image, mask, steps=spec["steps"], **options)
    seconds = time.perf_counter() - start
    details = getattr(result, "details", None) or result.recipe.get("details") or {}
    return {
        "seconds": seconds,
        "max_change_outside": _max_change_outside(result.image, image, mask),
        "working_sizes": [list(region.working_size) for region in result.plan.regions],
        "crops": [list(region.crop) for region in result.plan.regions],
        "timings": {name: round(value, 3) for name, value in result.timings.items()},
        "details": {key: str(value) for key, value in dict(details).items()},
    }


def child_main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    if spec.get("memory_limit_bytes"):
        limit = int(spec["memory_limit_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    image = np.load(spec["image"])
    mask = np.load(spec["mask"])
    try:
        runner = _run_diffusers if spec["side"] == "diffusers" else _run_inpaintkit
        report = runner(spec, image, mask)
        report["status"] = "ok"
    except MemoryError as error:
        report = {"status": "oom", "error": f"MemoryError: {error}"[:300]}
    except Exception as error:  # reported in the table instead of stopping the benchmark
        traceback.print_exc()
        text = f"{type(error).__name__}: {error}"
        oom = isinstance(error, RuntimeError) and (
            "alloc" in text.lower() or "memory" in text.lower()
        )
        report = {"status": "oom" if oom else "error", "error": text[:300]}
    report["peak_rss_mib"] = _peak_rss_mib()
    print(RESULT_MARK + json.dumps(report), flush=True)


class Runner:
    """Starts one child per measurement and reads its JSON line."""

    def __init__(self, workdir: Path, model: Path, steps: int) -> None:
        self.workdir = workdir
        self.model = model
        self.steps = steps
        self.count = 0

    def save_inputs(self, name: str, image: np.ndarray, mask: np.ndarray) -> tuple[str, str]:
        image_path, mask_path = (
            self.workdir / f"{name}_image.npy",
            self.workdir / f"{name}_mask.npy",
        )
        np.save(image_path, image)
        np.save(mask_path, mask)
        return str(image_path), str(mask_path)

    def run(
        self,
        side: str,
        inputs: tuple[str, str],
        *,
        size: tuple[int, int],
        timeout: float | None = None,
        memory_limit_gb: float | None = None,
        warmup: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        self.count += 1
        spec = {
            "side": side,
            "model": str(self.model),
            "image": inputs[0],
            "mask": inputs[1],
            "width": size[0],
            "height": size[1],
            "steps": self.steps,
            "warmup": warmup,
            "memory_limit_bytes": int(memory_limit_gb * 2**30) if memory_limit_gb else None,
            **extra,
        }
        spec_path = self.workdir / f"spec_{self.count}.json"
        spec_path.write_text(json.dumps(spec))
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "wall_s": time.perf_counter() - start}
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                report: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
                report["wall_s"] = time.perf_counter() - start
                return report
        # No report: the child died (the kernel's OOM killer, or a crash).
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        status = "killed" if done.returncode < 0 else "error"
        return {"status": status, "returncode": done.returncode, "error": " / ".join(tail)}


# ---------------------------------------------------------------------------------------
# Parts


def _ms_or_status(report: dict[str, Any], *, limit_gb: float | None, timeout: float | None) -> str:
    status = report["status"]
    if status == "ok":
        return f"{report['seconds']:.1f}"
    if status in ("oom", "killed"):
        return f"did not fit in {limit_gb:g} GB" if limit_gb else "out of memory"
    if status == "timeout":
        return f"did not finish in {timeout:g} s"
    return f"error: {report.get('error', '?')[:80]}"


def _engine_status() -> tuple[bool, str]:
    try:
        from inpaintkit.engines.registry import list_engines

        for status in list_engines():
            if status.name == "diffusion":
                return bool(status.ready), str(getattr(status, "reason", "") or "")
    except Exception as error:  # the registry itself failing is worth reporting, not fatal
        return False, f"registry error: {error}"
    return False, "no engine named 'diffusion' is registered yet"


def part_overhead(
    runner: Runner, *, side: int, repeats: int, ours_ready: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    photo = load_photo("astronaut", max_side=side)
    if photo.shape[:2] != (side, side):
        photo = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    margin = side // 4
    mask = object_mask(side, side, (margin, margin + side // 16, side - margin, side - margin))
    inputs = runner.save_inputs("overhead", photo, mask)
    theirs: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    for _ in range(repeats):
        theirs.append(runner.run("diffusers", inputs, size=(side, side)))
        if ours_ready:
            # Padding ≥ the image side makes the crop the whole image, so both sides run
            # the UNet at side×side (checked below from the plan).
            ours.append(
                runner.run("inpaintkit", inputs, size=(side, side), padding=side, working_size=side)
            )
    baseline = _summarise(theirs)
    mine = _summarise(ours) if ours_ready else None

    print(f"## 1. Overhead: {side}×{side} photo, object mask ({mask.mean():.0%} of the image)\n")
    rows = [
        [
            "diffusers StableDiffusionInpaintPipeline (baseline)",
            _fmt_seconds(baseline),
            _fmt_samples(baseline),
            f"{baseline['peak_rss_mib']:.0f}",
            "1.00×",
        ]
    ]
    if mine is not None:
        rows.append(
            [
                "inpaintkit.inpaint(engine='diffusion', padding=side)",
                _fmt_seconds(mine),
                _fmt_samples(mine),
                f"{mine['peak_rss_mib']:.0f}",
                _ratio(mine, baseline),
            ]
        )
    else:
        rows.append(["inpaintkit.inpaint(engine='diffusion')", "not run", "", "", ""])
    print(
        markdown_table(
            ["side", "median time (s)", "samples (s)", "peak RSS (MiB)", "time / baseline"], rows
        )
    )
    if mine is not None and mine.get("ok"):
        ratio_value = mine["median"] / baseline["median"]
        last = mine["last"]
        print(
            f"\nours / diffusers = {ratio_value:.3f} "
            f"({(ratio_value - 1) * 100:+.1f} %); target ≤ {OVERHEAD_TARGET:.2f}: "
            f"{'met' if ratio_value <= OVERHEAD_TARGET else 'NOT met'}"
        )
        print(f"inpaintkit plan: crop {last['crops']}, UNet working size {last['working_sizes']}")
        print(f"inpaintkit stage timings of the timed call (s): {last['timings']}")
        if last["details"]:
            print(f"inpaintkit details: {last['details']}")
    print()
    return baseline, mine


def _summarise(reports: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in reports if r["status"] == "ok"]
    summary: dict[str, Any] = {
        "ok": bool(good),
        "samples": [r["seconds"] for r in good],
        "peak_rss_mib": max((r.get("peak_rss_mib", 0.0) for r in reports), default=0.0),
        "reports": reports,
    }
    if good:
        summary["median"] = statistics.median(summary["samples"])
        summary["last"] = good[-1]
    return summary


def _fmt_seconds(summary: dict[str, Any]) -> str:
    if summary["ok"]:
        return f"{summary['median']:.1f}"
    first = summary["reports"][0] if summary["reports"] else {"error": "no run"}
    return f"failed: {first.get('error', first.get('status'))}"[:100]


def _fmt_samples(summary: dict[str, Any]) -> str:
    return ", ".join(f"{s:.1f}" for s in summary["samples"])


def _ratio(mine: dict[str, Any], baseline: dict[str, Any]) -> str:
    if mine.get("ok") and baseline.get("ok"):
        return f"{mine['median'] / baseline['median']:.3f}×"
    return "n/a"


def part_preservation(baseline: dict[str, Any], mine: dict[str, Any] | None) -> None:
    print("## 2. Preservation: max |output − input| where the mask is 0 (0..255 units)\n")
    rows = []
    if baseline.get("ok"):
        rows.append(
            [
                "diffusers StableDiffusionInpaintPipeline (baseline)",
                str(baseline["last"].get("max_change_outside")),
                "VAE round trip over the whole picture; nothing pasted back",
            ]
        )
    if mine is not None and mine.get("ok"):
        value = mine["last"]["max_change_outside"]
        rows.append(
            [
                "inpaintkit.inpaint(engine='diffusion')",
                str(value),
                "target 0: " + ("met" if value == 0 else "NOT met"),
            ]
        )
    else:
        rows.append(["inpaintkit.inpaint(engine='diffusion')", "not run", ""])
    print(markdown_table(["side", "max change outside mask", "note"], rows))
    print()


def part_large(
    runner: Runner,
    *,
    size: tuple[int, int],
    box_side: int,
    work: int,
    ours_ready: bool,
    limit_gb: float,
    timeout: float,
    overhead_baseline: dict[str, Any],
) -> None:
    width, height = size
    photo = cv2.resize(load_photo("coffee"), (width, height), interpolation=cv2.INTER_CUBIC)
    x0, y0 = width * 5 // 8 - box_side // 2, height // 2 - box_side // 2
    mask = object_mask(width, height, (x0, y0, x0 + box_side, y0 + box_side), seed=1)
    inputs = runner.save_inputs("large", photo, mask)
    print(
        f"## 3. Large image: {width}×{height} photo, {box_side}×{box_side} object mask "
        f"({mask.mean():.2%} of the image)\n"
    )
    cases: list[tuple[str, dict[str, Any]]] = []
    if ours_ready:
        cases.append(
            (
                f"inpaintkit.inpaint(engine='diffusion') (region crop, {work}² working size)",
                runner.run("inpaintkit", inputs, size=(work, work), working_size=work),
            )
        )
    cases.append(
        (
            f"diffusers padding_mask_crop={CROP_PADDING} (crop → {work}×{work})",
            runner.run("diffusers", inputs, size=(work, work), padding_mask_crop=CROP_PADDING),
        )
    )
    # Full resolution runs under an address-space limit and a timeout, so "does not fit"
    # or "takes hours" is reported instead of taking the machine down.
    cases.append(
        (
            f"diffusers full resolution (height={height}, width={width})",
            runner.run(
                "diffusers",
                inputs,
                size=(width, height),
                memory_limit_gb=limit_gb,
                timeout=timeout,
            ),
        )
    )
    reference = cases[0][1]
    rows = []
    for name, report in cases:
        ok = report["status"] == "ok"
        time_ratio = memory_ratio = ""
        if ok and reference["status"] == "ok":
            time_ratio = f"{report['seconds'] / reference['seconds']:.2f}×"
            memory_ratio = f"{report['peak_rss_mib'] / reference['peak_rss_mib']:.2f}×"
        rows.append(
            [
                name,
                _ms_or_status(report, limit_gb=limit_gb, timeout=timeout),
                f"{report['peak_rss_mib']:.0f}" if "peak_rss_mib" in report else "—",
                time_ratio,
                memory_ratio,
                str(report.get("max_change_outside", "—")) if ok else "—",
            ]
        )
    print(
        markdown_table(
            [
                "side",
                "time (s)",
                "peak RSS (MiB)",
                f"time / {'ours' if ours_ready else 'crop'}",
                f"memory / {'ours' if ours_ready else 'crop'}",
                "max change outside mask",
            ],
            rows,
        )
    )
    full = cases[-1][1]
    if full["status"] != "ok" and overhead_baseline.get("ok"):
        # The convolutions alone grow with the pixel count; self-attention grows with its
        # square, so this is a lower bound.
        factor = (width * height) / (work * work)
        estimate = overhead_baseline["median"] * factor
        print(
            f"\nfull resolution: {full['status']}"
            + (f" ({full['error'][:160]})" if full.get("error") else "")
            + f". Lower-bound estimate: {factor:.0f}× the pixels of the {work}² run "
            f"→ ≥ {estimate:.0f} s ({estimate / 3600:.1f} h) on this machine; self-attention "
            "grows with the square of the pixel count, so the real time is longer."
        )
    for name, report in cases:
        if report["status"] == "ok" and "crops" in report:
            print(
                f"\n{name.split(' (')[0]} plan: crop {report['crops']}, working size "
                f"{report['working_sizes']}, timings (s) {report['timings']}"
            )
    print()


def latent_coverage_diffusers(mask: np.ndarray, *, scale: int = 8) -> np.ndarray:
    """The latent mask the SD inpaint pipeline derives: binarize at 0.5, nearest resize."""
    import torch
    from diffusers.image_processor import VaeImageProcessor
    from PIL import Image

    height, width = mask.shape
    processor = VaeImageProcessor(
        vae_scale_factor=scale, do_normalize=False, do_binarize=True, do_convert_grayscale=True
    )
    pil = Image.fromarray(np.round(mask * 255).astype(np.uint8), mode="L")
    prepared = processor.preprocess(pil, height=height, width=width)
    # StableDiffusionInpaintPipeline.prepare_mask_latents: a plain (nearest) interpolate.
    latent = torch.nn.functional.interpolate(prepared, size=(height // scale, width // scale))
    return latent[0, 0].numpy()


def marked_fraction(stroke: np.ndarray, latent: np.ndarray, *, scale: int = 8) -> float:
    """Share of the stroke's pixels whose latent cell is marked (> 0)."""
    rows, cols = np.nonzero(stroke > 0)
    return float((latent[rows // scale, cols // scale] > 0).mean())


def part_thin(side: int) -> None:
    from inpaintkit.mask.refine import mask_for_latent

    print(
        f"## 4. Thin masks: share of a stroke's pixels whose 8×8 latent cell is marked "
        f"(so they get regenerated), {side}×{side}\n"
    )
    rows = []
    for width in (3, 1):
        totals = {"pixels": 0, "theirs": 0.0, "ours": 0.0}
        for angle, stroke in stroke_masks(side, width).items():
            theirs = marked_fraction(stroke, latent_coverage_diffusers(stroke))
            ours = marked_fraction(stroke, mask_for_latent(stroke))
            pixels = int(stroke.sum())
            totals["pixels"] += pixels
            totals["theirs"] += theirs * pixels
            totals["ours"] += ours * pixels
            rows.append(
                [f"{width} px", angle, pixels, f"{theirs:.1%}", f"{ours:.1%}", _x(ours, theirs)]
            )
        theirs_all = totals["theirs"] / totals["pixels"]
        ours_all = totals["ours"] / totals["pixels"]
        rows.append(
            [
                f"**{width} px**",
                "**all**",
                int(totals["pixels"]),
                f"**{theirs_all:.1%}**",
                f"**{ours_all:.1%}**",
                _x(ours_all, theirs_all),
            ]
        )
    print(
        markdown_table(
            [
                "stroke",
                "angle",
                "pixels",
                "diffusers binarize + nearest (baseline)",
                "inpaintkit mask_for_latent",
                "ours / baseline",
            ],
            rows,
        )
    )
    print()


def _x(ours: float, theirs: float) -> str:
    return "∞" if theirs == 0 else f"{ours / theirs:.2f}×"


# ---------------------------------------------------------------------------------------


def describe(args: argparse.Namespace, model: Path) -> None:
    import diffusers
    import psutil
    import torch

    command = shlex.join([sys.executable, *sys.argv]) if sys.argv else "?"
    print(
        f"{platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads, default), "
        f"diffusers {diffusers.__version__}, device cpu, float32"
    )
    print(f"command: {command}")
    print(
        f"model: {model} — random weights (seed 0), "
        f"{'tiny stand-in' if args.quick else 'SD 1.5 inpainting architecture'}: "
        "speed and memory do not depend on the weights; outputs are noise, not results"
    )
    print(
        f"steps {args.steps}, guidance {GUIDANCE}, seed {SEED}, prompt {PROMPT!r}; each run in "
        "its own child process: load, untimed 1-step warm-up at 64×64, one timed call\n"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model and sizes (smoke check)")
    parser.add_argument("--steps", type=int, default=8, help="denoising steps (both sides)")
    parser.add_argument("--repeats", type=int, default=None, help="overhead repeats per side")
    parser.add_argument("--skip-large", action="store_true", help="skip the 4096×3072 part")
    parser.add_argument("--model", type=Path, default=None, help="use this diffusers folder")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where models are built")
    parser.add_argument(
        "--memory-limit-gb", type=float, default=16.0, help="address-space limit, full-res run"
    )
    parser.add_argument(
        "--full-timeout", type=float, default=600.0, help="seconds before the full-res run stops"
    )
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)

    from _sd15 import CACHE_DIR, build_sd15_inpaint, build_tiny_inpaint

    cache = args.cache_dir or CACHE_DIR
    if args.model is not None:
        model = args.model
    elif args.quick:
        model = build_tiny_inpaint(cache / "tiny-inpaint-random")
    else:
        model = build_sd15_inpaint(cache / "sd15-inpaint-random")

    print("# Diffusion inpainting: inpaintkit vs raw diffusers\n")
    describe(args, model)
    ours_ready, reason = _engine_status()
    if not ours_ready:
        print(
            f"**inpaintkit's diffusion engine is not available here ({reason}): "
            "only the diffusers side runs.**\n"
        )

    work = 64 if args.quick else 512
    with tempfile.TemporaryDirectory(prefix="diffusion_bench_") as tmp:
        runner = Runner(Path(tmp), model, args.steps)
        baseline, mine = part_overhead(runner, side=work, repeats=repeats, ours_ready=ours_ready)
        part_preservation(baseline, mine)
        if args.skip_large:
            print("## 3. Large image: skipped (--skip-large)\n")
        else:
            part_large(
                runner,
                size=(512, 384) if args.quick else (4096, 3072),
                box_side=64 if args.quick else 512,
                work=work,
                ours_ready=ours_ready,
                limit_gb=args.memory_limit_gb,
                timeout=args.full_timeout,
                overhead_baseline=baseline,
            )
    part_thin(128 if args.quick else 512)


if __name__ == "__main__":
    main()
