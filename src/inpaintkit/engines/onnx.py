"""Learned fills from ONNX weights the user supplies: LaMa and MI-GAN.

inpaintkit ships no weights. The engine reads the ``.onnx`` file named by the engine
option ``model`` (``--param model=PATH``) or, failing that, by an environment variable
(``INPAINTKIT_LAMA_MODEL``, ``INPAINTKIT_MIGAN_MODEL``), and works out from the graph's
inputs which of the published exports it is:

* **LaMa** (e.g. ``lama_fp32.onnx`` from Carve/LaMa-ONNX): ``image`` float N×3×H×W in
  [0, 1] and ``mask`` float N×1×H×W in {0, 1} (1 = hole); one output N×3×H×W, which some
  exports give in [0, 1] and others in 0..255. The range is told apart on the pixels
  the model must keep (LaMa returns them unchanged), or set with ``output_range``.
* **MI-GAN pipeline** (``migan_pipeline_v2.onnx``, from the MI-GAN repo's
  ``scripts/create_onnx_pipeline.py``): ``image`` uint8 N×3×H×W and ``mask`` uint8
  N×1×H×W where **255 = keep, 0 = hole**; output uint8 N×3×H×W. The graph squashes any
  input to its square training size, so the engine pads crops to a square first.
* **MI-GAN generator** (IOPaint's ``migan.onnx``): one float input N×4×512×512 holding
  ``0.5 - hole`` and the image in [-1, 1] with the hole zeroed; output in [-1, 1].

The pipeline plans around ``preferred_working_size=512`` and ``size_multiple=8``; what is
left here is the graph's own demand: a fixed plane (e.g. 512×512) is met by mirror
padding (and shrinking only if a crop is larger), a dynamic one by padding up to a
multiple of 8. Padding mirrors the mask too, so a hole at the crop's edge is never
mirrored into "known" context the model could copy back.

Sessions are cached per file (path, size and modification time), so a run with many
regions loads the model once; CUDA is used when onnxruntime offers it, else the CPU.
A missing weights file raises :class:`~inpaintkit.errors.EngineUnavailableError` without
an ``extra``: installing a pip extra would not help, the file has to be given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from inpaintkit.engines.base import CallContext, Capabilities, Engine
from inpaintkit.engines.registry import ENGINES
from inpaintkit.errors import (
    EngineUnavailableError,
    InvalidParameterError,
    UnreadableFileError,
    UnsupportedFormatError,
)

__all__ = [
    "LamaEngine",
    "MiganEngine",
    "OnnxInpaintModel",
    "load_onnx_model",
    "resolve_model_path",
]

ModelKind = Literal["lama", "migan-pipeline", "migan-generator"]
OUTPUT_RANGES = ("auto", "0-1", "0-255")

_ENV_VARS = {"lama": "INPAINTKIT_LAMA_MODEL", "migan": "INPAINTKIT_MIGAN_MODEL"}
_WHERE_TO_GET = {
    "lama": (
        "LaMa ONNX exports of big-lama are published e.g. as lama_fp32.onnx in "
        "Carve/LaMa-ONNX on Hugging Face"
    ),
    "migan": (
        "MI-GAN ONNX exports come from the Picsart-AI-Research/MI-GAN repository "
        "(scripts/create_onnx_pipeline.py, or its released migan_pipeline_v2.onnx, which "
        "IOPaint also downloads)"
    ),
}
_EXPECTED = {
    "lama": "a LaMa model takes image N×3×H×W float and mask N×1×H×W float",
    "migan": (
        "an MI-GAN model takes image N×3×H×W uint8 and mask N×1×H×W uint8 (the pipeline "
        "export) or one float input N×4×H×W (the generator export)"
    ),
}
# The generator export has no preprocessing of its own: it runs at its training size.
_GENERATOR_SIZE = 512
_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def resolve_model_path(engine: str, params: Mapping[str, Any]) -> Path:
    """The ONNX file for ``engine``: the ``model`` option, else its environment variable.

    Raises :class:`~inpaintkit.errors.EngineUnavailableError` naming both ways to pass
    the file, and where such files are published, when neither gives an existing file.
    """
    variable = _ENV_VARS[engine]
    given = params.get("model")
    source = "the model option" if given is not None else variable
    if given is None:
        given = os.environ.get(variable) or None
    if given is None:
        raise EngineUnavailableError(
            f"engine {engine!r} needs an ONNX weights file and none was given: pass "
            f"{{model}} or set {variable}=PATH. {_WHERE_TO_GET[engine]}",
            options={"model": "PATH"},
        )
    path = Path(os.fspath(given) if isinstance(given, os.PathLike) else str(given)).expanduser()
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        shown = str(path).replace("{", "{{").replace("}", "}}")
        raise EngineUnavailableError(
            f"engine {engine!r}: the model file {shown!r} (from {source}) {what}; pass "
            f"{{model}} or set {variable}=PATH to an .onnx file. {_WHERE_TO_GET[engine]}",
            options={"model": "PATH"},
        )
    return path


@dataclass(frozen=True)
class _Input:
    name: str
    type: str
    shape: tuple[int | str | None, ...]

    @property
    def channels(self) -> int | None:
        return _fixed(self.shape[1]) if len(self.shape) == 4 else None

    def describe(self) -> str:
        dims = "×".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.name} {self.type.removeprefix('tensor(').removesuffix(')')} {dims}"


def _fixed(dim: int | str | None) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


@dataclass(frozen=True)
class _Signature:
    kind: ModelKind
    image: _Input
    mask: _Input | None
    height: int | None  # None: the graph takes any height
    width: int | None


def _detect_signature(inputs: Sequence[_Input]) -> _Signature | None:
    """Which published export these inputs belong to, or None."""
    if len(inputs) == 1:
        only = inputs[0]
        if len(only.shape) == 4 and only.type in _FLOAT_TYPES and only.channels in (4, None):
            return _Signature(
                "migan-generator",
                only,
                None,
                _fixed(only.shape[2]) or _GENERATOR_SIZE,
                _fixed(only.shape[3]) or _GENERATOR_SIZE,
            )
        return None
    if len(inputs) != 2 or any(len(i.shape) != 4 for i in inputs):
        return None
    # The mask is the one-channel input, or the one named so when channels are symbolic.
    first, second = inputs
    if first.channels == 1 or (first.channels is None and "mask" in first.name.lower()):
        mask, image = first, second
    else:
        image, mask = first, second
    if image.channels not in (3, None) or mask.channels not in (1, None):
        return None
    height, width = _fixed(image.shape[2]), _fixed(image.shape[3])
    if image.type in _FLOAT_TYPES and mask.type in _FLOAT_TYPES:
        return _Signature("lama", image, mask, height, width)
    if image.type == "tensor(uint8)" and mask.type == "tensor(uint8)":
        return _Signature("migan-pipeline", image, mask, height, width)
    return None


def _engine_of(kind: ModelKind) -> str:
    return "lama" if kind == "lama" else "migan"


@dataclass(frozen=True)
class OnnxInpaintModel:
    """A loaded LaMa or MI-GAN ONNX model; :meth:`fill` inpaints one crop."""

    path: Path
    session: Any  # onnxruntime.InferenceSession
    kind: ModelKind
    signature: _Signature

    def fill(
        self, image: np.ndarray, mask: np.ndarray, *, output_range: str = "auto"
    ) -> np.ndarray:
        """Fill ``mask > 0`` in a float32 RGB crop in [0, 1]; returns a crop of the same size."""
        if output_range not in OUTPUT_RANGES:
            raise InvalidParameterError(
                f"output_range must be one of {', '.join(OUTPUT_RANGES)}, got {output_range!r}"
            )
        height, width = image.shape[:2]
        hole = (mask > 0).astype(np.float32)
        fitted, fitted_hole, content = self._fit(image, hole)
        raw = self._run(fitted, fitted_hole)
        result = _to_unit_range(raw, fitted, fitted_hole, self.kind, output_range)
        result = result[: content[0], : content[1]]
        if content != (height, width):
            result = cv2.resize(result, (width, height), interpolation=cv2.INTER_CUBIC)
        return np.clip(result, 0.0, 1.0).astype(np.float32, copy=False)

    def _fit(
        self, image: np.ndarray, hole: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
        """Shrink (only if needed) and mirror-pad to the plane the graph takes."""
        height, width = image.shape[:2]
        fixed_h, fixed_w = self.signature.height, self.signature.width
        square = self.kind != "lama"  # MI-GAN squashes whatever it gets to a square
        want_h, want_w = (max(height, width),) * 2 if square else (height, width)
        scale = min(
            1.0,
            fixed_h / want_h if fixed_h else 1.0,
            fixed_w / want_w if fixed_w else 1.0,
        )
        content = (max(1, round(height * scale)), max(1, round(width * scale)))
        if content != (height, width):
            size = (content[1], content[0])
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            # Area averaging then "> 0": a thin stroke shrinks but never vanishes.
            hole = (cv2.resize(hole, size, interpolation=cv2.INTER_AREA) > 0).astype(np.float32)
        side = max(content)
        plane_h = fixed_h or _round_up(side if square else content[0], 8)
        plane_w = fixed_w or _round_up(side if square else content[1], 8)
        pads = ((0, plane_h - content[0]), (0, plane_w - content[1]))
        image = np.pad(image, (*pads, (0, 0)), mode="symmetric")
        hole = np.pad(hole, pads, mode="symmetric")
        return image, hole, content

    def _run(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        signature = self.signature
        planar = image.transpose(2, 0, 1)[None]
        hole_planar = hole[None, None]
        feeds: dict[str, np.ndarray]
        if self.kind == "lama":
            assert signature.mask is not None
            feeds = {
                signature.image.name: planar.astype(_FLOAT_TYPES[signature.image.type]),
                signature.mask.name: hole_planar.astype(_FLOAT_TYPES[signature.mask.type]),
            }
        elif self.kind == "migan-pipeline":
            assert signature.mask is not None
            feeds = {
                signature.image.name: np.rint(planar * 255).astype(np.uint8),
                signature.mask.name: np.where(hole_planar > 0, 0, 255).astype(np.uint8),
            }
        else:
            known = 1.0 - hole_planar
            stacked = np.concatenate([known - 0.5, (planar * 2 - 1) * known], axis=1)
            feeds = {signature.image.name: stacked.astype(_FLOAT_TYPES[signature.image.type])}
        output = np.asarray(self.session.run(None, feeds)[0])
        return _to_image_layout(output, self.path, hole.shape)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _to_image_layout(output: np.ndarray, path: Path, plane: tuple[int, ...]) -> np.ndarray:
    """The model's N×3×H×W (or N×H×W×3) output as one H×W×3 array."""
    if output.ndim == 4 and output.shape[1] == 3 and output.shape[2:] == plane:
        return output[0].transpose(1, 2, 0)
    if output.ndim == 4 and output.shape[3] == 3 and output.shape[1:3] == plane:
        return output[0]
    raise UnsupportedFormatError(
        f"model {str(path)!r} returned an array of shape {output.shape} for a "
        f"{plane[1]}×{plane[0]} input; an inpainting model returns N×3×H×W of the input's "
        "size. Is this the right file?"
    )


def _to_unit_range(
    output: np.ndarray, image: np.ndarray, hole: np.ndarray, kind: ModelKind, setting: str
) -> np.ndarray:
    """Map the model's output range to [0, 1] (float32)."""
    values = output.astype(np.float32)
    if output.dtype == np.uint8:
        return values / np.float32(255)
    if kind == "migan-generator":
        return (values + 1) / 2
    if setting == "auto":
        # LaMa hands the pixels it keeps back unchanged: whichever scale matches them is it.
        known = hole == 0
        if known.any():
            kept = values[known]
            as_unit = float(np.abs(kept - image[known]).mean())
            as_levels = float(np.abs(kept / 255 - image[known]).mean())
            setting = "0-255" if as_levels < as_unit else "0-1"
        else:
            setting = "0-255" if float(values.max()) > 1.5 else "0-1"
    return values / np.float32(255) if setting == "0-255" else values


def _inputs_of(session: Any) -> list[_Input]:
    return [
        _Input(i.name, str(i.type), tuple(i.shape) if i.shape is not None else ())
        for i in session.get_inputs()
    ]


def _providers() -> list[str]:
    import onnxruntime

    available = onnxruntime.get_available_providers()
    return [p for p in ("CUDAExecutionProvider",) if p in available] + ["CPUExecutionProvider"]


@lru_cache(maxsize=4)
def _open_session(path: str, modified_ns: int, size: int) -> Any:
    """One InferenceSession per file version (the arguments past ``path`` key the cache)."""
    import onnxruntime

    try:
        return onnxruntime.InferenceSession(path, providers=_providers())
    except Exception as error:  # onnxruntime raises its own untyped errors for bad files
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnreadableFileError(
            f"{path!r} is not an ONNX model onnxruntime can load ({reason[:200]}); pass the "
            ".onnx file itself (with its .data file beside it if it has one)"
        ) from error


def load_onnx_model(path: str | os.PathLike[str], *, engine: str) -> OnnxInpaintModel:
    """Load ``path`` for ``engine`` ("lama" or "migan") and check its signature.

    Raises :class:`~inpaintkit.errors.UnreadableFileError` for a file onnxruntime cannot
    read and :class:`~inpaintkit.errors.UnsupportedFormatError` for a model whose inputs
    are not those of the engine's published exports.
    """
    if engine not in _ENV_VARS:
        raise InvalidParameterError(f"engine must be 'lama' or 'migan', got {engine!r}")
    file = Path(path).expanduser().resolve()
    stat = file.stat()
    session = _open_session(str(file), stat.st_mtime_ns, stat.st_size)
    inputs = _inputs_of(session)
    signature = _detect_signature(inputs)
    if signature is None or _engine_of(signature.kind) != engine:
        listed = ", ".join(i.describe() for i in inputs)
        hint = ""
        if signature is not None:
            other = _engine_of(signature.kind)
            hint = f" It looks like a {other} model: use --engine {other}."
        raise UnsupportedFormatError(
            f"model {str(file)!r} has inputs [{listed}] but {_EXPECTED[engine]}; is this the "
            f"right file?{hint} {_WHERE_TO_GET[engine]}"
        )
    return OnnxInpaintModel(file, session, signature.kind, signature)


class _OnnxEngine(Engine):
    name: str
    capabilities: Capabilities

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        model = load_onnx_model(resolve_model_path(self.name, options), engine=self.name)
        return model.fill(image, mask, output_range=options.get("output_range", "auto"))


class LamaEngine(_OnnxEngine):
    """LaMa (Suvorov et al. 2022) from a user-supplied ONNX export."""

    name = "lama"
    capabilities = ENGINES["lama"].capabilities


class MiganEngine(_OnnxEngine):
    """MI-GAN (Sargsyan et al. 2023) from a user-supplied ONNX export."""

    name = "migan"
    capabilities = ENGINES["migan"].capabilities
