"""``inpaintkit remove | compose | replace``: the applications as one command each.

Each parses its flags, calls the library function of the same name
(:mod:`inpaintkit.apps`), writes the result with the mask it used beside it (so
``inpaintkit replay`` reproduces it) and reports in one line, or JSON with ``--json``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace as with_fields
from functools import partial
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
from inpaintkit.cli.progress import Status

Box = Annotated[
    str | None, typer.Option("--box", help="The object's box: x0,y0,x1,y1 (px, right/bottom open).")
]
Points = Annotated[
    list[str] | None,
    typer.Option("--point", help="A click on the object: x,y (repeat for several)."),
]
Negatives = Annotated[
    list[str] | None,
    typer.Option("--not", help="A click on what is NOT the object: x,y (repeat)."),
]
Grow = Annotated[
    int | None,
    typer.Option(help="Grow the object's mask by N px (default: 5% of its size, 8 to 64)."),
]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the result.")]
NoOverlay = Annotated[
    bool, typer.Option("--no-overlay", help="Do not write the mask-over-photo preview.")
]


def _status(as_json: bool) -> Status:
    return Status(enabled=not as_json and sys.stderr.isatty())


def _fill_and_save(
    image: str,
    target: Path,
    fill: Callable[..., Any],
    *,
    overwrite: bool,
    png_level: int | None,
    overlay: bool,
    as_json: bool,
) -> tuple[Any, dict[str, Any]]:
    """Check the outputs, run ``fill(progress=, on_stage=)`` and write its result with
    the mask it used (and an overlay); the summary fields remove and replace share."""
    from inpaintkit.apps.removal import save_with_mask, side_paths
    from inpaintkit.errors import InpaintKitError
    from inpaintkit.imageio import check_output_path

    for path in (target, *side_paths(target)):
        check_output_path(path, overwrite=overwrite)
    with _status(as_json) as status:
        try:
            result = fill(progress=status.steps, on_stage=status.stage)
        except InpaintKitError as error:
            raise _in_flag_names(error) from None
        status.stage(f"writing {target}")
        written = save_with_mask(
            result, target, photo=image, overwrite=overwrite, png_level=png_level,
            overlay=overlay,
        )  # fmt: skip
    summary = {
        "output": str(target),
        "mask": str(written[1]),
        "overlay": str(written[2]) if len(written) > 2 else None,
        "engine": result.engine,
        "seed": result.seed,
        "method": result.recipe["app"]["method"],
        "grow": result.recipe["app"]["grow"],
    }
    return result, summary


@app.command()
@with_engine_flags
def remove(
    image: Annotated[str, typer.Argument(help="Photo with the object to remove.")],
    box: Box = None,
    point: Points = None,
    negative: Negatives = None,
    salient: Annotated[
        bool,
        typer.Option(
            "--salient",
            help="Remove the photo's main object (needs `inpaintkit models fetch u2netp`).",
        ),
    ] = False,
    mask: Annotated[
        str | None, typer.Option("--mask", "-m", help="Or give the object's mask yourself.")
    ] = None,
    grow: Grow = None,
    output: Output = None,
    engine: EngineName = "auto",
    seed: Seed = None,
    param: EngineParams = None,
    no_overlay: NoOverlay = False,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Remove an object picked by --box, --point (and --not) or --salient: writes
    IMAGE.removed.png, the mask used (.removed.mask.png) and a preview (.removed.overlay.png)."""
    from inpaintkit.apps.removal import remove as remove_object

    engine, options = engine_options(engine, param, engine_flags)
    target = output or default_output(image, "removed")
    fill = partial(
        remove_object,
        image,
        box=box,
        points=point or (),
        negatives=negative or (),
        salient=salient,
        mask=mask,
        grow=grow,
        engine=engine,
        seed=seed,
        **options,
    )
    result, summary = _fill_and_save(
        image, target, fill, overwrite=overwrite, png_level=png_level,
        overlay=not no_overlay, as_json=as_json,
    )  # fmt: skip
    summary["seam_score"] = round(result.seam_score, 3)
    summary["findings"] = [f.to_dict() for f in result.findings]
    if as_json:
        echo_json(summary)
        return
    typer.echo(
        f"wrote {target} (object from {summary['method']}, grown {summary['grow']} px; "
        f"engine {result.engine}, seed {result.seed}, seam score {summary['seam_score']})"
    )
    typer.echo(f"wrote {summary['mask']} (the mask used; `inpaintkit replay {target}` reads it)")
    if summary["overlay"]:
        typer.echo(f"wrote {summary['overlay']} (the mask over the photo)")


_FLAG_NAMES = {"points": "point", "negatives": "not"}


def _in_flag_names(error: Any) -> Any:
    """The library names clicks ``points``/``negatives``; these commands take them as
    ``--point``/``--not``: respell the error's option names before main() prints it."""
    for python, flag in _FLAG_NAMES.items():
        if python in getattr(error, "options", {}):
            error.options[flag] = error.options.pop(python)
            error.template = error.template.replace("{" + python + "}", "{" + flag + "}")
    return error


@app.command()
@with_engine_flags
def compose(
    background: Annotated[str, typer.Argument(help="The scene to paste into.")],
    paste: Annotated[
        str | None,
        typer.Option("--paste", help="The cut-out: an RGBA PNG (transparent = not the object)."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Where its top-left corner goes in the background: x,y (px)."),
    ] = None,
    center: Annotated[
        bool, typer.Option("--center", help="--at places the cut-out's centre instead.")
    ] = False,
    scale: Annotated[float, typer.Option(help="Resize the cut-out by this factor.")] = 1.0,
    cutout_mask: Annotated[
        str | None,
        typer.Option(help="The cut-out's mask (white = object), for a cut-out without alpha."),
    ] = None,
    band: Annotated[
        int, typer.Option(help="Width in px of the edge band that is blended or regenerated.")
    ] = 8,
    blend: Annotated[
        str,
        typer.Option(help="Classical edge: none, color, poisson or color+poisson."),
    ] = "color+poisson",
    output: Output = None,
    engine: Annotated[
        str,
        typer.Option(
            help="classical (colour match + Poisson), or an engine that regenerates the "
            "band (diffusion with --model and --prompt, telea, ...)."
        ),
    ] = "classical",
    seed: Seed = None,
    param: EngineParams = None,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Paste a cut-out into BACKGROUND and blend its edge into the scene: writes
    BACKGROUND.composed.png (and, for an engine other than classical, the pasted picture
    and band mask the engine started from, so `inpaintkit replay` can redo it)."""
    from inpaintkit.apps.composition import CLASSICAL, blend_edge
    from inpaintkit.apps.composition import paste as paste_cutout
    from inpaintkit.apps.removal import save_with_mask
    from inpaintkit.errors import InvalidInputError
    from inpaintkit.imageio import check_output_path, save_image
    from inpaintkit.output import save_result

    if paste is None:
        raise InvalidInputError(
            "say what to paste: pass {paste} (an RGBA PNG cut-out)",
            options={"paste": "object.png"},
        )
    if at is None:
        raise InvalidInputError(
            "say where: pass {at} (the cut-out's top-left corner in the background, or its "
            "centre with {center})",
            options={"at": "x,y", "center": True},
        )
    engine, options = engine_options(engine, param, engine_flags)
    if engine in ("auto", CLASSICAL):  # --model alone means the diffusion engine
        engine = "diffusion" if "model" in options else CLASSICAL
    target = output or default_output(background, "composed")
    pasted_path = target.with_name(f"{target.stem}.pasted.png")
    side = [] if engine == CLASSICAL else [pasted_path, target.with_name(f"{target.stem}.mask.png")]
    for path in (target, *side):
        check_output_path(path, overwrite=overwrite)
    with _status(as_json) as status:
        pasted = paste_cutout(
            background,
            paste,
            at=at,
            scale=scale,
            center=center,
            band=band,
            blend=blend,
            cutout_mask=cutout_mask,
        )
        if engine != CLASSICAL:
            options |= {"progress": status.steps, "on_stage": status.stage}
        result = blend_edge(pasted, engine=engine, seed=seed, **options)
        status.stage(f"writing {target}")
        recipe = _with_app_paths(result.recipe, target.parent)
        if engine == CLASSICAL:
            save_result(with_fields(result, recipe=recipe), target, overwrite=overwrite,
                        png_level=png_level)  # fmt: skip
        else:
            save_image(pasted_path, pasted.image, overwrite=overwrite)
            recipe["image"] = {**recipe["image"], "source": str(pasted_path)}
            save_with_mask(
                with_fields(result, recipe=recipe),
                target,
                photo=pasted.image,
                overwrite=overwrite,
                png_level=png_level,
                overlay=False,
            )
    summary = {
        "output": str(target),
        "engine": result.engine,
        "seed": result.seed,
        "placed": result.recipe["app"]["placed"],
        "seam_before": round(result.details["seam_before"], 3),
        "seam_after": round(result.details["seam_after"], 3),
        "notes": result.details["notes"],
        "written": [str(target), *map(str, side)],
    }
    if as_json:
        echo_json(summary)
        return
    for note in summary["notes"]:
        typer.echo(f"note: {note}", err=True)
    typer.echo(
        f"wrote {target} (cut-out at {tuple(summary['placed'])}, engine {result.engine}; "
        f"seam score {summary['seam_before']} pasted -> {summary['seam_after']} blended)"
    )
    if side:
        typer.echo(f"wrote {side[0]} (the pasted picture the engine started from)")
        typer.echo(f"wrote {side[1]} (the band it regenerated; `inpaintkit replay` reads both)")


def _with_app_paths(recipe: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The recipe with the app's input files also given relative to the output's folder."""
    import os

    app_record = dict(recipe["app"])
    for name in ("background", "cutout", "cutout_mask"):
        entry = app_record.get(name)
        if entry and os.path.isfile(entry["source"]):
            relative = os.path.relpath(os.path.abspath(entry["source"]), os.path.abspath(folder))
            app_record[name] = {**entry, "from_output": Path(relative).as_posix()}
    return {**recipe, "app": app_record}


@app.command()
@with_engine_flags
def replace(
    image: Annotated[str, typer.Argument(help="Photo with the part to replace.")],
    mask: Annotated[
        str | None, typer.Option("--mask", "-m", help="The part's mask (white = replace).")
    ] = None,
    box: Box = None,
    point: Points = None,
    negative: Negatives = None,
    grow: Annotated[
        int | None,
        typer.Option(help="Grow the mask by N px (default: 0 for --mask, else 5% of its size)."),
    ] = None,
    output: Output = None,
    seed: Seed = None,
    param: EngineParams = None,
    no_overlay: NoOverlay = False,
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
    **engine_flags: Any,
) -> None:
    """Repaint a part of IMAGE (--mask, --box or --point) as --prompt says, with the
    diffusion model --model: writes IMAGE.replaced.png, the mask used and a preview."""
    from inpaintkit.apps.replacement import replace as replace_part

    _engine, options = engine_options("diffusion", param, engine_flags)
    target = output or default_output(image, "replaced")
    fill = partial(
        replace_part,
        image,
        mask=mask,
        box=box,
        points=point or (),
        negatives=negative or (),
        grow=grow,
        seed=seed,
        **{"prompt": "", **options},
    )
    result, summary = _fill_and_save(
        image, target, fill, overwrite=overwrite, png_level=png_level,
        overlay=not no_overlay, as_json=as_json,
    )  # fmt: skip
    summary["details"] = result.details
    if as_json:
        echo_json(summary)
        return
    details = result.details
    where = f" [{details['model_kind']}, {details['device']} {details['dtype']}]" if details else ""
    typer.echo(
        f"wrote {target} (part from {summary['method']}, grown {summary['grow']} px; "
        f"engine diffusion{where}, seed {result.seed})"
    )
    typer.echo(f"wrote {summary['mask']} (the mask used; `inpaintkit replay {target}` reads it)")
    if summary["overlay"]:
        typer.echo(f"wrote {summary['overlay']} (the mask over the photo)")
