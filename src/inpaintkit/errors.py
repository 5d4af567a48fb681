"""The errors inpaintkit raises. Messages say what is wrong and how to fix it.

Front ends map :class:`InvalidInputError` (and subclasses) to "bad input" (CLI exit 2,
HTTP 4xx) and anything else to an internal error.

A message that names an option the caller can set writes it as a ``{field}`` and passes
``options={"mask_resize": True}``: each front end spells it in its own terms (Python
``mask_resize=True``, CLI ``--mask-resize``, JSON ``"mask_resize": true``), so one error
type serves every caller (convention 12). ``str(error)`` is the Python spelling.

>>> error = InvalidInputError("mask is 4×4 but image is 8×8; pass {mask_resize}",
...                           options={"mask_resize": True})
>>> str(error)
'mask is 4×4 but image is 8×8; pass mask_resize=True'
>>> error.spelled(spell_flag)
'mask is 4×4 but image is 8×8; pass --mask-resize'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

# The value that means "name the option" rather than "set it to this".
NAME_ONLY: Any = None

Speller = Callable[[str, Any], str]


def spell_python(name: str, value: Any) -> str:
    """``name=value`` as a keyword argument, or the bare keyword."""
    return name if value is NAME_ONLY else f"{name}={value!r}"


def spell_flag(name: str, value: Any) -> str:
    """``--name VALUE`` as a command-line flag (``--name`` alone for True)."""
    flag = "--" + name.replace("_", "-")
    if value is NAME_ONLY or value is True:
        return flag
    if value is False:
        return "--no-" + name.replace("_", "-")
    return f"{flag} {value}"


def spell_json(name: str, value: Any) -> str:
    """``"name": value`` as a JSON field, or the quoted field name."""
    return json.dumps(name) if value is NAME_ONLY else f"{json.dumps(name)}: {json.dumps(value)}"


class InpaintKitError(Exception):
    """Base class of every error inpaintkit raises on purpose."""

    def __init__(self, message: str = "", *, options: Mapping[str, Any] | None = None) -> None:
        self.template = message
        self.options = dict(options or {})
        super().__init__(self.spelled(spell_python))

    def spelled(self, spell: Speller) -> str:
        """The message with every option written by ``spell`` (one front end's terms)."""
        if not self.options:
            return self.template
        return self.template.format_map({k: spell(k, v) for k, v in self.options.items()})


class InvalidInputError(InpaintKitError, ValueError):
    """The caller's input cannot be used; the message names it and the fix."""


class UnreadableFileError(InvalidInputError):
    """A file is missing, empty, truncated, corrupt or not an image."""


class UnsupportedFormatError(InvalidInputError):
    """A file format or pixel mode inpaintkit does not read."""


class ImageTooLargeError(InvalidInputError):
    """An image exceeds the configured pixel limit (decompression-bomb guard)."""


class SizeMismatchError(InvalidInputError):
    """Image and mask sizes differ and no resize was requested."""


class InvalidMaskError(InvalidInputError):
    """A mask has bad values (NaN, out of range), a bad shape, or bad geometry."""


class EmptyMaskError(InvalidMaskError):
    """The mask selects nothing, so there is nothing to inpaint."""


class InvalidParameterError(InvalidInputError):
    """An option has a value outside what it accepts."""


class OutputExistsError(InvalidInputError):
    """An output file exists and overwriting was not asked for."""


class InvalidOutputError(InvalidInputError):
    """An output path cannot be written: unknown extension, a folder, no permission."""


class EngineUnavailableError(InpaintKitError):
    """An engine cannot run here; ``extra`` names the pip extra that installs it."""

    def __init__(
        self,
        message: str,
        *,
        extra: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, options=options)
        self.extra = extra


class UnknownEngineError(InvalidInputError):
    """No engine of that name is registered."""


class MissingExtraError(EngineUnavailableError):
    """A feature needs an optional extra that is not installed; ``extra`` names it."""
