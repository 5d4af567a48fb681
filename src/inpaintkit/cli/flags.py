"""Flags shared by several commands, and one flag per engine option.

The engine flags (``--radius``, ``--model``, ``--prompt``, ``--steps``, ...) are made
from the engines' option tables (:mod:`inpaintkit.engines.tables`), so a new option
appears here, in ``--help``, with no CLI code. Each reaches the command as ``None``
unless given; the library checks it against the chosen engine's table.
"""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from inpaintkit.engines.registry import ENGINES, all_options
from inpaintkit.errors import InvalidInputError

Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
EngineName = Annotated[str, typer.Option(help="Engine name; see `inpaintkit engines`.")]
Seed = Annotated[int | None, typer.Option(help="Random seed (echoed in the recipe).")]
EngineParams = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Engine option KEY=VALUE (same as its own flag)."),
]
SideBySide = Annotated[
    Path | None, typer.Option(help="Also write a before | mask | after PNG here.")
]
MaskResize = Annotated[
    bool, typer.Option("--mask-resize", help="Resize a mask of another size to the image.")
]
PngLevel = Annotated[
    int | None,
    typer.Option(help="PNG compression 0-9: higher is smaller and slower (default: fast)."),
]
NumImages = Annotated[int, typer.Option(help="Variants to write (seed, seed+1, ...).")]
# The request's own options, as `run` and `batch` both take them.
Grow = Annotated[int, typer.Option(help="Grow the mask by N pixels.")]
Feather = Annotated[float, typer.Option(help="Soft edge inside the mask, sigma in px.")]
Padding = Annotated[int | None, typer.Option(help="Context around each region, px.")]
Seam = Annotated[str, typer.Option(help="none, color, poisson or color+poisson.")]
InvertMask = Annotated[
    bool, typer.Option("--invert-mask", help="Black = regenerate instead of white.")
]
MaskAlpha = Annotated[
    str, typer.Option(help="For RGBA masks: auto, opaque or transparent = regenerate.")
]
MaxPixels = Annotated[int, typer.Option(help="Refuse images larger than this.")]

_ENGINE_PANEL = "Engine options (see `inpaintkit engines`)"
_PYTHON_TYPES = {
    "integer": int,
    "number": float,
    "boolean": bool,
    "string": str,
    "path": str,
    "image": str,
}


def _engine_flag(name: str, engines: list[str]) -> Any:
    """The Annotated type of one engine option's flag; an option several engines declare
    (``--model``, ``--patch-size``) says what it means and defaults to in each."""
    declared = {engine: ENGINES[engine].options[name] for engine in engines}
    first = next(iter(declared.values()))
    helps = {option.help.rstrip(".") for option in declared.values()}
    if len(helps) == 1:
        detail = helps.pop()
    else:
        detail = "; ".join(f"{engine}: {o.help.rstrip('.')}" for engine, o in declared.items())
    if first.choices:
        detail += f": {', '.join(first.choices)}"
    defaults = {engine: o.default for engine, o in declared.items() if o.default not in (None, "")}
    if len(set(defaults.values())) == 1 and len(defaults) == len(declared):
        detail += f" (default {first.default})"
    elif defaults:
        detail += " (default " + ", ".join(f"{e} {v}" for e, v in defaults.items()) + ")"
    if len(engines) < len(ENGINES):
        detail += f" [{', '.join(engines)}]"
    kind = _PYTHON_TYPES[first.kind] | None
    return Annotated[kind, typer.Option(help=detail, rich_help_panel=_ENGINE_PANEL)]


ENGINE_FLAGS: dict[str, Any] = {
    name: _engine_flag(name, engines) for name, engines in sorted(all_options().items())
}


def with_engine_flags(command: Any) -> Any:
    """Give a command one flag per engine option; they reach it as ``**engine_flags``.

    Typer builds options from a function's signature, so the signature is extended with
    a keyword parameter per option of any engine (default None = not given).
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
        for name, kind in ENGINE_FLAGS.items()
    ]

    @functools.wraps(command)
    def with_flags(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    with_flags.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    with_flags.__annotations__ = {
        **{p.name: p.annotation for p in own + added},
        "return": signature.return_annotation,
    }
    return with_flags


def engine_options(
    engine: str, pairs: list[str] | None, flags: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The engine and its options from ``--param KEY=VALUE`` and the engine flags given.

    ``--model`` with the default engine means the diffusion engine, the one that most
    often takes a model (``--engine lama --model x.onnx`` picks a learned engine).
    """
    options = parse_params(pairs or [])
    options |= {name: value for name, value in flags.items() if value is not None}
    if engine == "auto" and "model" in options:
        engine = "diffusion"
    return engine, options


def parse_params(pairs: list[str]) -> dict[str, Any]:
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
