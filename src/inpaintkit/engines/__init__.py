"""Engines: the fills themselves. See :mod:`inpaintkit.engines.base` for the protocol and
:mod:`inpaintkit.engines.tables` for every engine's options."""

from inpaintkit.engines.base import CallContext, Capabilities, Engine, PlanHints
from inpaintkit.engines.registry import (
    get_engine,
    list_engines,
    resolve_engine_name,
    resolve_engine_options,
    run_engine,
)

__all__ = [
    "CallContext",
    "Capabilities",
    "Engine",
    "PlanHints",
    "get_engine",
    "list_engines",
    "resolve_engine_name",
    "resolve_engine_options",
    "run_engine",
]
