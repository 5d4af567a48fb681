"""Batch inpainting on Ray Data: the same manifest rows, spread over a pool of actors.

:func:`run_on_ray` is the ``--ray`` half of ``inpaintkit batch``. It writes the same
files, in the same places and byte for byte, as
:func:`inpaintkit.batch.local.run_local`, so a run started by one runner may be resumed
by the other.

How a run goes:

1. Rows whose output already exists with a matching recipe (:func:`is_done`) are
   reported as ``skipped`` by the driver and never reach Ray (a run with nothing left
   to do does not even start Ray).
2. The rest travel as plain data (:func:`row_to_payload`: the request's
   ``model_dump()``, number, output and inline mask, as one JSON text), never as pickled
   classes; each actor rebuilds the request with :func:`~inpaintkit.schema.make_request`.
3. ``map_batches`` with a callable class (:class:`RowWorker`) over an actor pool: one
   GPU per actor where the cluster has GPUs, one CPU otherwise. Engines and models are
   cached per process, so each actor loads them once and keeps them for every row it
   is given. Each actor writes its own results with :func:`process_row` (deterministic
   names, atomic rename), rather than Ray's ``write_images``, which acts on the whole
   folder and adds a per-run id to the names.
4. A row's problem, or anything else raised while one row runs, becomes a ``failed``
   outcome in the result columns instead of failing the dataset. An actor that dies
   (OOM killer, a native crash, a lost node) is restarted and its rows retried
   ``ACTOR_RETRIES`` times; then Ray Data drops that block and its rows are reported as
   failed (Ray Data's default would retry them forever).
5. The driver streams the results (``iter_rows``), so events arrive as rows finish and
   a run that is killed has written everything finished so far.

``import inpaintkit`` and ``import inpaintkit.batch`` never import Ray; this module
imports it only when :func:`run_on_ray` is called.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from inpaintkit.batch import storage
from inpaintkit.batch.manifest import Row, RowError
from inpaintkit.batch.report import row_event, start_event
from inpaintkit.batch.work import RowOutcome, clean_temp_files, is_done, output_path, process_row
from inpaintkit.errors import InvalidInputError, InvalidParameterError, MissingExtraError
from inpaintkit.schema import make_request

__all__ = ["RowWorker", "row_from_payload", "row_to_payload", "run_on_ray"]

Event = dict[str, Any]

# Rows are cut into blocks of ``batch_size`` rows (one block per actor call, so results
# stream back row by row); past this many blocks, blocks hold several batches.
MAX_BLOCKS = 10_000

# Ray Data's switches that print progress; off while events are the caller's report.
_PROGRESS_SWITCHES = (
    "enable_progress_bars",
    "enable_operator_progress_bars",
    "verbose_stats_logs",
    "print_on_execution_start",
)

# Times a task is retried after its actor died (then its rows are reported as failed).
ACTOR_RETRIES = 2


def row_to_payload(row: Row) -> str:
    """A row as JSON text: what travels to the actors (plain data, no classes).

    >>> row = Row(number=3, request=make_request(image="a.png", mask="1,2,30,40"),
    ...           output="a.png")
    >>> row_from_payload(row_to_payload(row)) == row
    True
    """
    return json.dumps(
        {
            "number": row.number,
            "request": row.request.model_dump(mode="json"),
            "output": row.output,
            "mask_data": row.mask_data,
        }
    )


def row_from_payload(payload: str) -> Row:
    """The row that :func:`row_to_payload` wrote; its request rebuilt (and checked
    again) by :func:`~inpaintkit.schema.make_request`."""
    data = json.loads(payload)
    return Row(
        number=int(data["number"]),
        request=make_request(**data["request"]),
        output=data["output"],
        mask_data=data["mask_data"],
    )


class RowWorker:
    """The callable class ``map_batches`` runs in each actor: rows in, outcomes out.

    Built once per actor; every engine and model the rows use is loaded on first use
    and stays cached in the actor's process for the rest of the run.
    """

    def __init__(self, outdir: str, png_level: int | None = None) -> None:
        # One core per actor: OpenCV's and OpenMP's own thread pools would otherwise
        # make every actor fight over every core.
        os.environ["OMP_NUM_THREADS"] = "1"
        import cv2

        cv2.setNumThreads(1)
        self.outdir = outdir
        self.png_level = png_level

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {name: [] for name in _RESULT_COLUMNS}
        for number, payload in zip(batch["number"], batch["row"], strict=True):
            outcome = self.run_one(int(number), str(payload))
            for name, value in _outcome_columns(outcome).items():
                columns[name].append(value)
        return columns

    def run_one(self, number: int, payload: str) -> RowOutcome:
        """One row's outcome; never raises (a failure is a ``failed`` outcome)."""
        started = time.perf_counter()
        row: Row | None = None
        try:
            row = row_from_payload(payload)
            return process_row(row, self.outdir, png_level=self.png_level)
        except Exception as error:  # whatever process_row did not catch: this row fails
            message = f"{type(error).__name__}: {' '.join(str(error).split())}"
            image = row.request.image if row is not None else None
            output = output_path(self.outdir, row) if row is not None else ""
            return RowOutcome(
                number=number,
                output=output,
                status="failed",
                error=RowError(number=number, image=image, message=message, kind="failed"),
                seconds=time.perf_counter() - started,
            )


_RESULT_COLUMNS = (
    "number",
    "output",
    "status",
    "seconds",
    "error_image",
    "error_message",
    "error_kind",
)


def _outcome_columns(outcome: RowOutcome) -> dict[str, Any]:
    error = outcome.error
    return {
        "number": outcome.number,
        "output": outcome.output,
        "status": outcome.status,
        "seconds": float(outcome.seconds),
        "error_image": error.image if error else None,
        "error_message": error.message if error else None,
        "error_kind": error.kind if error else None,
    }


def _outcome_from_columns(result: dict[str, Any]) -> RowOutcome:
    number = int(result["number"])
    error = None
    if result.get("error_message") is not None:
        error = RowError(
            number=number,
            image=result.get("error_image"),
            message=str(result["error_message"]),
            kind=str(result["error_kind"]),
        )
    return RowOutcome(
        number=number,
        output=str(result["output"]),
        status=str(result["status"]),
        error=error,
        seconds=float(result["seconds"]),
    )


def run_on_ray(
    rows: Iterable[Row],
    outdir: str,
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int | None = 1,
    png_level: int | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> list[RowOutcome]:
    """Run ``rows`` on Ray, writing each result under ``outdir`` (a path or a URI).

    ``address``: None starts a local Ray for this run (``workers`` CPUs, else every
    core) and shuts it down after, unless ``RAY_ADDRESS`` names a cluster (as in a job
    that ``ray job submit`` started); ``"auto"`` or ``"ray://head:10001"`` connects to
    a running cluster. A Ray already initialised in this process is used as it is and
    left running. ``workers``: actors (default: one per GPU where the cluster has GPUs,
    else one per CPU). ``batch_size``: rows per actor call (None: 1). Returns one
    outcome per row in row-number order; ``on_event`` receives the same events as
    :func:`~inpaintkit.batch.local.run_local`, each row's as soon as it finishes.
    """
    ray = _import_ray()
    batch_size = 1 if batch_size is None else batch_size
    if batch_size < 1:
        raise InvalidParameterError("{batch_size} must be 1 or more", options={"batch_size": None})
    if workers is not None and workers < 1:
        raise InvalidParameterError("{workers} must be 1 or more", options={"workers": None})
    rows = list(rows)
    emit = on_event or (lambda event: None)
    # Where the files go, as every process spells it: actors may run in another working
    # folder or on another node, so a local folder is absolute (and ``file://`` a plain
    # path); events and outcomes name outputs as the caller did.
    local = storage.local_path(outdir)
    folder = os.path.abspath(local) if local is not None else outdir
    clean_temp_files(rows, folder)

    skipped: list[RowOutcome] = []
    todo: list[Row] = []
    for row in rows:
        started = time.perf_counter()
        if is_done(row, folder):
            seconds = time.perf_counter() - started
            target = output_path(outdir, row)
            skipped.append(RowOutcome(row.number, target, "skipped", None, seconds))
        else:
            todo.append(row)

    outcomes = list(skipped)
    if not todo:
        emit(start_event(rows, workers=0, outdir=outdir))
        for outcome in skipped:
            emit(row_event(outcome))
        return sorted(outcomes, key=lambda outcome: outcome.number)

    with _data_settings(quiet=on_event is not None), _ray_session(ray, address, workers):
        pool = _plan_pool(ray, len(todo), workers, batch_size)
        emit(start_event(rows, workers=pool.size, outdir=outdir))
        for outcome in skipped:
            emit(row_event(outcome))
        waiting = {row.number: row for row in todo}
        for outcome in _map_rows(todo, folder, pool, png_level):
            row = waiting.pop(outcome.number)
            outcome = replace(outcome, output=output_path(outdir, row))
            outcomes.append(outcome)
            emit(row_event(outcome))
        # A block whose actor died more than ACTOR_RETRIES times is dropped by Ray Data
        # (the run goes on): its rows failed, unless they were written before it died.
        for row in waiting.values():
            outcome = _lost(row, folder, outdir)
            outcomes.append(outcome)
            emit(row_event(outcome))
    return sorted(outcomes, key=lambda outcome: outcome.number)


def _lost(row: Row, folder: str, outdir: str) -> RowOutcome:
    target = output_path(outdir, row)
    if is_done(row, folder):
        return RowOutcome(row.number, target, "done", None, 0.0)
    message = (
        f"the Ray actor running this row died {ACTOR_RETRIES + 1} times (killed, out of "
        "memory, or its node was lost); run the batch again to retry it, with fewer "
        "--workers if memory is short"
    )
    error = RowError(row.number, row.request.image, message, "failed")
    return RowOutcome(row.number, target, "failed", error, 0.0)


@dataclass(frozen=True)
class _Pool:
    size: int  # actors at most
    min_size: int  # actors the cluster can hold now
    gpus: bool  # one GPU per actor (else one CPU)
    batch_size: int
    blocks: int


def _plan_pool(ray: Any, count: int, workers: int | None, batch_size: int) -> _Pool:
    """How many actors, on what, and how ``count`` rows are cut into blocks."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    capacity = gpus or max(1, int(resources.get("CPU", 1)))
    batches = math.ceil(count / batch_size)
    size = max(1, min(workers or capacity, batches))
    # Never wait for more actors than the cluster holds now; an autoscaling cluster may
    # still grow the pool up to ``size``.
    return _Pool(
        size=size,
        min_size=min(size, capacity),
        gpus=gpus > 0,
        batch_size=batch_size,
        blocks=min(batches, MAX_BLOCKS),
    )


def _map_rows(
    rows: list[Row], outdir: str, pool: _Pool, png_level: int | None
) -> Iterator[RowOutcome]:
    """Map ``rows`` over the actor pool and yield each outcome as it arrives."""
    import ray.data

    items = [{"number": row.number, "row": row_to_payload(row)} for row in rows]
    dataset = ray.data.from_items(items, override_num_blocks=pool.blocks)
    per_actor: dict[str, Any] = {"num_gpus": 1} if pool.gpus else {"num_cpus": 1}
    # Ray Data retries a task whose actor died forever by default: a row that kills its
    # actor (a crash, the OOM killer) would never let the run end.
    parameters = inspect.signature(dataset.map_batches).parameters.values()
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        per_actor["max_task_retries"] = ACTOR_RETRIES
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
        results = dataset.map_batches(
            RowWorker,
            fn_constructor_kwargs={"outdir": outdir, "png_level": png_level},
            batch_size=pool.batch_size,
            compute=ray.data.ActorPoolStrategy(min_size=pool.min_size, max_size=pool.size),
            **per_actor,
        )
    for result in results.iter_rows():
        yield _outcome_from_columns(result)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data: the ray[data] part of the extra
    except ImportError as missing:
        raise MissingExtraError(
            f"batch on Ray needs {missing.name or 'ray'}, which is not installed: "
            "pip install 'inpaintkit[distributed]'",
            extra="distributed",
        ) from None
    return ray


@contextmanager
def _ray_session(ray: Any, address: str | None, workers: int | None) -> Iterator[None]:
    """The Ray this process already has, or one started/connected here and shut after."""
    if ray.is_initialized():
        yield
        return
    # Workers' prints stay in the session's log files: stdout is the caller's (--json).
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None and os.environ.get("RAY_ADDRESS"):
        ray.init(**quiet)  # a driver that `ray job submit` started joins its cluster
    elif address is None:
        ray.init(
            address="local",
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            **quiet,
        )
    else:
        _connect(ray, address, quiet)
    try:
        yield
    finally:
        ray.shutdown()


def _connect(ray: Any, address: str, options: dict[str, Any]) -> None:
    """Join the cluster at ``address``; an error that names the fix if there is none."""
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise MissingExtraError(
            f"connecting to {address} goes through Ray Client, which is not installed: "
            "pip install 'ray[client]' (or connect from a node of the cluster with "
            "address 'auto')",
            extra="distributed",
        )
    try:
        ray.init(address=address, **options)
    except (ConnectionError, ValueError, RuntimeError, SystemExit) as error:
        # (Ray exits the process when nothing answers at HOST:PORT.)
        said = " ".join(str(error).split()) or f"{type(error).__name__} {error}"
        raise InvalidInputError(
            f"cannot connect to a Ray cluster at {address!r} ({said}); check that the "
            "cluster runs (ray status) and the address ('auto' on one of its nodes, "
            "HOST:6379, or ray://HOST:10001), or leave the address out to start Ray here"
        ) from None


@contextmanager
def _data_settings(*, quiet: bool) -> Iterator[None]:
    """Ray Data's settings for a run: a block whose actor died too often is dropped
    rather than failing the run (:func:`run_on_ray` reports its rows); and, when
    ``quiet``, no progress bars or execution logs while events are the caller's report."""
    import ray._private.worker as driver
    import ray.data

    context = ray.data.DataContext.get_current()
    switches: dict[str, Any] = {"max_errored_blocks": -1}
    if quiet:
        switches |= dict.fromkeys(_PROGRESS_SWITCHES, False)
    saved = {name: getattr(context, name) for name in switches}
    for name, value in switches.items():
        setattr(context, name, value)
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    # The driver prints the cluster's error messages (an actor killed at shutdown, say)
    # on *stdout*, even with log_to_driver=False: they would break --json's stream.
    # They stay in the session's logs. (Ray's own debugger turns them off the same way.)
    printing = getattr(driver, "_worker_logs_enabled", None)
    if quiet:
        data_logger.setLevel(logging.ERROR)
        if printing is not None:
            driver._worker_logs_enabled = False
    try:
        yield
    finally:
        if quiet:
            data_logger.setLevel(level)
            if printing is not None:
                driver._worker_logs_enabled = printing
        for name, value in saved.items():
            setattr(context, name, value)
