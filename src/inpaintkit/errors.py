"""The errors inpaintkit raises. Messages say what is wrong and how to fix it.

Front ends map :class:`InvalidInputError` (and subclasses) to "bad input" (CLI exit 2,
HTTP 4xx) and anything else to an internal error.
"""

from __future__ import annotations


class InpaintKitError(Exception):
    """Base class of every error inpaintkit raises on purpose."""


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


class EngineUnavailableError(InpaintKitError):
    """An engine cannot run here; ``extra`` names the pip extra that installs it."""

    def __init__(self, message: str, *, extra: str | None = None) -> None:
        super().__init__(message)
        self.extra = extra


class UnknownEngineError(InvalidInputError):
    """No engine of that name is registered."""
