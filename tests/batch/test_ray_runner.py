"""``inpaintkit batch --ray``: the same rows on Ray Data write the same bytes as the local
runner, skip what is done without recomputing it, read and write ``file://`` URIs, and
resume after the whole run (driver, Ray and its actors) is killed.

Every test here shares one xdist worker (``--dist loadgroup``) and one in-process Ray.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from inpaintkit.batch.local import run_local
from inpaintkit.batch.manifest import Row, read_manifest
from inpaintkit.batch.ray_runner import row_from_payload, row_to_payload, run_on_ray
from inpaintkit.imageio.write_image import RECIPE_KEYWORD
from inpaintkit.schema import make_request

pytestmark = pytest.mark.xdist_group("ray")

SIZE = 96
BOX = (30, 28, 62, 58)


# ------------------------------------------------------------------------------ inputs


def make_photo(path: Path, seed: int, size: int = SIZE) -> Path:
    """A seeded 'photo': gradients, a wave pattern and a little noise (uint8 RGB PNG)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    phase = rng.uniform(0, 6)
    wave = 0.5 + 0.4 * np.sin(x / 7 + phase) * np.cos(y / 11)
    base = np.stack([x / size, y / size, wave], axis=-1)
    pixels = np.clip(np.rint((base + rng.normal(0, 0.03, base.shape)) * 255), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def make_mask(path: Path, box: tuple[int, int, int, int] | None = BOX) -> Path:
    mask = np.zeros((SIZE, SIZE), np.uint8)
    if box is not None:
        x0, y0, x1, y1 = box
        mask[y0:y1, x0:x1] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


INLINE = ("p3.png", "p4.png")  # the rows whose mask is inline JSON
BAD = "p8.png"  # an all-black mask: valid to read, nothing to inpaint when it runs


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 photos and their masks in every form a manifest takes, plus one bad row."""
    folder = tmp_path_factory.mktemp("ray-inputs")
    for number in range(1, 9):
        make_photo(folder / f"p{number}.png", seed=number)
    make_mask(folder / "hole.png")
    make_mask(folder / "nothing.png", box=None)
    (folder / "poly.json").write_text(json.dumps({"polygons": [[[20, 20], [70, 30], [40, 75]]]}))
    rows: list[dict[str, Any]] = [
        {"image": "p1.png", "mask": "hole.png"},
        {"image": "p2.png", "mask": "12,14,44,40", "engine": "telea", "grow": 2},
        {"image": "p3.png", "mask": {"polygons": [[[10, 60], [80, 50], [60, 90]]]}},
        {
            "image": "p4.png",
            "mask": {"strokes": [{"points": [[5, 5], [90, 80]], "radius": 3}]},
            "engine": "navier-stokes",
        },
        {"image": "p5.png", "mask": "poly.json", "engine": "telea", "feather": 1.5},
        {"image": "p6.png", "mask": "20,20,50,50", "seam": "color", "seed": 7},
        {"image": "p7.png", "mask": "hole.png", "engine": "telea", "params": {"radius": 5}},
        {"image": "p8.png", "mask": "nothing.png", "engine": "telea"},
    ]
    write_jsonl(folder / "batch.jsonl", rows)
    return folder


@pytest.fixture(scope="module")
def rows(inputs: Path) -> list[Row]:
    rows, invalid = read_manifest(str(inputs / "batch.jsonl"), defaults={})
    assert not invalid and len(rows) == 8
    return rows


@dataclass(frozen=True)
class Reference:
    """What the local runner (one process) wrote into ``outdir``, by output name; the
    folder itself is gone, so one Ray run can write into the very same path (a recipe
    names an inline mask by its path in OUTDIR)."""

    outdir: Path
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, rows: list[Row]) -> Reference:
    outdir = tmp_path_factory.mktemp("ray-reference") / "out"
    outcomes = run_local(rows, str(outdir), workers=1)
    assert [o.status for o in outcomes] == ["done"] * 7 + ["failed"]
    files = {path.name: path.read_bytes() for path in pngs(outdir)}
    shutil.rmtree(outdir)
    return Reference(outdir, files)


@pytest.fixture(scope="module")
def ray_session() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


# ------------------------------------------------------------------------------ tests


def test_rows_travel_as_plain_data_and_come_back_identical() -> None:
    request = make_request(
        image="/data/a.png",
        mask="1,2,30,40",
        engine="diffusion",
        seed=11,
        grow=3,
        feather=2.5,
        extend=(8, 0, 16, 0),
        seam="color+poisson",
        num_images=2,
        engine_params={
            "model": "/models/sd15",
            "prompt": "an empty bench",
            "steps": 12,
            "guidance": 7,
            "strength": 0.8,
            "scheduler": "euler",
        },
    )
    row = Row(4, request, "sub/a.png", {"strokes": [{"points": [[1, 2]], "radius": 2}]})
    payload = row_to_payload(row)
    json.loads(payload)  # plain JSON: no classes travel
    back = row_from_payload(payload)
    assert back == row
    assert back.request.engine_params == request.engine_params
    for name, value in request.engine_params.items():
        assert type(back.request.engine_params[name]) is type(value), name
    assert back.request.model_dump() == request.model_dump()


def test_ray_writes_what_the_local_runner_writes(
    ray_session: Any, rows: list[Row], reference: Reference
) -> None:
    """Same manifest, same OUTDIR: the same bytes, every row (inline masks included);
    the bad row is a failed outcome, not a failed run."""
    events: list[dict[str, Any]] = []
    outdir = reference.outdir
    outcomes = run_on_ray(rows, str(outdir), workers=2, on_event=events.append)

    assert [o.number for o in outcomes] == [row.number for row in rows]
    statuses = {Path(o.output).name: o.status for o in outcomes}
    assert statuses == {f"p{n}.png": "done" for n in range(1, 8)} | {BAD: "failed"}
    [failed] = [o for o in outcomes if o.status == "failed"]
    assert failed.error is not None and failed.error.kind == "bad-input"
    assert "selects no pixels" in failed.error.message
    assert failed.output == str(outdir / BAD)
    assert {path.name: path.read_bytes() for path in pngs(outdir)} == reference.files
    assert len(reference.files) == 7

    assert events[0] == {"event": "start", "rows": 8, "workers": 2, "outdir": str(outdir)}
    by_row = {event["row"]: event for event in events[1:]}
    assert len(events) == 9 and sorted(by_row) == [row.number for row in rows]
    assert all(event["event"] == "row" for event in events[1:])
    assert by_row[failed.number]["status"] == "failed"
    assert by_row[failed.number]["error"]["kind"] == "bad-input"


def test_done_rows_are_skipped_before_ray_and_never_rewritten(
    ray_session: Any, tmp_path: Path, rows: list[Row], reference: Reference
) -> None:
    outdir = tmp_path / "out"
    early = [row for row in rows if row.number % 2 == 1]  # rows 1, 3, 5, 7 of the manifest
    run_local(early, str(outdir), workers=1)
    before = {path.name: os.stat(path) for path in pngs(outdir)}
    assert len(before) == len(early)

    events: list[dict[str, Any]] = []
    outcomes = run_on_ray(rows, str(outdir), workers=2, on_event=events.append)

    status = {Path(o.output).name: o.status for o in outcomes}
    assert sorted(name for name, s in status.items() if s == "skipped") == sorted(before)
    assert [s for s in status.values()].count("done") == 8 - len(before) - 1
    # Skipped rows are reported before any row that ran: they never reached map_batches.
    kinds = [event["status"] for event in events if event["event"] == "row"]
    assert kinds[: len(before)] == ["skipped"] * len(before)
    for name, stat in before.items():
        now = os.stat(outdir / name)
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns), name
    for path in pngs(outdir):
        if path.name not in INLINE:
            assert path.read_bytes() == reference.files[path.name], path.name


def test_everything_done_starts_no_actors(
    ray_session: Any, tmp_path: Path, rows: list[Row]
) -> None:
    good = [row for row in rows if Path(row.output).name != BAD][:3]
    outdir = tmp_path / "out"
    run_local(good, str(outdir), workers=1)
    events: list[dict[str, Any]] = []
    outcomes = run_on_ray(good, str(outdir), on_event=events.append)
    assert [o.status for o in outcomes] == ["skipped"] * 3
    assert events[0] == {"event": "start", "rows": 3, "workers": 0, "outdir": str(outdir)}
    assert [event["status"] for event in events[1:]] == ["skipped"] * 3


def test_file_uris_for_inputs_and_outputs(
    ray_session: Any, tmp_path: Path, inputs: Path, reference: Reference
) -> None:
    manifest = write_jsonl(
        tmp_path / "uris.jsonl",
        [
            {"image": (inputs / "p1.png").as_uri(), "mask": (inputs / "hole.png").as_uri()},
            {
                "image": (inputs / "p2.png").as_uri(),
                "mask": "12,14,44,40",
                "engine": "telea",
                "grow": 2,
            },
            {
                "image": (inputs / "p5.png").as_uri(),
                "mask": (inputs / "poly.json").as_uri(),
                "engine": "telea",
                "feather": 1.5,
            },
        ],
    )
    uri_rows, invalid = read_manifest(str(manifest), defaults={})
    assert not invalid
    outdir = (tmp_path / "out").as_uri()
    outcomes = run_on_ray(uri_rows, outdir, workers=2)

    assert [o.status for o in outcomes] == ["done"] * 3
    assert [o.output for o in outcomes] == [
        f"{outdir}/{name}" for name in ("p1.png", "p2.png", "p5.png")
    ]
    for name in ("p1.png", "p2.png", "p5.png"):
        assert np.array_equal(
            pixels(tmp_path / "out" / name), _reference_pixels(reference.files[name])
        )
    recipe = json.loads(Image.open(tmp_path / "out" / "p1.png").text[RECIPE_KEYWORD])
    source = recipe["image"]["source"]  # the URI, or the local file it names
    assert Path(source.removeprefix("file://")) == inputs / "p1.png"
    # and a second run finds them done through the URIs
    again = run_on_ray(uri_rows, outdir, workers=2)
    assert [o.status for o in again] == ["skipped"] * 3


def test_without_ray_the_extra_is_named(tmp_path: Path, inputs: Path) -> None:
    """No Ray installed: one line naming the extra, exit code 2; importing inpaintkit,
    its batch package and this runner never imports Ray."""
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import inpaintkit, inpaintkit.batch, inpaintkit.batch.ray_runner, inpaintkit.cli\n"
        "loaded = [m for m in sys.modules if sys.modules[m] is not None]\n"
        "assert not [m for m in loaded if m == 'ray' or m.startswith('ray.')], loaded\n"
        "from inpaintkit.cli import main\n"
        f"sys.argv = ['inpaintkit', 'batch', {str(inputs / 'batch.jsonl')!r}, "
        f"'-o', {str(tmp_path / 'out')!r}, '--ray']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "pip install 'inpaintkit[distributed]'" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert not pngs(tmp_path / "out")


@pytest.mark.slow
def test_on_a_cluster_with_gpus_each_actor_takes_one(
    tmp_path: Path, inputs: Path, reference: Reference
) -> None:
    """A Ray that says it has one GPU (none is used: the rows run classical engines):
    actors ask for one GPU each, so two workers run one at a time, and the run ends."""
    outdir = tmp_path / "out"
    code = (
        "import json, sys, ray\n"
        "ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)\n"
        "from inpaintkit.batch.manifest import read_manifest\n"
        "from inpaintkit.batch.ray_runner import run_on_ray\n"
        f"rows, _ = read_manifest({str(inputs / 'batch.jsonl')!r}, defaults={{}})\n"
        f"outcomes = run_on_ray(rows, {str(outdir)!r}, workers=2, on_event=lambda e: None)\n"
        "print(json.dumps([o.status for o in outcomes]))\n"
        "ray.shutdown()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["done"] * 7 + ["failed"]
    for path in pngs(outdir):
        if path.name not in INLINE:
            assert path.read_bytes() == reference.files[path.name], path.name


@pytest.mark.slow
def test_a_row_that_kills_its_actor_fails_and_the_run_goes_on(
    ray_session: Any,
    tmp_path: Path,
    rows: list[Row],
    reference: Reference,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fault injection (no real row crashes an actor): the actor running row 2 exits
    hard every time. Ray restarts it and retries twice, then that row is a failed
    outcome naming the cause; every other row is done, byte for byte."""
    from inpaintkit.batch import ray_runner

    class CrashingWorker(ray_runner.RowWorker):
        def run_one(self, number: int, payload: str) -> Any:
            if number == 2:
                os._exit(1)  # what the OOM killer or a segfault does to an actor
            return super().run_one(number, payload)

    monkeypatch.setattr(ray_runner, "RowWorker", CrashingWorker)
    good = [row for row in rows if Path(row.output).name not in (*INLINE, BAD)]
    outcomes = run_on_ray(good, str(tmp_path / "out"), workers=2, on_event=lambda e: None)
    status = {o.number: o.status for o in outcomes}
    assert status == {row.number: "failed" if row.number == 2 else "done" for row in good}
    [failed] = [o for o in outcomes if o.status == "failed"]
    assert failed.error is not None and "died 3 times" in failed.error.message
    for path in pngs(tmp_path / "out"):
        assert path.read_bytes() == reference.files[path.name], path.name


def _reference_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# ------------------------------------------------------------------------------ kill


KILL_ROWS = 12


def _batch_cli(manifest: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inpaintkit",
            "batch",
            str(manifest),
            "-o",
            str(out),
            "--ray",
            "--workers",
            "2",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )


def _session_processes(session: int) -> list[tuple[int, str, str]]:
    """(pid, state, command) of the live processes in a session (zombies left out)."""
    listing = subprocess.run(
        ["ps", "-eo", "pid=,sid=,stat=,comm="], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for line in listing.splitlines():
        pid, sid, state, command = line.split(None, 3)
        if int(sid) == session and not state.startswith("Z"):
            found.append((int(pid), state, command))
    return found


def _wait_until_gone(session: int, seconds: float) -> list[tuple[int, str, str]]:
    deadline = time.monotonic() + seconds
    while (left := _session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _kill_leftovers(session: int) -> None:
    for pid, _, _ in _session_processes(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_ray_batch_resumes_and_leaves_no_ray_behind(tmp_path: Path) -> None:
    """SIGKILL to the CLI's process group (the driver and the Ray it started) once a few
    outputs exist, then the same command again: every output byte-identical to an
    uninterrupted local run, those written before the kill untouched, no Ray left."""
    rows = []
    for number in range(KILL_ROWS):
        make_photo(tmp_path / "photos" / f"k{number:02d}.png", seed=100 + number)
        rows.append({"image": f"photos/k{number:02d}.png", "mask": "24,24,72,72"})
    manifest = write_jsonl(tmp_path / "kill.jsonl", rows)
    out, calm = tmp_path / "out", tmp_path / "calm"

    run = _batch_cli(manifest, out)
    try:
        deadline = time.monotonic() + 120
        while len(pngs(out)) < 3 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        assert run.returncode == -signal.SIGKILL, "the batch finished before it was killed"
        left = _wait_until_gone(run.pid, 15)
        assert not left, f"Ray processes outlived their killed driver: {left}"
    finally:
        _kill_leftovers(run.pid)
    before = {path.name: os.stat(path) for path in pngs(out)}
    assert 3 <= len(before) < KILL_ROWS

    rerun = _batch_cli(manifest, out, "--json")
    try:
        # The uninterrupted reference, computed here while the rerun starts its Ray.
        uninterrupted, invalid = read_manifest(str(manifest), defaults={})
        assert not invalid
        run_local(uninterrupted, str(calm), workers=1)
        stdout, stderr = rerun.communicate(timeout=180)
        assert rerun.returncode == 0, stderr.decode()
        assert not _wait_until_gone(rerun.pid, 15), "Ray processes outlived a finished run"
    finally:
        _kill_leftovers(rerun.pid)
    events = [json.loads(line) for line in stdout.decode().splitlines()]  # stdout: JSON only
    finish = events[-1]
    assert finish["event"] == "finish"
    assert (finish["skipped"], finish["done"], finish["failed"]) == (
        len(before),
        KILL_ROWS - len(before),
        0,
    )
    assert [p.name for p in pngs(out)] == [p.name for p in pngs(calm)]
    for path in pngs(calm):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    for name, stat in before.items():  # written before the kill: untouched
        now = os.stat(out / name)
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns), name
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------------------ docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "batch-ray.md"


def _doc_commands(program: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [
        shlex.split(line, comments=True)
        for body in blocks
        for line in body.splitlines()
        if line.startswith(program + " ")
    ]


def _flags(command: Any) -> set[str]:
    return {name for param in command.params for name in param.opts if name.startswith("-")}


def _check_flags(argv: list[str], command: Any) -> None:
    known = _flags(command)
    for word in argv:
        if word == "--":
            break
        if word.startswith("-"):
            assert word.split("=")[0] in known, f"{' '.join(argv)}: no {word}"


def test_the_commands_in_the_docs_exist() -> None:
    """Every ``inpaintkit`` and ``ray`` command on docs/batch-ray.md uses real flags, and
    the manifests it shows are valid JSON Lines."""
    import typer.main

    from inpaintkit.cli import app

    ours = typer.main.get_command(app)
    shown = _doc_commands("inpaintkit")
    assert len(shown) >= 4
    for argv in shown:
        assert (argv[1] == "batch" and "--ray" in argv) or "--ray-address" in argv, argv
        _check_flags(argv[2:], ours.commands["batch"])  # type: ignore[attr-defined]

    from ray.scripts.scripts import cli as ray_cli

    for argv in _doc_commands("ray"):
        command = ray_cli
        rest = argv[1:]
        while hasattr(command, "commands") and rest and rest[0] in command.commands:
            command, rest = command.commands[rest[0]], rest[1:]
        _check_flags(rest, command)
        if "--" in rest:  # what `ray job submit` runs is one of our commands
            inner = rest[rest.index("--") + 1 :]
            assert inner[:2] == ["inpaintkit", "batch"], inner
            _check_flags(inner[2:], ours.commands["batch"])  # type: ignore[attr-defined]
        if "--runtime-env-json" in rest:
            json.loads(rest[rest.index("--runtime-env-json") + 1])

    for body in re.findall(r"```jsonl[^\n]*\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        for line in body.splitlines():
            assert isinstance(json.loads(line), dict)
