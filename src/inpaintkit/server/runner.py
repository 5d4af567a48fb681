"""Runs requests for the routes: one run at a time per engine, a bounded queue, a timeout.

The pipeline is blocking and may hold a model of several GB, so each engine runs one
request at a time in a worker thread; at most ``queue_size`` more wait, and the next
gets :class:`~inpaintkit.server.errors.QueueFullError` (HTTP 429 with Retry-After) at
once instead of piling up. Native routes, A1111 routes and jobs all go through here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

from inpaintkit.schema import Request
from inpaintkit.server.errors import QueueFullError
from inpaintkit.server.settings import ServerSettings
from inpaintkit.types import Result

Progress = Callable[[int, int], None]


class Runner:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._guard = threading.Lock()
        self._engine_locks: dict[str, threading.Lock] = {}
        self._admitted: dict[str, int] = {}  # running + waiting, per engine

    def busy(self) -> dict[str, int]:
        """Requests running or waiting, per engine."""
        with self._guard:
            return {name: count for name, count in self._admitted.items() if count}

    def _admit(self, engine: str) -> threading.Lock:
        with self._guard:
            admitted = self._admitted.get(engine, 0)
            if admitted >= 1 + self.settings.queue_size:
                raise QueueFullError(
                    f"engine {engine!r} is busy: {admitted} requests running or waiting, the "
                    f"most this server queues; retry later",
                    retry_after=5,
                )
            self._admitted[engine] = admitted + 1
            return self._engine_locks.setdefault(engine, threading.Lock())

    def _leave(self, engine: str) -> None:
        with self._guard:
            self._admitted[engine] -= 1

    def run_blocking(
        self,
        request: Request,
        *,
        image: Any = None,
        mask: Any = None,
        progress: Progress | None = None,
    ) -> Result:
        """Run ``request`` in this thread once the engine is free (for job workers)."""
        from inpaintkit.pipeline import run

        lock = self._admit(request.engine)
        try:
            with lock:
                return run(request, image=image, mask=mask, progress=progress)
        finally:
            self._leave(request.engine)

    async def run(
        self,
        request: Request,
        *,
        image: Any = None,
        mask: Any = None,
        progress: Progress | None = None,
    ) -> Result:
        """Run ``request`` in a worker thread, waiting for the engine; 429 when full."""
        with anyio.fail_after(self.settings.timeout_s):
            return await anyio.to_thread.run_sync(
                lambda: self.run_blocking(request, image=image, mask=mask, progress=progress),
                abandon_on_cancel=True,
            )
