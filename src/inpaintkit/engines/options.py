"""Engine options, each declared once (convention 11).

An :class:`Option` says everything about one engine option: its name, kind, default,
range or choices, unit and help. An engine's :class:`OptionTable` is the only place its
options are written down; from it come the check of a request's options, the Python
keyword check of :func:`inpaintkit.inpaint`, the CLI flags, the JSON Schema that
``inpaintkit engines --json`` prints (and that the HTTP API and batch manifests use), and
the options tables in the docs. Nothing here imports an engine or torch, so reading a
table is free.

Errors name the option as a ``{name}`` field (see :mod:`inpaintkit.errors`), so the CLI
says ``--steps`` and Python says ``steps``.

>>> table = OptionTable((Option("radius", "integer", 3, "neighbourhood", minimum=1, maximum=64),))
>>> table.resolve("telea", {"radius": 5})
{'radius': 5}
>>> table.resolve("telea", {})
{'radius': 3}
>>> table.resolve("telea", {"radius": 0})
Traceback (most recent call last):
...
inpaintkit.errors.InvalidParameterError: radius must be a whole number from 1 to 64, got 0
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from inpaintkit.convert import is_pil_image
from inpaintkit.errors import NAME_ONLY, InvalidParameterError

OptionKind = Literal["integer", "number", "string", "boolean", "path", "image"]

_JSON_TYPES = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "path": "string",
    "image": "string",
}


def _problem(name: str, text: str) -> InvalidParameterError:
    escaped = text.replace("{", "{{").replace("}", "}}")  # the text quotes user values
    return InvalidParameterError("{" + name + "} " + escaped, options={name: NAME_ONLY})


def _describe_range(option: Option, noun: str) -> str:
    low, high = option.minimum, option.maximum
    if low is not None and high is not None:
        return f"{noun} from {low:g} to {high:g}"
    if low is not None:
        return f"{noun} ≥ {low:g}"
    if high is not None:
        return f"{noun} ≤ {high:g}"
    return noun


@dataclass(frozen=True)
class Option:
    """One engine option.

    ``default`` None means "the engine decides" (e.g. the model's own scheduler), and the
    option then also accepts None. ``kind`` "path" takes a file, folder or hub id; "image"
    takes a path, an array (Python only) or one of ``keywords`` (e.g. ``"canny"``).
    """

    name: str
    kind: OptionKind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    multiple_of: int | None = None
    odd: bool = False
    keywords: tuple[str, ...] = ()

    @property
    def nullable(self) -> bool:
        return self.default is None

    def check(self, value: Any) -> Any:
        """The value in canonical form (int, float, str), or an error naming the option."""
        if value is None:
            if self.nullable:
                return None
            raise _problem(self.name, f"needs a value ({self.expected()})")
        checker = getattr(self, f"_check_{self.kind}")
        checked = checker(value)
        if self.choices and checked not in self.choices:
            raise _problem(self.name, f"must be one of {', '.join(self.choices)}; got {value!r}")
        return checked

    def expected(self) -> str:
        """What the option accepts, in words (for messages and the docs)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "integer":
            return _describe_range(self, "a whole number")
        if self.kind == "number":
            return _describe_range(self, "a number")
        return {"boolean": "true or false", "path": "a path", "image": "an image path"}.get(
            self.kind, "text"
        )

    def _check_integer(self, value: Any) -> int:
        number = _as_number(value)
        if number is None or number != int(number) or not self._in_range(number):
            raise _problem(self.name, f"must be {self.expected()}, got {value!r}")
        whole = int(number)
        if self.odd and whole % 2 == 0:
            raise _problem(self.name, f"must be odd, got {whole}")
        if self.multiple_of and whole % self.multiple_of:
            raise _problem(self.name, f"must be a multiple of {self.multiple_of}, got {whole}")
        return whole

    def _check_number(self, value: Any) -> float:
        number = _as_number(value)
        if number is None or not self._in_range(number):
            raise _problem(self.name, f"must be {self.expected()}, got {value!r}")
        return float(number)

    def _check_boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise _problem(self.name, f"must be true or false, got {value!r}")

    def _check_string(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _problem(self.name, f"must be text, got {value!r}")
        return value

    def _check_path(self, value: Any) -> str | None:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            raise _problem(self.name, f"must be a path or name, got {value!r}")
        return value or None

    def _check_image(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.keywords:
            return value
        if isinstance(value, np.ndarray) or is_pil_image(value):
            return value  # the pipeline loads and checks it like the photo
        return self._check_path(value)

    def _in_range(self, number: float) -> bool:
        low, high = self.minimum, self.maximum
        return (low is None or number >= low) and (high is None or number <= high)

    def json_schema(self) -> dict[str, Any]:
        """This option as a JSON Schema property."""
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.kind]}
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
        schema["default"] = self.default
        schema["description"] = self.help
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.multiple_of:
            schema["multipleOf"] = self.multiple_of
        if self.choices:
            schema["enum"] = [*self.choices, *([None] if self.nullable else [])]
        if self.keywords:
            schema["examples"] = list(self.keywords)
        if self.kind in ("path", "image"):
            schema["format"] = self.kind
        if self.unit:
            schema["x-unit"] = self.unit
        return schema


def _as_number(value: Any) -> float | None:
    """A real number from an int, float, numpy scalar or numeric text; bools are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


CrossCheck = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class OptionTable:
    """An engine's options, in the order they are shown, plus rules that tie options
    together (``cross_check`` gets every resolved option and returns them, adjusted)."""

    options: tuple[Option, ...] = ()
    cross_check: CrossCheck | None = field(default=None, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)

    def __getitem__(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)

    def check(self, engine: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The given options, each checked and in canonical form; unknown names are an
        error that lists the engine's options."""
        unknown = [name for name in given if name not in self.names]
        if unknown:
            known = ", ".join("{" + n + "}" for n in self.names) if self.names else "none"
            listed = ", ".join("{" + n + "}" for n in unknown)
            raise InvalidParameterError(
                f"engine {engine!r} has no option {listed}; its options: {known}",
                options={n: NAME_ONLY for n in (*unknown, *self.names)},
            )
        return {name: self[name].check(value) for name, value in given.items()}

    def resolve(self, engine: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every option of the engine: the given ones checked, the others at default."""
        resolved = {option.name: option.default for option in self.options}
        resolved |= self.check(engine, given)
        return self.cross_check(resolved) if self.cross_check else resolved

    def markdown(self) -> str:
        """The table as a Markdown table for the docs (flag, type, default, range, help)."""
        rows = ["| flag | type | default | accepts | what |", "|---|---|---|---|---|"]
        for option in self.options:
            flag = "`--" + option.name.replace("_", "-") + "`"
            default = "—" if option.default is None else f"`{option.default!r}`"
            rows.append(
                f"| {flag} | {option.kind} | {default} | {option.expected()} | {option.help} |"
            )
        return "\n".join(rows)

    def json_schema(self) -> dict[str, Any]:
        """The table as a JSON Schema object (``properties`` with type, default, range)."""
        return {
            "type": "object",
            "properties": {option.name: option.json_schema() for option in self.options},
            "additionalProperties": False,
        }
