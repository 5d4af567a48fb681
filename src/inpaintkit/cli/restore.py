"""``inpaintkit restore``: find the damage in an old photo and fill it.

Writes the result (``OLD.restored.png``), the mask it filled beside it
(``OLD.restored.mask.png``, which the result's recipe points at, so ``inpaintkit replay``
reproduces it) and a preview of what was found (``OLD.restored.overlay.png``, or
``--preview PATH``); prints one line saying what was found, or JSON with ``--json``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.cli.app import app, echo_json
from inpaintkit.cli.fill import default_output
from inpaintkit.cli.flags import (
    EngineName,
    EngineParams,
    JsonFlag,
    Overwrite,
    PngLevel,
    Seed,
    engine_options,
    with_engine_flags,
)
from inpaintkit.cli.masks import _check_outputs
from inpaintkit.cli.progress import Status


@app.command()
@with_engine_flags
def restore(
    image: Annotated[str, typer.Argument(help="The old photo (PNG, JPEG, TIFF, ...).")],
    mask: Annotated[
        str | None,
        typer.Option(
            "--mask",
            "-m",
            help="Damage you marked yourself (white = fill), added to what is found.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the result (default: IMAGE.restored.png)."
        ),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the found damage over the photo (default: OUTPUT.overlay.png)."
        ),
    ] = None,
    kinds: Annotated[
        str,
        typer.Option(
            help="Damage to look for, comma separated: long_scratches, long_lines, scratches, "
            "missing, or all."
        ),
    ] = "long_scratches,scratches,missing",
    sensitivity: Annotated[
        float, typer.Option(help="0 to 1: higher finds fainter damage and more false alarms.")
    ] = 0.5,
    grow: Annotated[int, typer.Option(help="Grow each find by N px before the fill.")] = 1,
    engine: EngineName = "auto",
    seed: Seed = None,
    param: EngineParams = None,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Find scratches, dust and torn corners in IMAGE and fill them: writes the result,
    the mask filled (for `inpaintkit replay`) and a preview of what was found."""
    from inpaintkit.apps.removal import save_with_mask, side_paths
    from inpaintkit.apps.restoration import restore as restore_photo
    from inpaintkit.imageio import load_image, save_image
    from inpaintkit.preview import overlay_mask

    engine, options = engine_options(engine, param, engine_flags)
    target = output or default_output(image, "restored")
    mask_path, overlay_path = side_paths(target)
    preview_path = preview or overlay_path
    _check_outputs(overwrite, target, mask_path, preview_path)
    with Status(enabled=not as_json and sys.stderr.isatty()) as status:
        status.stage("finding damage")
        result = restore_photo(
            image,
            mask=mask,
            kinds=kinds,
            sensitivity=sensitivity,
            grow=grow,
            engine=engine,
            seed=seed,
            progress=status.steps,
            on_stage=status.stage,
            **options,
        )
        status.stage(f"writing {target}")
        save_with_mask(
            result, target, photo=image, overwrite=overwrite, png_level=png_level, overlay=False
        )
        save_image(
            preview_path,
            overlay_mask(load_image(image).pixels, result.mask),
            overwrite=overwrite,
        )
    found = result.recipe["app"]["found"]
    summary = {
        "output": str(target),
        "mask": str(mask_path),
        "preview": str(preview_path),
        "engine": result.engine,
        "seed": result.seed,
        "found": found,
        "coverage": round(float((result.mask > 0).mean()), 6),
        "seam_score": round(result.seam_score, 3),
        "findings": [f.to_dict() for f in result.findings],
    }
    if as_json:
        echo_json(summary)
        return
    kinds_found = ", ".join(f"{kind} {share:.2%}" for kind, share in found.items() if share > 0)
    typer.echo(
        f"wrote {target} (found {kinds_found or 'nothing'}; {summary['coverage']:.2%} of the "
        f"photo filled, engine {result.engine}, seed {result.seed})"
    )
    typer.echo(f"wrote {mask_path} (the mask filled; `inpaintkit replay {target}` reads it)")
    typer.echo(f"wrote {preview_path} (what was found, over the photo)")
