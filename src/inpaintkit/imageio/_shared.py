"""Helpers shared by the readers and the writer: the file-suffix table, reading a whole
file with errors that say what is wrong, and error text on one line."""

from __future__ import annotations

from pathlib import Path

from inpaintkit.errors import UnreadableFileError

_SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}


def _read_file(name: str, *, what: str) -> bytes:
    path = Path(name)
    if path.is_dir():
        article = "an" if what[:1] in "aeiou" else "a"
        raise UnreadableFileError(
            f"{what} {name} is a folder, not a file; pass the path of {article} {what} file"
        )
    if not path.exists():
        raise UnreadableFileError(f"{what} {name} does not exist; check the path")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFileError(
            f"{what} {name} cannot be read ({_one_line(error)}); check its permissions"
        ) from error
    if not data:
        raise UnreadableFileError(
            f"{what} {name} is empty (0 bytes); it was probably not written completely — "
            "export it again"
        )
    return data


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _literal(text: object) -> str:
    """``text`` safe inside a message that names options (``{field}``): braces doubled.

    >>> _literal("out{1}.png")
    'out{{1}}.png'
    """
    return str(text).replace("{", "{{").replace("}", "}}")
