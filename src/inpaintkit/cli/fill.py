"""``inpaintkit run`` and ``inpaintkit outpaint``: a request from flags, the pipeline,
the files written, a one-line (or JSON) report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.cli.app import app, echo_json
from inpaintkit.cli.flags import (
    EngineName,
    EngineParams,
    Feather,
    Grow,
    InvertMask,
    JsonFlag,
    MaskAlpha,
    MaskResize,
    MaxPixels,
    NumImages,
    Overwrite,
    Padding,
    PngLevel,
    Seam,
    Seed,
    SideBySide,
    engine_options,
    with_engine_flags,
)
from inpaintkit.cli.progress import Status
from inpaintkit.schema import DEFAULT_MAX_PIXELS, Request


def default_output(image: str, tag: str) -> Path:
    """``photo.jpg`` → ``photo.inpainted.png``: PNG, so pixels outside the mask stay exact."""
    source = Path(image)
    return source.with_name(f"{source.stem}.{tag}.png")


@app.command()
@with_engine_flags
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
    grow: Grow = 0,
    feather: Feather = 0.0,
    padding: Padding = None,
    seed: Seed = None,
    seam: Seam = "none",
    mask_resize: MaskResize = False,
    invert_mask: InvertMask = False,
    mask_alpha: MaskAlpha = "auto",
    param: EngineParams = None,
    max_pixels: MaxPixels = DEFAULT_MAX_PIXELS,
    num_images: NumImages = 1,
    side_by_side: SideBySide = None,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Inpaint the masked part of IMAGE and write the result (PNG keeps outside pixels exact)."""
    from inpaintkit.schema import make_request

    engine, options = engine_options(engine, param, engine_flags)
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
        engine_params=options,
        num_images=num_images,
    )
    target = output or default_output(image, "inpainted")
    execute(request, target, side_by_side, overwrite, as_json, png_level)


@app.command()
@with_engine_flags
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
    seam_band: Annotated[
        int | None,
        typer.Option(
            help="Let the fill blend this many px into the photo's edge "
            "(default: 32 for engines that honour soft masks, else 0)."
        ),
    ] = None,
    num_images: NumImages = 1,
    side_by_side: SideBySide = None,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Extend the canvas of IMAGE and fill the new border; the photo itself stays exact.

    Unless --seam-band lets the fill blend into the photo's edge."""
    from inpaintkit.errors import InvalidParameterError
    from inpaintkit.schema import make_request

    if not any((left, top, right, bottom)):
        raise InvalidParameterError(
            "nothing to outpaint: give at least one of --left, --top, --right, --bottom"
        )
    engine, options = engine_options(engine, param, engine_flags)
    request = make_request(
        image=image,
        mask=mask,
        engine=engine,
        seed=seed,
        extend=(left, top, right, bottom),
        extend_fill=fill,
        seam_band=seam_band,
        engine_params=options,
        num_images=num_images,
    )
    target = output or default_output(image, "outpainted")
    execute(request, target, side_by_side, overwrite, as_json, png_level)


def execute(
    request: Request,
    output: Path,
    side_by_side: Path | None,
    overwrite: bool,
    as_json: bool,
    png_level: int | None,
) -> None:
    """Check every output path, run the request, write and report what it asked for."""
    from inpaintkit.imageio import check_output_path
    from inpaintkit.output import output_paths, save_result
    from inpaintkit.pipeline import run as run_pipeline

    for path in [*output_paths(output, request.num_images), side_by_side]:
        if path is not None:
            check_output_path(path, overwrite=overwrite)
    with Status(enabled=not as_json and sys.stderr.isatty()) as status:
        result = run_pipeline(request, progress=status.steps, on_stage=status.stage)
        status.stage(f"writing {output}")
        warnings = save_result(result, output, overwrite=overwrite, png_level=png_level)
        if side_by_side is not None:
            status.stage(f"writing {side_by_side}")
            write_side_by_side(request, result, side_by_side, overwrite)
    summary = _summary(result, output, warnings)
    if side_by_side is not None:
        summary["side_by_side"] = str(side_by_side)
    _report(summary, as_json)


def write_side_by_side(request: Request, result: Any, path: Path, overwrite: bool) -> None:
    from inpaintkit.imageio import load_image, save_image
    from inpaintkit.preview import result_strip

    photo = load_image(request.image).pixels
    strip = result_strip(photo, result.mask, result.image, extend=request.extend)
    save_image(path, strip, overwrite=overwrite)


def _summary(result: Any, output: Path, warnings: list[str]) -> dict[str, Any]:
    from inpaintkit.output import variant_path

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
        "variants": [
            {"output": str(variant_path(output, number)), "seed": variant.seed}
            for number, variant in enumerate(result.variants, start=2)
        ],
    }


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(summary)
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
    for variant in summary["variants"]:
        typer.echo(f"wrote {variant['output']} (seed {variant['seed']})")
    if "side_by_side" in summary:
        typer.echo(f"wrote {summary['side_by_side']} (before | mask | after)")
