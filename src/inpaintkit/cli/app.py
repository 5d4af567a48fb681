"""The Typer apps every command module registers on."""

from __future__ import annotations

import json
from typing import Any

import typer

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Inpainting with masks that do exactly what they say.",
)
mask_app = typer.Typer(no_args_is_help=True, help="Refine, lint and preview masks.")
app.add_typer(mask_app, name="mask")


def echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
