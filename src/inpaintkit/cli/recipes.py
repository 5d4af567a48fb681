"""``inpaintkit engines``, ``info`` and ``replay``: what can run, and what a result PNG
records and whether it reproduces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.cli.app import EXIT_INTERNAL, app, echo_json
from inpaintkit.cli.flags import JsonFlag, Overwrite, PngLevel


@app.command()
def engines(
    as_json: JsonFlag = False,
    model: Annotated[
        str | None, typer.Option(help="Count this model as set when judging readiness.")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the options tables for the docs.")
    ] = False,
) -> None:
    """List the engines, whether they are ready here, and their options.

    With --json: capabilities, readiness and options as JSON Schema."""
    from inpaintkit.engines.registry import engines_markdown, list_engines
    from inpaintkit.errors import spell_flag

    if markdown:
        typer.echo(engines_markdown(), nl=False)
        return
    statuses = list_engines({"model": model} if model else None)
    if as_json:
        echo_json({s.name: s.to_dict(spell_flag) for s in statuses})
        return
    for s in statuses:
        caps = s.capabilities
        flags = [
            "needs prompt" if caps.needs_prompt else "no prompt",
            "soft masks" if caps.honours_soft_mask else "soft via compositing",
        ]
        if caps.preferred_working_size:
            flags.append(f"works at {caps.preferred_working_size}px")
        state = "ready" if s.ready else f"not ready: {s.reason_spelled(spell_flag)}"
        typer.echo(f"{s.name:14} {caps.description} [{', '.join(flags)}]")
        typer.echo(f"{'':14} {state}")
        options = ", ".join("--" + name.replace("_", "-") for name in s.options.names)
        typer.echo(f"{'':14} options: {options or 'none'}")


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="A PNG written by inpaintkit.")],
    as_json: JsonFlag = False,
) -> None:
    """Print the recipe stored in a result PNG."""
    from inpaintkit.recipe_replay import read_recipe_of

    recipe = read_recipe_of(path)
    if as_json:
        echo_json(recipe)
        return
    typer.echo(
        f"inpaintkit {recipe['inpaintkit']}: engine {recipe['engine']}, seed {recipe['seed']}"
    )
    for name in ("image", "mask"):
        entry = recipe[name]
        digest = entry.get("digest") or "sha256:" + entry.get("sha256", "?")
        typer.echo(f"{name + ':':6} {entry['source']} ({digest[:23]}…)")
    options = ", ".join(f"{k}={v}" for k, v in recipe["options"].items())
    typer.echo(f"options: {options}")
    for region in recipe["plan"]["regions"]:
        typer.echo(f"region: crop {region['crop']} working size {region['working_size']}")


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
    png_level: PngLevel = None,
    overwrite: Overwrite = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-run the recipe in PATH and check the result matches it bit for bit.

    Exit code 1 when it does not."""
    from inpaintkit.imageio import check_output_path
    from inpaintkit.output import save_result
    from inpaintkit.recipe_replay import replay as replay_recipe

    if output is not None:
        check_output_path(output, overwrite=overwrite)
    done = replay_recipe(path, image=image, mask=mask)
    if output is not None:
        save_result(done.result, output, overwrite=overwrite, png_level=png_level)
    summary: dict[str, Any] = {
        "recipe": str(path),
        "identical": done.identical,
        "output": str(output) if output else None,
    }
    if as_json:
        echo_json(summary)
    else:
        verdict = "reproduced bit for bit" if done.identical else "differs from the stored result"
        typer.echo(f"{path}: {verdict}")
    if not done.identical:
        raise typer.Exit(EXIT_INTERNAL)
