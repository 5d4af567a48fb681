"""Jobs under ``/v1/jobs``: a run started now, watched with server-sent events, fetched
when done.

``POST /v1/jobs`` takes what ``/v1/inpaint`` takes (plus ``kind``: inpaint or outpaint),
checks it, takes a place in the engine's queue (429 when full, at once) and answers 202.
A worker thread runs the job through the same :class:`~inpaintkit.server.runner.Runner`
as direct requests, so both share each engine's one-at-a-time queue. The pipeline's
callbacks become progress: ``on_stage`` (load, refine, plan, engine, composite, then our
own encode) and ``progress`` (engine steps, or regions for engines without steps).

Cancelling (DELETE): a queued job leaves the queue and never starts; a running one is
marked cancelled at once, stops at the pipeline's next stage boundary, and its result is
dropped. An engine call under way runs to its end first (the engine lock stays held until
then): the pipeline cannot interrupt an engine mid-call. Finished jobs are kept
``job_ttl_s`` seconds, then forgotten (404).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response, StreamingResponse

from inpaintkit.errors import NAME_ONLY, InpaintKitError, InvalidInputError
from inpaintkit.server.errors import (
    JobNotReadyError,
    UnknownJobError,
    json_message,
    status_of,
)
from inpaintkit.server.native import (
    ERRORS,
    RESULT_RESPONSES,
    RunInputs,
    RunKind,
    parse_run,
    read_body,
    run_body,
)
from inpaintkit.server.payload import Answer, answer_response, encode_answer, json_response
from inpaintkit.server.runner import Reservation, RunCancelled, Runner
from inpaintkit.server.settings import ServerSettings

router = APIRouter(tags=["jobs"])

FINAL = ("done", "failed", "cancelled")
# Progress events kept per job for late or reconnecting listeners (Last-Event-ID).
EVENT_HISTORY = 512
KEEP_ALIVE_S = 15.0


@dataclass(eq=False)
class Job:
    id: str
    kind: str
    engine: str
    created: float
    state: str = "queued"
    done: int = 0
    total: int = 0
    stage: str | None = None
    error: dict[str, Any] | None = None
    finished: float | None = None
    expires: float | None = None
    answer: Answer | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    events: deque[tuple[int, str, str]] = field(default_factory=lambda: deque(maxlen=EVENT_HISTORY))
    sequence: int = 0
    listeners: set[Callable[[], None]] = field(default_factory=set)

    @property
    def progress(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total, "stage": self.stage}

    def to_dict(self, root: str = "") -> dict[str, Any]:
        base = f"{root}/v1/jobs/{self.id}"
        return {
            "id": self.id,
            "kind": self.kind,
            "engine": self.engine,
            "state": self.state,
            "progress": self.progress,
            "error": self.error,
            "created": _iso(self.created),
            "finished": _iso(self.finished),
            "expires": _iso(self.expires),
            "links": {"self": base, "events": f"{base}/events", "result": f"{base}/result"},
        }


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    stamp = datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class JobStore:
    """Every job of one app, guarded by one lock; workers are threads."""

    def __init__(self, settings: ServerSettings, runner: Runner) -> None:
        self.settings = settings
        self.runner = runner
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def submit(self, kind: str, inputs: RunInputs) -> Job:
        """Queue a job (QueueFullError when the engine's queue is full) and start it."""
        reservation = self.runner.reserve(inputs.request.engine)
        job = Job(uuid.uuid4().hex, kind, inputs.request.engine, time.time())
        with self._lock:
            self._purge()
            self._jobs[job.id] = job
        worker = threading.Thread(
            target=self._work,
            args=(job, inputs, reservation),
            name=f"inpaintkit-job-{job.id[:8]}",
            daemon=True,
        )
        try:
            worker.start()
        except BaseException:
            reservation.release()
            with self._lock:
                self._jobs.pop(job.id, None)
            raise
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            self._purge()
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJobError(
                f"no job {json.dumps(job_id)}: the id is unknown, or the job finished more than "
                f"{self.settings.job_ttl_s:g} s ago and was forgotten"
            )
        return job

    def cancel(self, job_id: str) -> Job:
        """Call a job off; a finished job is forgotten instead (its result freed)."""
        job = self.get(job_id)
        with self._lock:
            if job.state in FINAL:
                self._jobs.pop(job.id, None)
                return job
            job.cancel.set()
            job.answer = None
        self._finish(job, "cancelled")
        return job

    def _purge(self) -> None:
        now = time.time()
        for job_id in [k for k, job in self._jobs.items() if job.expires and job.expires <= now]:
            del self._jobs[job_id]

    # --- the worker's side -------------------------------------------------------------

    def _work(self, job: Job, inputs: RunInputs, reservation: Reservation) -> None:
        try:
            result = self.runner.run_blocking(
                inputs.request,
                image=inputs.image,
                mask=inputs.mask,
                progress=lambda done, total: self._progress(job, done=done, total=total),
                on_stage=lambda stage: self._progress(job, stage=stage),
                cancel=job.cancel,
                reservation=reservation,
            )
            self._progress(job, stage="encode")
            answer = encode_answer(result)
            del result
        except RunCancelled:
            return  # DELETE has marked it cancelled already
        except InpaintKitError as error:
            kind, message, status = type(error).__name__, json_message(error), status_of(error)
            self._finish(job, "failed", error={"type": kind, "message": message, "status": status})
            return
        except Exception as error:  # a bug: say so in the job, keep the server up
            message = f"{type(error).__name__}: {error}"
            self._finish(
                job, "failed", error={"type": "InternalError", "message": message, "status": 500}
            )
            return
        self._finish(job, "done", answer=answer)

    def _progress(self, job: Job, **changes: Any) -> None:
        with self._lock:
            if job.state in FINAL:
                return
            if job.state == "queued":
                job.state = "running"
            for name, value in changes.items():
                setattr(job, name, value)
            listeners = self._add_event(job, "progress", job.progress)
        _notify(listeners)

    def _finish(self, job: Job, state: str, **changes: Any) -> None:
        with self._lock:
            if job.state in FINAL:
                return
            job.state = state
            for name, value in changes.items():
                setattr(job, name, value)
            job.finished = time.time()
            job.expires = job.finished + self.settings.job_ttl_s
            listeners = self._add_event(job, state, job.to_dict())
        _notify(listeners)

    def _add_event(self, job: Job, name: str, data: dict[str, Any]) -> list[Callable[[], None]]:
        job.sequence += 1
        job.events.append((job.sequence, name, json.dumps(data)))
        return list(job.listeners)

    # --- listeners (server-sent events) --------------------------------------------------

    def listen(self, job: Job, wake: Callable[[], None]) -> None:
        with self._lock:
            job.listeners.add(wake)

    def stop_listening(self, job: Job, wake: Callable[[], None]) -> None:
        with self._lock:
            job.listeners.discard(wake)

    def events_after(self, job: Job, cursor: int) -> tuple[list[tuple[int, str, str]], bool]:
        """Events newer than ``cursor``, and whether the job has finished."""
        with self._lock:
            return [event for event in job.events if event[0] > cursor], job.state in FINAL


def _notify(listeners: list[Callable[[], None]]) -> None:
    for wake in listeners:
        wake()


def _store(request: HttpRequest) -> JobStore:
    state = request.app.state
    store: JobStore | None = getattr(state, "jobs", None)
    if store is None:  # created on first use; the event loop runs one request step at a time
        store = state.jobs = JobStore(state.settings, state.runner)
    return store


def _root(request: HttpRequest) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


_JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["inpaint", "outpaint"]},
        "engine": {"type": "string"},
        "state": {"type": "string", "enum": ["queued", "running", *FINAL]},
        "progress": {
            "type": "object",
            "properties": {
                "done": {"type": "integer"},
                "total": {"type": "integer"},
                "stage": {"type": ["string", "null"]},
            },
        },
        "error": {"type": ["object", "null"]},
        "created": {"type": "string", "format": "date-time"},
        "finished": {"type": ["string", "null"], "format": "date-time"},
        "expires": {"type": ["string", "null"], "format": "date-time"},
        "links": {"type": "object"},
    },
}
_JOB_ANSWER = {"content": {"application/json": {"schema": _JOB_SCHEMA}}}


@router.post(
    "/v1/jobs",
    status_code=202,
    summary="Start a job: an inpaint or outpaint run to watch and fetch later",
    description="""Takes what `/v1/inpaint` takes (multipart or JSON), plus `kind`
(`inpaint`, the default, or `outpaint` with `left`/`top`/`right`/`bottom`/`fill`). The
input is checked now (a bad one is a 4xx now), the job takes a place in its engine's
queue (429 with Retry-After when full) and the answer is 202 with the job:
`{"id", "state", "progress", "links": {"self", "events", "result"}, ...}`. Watch it with
`GET /v1/jobs/{id}/events`, fetch the PNG from `GET /v1/jobs/{id}/result`.

```sh
curl -F image=@photo.png -F mask=@mask.png -F engine=structure \\
     http://127.0.0.1:7860/v1/jobs
```""",
    openapi_extra=run_body("job"),
    responses={202: {"description": "The job, queued", **_JOB_ANSWER}, **ERRORS},
)
async def create_job(request: HttpRequest) -> Response:
    settings: ServerSettings = request.app.state.settings
    fields = await read_body(request, settings)
    kind = fields.pop("kind") or "inpaint"
    if kind not in ("inpaint", "outpaint"):
        raise InvalidInputError(
            "{kind} must be 'inpaint' or 'outpaint', got "
            + json.dumps(str(kind))[:60].replace("{", "{{").replace("}", "}}"),
            options={"kind": NAME_ONLY},
        )
    run_kind: RunKind = "outpaint" if kind == "outpaint" else "inpaint"
    inputs = await anyio.to_thread.run_sync(lambda: parse_run(fields, settings, run_kind))
    job = _store(request).submit(run_kind, inputs)
    document = job.to_dict(_root(request))
    return json_response(document, status=202, headers={"Location": document["links"]["self"]})


@router.get(
    "/v1/jobs/{job_id}",
    summary="A job's state and progress",
    description="""`state` is `queued`, `running`, `done`, `failed` or `cancelled`;
`progress` is `{"done", "total", "stage"}` (engine steps, or regions for engines without
steps; stage: load, refine, plan, engine, composite, encode); `error` is
`{"type", "message", "status"}` when the job failed. Finished jobs are kept for the
server's job_ttl_s (default 15 min), then 404.

```sh
curl http://127.0.0.1:7860/v1/jobs/JOB_ID
```""",
    responses={200: {"description": "The job", **_JOB_ANSWER}, 404: ERRORS[400]},
)
def get_job(job_id: str, request: HttpRequest) -> Response:
    return json_response(_store(request).get(job_id).to_dict(_root(request)))


@router.get(
    "/v1/jobs/{job_id}/events",
    summary="Watch a job: server-sent events until it ends",
    description="""A `text/event-stream`: `event: progress` with data
`{"done", "total", "stage"}` for each stage and engine step, then one of `event: done`,
`event: failed` or `event: cancelled` with the job as data, and the stream ends. Each
event has an `id`; a reconnecting client sends `Last-Event-ID` and gets only newer ones.
A browser's EventSource cannot send headers: pass the token as `?token=`. Comments
(`: keep-alive`) are sent every 15 s while nothing happens.

```sh
curl -N http://127.0.0.1:7860/v1/jobs/JOB_ID/events
```""",
    responses={
        200: {"description": "The event stream", "content": {"text/event-stream": {}}},
        404: ERRORS[400],
    },
)
async def job_events(job_id: str, request: HttpRequest) -> Response:
    store = _store(request)
    job = store.get(job_id)
    last = request.headers.get("last-event-id", "")
    cursor = int(last) if last.isdigit() else 0
    return StreamingResponse(
        _stream(store, job, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(store: JobStore, job: Job, cursor: int) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def wake_up() -> None:  # called from worker threads
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
            loop.call_soon_threadsafe(wake.set)

    store.listen(job, wake_up)
    try:
        while True:
            wake.clear()
            events, finished = store.events_after(job, cursor)
            for number, name, data in events:
                yield f"id: {number}\nevent: {name}\ndata: {data}\n\n"
                cursor = number
            if finished:
                return
            with anyio.move_on_after(KEEP_ALIVE_S) as waited:
                await wake.wait()
            if waited.cancelled_caught:
                yield ": keep-alive\n\n"
    finally:
        store.stop_listening(job, wake_up)


@router.get(
    "/v1/jobs/{job_id}/result",
    summary="A finished job's result",
    description="""The PNG (headers as `/v1/inpaint`), or JSON with
`Accept: application/json`. 409 while the job is queued or running, or when it failed or
was cancelled (the message says which); 404 for an unknown or expired id.

```sh
curl http://127.0.0.1:7860/v1/jobs/JOB_ID/result -o result.png
```""",
    responses={**RESULT_RESPONSES, 404: ERRORS[400]},
)
def job_result(job_id: str, request: HttpRequest) -> Response:
    job = _store(request).get(job_id)
    answer = job.answer
    if job.state != "done" or answer is None:
        why = {
            "queued": "is waiting for its engine",
            "running": f"is running ({job.stage or 'starting'}, {job.done}/{job.total})",
            "failed": "failed: " + (job.error or {}).get("message", "no reason given"),
            "cancelled": "was cancelled and has no result",
        }.get(job.state, f"is {job.state}")
        waiting = job.state in ("queued", "running")
        raise JobNotReadyError(
            f"job {job.id} {why}" + ("; wait for its 'done' event" if waiting else "")
        )
    return answer_response(answer, request.headers.get("accept"))


@router.delete(
    "/v1/jobs/{job_id}",
    summary="Cancel a job (or forget a finished one)",
    description="""A queued job leaves the queue and never starts. A running job is
marked `cancelled` at once and its result dropped; it stops at the pipeline's next stage
boundary — an engine call already under way runs to its end, since the pipeline cannot
interrupt an engine mid-call, and the engine is busy until then. A finished job is
forgotten (its result freed; later calls get 404). The answer is the job.

```sh
curl -X DELETE http://127.0.0.1:7860/v1/jobs/JOB_ID
```""",
    responses={200: {"description": "The job", **_JOB_ANSWER}, 404: ERRORS[400]},
)
def cancel_job(job_id: str, request: HttpRequest) -> Response:
    return json_response(_store(request).cancel(job_id).to_dict(_root(request)))
