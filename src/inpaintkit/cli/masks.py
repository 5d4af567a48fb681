"""``inpaintkit mask refine | lint | scratches``: masks written, linted and previewed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.cli.app import echo_json, mask_app
from inpaintkit.cli.fill import default_output
from inpaintkit.cli.flags import EngineName, JsonFlag, MaskResize, Overwrite

MaskSource = Annotated[str, typer.Argument(help="Mask file, .npy, .json or 'x0,y0,x1,y1'.")]


def _check_outputs(overwrite: bool, *paths: Path | None) -> None:
    from inpaintkit.imageio import check_output_path

    for path in paths:
        if path is not None:
            check_output_path(path, overwrite=overwrite)


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
        echo_json(summary)
        return
    for finding in findings:
        typer.echo(f"{finding.severity}: {finding.message}", err=True)
    typer.echo(f"wrote {output} (coverage {summary['coverage']:.2%})")
    if preview is not None:
        typer.echo(f"wrote {preview} (overlay)")


@mask_app.command("refine")
def mask_refine(
    mask: MaskSource,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the mask PNG.")],
    image: Annotated[
        str | None, typer.Option(help="The photo (for size, geometry masks and the preview).")
    ] = None,
    invert_mask: Annotated[
        bool, typer.Option("--invert-mask", "--invert", help="Swap regenerate and keep.")
    ] = False,
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
    from inpaintkit.errors import InvalidInputError
    from inpaintkit.imageio import load_image, load_mask
    from inpaintkit.mask import lint_mask, refine_mask

    if preview is not None and image is None:
        raise InvalidInputError("--preview needs --image: the photo to draw the mask on")
    _check_outputs(overwrite, output, preview)
    picture = load_image(image) if image else None
    loaded = load_mask(
        mask,
        size=picture.size if picture else None,
        resize=mask_resize,
        invert=invert_mask,
        orientation=picture.exif_orientation if picture else 1,
    )
    result = refine_mask(
        loaded.mask,
        threshold=threshold,
        fill_holes=fill_holes,
        remove_islands=remove_islands,
        grow=grow,
        shrink=shrink,
        blur=blur,
        feather=feather,
    )
    findings = [*loaded.findings, *lint_mask(None, result)]
    _write_mask(result, findings, output, preview, picture, overwrite, as_json)


@mask_app.command("lint")
def mask_lint(
    mask: MaskSource,
    image: Annotated[str | None, typer.Option(help="The photo the mask belongs to.")] = None,
    engine: EngineName = "auto",
    latent_scale: Annotated[
        int | None,
        typer.Option(help="Latent cell size in px (default: the engine's; none per pixel)."),
    ] = None,
    mask_resize: MaskResize = False,
    as_json: JsonFlag = False,
) -> None:
    """Report what a user should know about a mask before running it with ENGINE."""
    from inpaintkit.engines.registry import engine_capabilities
    from inpaintkit.imageio import load_image, load_mask
    from inpaintkit.mask import lint_mask

    scale = latent_scale if latent_scale is not None else engine_capabilities(engine).latent_scale
    picture = load_image(image) if image else None
    loaded = load_mask(
        mask,
        size=picture.size if picture else None,
        resize=mask_resize,
        orientation=picture.exif_orientation if picture else 1,
    )
    findings = [*loaded.findings, *lint_mask(None, loaded.mask, latent_scale=scale)]
    if as_json:
        echo_json({"mask": mask, "findings": [f.to_dict() for f in findings]})
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
    from inpaintkit.mask import lint_mask
    from inpaintkit.mask.scratches import detect_scratches

    target = output if output is not None else default_output(image, "scratches")
    _check_outputs(overwrite, target, preview)
    picture = load_image(image)
    result = detect_scratches(
        picture.pixels,
        sensitivity=sensitivity,
        max_width=max_width,
        min_length=min_length,
        kinds=kinds,  # type: ignore[arg-type]  # validated by detect_scratches
        grow=grow,
    )
    # Thin strokes and specks are the point here: lint only for what would be a problem.
    findings = lint_mask(None, result, expect_small_parts=True)
    _write_mask(result, findings, target, preview, picture, overwrite, as_json)
