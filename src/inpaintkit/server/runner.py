"""Runs requests for the routes: one run at a time per engine, a bounded queue, a timeout.

The pipeline is blocking and may hold a model of several GB, so each engine runs one
request at a time in a worker thread; at most ``queue_size`` more wait, and the next
gets :class:`~inpaintkit.server.errors.QueueFullError` (HTTP 429 with Retry-After) at
once instead of piling up. Native routes, A1111 routes and jobs all go through here.

A run can be called off (a job's DELETE, a direct request past ``timeout_s``) through a
:class:`threading.Event`: a run still waiting for its engine leaves the queue at once and
never starts; a running one stops at the pipeline's next stage boundary (load, refine,
plan, each region's engine call, composite). An engine call already under way runs to
its end: the pipeline has no way to interrupt it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

from inpaintkit.schema import Request
from inpaintkit.server.errors import QueueFullError, RunTimeoutError
from inpaintkit.server.settings import ServerSettings
from inpaintkit.types import Result

Progress = Callable[[int, int], None]
StageCallback = Callable[[str], None]

# How often a queued run that may be called off looks at its event while it waits.
_POLL_S = 0.05


class RunCancelled(Exception):  # a signal between threads, never a client's answer
    """The run was called off before it finished; it has no result."""


class Reservation:
    """A place in an engine's queue, taken by :meth:`Runner.reserve` (429 when full) and
    given back once, by :meth:`release` or by the run that uses it."""

    def __init__(self, runner: Runner, engine: str, lock: threading.Lock) -> None:
        self.engine = engine
        self.lock = lock
        self._runner: Runner | None = runner

    def release(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner._leave(self.engine)


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

    def reserve(self, engine: str) -> Reservation:
        """Take a place in ``engine``'s queue now, or raise QueueFullError (429): what a
        job does when it is created, so a full queue is refused at once."""
        with self._guard:
            admitted = self._admitted.get(engine, 0)
            if admitted >= 1 + self.settings.queue_size:
                raise QueueFullError(
                    f"engine {engine!r} is busy: {admitted} requests running or waiting, the "
                    f"most this server queues; retry later",
                    retry_after=5,
                )
            self._admitted[engine] = admitted + 1
            lock = self._engine_locks.setdefault(engine, threading.Lock())
        return Reservation(self, engine, lock)

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
        on_stage: StageCallback | None = None,
        cancel: threading.Event | None = None,
        reservation: Reservation | None = None,
    ) -> Result:
        """Run ``request`` in this thread once the engine is free (for job workers).

        ``cancel`` calls the run off (:class:`RunCancelled`); ``reservation`` is a place
        taken earlier with :meth:`reserve` (else one is taken now: 429 when full)."""
        from inpaintkit.pipeline import run

        held = reservation if reservation is not None else self.reserve(request.engine)
        try:
            _acquire(held.lock, cancel)
            try:
                return run(
                    request,
                    image=image,
                    mask=mask,
                    progress=progress,
                    on_stage=_stage_checker(on_stage, cancel),
                )
            finally:
                held.lock.release()
        finally:
            held.release()

    async def run(
        self,
        request: Request,
        *,
        image: Any = None,
        mask: Any = None,
        progress: Progress | None = None,
        on_stage: StageCallback | None = None,
    ) -> Result:
        """Run ``request`` in a worker thread, waiting for the engine; 429 when full.

        Past ``timeout_s`` the client gets 503 and the run is called off (it leaves the
        queue, or stops at its next stage boundary)."""
        reservation = self.reserve(request.engine)  # 429 before any thread is used
        cancel = threading.Event()
        try:
            with anyio.fail_after(self.settings.timeout_s):
                return await anyio.to_thread.run_sync(
                    lambda: self.run_blocking(
                        request,
                        image=image,
                        mask=mask,
                        progress=progress,
                        on_stage=on_stage,
                        cancel=cancel,
                        reservation=reservation,
                    ),
                    abandon_on_cancel=True,
                )
        except TimeoutError:
            raise RunTimeoutError(
                f"the run took longer than this server's limit of {self.settings.timeout_s:g} s "
                "and was stopped; use /v1/jobs for long runs, or a smaller image or mask"
            ) from None
        finally:
            cancel.set()  # an abandoned thread stops at its next chance; no-op when done


def _acquire(lock: threading.Lock, cancel: threading.Event | None) -> None:
    if cancel is None:
        lock.acquire()
        return
    while not lock.acquire(timeout=_POLL_S):
        if cancel.is_set():
            raise RunCancelled
    if cancel.is_set():
        lock.release()
        raise RunCancelled


def _stage_checker(
    on_stage: StageCallback | None, cancel: threading.Event | None
) -> StageCallback | None:
    if cancel is None:
        return on_stage

    def check(stage: str) -> None:
        if cancel.is_set():
            raise RunCancelled
        if on_stage is not None:
            on_stage(stage)

    return check
