"""The command line: parse arguments into a Request, call the pipeline, report.

No image logic lives here. Errors become one line on stderr and an exit code:
2 for bad input (what to fix is in the message), 1 for an internal error.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.errors import EngineUnavailableError, InpaintKitError, InvalidInputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Inpainting with masks that do exactly what they say.",
)
mask_app = typer.Typer(no_args_is_help=True, help="Refine, lint and preview masks.")
app.add_typer(mask_app, name="mask")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
EngineName = Annotated[str, typer.Option(help="Engine name; see `inpaintkit engines`.")]
Seed = Annotated[int | None, typer.Option(help="Random seed (echoed in the recipe).")]
EngineParams = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Engine option KEY=VALUE.")
]
SideBySide = Annotated[
    Path | None, typer.Option(help="Also write a before | mask | after PNG here.")
]
MaskResize = Annotated[
    bool, typer.Option("--mask-resize", help="Resize a mask of another size to the image.")
]
# Prompt-guided engines (engine "diffusion"); each sets the engine option of its name.
_GEN = "Diffusion"
Model = Annotated[
    str | None,
    typer.Option(
        help="Diffusion model: diffusers folder, .safetensors file or hub id.", rich_help_panel=_GEN
    ),
]
ModelConfig = Annotated[
    str | None,
    typer.Option(
        help="Configs for a .safetensors checkpoint (a diffusers folder).", rich_help_panel=_GEN
    ),
]
Prompt = Annotated[str | None, typer.Option(help="What to paint.", rich_help_panel=_GEN)]
NegativePrompt = Annotated[
    str | None, typer.Option(help="What not to paint.", rich_help_panel=_GEN)
]
Steps = Annotated[int | None, typer.Option(help="Denoising steps (30).", rich_help_panel=_GEN)]
Guidance = Annotated[
    float | None, typer.Option(help="Classifier-free guidance scale (7.5).", rich_help_panel=_GEN)
]
Strength = Annotated[
    float | None,
    typer.Option(
        help="0..1: how far new content may move from the original (1).", rich_help_panel=_GEN
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="ddim, pndm, euler, euler-a, dpm++2m, unipc, lms (model's own).", rich_help_panel=_GEN
    ),
]
MaskedContent = Annotated[
    str | None,
    typer.Option(
        help="Start from: original, latent-noise, latent-nothing, or a classical "
        "engine's pre-fill (telea, structure, ...).",
        rich_help_panel=_GEN,
    ),
]
Device = Annotated[str | None, typer.Option(help="auto, cpu, cuda or mps.", rich_help_panel=_GEN)]
Dtype = Annotated[
    str | None,
    typer.Option(
        help="auto (fp16 on GPU, fp32 on CPU), float32, float16, bfloat16.", rich_help_panel=_GEN
    ),
]
ControlNet = Annotated[
    str | None, typer.Option(help="ControlNet model folder or hub id.", rich_help_panel=_GEN)
]
ControlImage = Annotated[
    str | None,
    typer.Option(
        help="Control image of the photo's size, or 'canny' (default with --controlnet).",
        rich_help_panel=_GEN,
    ),
]
NumImages = Annotated[
    int, typer.Option(help="Variants to write (seed, seed+1, ...).", rich_help_panel=_GEN)
]


_GENERATION_OPTIONS: dict[str, tuple[Any, Any]] = {
    "model": (Model, None),
    "model_config": (ModelConfig, None),
    "prompt": (Prompt, None),
    "negative_prompt": (NegativePrompt, None),
    "steps": (Steps, None),
    "guidance": (Guidance, None),
    "strength": (Strength, None),
    "scheduler": (Scheduler, None),
    "masked_content": (MaskedContent, None),
    "device": (Device, None),
    "dtype": (Dtype, None),
    "controlnet": (ControlNet, None),
    "control_image": (ControlImage, None),
    "num_images": (NumImages, 1),
}


def _with_generation_options(command: Any) -> Any:
    """Give a command the diffusion flags, which reach it as ``**generation``.

    Typer builds options from a function's signature; both ``run`` and ``outpaint`` take
    the same dozen flags, so they are declared once here instead of twice.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in _GENERATION_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    with_options.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    with_options.__annotations__ = {
        **{p.name: p.annotation for p in own + added},
        "return": signature.return_annotation,
    }
    return with_options


def _generation_params(engine: str, params: dict[str, Any], **flags: Any) -> tuple[str, dict]:
    """Merge the diffusion flags that were given into the engine options; ``--model``
    with the default engine means the diffusion engine."""
    given = {name: value for name, value in flags.items() if value is not None}
    if not given:
        return engine, params
    if engine == "auto" and "model" in given:
        engine = "diffusion"
    if engine != "diffusion":
        names = ", ".join("--" + name.replace("_", "-") for name in given)
        raise InvalidInputError(
            f"{names} only apply to the diffusion engine: add --engine diffusion --model PATH"
        )
    return engine, {**params, **given}


def _echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["radius=3", "mode=fast"]`` → ``{"radius": 3, "mode": "fast"}`` (JSON values)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"--param {pair!r} is not KEY=VALUE, e.g. --param radius=3")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _default_output(image: str, tag: str) -> Path:
    """``photo.jpg`` → ``photo.inpainted.png``: PNG, so pixels outside the mask stay exact."""
    source = Path(image)
    return source.with_name(f"{source.stem}.{tag}.png")


def _settle_outputs(
    image: str,
    tag: str,
    output: Path | None,
    side_by_side: Path | None,
    overwrite: bool,
    num_images: int = 1,
) -> Path:
    """The output path (default beside the photo), with every output checked up front."""
    output = output or _default_output(image, tag)
    variants = [_variant_path(output, k) for k in range(2, num_images + 1)]
    for path in (output, side_by_side, *variants):
        if path is not None:
            _check_output(path, overwrite)
    return output


def _variant_path(output: Path, number: int) -> Path:
    """``out.png`` → ``out-2.png`` for the second of several images."""
    return output.with_name(f"{output.stem}-{number}{output.suffix}")


def _check_output(path: Path, overwrite: bool) -> None:
    from inpaintkit.errors import OutputExistsError

    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite to replace it")


def _save_result(result: Any, output: Path, overwrite: bool) -> list[str]:
    from inpaintkit.imageio import save_image

    has_alpha = result.image.shape[-1] == 4
    return save_image(
        output,
        result.image[..., :3],
        alpha=result.image[..., 3] if has_alpha else None,
        icc_profile=result.icc_profile,
        recipe=result.recipe,
        overwrite=overwrite,
    )


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("inpainting", total=None)

    def update(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)
        if done == total:
            bar.stop()

    return update


def _summary(result: Any, output: Path, warnings: list[str]) -> dict[str, Any]:
    return {
        "output": str(output),
        "engine": result.engine,
        "seed": result.seed,
        "regions": len(result.plan.regions),
        "seam_score": round(result.seam_score, 3),
        "findings": [f.to_dict() for f in result.findings],
        "warnings": warnings,
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "plan": result.plan.to_dict(),
        "details": result.details,
    }


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _echo_json(summary)
        return
    for warning in summary["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    for finding in summary["findings"]:
        typer.echo(f"{finding['severity']}: {finding['message']}", err=True)
    total = sum(summary["timings"].values())
    details = summary.get("details") or {}
    engine = summary["engine"]
    if "model_kind" in details:  # say which path a model took, and where it ran
        engine += f" [{details['model_kind']}, {details['device']} {details['dtype']}]"
    typer.echo(
        f"wrote {summary['output']} (engine {engine}, seed {summary['seed']}, "
        f"{summary['regions']} region(s), seam score {summary['seam_score']}, {total:.2f} s)"
    )
    for variant in summary.get("variants", []):
        typer.echo(f"wrote {variant['output']} (seed {variant['seed']})")


@app.command()
@_with_generation_options
def run(
    image: Annotated[str, typer.Argument(help="Photo to edit (PNG, JPEG, WebP, TIFF, BMP).")],
    mask: Annotated[
        str,
        typer.Option(
            "--mask", "-m", help="Mask file (white = regenerate), .npy, .json, or 'x0,y0,x1,y1'."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the result (default: IMAGE.inpainted.png)."
        ),
    ] = None,
    engine: EngineName = "auto",
    grow: Annotated[int, typer.Option(help="Grow the mask by N pixels.")] = 0,
    feather: Annotated[float, typer.Option(help="Soft edge inside the mask, sigma in px.")] = 0.0,
    padding: Annotated[int | None, typer.Option(help="Context around each region, px.")] = None,
    seed: Seed = None,
    seam: Annotated[str, typer.Option(help="none, color, poisson or color+poisson.")] = "none",
    mask_resize: MaskResize = False,
    invert_mask: Annotated[
        bool, typer.Option("--invert-mask", help="Black = regenerate instead of white.")
    ] = False,
    mask_alpha: Annotated[
        str, typer.Option(help="For RGBA masks: auto, opaque or transparent = regenerate.")
    ] = "auto",
    param: EngineParams = None,
    max_pixels: Annotated[int, typer.Option(help="Refuse images larger than this.")] = 100_000_000,
    side_by_side: SideBySide = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **generation: Any,
) -> None:
    """Inpaint the masked part of IMAGE and write the result (PNG keeps outside pixels exact)."""
    from inpaintkit.schema import make_request

    num_images = generation.pop("num_images")
    engine, params = _generation_params(engine, _parse_params(param or []), **generation)
    output = _settle_outputs(image, "inpainted", output, side_by_side, overwrite, num_images)
    request = make_request(
        image=image,
        mask=mask,
        engine=engine,
        grow=grow,
        feather=feather,
        padding=padding,
        seed=seed,
        seam=seam,
        mask_resize=mask_resize,
        invert_mask=invert_mask,
        mask_alpha=mask_alpha,
        max_pixels=max_pixels,
        engine_params=params,
        num_images=num_images,
    )
    _execute(request, output, side_by_side, overwrite, as_json)


def _execute(
    request: Any, output: Path, side_by_side: Path | None, overwrite: bool, as_json: bool
) -> None:
    """Run a request and write and report everything it asked for."""
    from inpaintkit.pipeline import run as run_pipeline

    result = run_pipeline(request, progress=_progress_bar(not as_json and sys.stderr.isatty()))
    warnings = _save_result(result, output, overwrite)
    summary = _summary(result, output, warnings)
    for number, variant in enumerate(result.variants, start=2):
        path = _variant_path(output, number)
        _save_result(variant, path, overwrite)
        summary.setdefault("variants", []).append({"output": str(path), "seed": variant.seed})
    if side_by_side is not None:
        _write_side_by_side(request, result, side_by_side, overwrite)
        summary["side_by_side"] = str(side_by_side)
    _report(summary, as_json)
    if side_by_side is not None and not as_json:
        typer.echo(f"wrote {side_by_side} (before | mask | after)")


def _write_side_by_side(request: Any, result: Any, path: Path, overwrite: bool) -> None:
    import numpy as np

    from inpaintkit.convert import to_float_rgb
    from inpaintkit.imageio import load_image, save_image
    from inpaintkit.preview import side_by_side

    before = to_float_rgb(load_image(request.image).pixels)
    left, top, right, bottom = request.extend
    # Outpainting: show the original on a grey canvas of the result's size.
    before = np.pad(before, ((top, bottom), (left, right), (0, 0)), constant_values=0.5)
    save_image(path, side_by_side(before, result.mask, result.image), overwrite=overwrite)


@app.command()
@_with_generation_options
def outpaint(
    image: Annotated[str, typer.Argument(help="Photo to extend.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the result (default: IMAGE.outpainted.png)."
        ),
    ] = None,
    left: Annotated[int, typer.Option(help="Pixels to add on the left.")] = 0,
    top: Annotated[int, typer.Option(help="Pixels to add on top.")] = 0,
    right: Annotated[int, typer.Option(help="Pixels to add on the right.")] = 0,
    bottom: Annotated[int, typer.Option(help="Pixels to add at the bottom.")] = 0,
    fill: Annotated[
        str, typer.Option(help="Pre-fill of the new area: edge, mirror, blur, noise, telea.")
    ] = "edge",
    mask: Annotated[
        str | None, typer.Option("--mask", "-m", help="Also regenerate this part of the photo.")
    ] = None,
    engine: EngineName = "auto",
    seed: Seed = None,
    param: EngineParams = None,
    side_by_side: SideBySide = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    seam_band: Annotated[
        int | None,
        typer.Option(
            help="Let the fill blend this many px into the photo's edge "
            "(default: 32 for the diffusion engine, else 0)."
        ),
    ] = None,
    **generation: Any,
) -> None:
    """Extend the canvas of IMAGE and fill the new border; the photo itself stays exact
    (unless --seam-band lets the fill blend into its edge)."""
    from inpaintkit.errors import InvalidParameterError
    from inpaintkit.schema import make_request

    num_images = generation.pop("num_images")
    engine, params = _generation_params(engine, _parse_params(param or []), **generation)

    if not any((left, top, right, bottom)):
        raise InvalidParameterError(
            "nothing to outpaint: give at least one of --left, --top, --right, --bottom"
        )
    output = _settle_outputs(image, "outpainted", output, side_by_side, overwrite, num_images)
    request = make_request(
        image=image,
        mask=mask,
        engine=engine,
        seed=seed,
        extend=(left, top, right, bottom),
        extend_fill=fill,
        seam_band=seam_band,
        engine_params=params,
        num_images=num_images,
    )
    _execute(request, output, side_by_side, overwrite, as_json)


@app.command()
def engines(as_json: JsonFlag = False) -> None:
    """List the engines, what they can do, and whether they are ready here."""
    from inpaintkit.engines.registry import list_engines

    statuses = list_engines()
    if as_json:
        _echo_json(
            {
                s.name: {"ready": s.ready, "reason": s.reason, **s.capabilities.to_dict()}
                for s in statuses
            }
        )
        return
    for s in statuses:
        caps = s.capabilities
        flags = [
            "needs prompt" if caps.needs_prompt else "no prompt",
            "soft masks" if caps.honours_soft_mask else "soft via compositing",
            "deterministic" if caps.deterministic else "seeded",
        ]
        if caps.preferred_working_size:
            flags.append(f"works at {caps.preferred_working_size}px")
        state = "ready" if s.ready else f"not ready ({s.reason})"
        typer.echo(f"{s.name:15} {state:10} {caps.description} [{', '.join(flags)}]")


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="A PNG written by inpaintkit.")],
    as_json: JsonFlag = False,
) -> None:
    """Print the recipe stored in a result PNG."""
    recipe = _read_recipe_or_fail(path)
    if as_json:
        _echo_json(recipe)
        return
    typer.echo(
        f"inpaintkit {recipe['inpaintkit']}: engine {recipe['engine']}, seed {recipe['seed']}"
    )
    typer.echo(f"image: {recipe['image']['source']} (sha256 {recipe['image']['sha256'][:16]}…)")
    typer.echo(f"mask:  {recipe['mask']['source']} (sha256 {recipe['mask']['sha256'][:16]}…)")
    options = ", ".join(f"{k}={v}" for k, v in recipe["options"].items())
    typer.echo(f"options: {options}")
    for region in recipe["plan"]["regions"]:
        typer.echo(f"region: crop {region['crop']} working size {region['working_size']}")


def _read_recipe_or_fail(path: Path) -> dict[str, Any]:
    from inpaintkit.imageio import read_recipe

    recipe = read_recipe(path)
    if recipe is None:
        raise InvalidInputError(
            f"{path} has no inpaintkit recipe: only PNGs written by `inpaintkit run` carry one"
        )
    return recipe


@app.command()
def replay(
    path: Annotated[Path, typer.Argument(help="A PNG written by inpaintkit.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the replayed result.")
    ] = None,
    image: Annotated[
        str | None, typer.Option(help="Use this image instead of the recorded path.")
    ] = None,
    mask: Annotated[
        str | None, typer.Option(help="Use this mask instead of the recorded path.")
    ] = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-run the recipe in PATH and check the result matches it bit for bit."""
    import numpy as np

    from inpaintkit.imageio import load_image
    from inpaintkit.pipeline import run as run_pipeline
    from inpaintkit.recipe import request_from_recipe

    recipe = _read_recipe_or_fail(path)
    request = request_from_recipe(recipe, image=image, mask=mask)
    if output is not None:
        _check_output(output, overwrite)
    result = run_pipeline(request)
    for name in ("image", "mask"):
        if result.recipe[name]["sha256"] != recipe[name]["sha256"]:
            raise InvalidInputError(
                f"{name} {result.recipe[name]['source']} differs from the one recorded in "
                f"{path} (sha256 mismatch); pass --{name} with the original"
            )
    stored = load_image(path)
    replayed = result.image[..., :3]
    identical = stored.pixels.shape == replayed.shape and bool(
        np.array_equal(stored.pixels, replayed)
    )
    if output is not None:
        _save_result(result, output, overwrite)
    summary = {
        "recipe": str(path),
        "identical": identical,
        "output": str(output) if output else None,
    }
    if as_json:
        _echo_json(summary)
    else:
        verdict = "reproduced bit for bit" if identical else "differs from the stored result"
        typer.echo(f"{path}: {verdict}")
    if not identical:
        raise typer.Exit(EXIT_INTERNAL)


def _write_mask(
    mask: Any,
    findings: list[Any],
    output: Path,
    preview: Path | None,
    picture: Any,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Write a mask PNG (and an overlay on ``picture``) and report it with its findings."""
    import numpy as np

    from inpaintkit.imageio import save_image
    from inpaintkit.preview import overlay_mask

    save_image(output, np.rint(mask * 255).astype(np.uint8), overwrite=overwrite)
    if preview is not None and picture is not None:
        save_image(preview, overlay_mask(picture.pixels, mask), overwrite=overwrite)
    summary = {
        "output": str(output),
        "preview": str(preview) if preview else None,
        "coverage": round(float(mask.mean()), 6),
        "findings": [f.to_dict() for f in findings],
    }
    if as_json:
        _echo_json(summary)
        return
    for finding in findings:
        typer.echo(f"{finding.severity}: {finding.message}", err=True)
    typer.echo(f"wrote {output} (coverage {summary['coverage']:.2%})")
    if preview is not None:
        typer.echo(f"wrote {preview} (overlay)")


@mask_app.command("refine")
def mask_refine(
    mask: Annotated[str, typer.Argument(help="Mask file, .npy, .json or 'x0,y0,x1,y1'.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the mask PNG.")],
    image: Annotated[
        str | None, typer.Option(help="The photo (for size, geometry masks and the preview).")
    ] = None,
    invert: Annotated[bool, typer.Option(help="Swap regenerate and keep.")] = False,
    threshold: Annotated[float | None, typer.Option(help="Binarise at this level.")] = None,
    fill_holes: Annotated[bool, typer.Option(help="Fill enclosed holes.")] = False,
    remove_islands: Annotated[int, typer.Option(help="Drop regions under N pixels.")] = 0,
    grow: Annotated[int, typer.Option(help="Grow by N pixels.")] = 0,
    shrink: Annotated[int, typer.Option(help="Shrink by N pixels.")] = 0,
    blur: Annotated[float, typer.Option(help="Gaussian blur, sigma in px.")] = 0.0,
    feather: Annotated[float, typer.Option(help="Soft edge inside the mask, sigma px.")] = 0.0,
    mask_resize: MaskResize = False,
    preview: Annotated[
        Path | None, typer.Option(help="Write an overlay of the mask on --image here.")
    ] = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
) -> None:
    """Apply refine operations in a fixed order (invert, threshold, fill holes, remove
    islands, grow, shrink, blur, feather), lint the result and write it."""

    from inpaintkit.imageio import load_image, load_mask
    from inpaintkit.mask import refine as ops
    from inpaintkit.mask.lint import lint_mask

    _check_output(output, overwrite)
    if preview is not None:
        if image is None:
            raise InvalidInputError("--preview needs --image: the photo to draw the mask on")
        _check_output(preview, overwrite)
    picture = load_image(image) if image else None
    loaded = load_mask(
        mask, size=picture.size if picture else None, resize=mask_resize, invert=invert
    )
    result = loaded.mask
    if threshold is not None:
        result = ops.threshold(result, level=threshold)
    if fill_holes:
        result = ops.fill_holes(result)
    if remove_islands:
        result = ops.remove_islands(result, min_area=remove_islands)
    if grow:
        result = ops.grow(result, pixels=grow)
    if shrink:
        result = ops.shrink(result, pixels=shrink)
    if blur:
        result = ops.blur(result, sigma=blur)
    if feather:
        result = ops.feather(result, sigma=feather)
    findings = [*loaded.findings, *lint_mask(None, result)]
    _write_mask(result, findings, output, preview, picture, overwrite, as_json)


@mask_app.command("lint")
def mask_lint(
    mask: Annotated[str, typer.Argument(help="Mask file, .npy, .json or 'x0,y0,x1,y1'.")],
    image: Annotated[str | None, typer.Option(help="The photo the mask belongs to.")] = None,
    mask_resize: MaskResize = False,
    latent_scale: Annotated[int, typer.Option(help="Latent cell size of the target model.")] = 8,
    as_json: JsonFlag = False,
) -> None:
    """Report what a user should know about a mask before running it."""
    from inpaintkit.imageio import load_image, load_mask
    from inpaintkit.mask.lint import lint_mask

    picture = load_image(image) if image else None
    loaded = load_mask(mask, size=picture.size if picture else None, resize=mask_resize)
    findings = [*loaded.findings, *lint_mask(None, loaded.mask, latent_scale=latent_scale)]
    if as_json:
        _echo_json({"mask": mask, "findings": [f.to_dict() for f in findings]})
        return
    if not findings:
        typer.echo(f"{mask}: no findings")
    for finding in findings:
        typer.echo(f"{finding.severity}: [{finding.code}] {finding.message}")


@mask_app.command("scratches")
def mask_scratches(
    image: Annotated[str, typer.Argument(help="Old photo to scan for scratches and dust.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Mask PNG; default IMAGE.scratches.png."),
    ] = None,
    sensitivity: Annotated[
        float, typer.Option(help="0..1; higher finds fainter defects and more false ones.")
    ] = 0.5,
    max_width: Annotated[int, typer.Option(help="Widest defect, px.")] = 7,
    min_length: Annotated[int, typer.Option(help="Shortest scratch, px.")] = 15,
    kinds: Annotated[str, typer.Option(help="both, bright or dark.")] = "both",
    grow: Annotated[int, typer.Option(help="Pixels added around each defect.")] = 1,
    preview: Annotated[
        Path | None, typer.Option(help="Also write an overlay of the mask on the photo here.")
    ] = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
) -> None:
    """Find thin scratches, creases and dust specks and write them as a mask."""

    from inpaintkit.imageio import load_image
    from inpaintkit.mask.lint import lint_mask
    from inpaintkit.mask.scratches import detect_scratches

    target = output if output is not None else _default_output(image, "scratches")
    _check_output(target, overwrite)
    if preview is not None:
        _check_output(preview, overwrite)
    picture = load_image(image)
    result = detect_scratches(
        picture.pixels,
        sensitivity=sensitivity,
        max_width=max_width,
        min_length=min_length,
        kinds=kinds,  # type: ignore[arg-type]  # validated by detect_scratches
        grow=grow,
    )
    # Thin strokes and specks are the point here, and the classical engines that suit
    # them work per pixel: lint at one-pixel cells so only real problems are reported.
    findings = lint_mask(None, result, latent_scale=1)
    _write_mask(result, findings, target, preview, picture, overwrite, as_json)


def main() -> None:
    """Console entry point: turn errors into one line and an exit code, never a traceback."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (InvalidInputError, EngineUnavailableError) as error:
        typer.echo("error: " + " ".join(str(error).split()), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence against tracebacks
        import click

        if isinstance(error, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if os.environ.get("INPAINTKIT_DEBUG"):
            raise
        kind = "internal error" if not isinstance(error, InpaintKitError) else "error"
        detail = " ".join(str(error).split())
        typer.echo(
            f"{kind}: {type(error).__name__}: {detail} (set INPAINTKIT_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
