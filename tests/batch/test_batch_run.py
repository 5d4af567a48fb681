"""Running a batch: outputs with recipes and exact outside pixels, resume, errors.jsonl,
exit codes, --json events, --check with mask lint, no temporary files left."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintkit import replay
from inpaintkit.batch.local import run_local
from inpaintkit.batch.manifest import read_manifest
from inpaintkit.batch.work import is_done, process_row
from inpaintkit.imageio import read_recipe as recipe_or_none
from inpaintkit.recipe_replay import read_recipe_of as read_recipe
from tests.batch.photos import make_mask, make_photo, pixels, read_jsonl, run_cli, write_jsonl


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """Four good rows (file, box string, inline strokes, JSON file) and one bad row."""
    for number in range(4):
        make_photo(tmp_path / "photos" / f"p{number}.png", seed=number)
    make_mask(tmp_path / "masks" / "p0.png")
    (tmp_path / "masks" / "p3.json").write_text(
        json.dumps({"polygons": [[[20, 20], [70, 25], [40, 70]]]})
    )
    write_jsonl(
        tmp_path / "batch.jsonl",
        [
            {"image": "photos/p0.png", "mask": "masks/p0.png"},
            {"image": "photos/p1.png", "mask": "20,30,50,60", "radius": 5},
            {
                "image": "photos/p2.png",
                "mask": {"strokes": [{"points": [[10, 10], [80, 60]], "radius": 5}]},
            },
            {"image": "photos/p3.png", "mask": "masks/p3.json", "grow": 2},
            {"image": "photos/p0.png", "mask": "masks/missing.png", "output": "bad.png"},
        ],
    )
    return tmp_path


def outputs(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_batch_writes_every_good_row_and_reports_the_bad_one(job: Path, capsys) -> None:
    out = job / "out"
    code, stdout, stderr = run_cli(
        "batch",
        job / "batch.jsonl",
        "-o",
        out,
        "--engine",
        "telea",
        "--workers",
        1,
        capsys=capsys,
    )
    assert code == 2  # one row was bad input
    assert "4 done, 0 skipped (already done), 1 failed of 5 rows" in stdout
    assert "row 5: missing-file" in stderr and "errors.jsonl" in stdout
    assert outputs(out) == [
        "_inline_masks/p2.json",
        "errors.jsonl",
        "p0.png",
        "p1.png",
        "p2.png",
        "p3.png",
    ]
    [error] = read_jsonl(out / "errors.jsonl")
    assert error["row"] == 5 and error["kind"] == "missing-file"
    assert error["image"].endswith("p0.png") and "masks/missing.png" in error["message"]
    # pixels outside the mask are kept exactly; each output carries a replayable recipe
    before, after = pixels(job / "photos" / "p0.png"), pixels(out / "p0.png")
    keep = np.asarray(Image.open(job / "masks" / "p0.png")) == 0
    assert np.array_equal(before[keep], after[keep]) and not np.array_equal(before, after)
    for name in ("p0.png", "p1.png", "p2.png", "p3.png"):
        recipe = read_recipe(out / name)
        assert recipe is not None and recipe["engine"] == "telea"
        assert replay(out / name).identical
    assert read_recipe(out / "p1.png")["options"]["engine_params"] == {"radius": 5}


def test_a_rerun_skips_done_rows_and_redoes_changed_ones(job: Path, capsys) -> None:
    out = job / "out"
    run_cli(
        "batch", job / "batch.jsonl", "-o", out, "--engine", "telea", "--workers", 1, capsys=capsys
    )
    before = {name: os.stat(out / name) for name in ("p0.png", "p1.png", "p2.png", "p3.png")}
    code, stdout, _ = run_cli(
        "batch",
        job / "batch.jsonl",
        "-o",
        out,
        "--engine",
        "telea",
        "--workers",
        1,
        capsys=capsys,
    )
    assert code == 2 and "0 done, 4 skipped (already done), 1 failed" in stdout
    for name, stat in before.items():
        assert os.stat(out / name).st_mtime_ns == stat.st_mtime_ns
    # a changed parameter (row 1's grow) and a changed mask file (row 4's) are redone
    rows = read_jsonl(job / "batch.jsonl")
    rows[0]["grow"] = 3
    write_jsonl(job / "batch.jsonl", rows)
    (job / "masks" / "p3.json").write_text(json.dumps({"polygons": [[[5, 5], [60, 5], [5, 60]]]}))
    code, stdout, _ = run_cli(
        "batch",
        job / "batch.jsonl",
        "-o",
        out,
        "--engine",
        "telea",
        "--workers",
        1,
        capsys=capsys,
    )
    assert "2 done, 2 skipped" in stdout
    assert os.stat(out / "p1.png").st_mtime_ns == before["p1.png"].st_mtime_ns
    assert read_recipe(out / "p0.png")["options"]["grow"] == 3
    assert replay(out / "p3.png").identical
    # a changed engine default from the command line redoes every row
    code, stdout, _ = run_cli(
        "batch",
        job / "batch.jsonl",
        "-o",
        out,
        "--engine",
        "patchmatch",
        "--workers",
        1,
        capsys=capsys,
    )
    assert "3 done, 0 skipped, 2 failed" in stdout.replace(" (already done)", "")


def test_a_file_that_is_not_ours_is_never_overwritten(job: Path) -> None:
    out = job / "out"
    out.mkdir()
    make_photo(out / "p0.png", seed=42)  # the user's own file, no recipe
    rows, _ = read_manifest(str(job / "batch.jsonl"), defaults={"engine": "telea"})
    outcome = process_row(rows[0], str(out))
    assert outcome.status == "failed" and outcome.error is not None
    assert "carries no inpaintkit recipe" in outcome.error.message
    # nor is a variant's name taken by someone else's file
    (out / "p1-2.png").write_bytes(b"not even a PNG")
    variants = rows[1].request.model_copy(update={"num_images": 2})
    outcome = process_row(replace(rows[1], request=variants), str(out))
    assert outcome.status == "failed" and not (out / "p1.png").exists()
    assert (out / "p1-2.png").read_bytes() == b"not even a PNG"
    assert recipe_or_none(out / "p0.png") is None and not is_done(rows[0], str(out))


def test_json_events_for_other_programs(job: Path, capsys) -> None:
    out = job / "out"
    code, stdout, _ = run_cli(
        "batch",
        job / "batch.jsonl",
        "-o",
        out,
        "--engine",
        "telea",
        "--workers",
        1,
        "--json",
        capsys=capsys,
    )
    events = [json.loads(line) for line in stdout.splitlines()]
    kinds = [event["event"] for event in events]
    assert kinds.count("start") == 1 and kinds[-1] == "finish"
    rows = {event["row"]: event for event in events if event["event"] == "row"}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert rows[1]["status"] == "done" and rows[1]["output"] == str(out / "p0.png")
    assert rows[1]["seconds"] >= 0
    assert rows[5]["status"] == "failed" and rows[5]["error"]["kind"] == "missing-file"
    finish = events[-1]
    assert (finish["done"], finish["skipped"], finish["failed"], finish["exit_code"]) == (
        4,
        0,
        1,
        2,
    )
    assert finish["errors"] == str(out / "errors.jsonl") and code == 2


def test_every_row_good_is_exit_0_and_an_empty_errors_file(job: Path, capsys) -> None:
    rows = read_jsonl(job / "batch.jsonl")[:4]
    write_jsonl(job / "good.jsonl", rows)
    out = job / "out"
    (out).mkdir()
    (out / "errors.jsonl").write_text('{"row": 9, "message": "from an earlier run"}\n')
    code, stdout, _ = run_cli(
        "batch", job / "good.jsonl", "-o", out, "--engine", "telea", "--workers", 1, capsys=capsys
    )
    assert code == 0 and "4 done" in stdout
    assert (out / "errors.jsonl").read_text() == ""  # it describes the latest run


def test_two_workers_write_the_same_bytes_as_one(job: Path, capsys) -> None:
    one, two = job / "one", job / "two"
    write_jsonl(
        job / "good.jsonl",
        [r for r in read_jsonl(job / "batch.jsonl")[:4] if isinstance(r["mask"], str)],
    )
    for out, workers in ((one, 1), (two, 2)):
        code, _, _ = run_cli(
            "batch",
            job / "good.jsonl",
            "-o",
            out,
            "--engine",
            "telea",
            "--workers",
            workers,
            capsys=capsys,
        )
        assert code == 0
    for name in ("p0.png", "p1.png", "p3.png"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


def test_check_reports_every_bad_row_and_lints_masks(job: Path, capsys) -> None:
    code, stdout, stderr = run_cli("batch", job / "batch.jsonl", "--check", capsys=capsys)
    assert code == 2 and "4 row(s) fine, 1 bad" in stdout and "row 5: missing-file" in stderr
    assert not (job / "out").exists()
    # an empty mask is bad; a stray dab is a warning that leaves the row good
    empty = np.zeros((96, 96), np.uint8)
    Image.fromarray(empty).save(job / "masks" / "empty.png")
    dab = empty.copy()
    dab[30:60, 30:60] = 255
    dab[5:7, 80:82] = 255
    Image.fromarray(dab).save(job / "masks" / "dab.png")
    write_jsonl(
        job / "lint.jsonl",
        [
            {"image": "photos/p0.png", "mask": "masks/dab.png"},
            {"image": "photos/p1.png", "mask": "masks/empty.png"},
        ],
    )
    code, stdout, stderr = run_cli("batch", job / "lint.jsonl", "--check", capsys=capsys)
    assert code == 2 and "row 2" in stderr and "selects no pixels" in stderr
    assert "row 1: warning" in stderr and "1 row(s) fine, 1 bad" in stdout
    write_jsonl(job / "lint.jsonl", [{"image": "photos/p0.png", "mask": "masks/dab.png"}])
    code, stdout, stderr = run_cli("batch", job / "lint.jsonl", "--check", "--json", capsys=capsys)
    events = [json.loads(line) for line in stdout.splitlines()]
    assert code == 0 and events[-1] == {"event": "check", "rows": 1, "bad": 0}
    assert any(e["event"] == "note" and e["code"] == "tiny-island" for e in events)


def test_folders_mode_from_the_command_line(job: Path, capsys) -> None:
    out = job / "out"
    code, stdout, stderr = run_cli(
        "batch",
        "--images",
        job / "photos",
        "--masks",
        job / "masks",
        "-o",
        out,
        "--engine",
        "telea",
        "--radius",
        4,
        "--workers",
        1,
        capsys=capsys,
    )
    assert code == 2 and "row 2: missing-mask" in stderr and "row 3: missing-mask" in stderr
    assert outputs(out) == ["errors.jsonl", "p0.png", "p3.png"]
    assert read_recipe(out / "p3.png")["options"]["engine_params"] == {"radius": 4}
    code, stdout, _ = run_cli(
        "batch",
        "--images",
        job / "photos",
        "--mask",
        "10,10,30,30",
        "-o",
        out,
        "--engine",
        "telea",
        capsys=capsys,
    )
    assert code == 0 and "4 done" in stdout  # another mask for p0 and p3: redone


def test_bad_invocations_exit_2_with_one_line(job: Path, capsys) -> None:
    cases = [
        (("batch", job / "nope.jsonl", "-o", job / "out"), "does not exist"),
        (("batch", job / "batch.jsonl", "-o", job / "no" / "such" / "out"), "does not exist"),
        (("batch", job / "batch.jsonl"), "--output"),
        (("batch", "-o", job / "out"), "MANIFEST"),
        (("batch", job / "batch.jsonl", "-o", job / "out", "--grow", -3), "--grow"),
        (("batch", job / "batch.jsonl", "-o", job / "out", "--engine", "nope"), "unknown engine"),
        (("batch", job / "batch.jsonl", "-o", job / "out", "--workers", 0), "--workers"),
    ]
    for args, words in cases:
        code, _, stderr = run_cli(*args, capsys=capsys)
        assert code == 2 and words in stderr and "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1
    assert not (job / "out").exists()


def test_temporary_files_of_a_killed_run_are_cleaned_and_none_are_left(job: Path) -> None:
    out = job / "out"
    out.mkdir()
    (out / ".p0.png.abc123xy.tmp").write_bytes(b"half a png")
    (out / ".notours.tmp").write_bytes(b"someone else's")
    rows, _ = read_manifest(str(job / "batch.jsonl"), defaults={"engine": "telea"})
    outcomes = run_local(rows, str(out), workers=1)
    assert [o.status for o in outcomes] == ["done"] * 4
    left = [p.name for p in out.rglob(".*")]
    assert left == [".notours.tmp"]


def test_a_worker_that_dies_fails_its_rows_and_the_rest_go_on(tmp_path: Path) -> None:
    import signal

    import psutil

    from inpaintkit.batch.report import exit_code, failed_rows

    rows = []
    for number in range(12):
        make_photo(tmp_path / f"p{number:02d}.png", seed=number)
        rows.append({"image": f"p{number:02d}.png", "mask": "20,20,60,60"})
    write_jsonl(tmp_path / "batch.jsonl", rows)
    good, _ = read_manifest(str(tmp_path / "batch.jsonl"), defaults={"engine": "telea"})
    killed: list[int] = []

    def kill_a_worker(event: dict) -> None:
        if event["event"] == "row" and not killed:
            workers = [
                child
                for child in psutil.Process().children()
                if "spawn_main" in " ".join(child.cmdline())  # not the resource tracker
            ]
            worker = workers[-1]
            killed.append(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)

    outcomes = run_local(good, str(tmp_path / "out"), workers=2, on_event=kill_a_worker)
    failed = [o for o in outcomes if o.status == "failed"]
    assert killed and failed and len(outcomes) == 12
    assert all(o.error is not None and "worker process" in o.error.message for o in failed)
    assert {o.status for o in outcomes} == {"done", "failed"}
    assert exit_code(failed_rows([], outcomes)) == 1  # not the input's fault
    again = run_local(good, str(tmp_path / "out"), workers=1)
    assert sorted({o.status for o in again}) == ["done", "skipped"]
    assert sum(o.status == "done" for o in again) == len(failed)
