"""``InpaintPipeline`` against raw diffusers, and against ``inpaintkit.inpaint()``.

A section of ``applications_bench.py`` (``--only pipeline``). The diffusion rows use a
tiny random-weight SD inpainting model built with ``tests/diffusion/tiny_models.py``
(native size 64 px): the pictures are noise and mean nothing; the table is about the
call's overhead and what happens to the pixels outside the mask. Same photo (a
scikit-image photo), mask, steps, guidance and seed on both sides; every function is
timed in alternation with the others (one untimed warm-up each, then the median of
``repeats`` rounds) so a load spike on a shared machine hits all rows alike.

"Outside the mask" compares the returned picture with the input, in 0..255 levels, where
the mask is 0: diffusers returns its VAE's copy of the whole picture, inpaintkit
composites the fill into the photo and keeps every other pixel.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "diffusion"))

from _common import load_photo, markdown_table  # noqa: E402

PROMPT = "a red cat"
SEED = 7
GUIDANCE = 7.5


def time_rounds(functions: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per function, timed in alternation after one warm-up each."""
    for function in functions.values():
        function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(max(1, repeats)):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def outside_change(output: Any, image: np.ndarray, mask: np.ndarray) -> tuple[str, str, str]:
    """(size, max abs, mean abs) change outside the mask, in 0..255 levels."""
    pixels = np.asarray(output.convert("RGB") if hasattr(output, "convert") else output)
    size = f"{pixels.shape[1]}×{pixels.shape[0]}"
    if pixels.shape != image.shape:
        return size, "n/a (other size)", "n/a"
    difference = np.abs(pixels.astype(np.int16) - image.astype(np.int16))[mask == 0]
    return size, str(int(difference.max())), f"{difference.mean():.2f}"


def _case(image: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(image.shape[:2], np.float32)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 1
    return image, mask


def _diffusion_rows(model: Path, args: argparse.Namespace, repeats: int) -> str:
    import torch
    from diffusers import StableDiffusionInpaintPipeline

    from inpaintkit.pipe import InpaintPipeline

    steps = 4 if args.quick else 10
    theirs = StableDiffusionInpaintPipeline.from_pretrained(model, torch_dtype=torch.float32)
    theirs.set_progress_bar_config(disable=True)
    pipes = {
        "from_pretrained": InpaintPipeline.from_pretrained(model, torch_dtype=torch.float32),
        "from_pipe": InpaintPipeline.from_pipe(theirs),
    }
    cases = [
        (
            "the model's size, 24×24 hole",
            _case(load_photo("astronaut", max_side=64), (20, 16, 44, 40)),
            None,
        ),
        (
            "a larger photo, 64×48 hole",
            _case(load_photo("chelsea", max_side=320 if args.quick else 448), (200, 90, 264, 138)),
            32,
        ),
    ]
    parts = []
    for title, (image, mask), crop in cases:
        height, width = image.shape[0] // 8 * 8, image.shape[1] // 8 * 8
        image, mask = image[:height, :width], mask[:height, :width]
        calls = _diffusion_calls(model, theirs, pipes, image, mask, steps=steps, crop=crop)
        outputs = {name: function() for name, function in calls.items()}
        seconds = time_rounds(calls, repeats)
        baseline = next(iter(seconds.values()))
        rows = []
        for name, output in outputs.items():
            size, worst, mean = outside_change(output, image, mask)
            ratio = seconds[name] / baseline
            rows.append([name, f"{seconds[name] * 1000:.0f}", f"{ratio:.2f}", size, worst, mean])
        parts.append(
            f"**{width}×{height} photo, {title}**, {steps} steps, guidance {GUIDANCE}, "
            f"seed {SEED}, median of {repeats}:\n\n"
            + markdown_table(
                [
                    "call",
                    "ms / call",
                    "time ÷ diffusers",
                    "output size",
                    "outside mask: max |Δ|",
                    "mean |Δ|",
                ],
                rows,
            )
        )
    return "\n\n".join(parts)


def _diffusion_calls(
    model: Path,
    theirs: Any,
    pipes: dict[str, Any],
    image: np.ndarray,
    mask: np.ndarray,
    *,
    steps: int,
    crop: int | None,
) -> dict[str, Callable[[], Any]]:
    """The calls to compare on one photo; the first is the baseline."""
    import torch
    from PIL import Image

    import inpaintkit

    height, width = image.shape[:2]
    common = {
        "prompt": PROMPT,
        "image": Image.fromarray(image),
        "mask_image": Image.fromarray((mask * 255).astype(np.uint8)),
        "num_inference_steps": steps,
        "guidance_scale": GUIDANCE,
    }

    def generator() -> Any:
        return torch.Generator().manual_seed(SEED)

    def diffusers_whole() -> Any:
        return theirs(**common, generator=generator(), height=height, width=width).images[0]

    def diffusers_crop() -> Any:
        return theirs(**common, generator=generator(), padding_mask_crop=crop).images[0]

    def ours(how: str) -> Callable[[], Any]:
        return lambda: pipes[how](**common, generator=generator()).images[0]

    def direct() -> Any:
        return inpaintkit.inpaint(
            image,
            mask,
            engine="diffusion",
            model=str(model),
            prompt=PROMPT,
            steps=steps,
            guidance=GUIDANCE,
            seed=SEED,
        ).image

    calls: dict[str, Callable[[], Any]] = {
        "diffusers StableDiffusionInpaintPipeline (whole photo at its size)": diffusers_whole
    }
    if crop is not None:
        calls[f"diffusers, padding_mask_crop={crop} (crop at 64², paste back)"] = diffusers_crop
    calls["InpaintPipeline.from_pretrained"] = ours("from_pretrained")
    calls["InpaintPipeline.from_pipe (the same diffusers object)"] = ours("from_pipe")
    calls["inpaintkit.inpaint() (numpy in, no wrapper)"] = direct
    return calls


def _no_weights_rows(args: argparse.Namespace, repeats: int) -> str:
    from PIL import Image

    import inpaintkit
    from inpaintkit.pipe import InpaintPipeline

    side, hole_side = (256, 40) if args.quick else (512, 80)
    x0, y0 = side // 2 - hole_side // 2, side // 5
    box = (x0, y0, x0 + hole_side, y0 + hole_side)
    image, mask = _case(load_photo("coffee", max_side=side), box)
    photo, hole = Image.fromarray(image), Image.fromarray((mask * 255).astype(np.uint8))
    pipe = InpaintPipeline(engine="auto")
    calls: dict[str, Callable[[], Any]] = {
        "inpaintkit.inpaint(engine='auto') (numpy)": lambda: (
            inpaintkit.inpaint(image, mask, engine="auto", seed=SEED).image
        ),
        "InpaintPipeline(engine='auto'), numpy in, PIL out": lambda: pipe(
            image=image, mask_image=mask, generator=SEED
        ).images[0],
        "InpaintPipeline(engine='auto'), PIL in, PIL out": lambda: pipe(
            image=photo, mask_image=hole, generator=SEED
        ).images[0],
        "InpaintPipeline(engine='auto'), PIL in, np out": lambda: pipe(
            image=photo, mask_image=hole, generator=SEED, output_type="np"
        ).images[0],
    }
    outputs = {name: function() for name, function in calls.items()}
    seconds = time_rounds(calls, repeats)
    baseline = next(iter(seconds.values()))
    rows = []
    for name, output in outputs.items():
        pixels = (
            output
            if not isinstance(output, np.ndarray) or output.dtype == np.uint8
            else (np.rint(output * 255).astype(np.uint8))
        )
        size, worst, _ = outside_change(pixels, image, mask)
        rows.append(
            [
                name,
                f"{seconds[name] * 1000:.1f}",
                f"{seconds[name] / baseline:.2f}",
                size,
                worst,
            ]
        )
    height, width = image.shape[:2]
    return (
        f"**No weights**: engine auto, {width}×{height} photo, {hole_side}×{hole_side} hole, "
        "median of "
        f"{repeats}:\n\n"
        + markdown_table(
            ["call", "ms / call", "time ÷ inpaint()", "output size", "outside mask: max |Δ|"],
            rows,
        )
    )


def run(args: argparse.Namespace) -> str:
    import os

    repeats = getattr(args, "repeats", None) or (3 if args.quick else 7)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    parts = [f"Load average at the start: {load} (on a busy machine the times scatter)."]
    try:
        import diffusers  # noqa: F401
        import torch
    except ImportError as missing:
        parts.append(f"Diffusion rows skipped: {missing.name} is not installed.")
    else:
        from tiny_models import build_sd

        torch.set_num_threads(1)  # a shared 2-core machine: one thread is steadier
        with tempfile.TemporaryDirectory(prefix="apps_pipeline_") as folder:
            model = build_sd(Path(folder) / "tiny-sd-inpaint", in_channels=9)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parts.append(_diffusion_rows(model, args, repeats))
        parts.append(
            "Random-weight tiny model (64 px native), torch on 1 thread: the fills are noise "
            "and the size of diffusers' outside-mask change is the random VAE's (a trained "
            "VAE changes kept pixels by a few levels); what carries over is > 0 against "
            "exactly 0, and the time of the call around the same model."
        )
    parts.append(_no_weights_rows(args, repeats))
    return "\n\n".join(parts)


if __name__ == "__main__":
    from _common import base_parser

    print(run(base_parser(__doc__ or "").parse_args()))
