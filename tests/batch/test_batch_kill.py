"""THE kill test: a batch killed half way (SIGKILL to its process group, workers and
all) and started again finishes every row exactly once, byte-identical to a run that
was never interrupted, and still reports its bad row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.batch.photos import make_mask, make_photo, read_jsonl, write_jsonl

ROWS = 50
INPAINTKIT = str(Path(sys.executable).with_name("inpaintkit"))


def batch(manifest: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            INPAINTKIT,
            "batch",
            str(manifest),
            "-o",
            str(out),
            "--workers",
            "2",
            "--engine",
            "telea",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def test_a_killed_batch_resumes_where_it_stopped(tmp_path: Path) -> None:
    rows = []
    for number in range(ROWS):
        image = make_photo(tmp_path / "photos" / f"photo{number:02d}.png", seed=number)
        box = (10 + number % 30, 20, 50 + number % 30, 60)
        mask = make_mask(tmp_path / "masks" / f"photo{number:02d}.png", box=box)
        rows.append(
            {"image": os.path.relpath(image, tmp_path), "mask": os.path.relpath(mask, tmp_path)}
        )
    rows[17]["mask"] = "masks/lost.png"  # the bad row
    manifest = write_jsonl(tmp_path / "batch.jsonl", rows)
    killed, calm = tmp_path / "killed", tmp_path / "calm"

    run = batch(manifest, killed)
    deadline = time.monotonic() + 120
    while len(pngs(killed)) < ROWS // 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    before = {path.name: os.stat(path) for path in pngs(killed)}
    assert ROWS // 4 < len(before) < ROWS - 1

    rerun = batch(manifest, killed, "--json")
    stdout, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 2, stderr.decode()  # the bad row is bad input
    events = [json.loads(line) for line in stdout.decode().splitlines()]
    finish = events[-1]
    assert finish["event"] == "finish"
    assert (finish["skipped"], finish["done"], finish["failed"]) == (
        len(before),
        ROWS - 1 - len(before),
        1,
    )
    uninterrupted = batch(manifest, calm)
    uninterrupted.communicate(timeout=180)
    assert uninterrupted.returncode == 2

    assert [p.name for p in pngs(killed)] == [p.name for p in pngs(calm)]
    assert len(pngs(calm)) == ROWS - 1
    for path in pngs(calm):
        assert (killed / path.name).read_bytes() == path.read_bytes(), path.name
    for name, stat in before.items():  # none computed twice
        now = os.stat(killed / name)
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns), name
    assert not [p for p in killed.iterdir() if p.name.endswith(".tmp")]
    [error] = read_jsonl(killed / "errors.jsonl")
    assert error["row"] == 18 and error["kind"] == "missing-file"
    assert "lost.png" in error["message"]
