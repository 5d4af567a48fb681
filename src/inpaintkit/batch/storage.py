"""The few file-system operations a batch needs, for local paths and object-store URIs.

A plain path (``photos/a.png``, ``/data/a.png``) is read and written with the standard
library. A URI with a scheme (``s3://``, ``gs://``, ``memory://``, ``file://``, ...) goes
through fsspec, imported only then, so a local batch never needs it. Writes are atomic
on local disk (a temporary name in the target folder, then a rename) and a plain put on
object stores, where a put is all-or-nothing already.

>>> is_uri("s3://bucket/a.png"), is_uri("photos/a.png"), is_uri("C:/photos/a.png")
(True, False, False)
>>> join("s3://bucket/out", "a.png"), join("out", "sub/a.png")
('s3://bucket/out/a.png', 'out/sub/a.png')
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import Any

from inpaintkit.errors import MissingExtraError, UnreadableFileError

__all__ = [
    "exists",
    "is_uri",
    "join",
    "local_path",
    "makedirs",
    "read_bytes",
    "remove",
    "write_bytes",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")


def is_uri(location: str) -> bool:
    """True for ``scheme://...`` (two letters or more, so ``C:/`` stays a path)."""
    return bool(_SCHEME.match(location))


def local_path(location: str) -> str | None:
    """The local path of a plain path or a ``file://`` URI; None for other URIs."""
    if not is_uri(location):
        return location
    if location.startswith("file://"):
        return location[len("file://") :]
    return None


def join(folder: str, name: str) -> str:
    """``name`` (posix, relative) inside ``folder``, a path or a URI."""
    if is_uri(folder):
        return folder.rstrip("/") + "/" + name
    return os.path.join(folder, *name.split("/"))


def _filesystem(uri: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as error:  # pragma: no cover - fsspec comes with the extra
        raise MissingExtraError(
            f"reading {uri} needs fsspec: pip install 'inpaintkit[distributed]'",
            extra="distributed",
        ) from error
    filesystem, path = fsspec.core.url_to_fs(uri)
    return filesystem, path


def exists(location: str) -> bool:
    """Whether a file is at ``location``."""
    path = local_path(location)
    if path is not None:
        return os.path.isfile(path)
    filesystem, inner = _filesystem(location)
    return bool(filesystem.isfile(inner))


def read_bytes(location: str) -> bytes:
    """The bytes of the file at ``location``; an error naming it when it cannot be read."""
    path = local_path(location)
    try:
        if path is not None:
            with open(path, "rb") as stream:
                return stream.read()
        filesystem, inner = _filesystem(location)
        return bytes(filesystem.cat_file(inner))
    except FileNotFoundError as error:
        raise UnreadableFileError(f"{location} does not exist; check the path") from error
    except OSError as error:
        raise UnreadableFileError(f"cannot read {location}: {error.strerror or error}") from error


def makedirs(folder: str) -> None:
    """Create ``folder`` (and its parents) on local disk; object stores need no folders."""
    path = local_path(folder)
    if path is not None:
        os.makedirs(path, exist_ok=True)


def write_bytes(location: str, data: bytes) -> None:
    """Write ``data`` to ``location`` whole or not at all (temp name + rename locally)."""
    path = local_path(location)
    if path is None:
        filesystem, inner = _filesystem(location)
        filesystem.pipe_file(inner, data)
        return
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove(location: str) -> None:
    """Delete the file at ``location`` if it is there."""
    path = local_path(location)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    filesystem, inner = _filesystem(location)
    with contextlib.suppress(FileNotFoundError):
        filesystem.rm_file(inner)
