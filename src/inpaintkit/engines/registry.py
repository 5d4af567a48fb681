"""The one place engines are registered.

Entries name a module and class instead of importing them, so listing engines never
imports a heavy dependency; the import happens when an engine is first used.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from inpaintkit.engines.base import Capabilities, Engine
from inpaintkit.errors import EngineUnavailableError, InvalidParameterError, UnknownEngineError


@dataclass(frozen=True)
class EngineEntry:
    name: str
    target: str  # "module:Class"
    capabilities: Capabilities
    requires: tuple[str, ...] = ()  # importable modules the engine needs
    extra: str | None = None  # pip extra that installs them


@dataclass(frozen=True)
class EngineStatus:
    name: str
    capabilities: Capabilities
    ready: bool
    reason: str
    extra: str | None


_CLASSICAL = "inpaintkit.engines.classical"
# Listed here, not imported from the engine, so the registry never imports torch.
_DIFFUSION_PARAMS = (
    "model",
    "model_config",
    "prompt",
    "negative_prompt",
    "steps",
    "guidance",
    "strength",
    "scheduler",
    "masked_content",
    "device",
    "dtype",
    "working_size",
    "controlnet",
    "control_image",
    "control_scale",
)
# Diffusion fills only read a few pixels past the hole's edge (their radius, at most 64).
_DIFFUSION_CONTEXT = 72

ENGINES: dict[str, EngineEntry] = {
    entry.name: entry
    for entry in (
        EngineEntry(
            "telea",
            f"{_CLASSICAL}:TeleaEngine",
            Capabilities(
                description="OpenCV fast marching (Telea 2004): quick, smooth fill",
                params=("radius",),
                context=_DIFFUSION_CONTEXT,
            ),
            requires=("cv2",),
        ),
        EngineEntry(
            "navier-stokes",
            f"{_CLASSICAL}:NavierStokesEngine",
            Capabilities(
                description="OpenCV Navier-Stokes fluid fill: quick, smooth fill",
                params=("radius",),
                context=_DIFFUSION_CONTEXT,
            ),
            requires=("cv2",),
        ),
        EngineEntry(
            "patchmatch",
            f"{_CLASSICAL}:PatchMatchEngine",
            Capabilities(
                description="PatchMatch exemplar fill (pypatchmatch): copies texture",
                params=("patch_size",),
            ),
            requires=("patchmatch",),
        ),
        EngineEntry(
            "structure",
            "inpaintkit.engines.structure:StructureEngine",
            Capabilities(
                description="multi-scale structure-guided exemplar fill: edges and texture",
                params=("patch_size", "iterations"),
            ),
            requires=("cv2",),
        ),
        EngineEntry(
            "auto",
            "inpaintkit.engines.auto:AutoEngine",
            Capabilities(
                description="picks per region: telea for thin strokes, else structure",
                params=("radius", "patch_size", "iterations"),
            ),
            requires=("cv2", "patchmatch"),
        ),
        EngineEntry(
            "lama",
            "inpaintkit.engines.onnx:LamaEngine",
            Capabilities(
                description="LaMa learned fill from your ONNX file (--param model=PATH)",
                preferred_working_size=512,
                size_multiple=8,
                params=("model", "output_range"),
            ),
            requires=("onnxruntime",),
            extra="onnx",
        ),
        EngineEntry(
            "migan",
            "inpaintkit.engines.onnx:MiganEngine",
            Capabilities(
                description="MI-GAN fast learned fill from your ONNX file (--param model=PATH)",
                preferred_working_size=512,
                size_multiple=8,
                params=("model",),
            ),
            requires=("onnxruntime",),
            extra="onnx",
        ),
        EngineEntry(
            "diffusion",
            "inpaintkit.engines.diffusion:DiffusionEngine",
            Capabilities(
                needs_prompt=True,
                honours_soft_mask=True,
                size_multiple=8,
                preferred_working_size=512,
                description="Stable Diffusion 1.x/2.x/XL inpainting from your model (--model)",
                params=_DIFFUSION_PARAMS,
            ),
            requires=("torch", "diffusers", "transformers"),
            extra="diffusion",
        ),
    )
}


def _missing_modules(entry: EngineEntry) -> list[str]:
    return [m for m in entry.requires if importlib.util.find_spec(m) is None]


def _unknown(name: str) -> UnknownEngineError:
    known = ", ".join(sorted(ENGINES))
    return UnknownEngineError(
        f"unknown engine {name!r}; choose one of: {known} (see `inpaintkit engines`)"
    )


def resolve_engine_name(name: str) -> str:
    """Check the engine name exists and return it."""
    if name not in ENGINES:
        raise _unknown(name)
    return name


def engine_capabilities(name: str) -> Capabilities:
    return ENGINES[resolve_engine_name(name)].capabilities


def check_engine_params(name: str, params: Mapping[str, object]) -> None:
    """Reject engine options the engine does not know, naming the ones it does."""
    accepted = engine_capabilities(name).params
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        known = ", ".join(accepted) if accepted else "none"
        raise InvalidParameterError(
            f"engine {name!r} has no option {', '.join(map(repr, unknown))}; its options: {known}"
        )


def list_engines() -> list[EngineStatus]:
    """Every registered engine, whether it can run here, and why not."""
    statuses = []
    for entry in ENGINES.values():
        missing = _missing_modules(entry)
        if missing:
            hint = f"pip install 'inpaintkit[{entry.extra}]'" if entry.extra else "reinstall"
            reason = f"missing {', '.join(missing)}: {hint}"
        else:
            reason = "ready"
        statuses.append(
            EngineStatus(entry.name, entry.capabilities, not missing, reason, entry.extra)
        )
    return statuses


@cache
def get_engine(name: str) -> Engine:
    """Return the engine called ``name``, importing it on first use."""
    entry = ENGINES[resolve_engine_name(name)]
    missing = _missing_modules(entry)
    if missing:
        extra = f" (pip install 'inpaintkit[{entry.extra}]')" if entry.extra else ""
        raise EngineUnavailableError(
            f"engine {entry.name!r} needs {', '.join(missing)}, which is not installed{extra}",
            extra=entry.extra,
        )
    module_name, class_name = entry.target.split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    engine: Engine = engine_class()
    return engine
