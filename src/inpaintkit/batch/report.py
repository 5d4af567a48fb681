"""What every runner reports: progress events, errors.jsonl, the summary, the exit code.

Events are plain dicts (``--json`` prints one per line):

* ``{"event": "start", "rows": N, "workers": W, "outdir": ...}``: N rows will run;
* ``{"event": "row", "row": n, "status": "done"|"skipped"|"failed", "output": ...,
  "seconds": s}`` per finished row, plus ``"error": {"kind", "message"}`` when failed;
* ``{"event": "finish", ...summary}`` once at the end (see :func:`summarize`).

Exit codes: 0 when every row is done (now or by an earlier run); 2 when any row was bad
input (found by validation, or a file that turned out unreadable while running); 1 when
rows failed otherwise (an engine error) and none was bad input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from inpaintkit.batch import storage
from inpaintkit.batch.manifest import Row, RowError
from inpaintkit.batch.work import RowOutcome

__all__ = [
    "BAD_INPUT_KINDS",
    "ERRORS_NAME",
    "errors_location",
    "exit_code",
    "row_event",
    "start_event",
    "summarize",
    "write_errors",
]

ERRORS_NAME = "errors.jsonl"
# Everything but an engine's (or our) own failure is the input's fault: exit code 2.
BAD_INPUT_KINDS = frozenset(
    {
        "invalid",
        "invalid-mask",
        "missing-file",
        "missing-mask",
        "ambiguous-mask",
        "mask-size",
        "duplicate-output",
        "unreadable",
        "bad-input",
        "lint",
    }
)


def start_event(rows: list[Row], *, workers: int, outdir: str) -> dict[str, Any]:
    return {"event": "start", "rows": len(rows), "workers": workers, "outdir": outdir}


def row_event(outcome: RowOutcome) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": "row",
        "row": outcome.number,
        "status": outcome.status,
        "output": outcome.output,
        "seconds": round(outcome.seconds, 4),
    }
    if outcome.error is not None:
        event["image"] = outcome.error.image
        event["error"] = {"kind": outcome.error.kind, "message": outcome.error.message}
    return event


def errors_location(outdir: str) -> str:
    return storage.join(outdir, ERRORS_NAME)


def write_errors(outdir: str, errors: Iterable[RowError]) -> str:
    """Rewrite ``errors.jsonl`` in ``outdir`` with this run's bad rows (an empty file
    when there are none), sorted by row number; returns its location."""
    lines = [
        json.dumps(error.to_dict(), ensure_ascii=False)
        for error in sorted(errors, key=lambda e: e.number)
    ]
    location = errors_location(outdir)
    storage.write_bytes(location, "".join(line + "\n" for line in lines).encode("utf-8"))
    return location


def failed_rows(invalid: Iterable[RowError], outcomes: Iterable[RowOutcome]) -> list[RowError]:
    """Every bad row of a run: the ones validation refused and the ones that failed."""
    found = list(invalid)
    found += [o.error for o in outcomes if o.status == "failed" and o.error is not None]
    return sorted(found, key=lambda e: e.number)


def summarize(
    outcomes: list[RowOutcome],
    invalid: list[RowError],
    *,
    seconds: float,
    errors: str | None,
) -> dict[str, Any]:
    """Counts, time and where the errors are: the ``finish`` event and the last line."""
    done = sum(o.status == "done" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    failed = failed_rows(invalid, outcomes)
    summary: dict[str, Any] = {
        "event": "finish",
        "rows": len(outcomes) + len(invalid),
        "done": done,
        "skipped": skipped,
        "failed": len(failed),
        "invalid": len(invalid),
        "seconds": round(seconds, 3),
        "images_per_second": round(done / seconds, 3) if seconds > 0 else None,
        "errors": errors,
    }
    summary["exit_code"] = exit_code(failed)
    return summary


def exit_code(failed: Iterable[RowError]) -> int:
    kinds = {error.kind for error in failed}
    if not kinds:
        return 0
    return 2 if kinds & BAD_INPUT_KINDS else 1
