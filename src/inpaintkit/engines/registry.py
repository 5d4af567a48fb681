"""The one place engines are registered.

Entries name a module and class instead of importing them, so listing engines never
imports a heavy dependency; the import happens when an engine is first used. Each entry
carries the engine's capabilities and its option table (:mod:`inpaintkit.engines.tables`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from inpaintkit.engines import tables
from inpaintkit.engines.base import CallContext, Capabilities, Engine
from inpaintkit.engines.options import OptionTable
from inpaintkit.errors import (
    NAME_ONLY,
    EngineUnavailableError,
    InvalidParameterError,
    Speller,
    UnknownEngineError,
    spell_python,
)


@dataclass(frozen=True)
class EngineEntry:
    name: str
    target: str  # "module:Class"
    capabilities: Capabilities
    options: OptionTable
    requires: tuple[str, ...] = ()  # importable modules the engine needs
    extra: str | None = None  # pip extra that installs them


@dataclass(frozen=True)
class EngineStatus:
    """Whether an engine can run here. ``reason`` is in Python's terms; a front end
    spells the options it names its own way with :meth:`reason_spelled`."""

    name: str
    capabilities: Capabilities
    options: OptionTable
    ready: bool
    reason_template: str
    extra: str | None
    reason_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.reason_spelled(spell_python)

    def reason_spelled(self, spell: Speller) -> str:
        if not self.reason_options:
            return self.reason_template
        named = {k: spell(k, v) for k, v in self.reason_options.items()}
        return self.reason_template.format_map(named)

    def to_dict(self, spell: Speller = spell_python) -> dict[str, Any]:
        """Capabilities, readiness and the options as JSON Schema."""
        return {
            "ready": self.ready,
            "reason": self.reason_spelled(spell),
            "extra": self.extra,
            "capabilities": self.capabilities.to_dict(),
            "options": self.options.json_schema(),
        }


_CLASSICAL = "inpaintkit.engines.classical"
# Diffusion-style fills only read a few pixels past the hole's edge (radius ≤ 64).
_LOCAL_CONTEXT = 72

ENGINES: dict[str, EngineEntry] = {
    entry.name: entry
    for entry in (
        EngineEntry(
            "telea",
            f"{_CLASSICAL}:TeleaEngine",
            Capabilities(
                description="OpenCV fast marching (Telea 2004): quick, smooth fill",
                context=_LOCAL_CONTEXT,
            ),
            tables.TELEA,
            requires=("cv2",),
        ),
        EngineEntry(
            "navier-stokes",
            f"{_CLASSICAL}:NavierStokesEngine",
            Capabilities(
                description="OpenCV Navier-Stokes fluid fill: quick, smooth fill",
                context=_LOCAL_CONTEXT,
            ),
            tables.NAVIER_STOKES,
            requires=("cv2",),
        ),
        EngineEntry(
            "patchmatch",
            f"{_CLASSICAL}:PatchMatchEngine",
            Capabilities(description="PatchMatch exemplar fill (pypatchmatch): copies texture"),
            tables.PATCHMATCH,
            requires=("patchmatch",),
        ),
        EngineEntry(
            "structure",
            "inpaintkit.engines.structure:StructureEngine",
            Capabilities(
                description="multi-scale structure-guided exemplar fill: edges and texture"
            ),
            tables.STRUCTURE,
            requires=("cv2",),
        ),
        EngineEntry(
            "auto",
            "inpaintkit.engines.auto:AutoEngine",
            Capabilities(description="picks per region: telea for thin strokes, else structure"),
            tables.AUTO,
            requires=("cv2", "patchmatch"),
        ),
        EngineEntry(
            "lama",
            "inpaintkit.engines.onnx:LamaEngine",
            Capabilities(
                description="LaMa learned fill from your ONNX file (--model PATH)",
                preferred_working_size=512,
                size_multiple=8,
                model_option="model",
                model_variable="INPAINTKIT_LAMA_MODEL",
            ),
            tables.LAMA,
            requires=("onnxruntime",),
            extra="onnx",
        ),
        EngineEntry(
            "migan",
            "inpaintkit.engines.onnx:MiganEngine",
            Capabilities(
                description="MI-GAN fast learned fill from your ONNX file (--model PATH)",
                preferred_working_size=512,
                size_multiple=8,
                model_option="model",
                model_variable="INPAINTKIT_MIGAN_MODEL",
            ),
            tables.MIGAN,
            requires=("onnxruntime",),
            extra="onnx",
        ),
        EngineEntry(
            "diffusion",
            "inpaintkit.engines.diffusion:DiffusionEngine",
            Capabilities(
                description="Stable Diffusion 1.x/2.x/XL inpainting from your model (--model)",
                needs_prompt=True,
                honours_soft_mask=True,
                size_multiple=8,
                preferred_working_size=512,
                needs_surroundings=False,
                latent_scale=8,
                guides=("control_image",),
                model_option="model",
            ),
            tables.DIFFUSION,
            requires=("torch", "diffusers", "transformers"),
            extra="diffusion",
        ),
    )
}


def _missing_modules(entry: EngineEntry) -> list[str]:
    return [m for m in entry.requires if importlib.util.find_spec(m) is None]


def resolve_engine_name(name: str) -> str:
    """Check the engine name exists and return it."""
    if name not in ENGINES:
        known = ", ".join(sorted(ENGINES))
        raise UnknownEngineError(
            f"unknown engine {name!r}; choose one of: {known} (see `inpaintkit engines`)"
        )
    return name


def engine_entry(name: str) -> EngineEntry:
    return ENGINES[resolve_engine_name(name)]


def engine_capabilities(name: str) -> Capabilities:
    return engine_entry(name).capabilities


def check_engine_options(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given options of engine ``name``, checked. An option of another engine says
    which engine takes it; an unknown one lists the engine's own."""
    entry = engine_entry(name)
    taken = all_options()
    for option in given:
        owners = taken.get(option, [])
        if option not in entry.options.names and owners:
            owner = ENGINES[owners[0]]
            fix = {"engine": owner.name}
            if owner.capabilities.model_option and owner.capabilities.model_option not in given:
                fix[owner.capabilities.model_option] = "PATH"
            raise InvalidParameterError(
                f"{{{option}}} is an option of engine {', '.join(owners)}, not {name!r}: add "
                + " ".join("{" + key + "}" for key in fix),
                options={option: NAME_ONLY, **fix},
            )
    return entry.options.check(name, given)


def resolve_engine_options(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every option of engine ``name``: the given ones checked, the rest at default."""
    return engine_entry(name).options.resolve(name, given)


def all_options() -> dict[str, list[str]]:
    """Every option name in any engine's table, with the engines that take it."""
    taken: dict[str, list[str]] = {}
    for entry in ENGINES.values():
        for option in entry.options.names:
            taken.setdefault(option, []).append(entry.name)
    return taken


def _model_reason(entry: EngineEntry, options: Mapping[str, Any]) -> str | None:
    """Why a learned engine is not ready for lack of weights, or None; the option is
    named as a ``{field}`` for the front end to spell."""
    caps = entry.capabilities
    if caps.model_option is None or options.get(caps.model_option):
        return None
    if caps.model_variable and os.environ.get(caps.model_variable):
        return None
    also = f" or set {caps.model_variable}" if caps.model_variable else ""
    return "needs a model: pass {" + caps.model_option + "}" + also


def list_engines(options: Mapping[str, Any] | None = None) -> list[EngineStatus]:
    """Every registered engine, whether it can run here, and why not. A learned engine
    is ready only when its dependencies are installed and a model is set (in
    ``options``, or its environment variable)."""
    statuses = []
    for entry in ENGINES.values():
        missing = _missing_modules(entry)
        if missing:
            hint = f"pip install 'inpaintkit[{entry.extra}]'" if entry.extra else "reinstall"
            reason = f"missing {', '.join(missing)}: {hint}"
        else:
            reason = _model_reason(entry, options or {}) or "ready"
        model = entry.capabilities.model_option
        statuses.append(
            EngineStatus(
                entry.name,
                entry.capabilities,
                entry.options,
                reason == "ready",
                reason,
                entry.extra,
                {model: "PATH"} if model else {},
            )
        )
    return statuses


def engines_markdown() -> str:
    """docs/engines.md: every engine with its options, written from the tables."""
    parts = [
        "# Engines and their options",
        "",
        "Written by `inpaintkit engines --markdown` from the option tables in",
        "`src/inpaintkit/engines/tables.py`; a test keeps this file current. Every option",
        "is a CLI flag, a keyword of `inpaintkit.inpaint()`, and a field of the engine's",
        "JSON Schema (`inpaintkit engines --json`).",
    ]
    for entry in ENGINES.values():
        needs = f" Needs `pip install 'inpaintkit[{entry.extra}]'`." if entry.extra else ""
        parts += ["", f"## `{entry.name}`", "", entry.capabilities.description + "." + needs, ""]
        parts.append(entry.options.markdown() if entry.options.names else "No options.")
    return "\n".join(parts) + "\n"


@cache
def get_engine(name: str) -> Engine:
    """Return the engine called ``name``, importing it on first use."""
    entry = engine_entry(name)
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


def run_engine(
    name: str,
    image: np.ndarray,
    mask: np.ndarray,
    *,
    seed: int = 0,
    context: CallContext | None = None,
    **options: Any,
) -> np.ndarray:
    """Call engine ``name`` directly on one crop, its options checked and defaulted: what
    an engine does to call another (``auto``, a diffusion pre-fill) and what tests use.

    >>> image = np.full((16, 16, 3), 0.2, np.float32)
    >>> hole = np.zeros((16, 16), np.float32); hole[6:9, 6:9] = 1
    >>> filled = run_engine("telea", image, hole, radius=2)
    >>> filled.shape, bool(abs(filled[7, 7, 0] - 0.2) < 0.02)
    ((16, 16, 3), True)
    """
    resolved = resolve_engine_options(name, options)
    context = context if context is not None else CallContext(seed=seed)
    return get_engine(name).inpaint(image, mask, options=resolved, context=context)
