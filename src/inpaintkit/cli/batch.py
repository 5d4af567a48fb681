"""``inpaintkit batch``: many requests from a manifest or folders, resumable.

The command only parses flags into row defaults, asks :mod:`inpaintkit.batch` for the
validated rows, runs them (here, in worker processes, or on Ray) and reports: a
progress bar on a terminal, JSON events with ``--json``, errors.jsonl, the exit code.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Annotated, Any

import typer

from inpaintkit.cli.app import EXIT_BAD_INPUT, app
from inpaintkit.cli.flags import (
    EngineName,
    EngineParams,
    Feather,
    Grow,
    InvertMask,
    MaskAlpha,
    MaskResize,
    MaxPixels,
    NumImages,
    Padding,
    PngLevel,
    Seam,
    Seed,
    engine_options,
    with_engine_flags,
)
from inpaintkit.schema import DEFAULT_MAX_PIXELS

_EPILOG = (
    "Exit codes: 0 every row done (now or by an earlier run); 1 some rows failed while "
    "running; 2 some rows were bad input (listed in OUTDIR/errors.jsonl, rewritten each "
    "run), or the manifest/OUTDIR is unusable. See docs/batch.md."
)


@app.command(epilog=_EPILOG)
@with_engine_flags
def batch(
    manifest: Annotated[
        str | None,
        typer.Argument(help="JSON Lines or CSV manifest: one row per image (see docs/batch.md)."),
    ] = None,
    outdir: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Folder for the results (made if missing)."),
    ] = None,
    images: Annotated[
        str | None, typer.Option(help="Folder mode: every image in this folder.")
    ] = None,
    masks: Annotated[
        str | None, typer.Option(help="Folder mode: masks matched to images by file stem.")
    ] = None,
    mask: Annotated[
        str | None,
        typer.Option(
            "--mask", "-m", help="One mask (file or 'x0,y0,x1,y1') for rows that give none."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only validate every row (and lint masks); exit 0 or 2."),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: number of cores; 1 = in this process)."),
    ] = None,
    engine: EngineName = "auto",
    grow: Grow = 0,
    feather: Feather = 0.0,
    padding: Padding = None,
    seed: Seed = None,
    seam: Seam = "none",
    mask_resize: MaskResize = False,
    invert_mask: InvertMask = False,
    mask_alpha: MaskAlpha = "auto",
    param: EngineParams = None,
    max_pixels: MaxPixels = DEFAULT_MAX_PIXELS,
    num_images: NumImages = 1,
    png_level: PngLevel = None,
    ray: Annotated[bool, typer.Option("--ray", help="Run on a Ray cluster.")] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster address (implies --ray; default: start one here)."),
    ] = None,
    ray_batch_size: Annotated[
        int | None, typer.Option(help="Rows per Ray task (default: the Ray runner's).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON progress events, one per line.")
    ] = False,
    **engine_flags: Any,
) -> None:
    """Inpaint many images: rows from MANIFEST (or --images/--masks folders) into OUTDIR.

    All rows are validated first; good ones run in parallel, done ones are skipped."""
    from inpaintkit.errors import InvalidInputError

    engine, options = engine_options(engine, param, engine_flags)
    defaults: dict[str, Any] = {
        "engine": engine,
        "grow": grow,
        "feather": feather,
        "padding": padding,
        "seed": seed,
        "seam": seam,
        "mask_resize": mask_resize,
        "invert_mask": invert_mask,
        "mask_alpha": mask_alpha,
        "max_pixels": max_pixels,
        "num_images": num_images,
        "engine_params": options,
    }
    if mask is not None:
        defaults["mask"] = mask if _is_box_string(mask) else os.path.abspath(mask)
    if outdir is None and not check:
        raise InvalidInputError("no output folder: give --output OUTDIR (or --check)")
    if workers is not None and workers < 1:
        raise InvalidInputError("--workers must be 1 or more")
    _check_defaults(defaults)
    if outdir is not None:
        _check_outdir(outdir)
    rows, invalid = _read_rows(manifest, images, masks, mask, defaults)
    if check:
        _check_only(rows, invalid, as_json)
        return
    assert outdir is not None
    _run(
        rows,
        invalid,
        outdir,
        workers,
        png_level,
        ray or ray_address is not None,
        ray_address,
        ray_batch_size,
        as_json,
    )


def _check_defaults(defaults: dict[str, Any]) -> None:
    """A bad flag is one error now, in flags, rather than the same error on every row.
    Engine options are checked per row: a row may choose the engine that takes them."""
    from inpaintkit.schema import make_request

    general = {k: v for k, v in defaults.items() if k not in ("engine_params", "mask")}
    make_request(image="photo.png", mask="0,0,1,1", **general)


def _is_box_string(text: str) -> bool:
    from inpaintkit.batch.manifest import _is_geometry_string

    return _is_geometry_string(text)


def _check_outdir(outdir: str) -> None:
    from inpaintkit.batch import storage
    from inpaintkit.errors import InvalidInputError

    path = storage.local_path(outdir)
    if path is None:
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InvalidInputError(
            f"the folder that should hold {outdir} does not exist ({parent}); create it or "
            "give another --output"
        )
    if os.path.exists(path) and not os.path.isdir(path):
        raise InvalidInputError(f"--output {outdir} is a file; give a folder")


def _read_rows(
    manifest: str | None,
    images: str | None,
    masks: str | None,
    mask: str | None,
    defaults: dict[str, Any],
) -> tuple[list[Any], list[Any]]:
    from inpaintkit.batch.manifest import read_manifest, rows_from_folders
    from inpaintkit.errors import InvalidInputError

    if manifest is not None and (images or masks):
        raise InvalidInputError("give a MANIFEST or --images/--masks, not both")
    if manifest is not None:
        return read_manifest(manifest, defaults=defaults)
    if images is None:
        raise InvalidInputError(
            "nothing to do: give a MANIFEST (JSON Lines or CSV) or --images DIR with "
            "--masks DIR or --mask FILE"
        )
    folder_defaults = {k: v for k, v in defaults.items() if k != "mask"}
    return rows_from_folders(images, masks, mask=defaults.get("mask"), defaults=folder_defaults)


def _check_only(rows: list[Any], invalid: list[Any], as_json: bool) -> None:
    """Validation plus mask lint; every finding on stderr (or as JSON), exit 0 or 2."""
    from inpaintkit.batch.check import lint_rows

    problems, notes = lint_rows(rows)
    bad = sorted([*invalid, *problems], key=lambda e: e.number)
    bad_numbers = {error.number for error in bad}
    if as_json:
        for error in bad:
            _print_json({"event": "bad-row", **error.to_dict()})
        for note in notes:
            _print_json({"event": "note", **note})
        _print_json({"event": "check", "rows": len(rows) + len(invalid), "bad": len(bad_numbers)})
    else:
        for error in bad:
            typer.echo(f"row {error.number}: {error.kind}: {error.message}", err=True)
        for note in notes:
            typer.echo(f"row {note['row']}: {note['severity']}: {note['message']}", err=True)
        good = len(rows) + len(invalid) - len(bad_numbers)
        typer.echo(f"{good} row(s) fine, {len(bad_numbers)} bad")
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _run(
    rows: list[Any],
    invalid: list[Any],
    outdir: str,
    workers: int | None,
    png_level: int | None,
    on_ray: bool,
    ray_address: str | None,
    ray_batch_size: int | None,
    as_json: bool,
) -> None:
    from inpaintkit.batch import storage
    from inpaintkit.batch.report import failed_rows, summarize, write_errors

    storage.makedirs(outdir)
    count = workers if workers is not None else (os.cpu_count() or 1)
    start = time.perf_counter()
    with _Progress(len(rows), enabled=not as_json and sys.stderr.isatty()) as progress:

        def on_event(event: dict[str, Any]) -> None:
            if as_json:
                _print_json(event)
            progress.event(event)

        if as_json:
            for error in invalid:
                _print_json(
                    {
                        "event": "row",
                        "row": error.number,
                        "status": "failed",
                        "image": error.image,
                        "error": {"kind": error.kind, "message": error.message},
                    }
                )
        if not rows:
            outcomes = []
        elif on_ray:
            from inpaintkit.batch.ray_runner import run_on_ray

            outcomes = run_on_ray(
                rows,
                outdir,
                address=ray_address,
                workers=workers,  # None: sized from the cluster's GPUs or CPUs, not ours
                **({"batch_size": ray_batch_size} if ray_batch_size else {}),
                png_level=png_level,
                on_event=on_event,
            )
        else:
            from inpaintkit.batch.local import run_local

            outcomes = run_local(
                rows, outdir, workers=count, png_level=png_level, on_event=on_event
            )
    errors = write_errors(outdir, failed_rows(invalid, outcomes))
    summary = summarize(outcomes, invalid, seconds=time.perf_counter() - start, errors=errors)
    if as_json:
        _print_json(summary)
    else:
        for error in failed_rows(invalid, outcomes):
            typer.echo(f"row {error.number}: {error.kind}: {error.message}", err=True)
        rate = summary["images_per_second"]
        typer.echo(
            f"{summary['done']} done, {summary['skipped']} skipped (already done), "
            f"{summary['failed']} failed of {summary['rows']} rows in {summary['seconds']:.1f} s"
            + (f" ({rate:.2f} images/s)" if rate else "")
            + (f"; errors in {errors}" if summary["failed"] else "")
        )
    if summary["exit_code"]:
        raise typer.Exit(summary["exit_code"])


def _print_json(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


class _Progress:
    """A rich bar with rate and ETA on stderr; nothing when disabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self._bar: Any = None
        self._task: Any = None
        self._counts = {"done": 0, "skipped": 0, "failed": 0}

    def __enter__(self) -> _Progress:
        if self.enabled and self.total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("inpainting", total=self.total, rate="")
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def event(self, event: dict[str, Any]) -> None:
        if self._bar is None or event.get("event") != "row":
            return
        self._counts[event["status"]] = self._counts.get(event["status"], 0) + 1
        task = self._bar.tasks[0]
        elapsed = task.elapsed or 0.0
        done = self._counts["done"]
        rate = f"{done / elapsed:.2f} img/s" if elapsed > 0 and done else ""
        description = (
            f"done {done} · skipped {self._counts['skipped']} · failed {self._counts['failed']}"
        )
        self._bar.update(self._task, advance=1, rate=rate, description=description)
