"""Run rows on this machine: in this process (``workers=1``) or in worker processes.

Workers are started with ``spawn`` (never ``fork`` after threads) and are sent rows,
not pixels: each loads its own inputs, so memory is bounded by the rows in flight
(at most ``2 × workers``). Results are consumed as they finish. Each worker runs
OpenCV and the BLAS/OpenMP pools single-threaded, so N workers use N cores and do not
fight over them; the in-process path keeps the libraries' own defaults. A worker that
dies (killed, out of memory) fails the rows it held, and a fresh pool takes the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from inpaintkit.batch.manifest import Row, RowError
from inpaintkit.batch.report import row_event, start_event
from inpaintkit.batch.work import RowOutcome, clean_temp_files, output_path, process_row

__all__ = ["SINGLE_THREAD_ENV", "run_local", "single_threaded_environment"]

Event = Callable[[dict[str, Any]], None]

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}


def run_local(
    rows: Iterable[Row],
    outdir: str,
    *,
    workers: int,
    png_level: int | None = None,
    on_event: Event | None = None,
) -> list[RowOutcome]:
    """Process every row (skipping those already done); outcomes in row order."""
    rows = list(rows)
    clean_temp_files(rows, outdir)
    workers = max(1, min(workers, len(rows)))
    emit = on_event or (lambda event: None)
    emit(start_event(rows, workers=workers, outdir=outdir))
    outcomes: list[RowOutcome] = []
    if workers == 1:
        for row in rows:
            outcome = process_row(row, outdir, png_level=png_level)
            outcomes.append(outcome)
            emit(row_event(outcome))
    else:
        for outcome in _in_processes(rows, outdir, workers, png_level):
            outcomes.append(outcome)
            emit(row_event(outcome))
    return sorted(outcomes, key=lambda outcome: outcome.number)


def _in_processes(
    rows: list[Row], outdir: str, workers: int, png_level: int | None
) -> Iterator[RowOutcome]:
    import multiprocessing

    waiting = list(reversed(rows))
    context = multiprocessing.get_context("spawn")
    while waiting:
        with (
            single_threaded_environment(),
            ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker) as pool,
        ):
            in_flight: dict[Future[RowOutcome], Row] = {}
            broken = False
            while waiting or in_flight:
                while waiting and len(in_flight) < 2 * workers and not broken:
                    row = waiting.pop()
                    in_flight[pool.submit(process_row, row, outdir, png_level=png_level)] = row
                if not in_flight:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    row = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        yield _died(row, outdir)
            # a broken pool takes no more rows: the loop starts a fresh one


def _died(row: Row, outdir: str) -> RowOutcome:
    message = (
        "the worker process running this row died (killed, or out of memory?); "
        "run the batch again to retry it, with fewer --workers if memory is short"
    )
    error = RowError(row.number, row.request.image, message, "failed")
    return RowOutcome(row.number, output_path(outdir, row), "failed", error, 0.0)


@contextmanager
def single_threaded_environment() -> Iterator[None]:
    """Worker processes started inside this block read one-thread settings for the
    numeric libraries at import; this process's own libraries are already set up."""
    saved = {name: os.environ.get(name) for name in SINGLE_THREAD_ENV}
    os.environ.update(SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _start_worker() -> None:
    """In each worker: OpenCV on one thread (it starts its own pool otherwise)."""
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - opencv is a dependency
        pass
