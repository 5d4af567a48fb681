"""Engines: the fills themselves. See :mod:`inpaintkit.engines.base` for the protocol."""

from inpaintkit.engines.base import Capabilities, Engine
from inpaintkit.engines.registry import get_engine, list_engines, resolve_engine_name

__all__ = ["Capabilities", "Engine", "get_engine", "list_engines", "resolve_engine_name"]
