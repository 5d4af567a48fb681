"""A test engine the tests hold and release: it signals when it starts, waits at a gate,
then reports its steps. With it a test knows an engine is busy, without timing guesses.

Register it with the ``gate_engine`` fixture (tests/server/conftest.py); the engine is
called ``test-gate``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from inpaintkit.engines.base import CallContext, Capabilities, Engine

NAME = "test-gate"
STEPS = 3
entered = threading.Event()  # set when a run reaches the engine
gate = threading.Event()  # the engine waits for this before it finishes
calls: list[int] = []  # one entry per engine call


class GateEngine(Engine):
    name = NAME
    capabilities = Capabilities(description="test engine held at a gate")

    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        *,
        options: Mapping[str, Any],
        context: CallContext,
    ) -> np.ndarray:
        calls.append(1)
        entered.set()
        if not gate.wait(timeout=30):
            raise RuntimeError("the test never opened the gate")
        for step in range(1, STEPS + 1):
            context.step(step, STEPS)
        filled = image.copy()
        filled[mask > 0] = 0.5
        return filled


def reset() -> None:
    entered.clear()
    gate.clear()
    calls.clear()
