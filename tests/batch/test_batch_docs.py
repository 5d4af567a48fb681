"""Every example in docs/batch.md is real: the manifests shown are written as files,
the commands shown run in order with the exit codes the page gives them, the JSON events
shown have the fields real events have, and the Python example runs."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.batch.photos import make_mask, make_photo, run_cli, write_jsonl

DOC = Path(__file__).resolve().parents[2] / "docs" / "batch.md"


def fenced(language: str) -> list[tuple[str, str]]:
    """(info after the language, body) of each fenced block of ``language``."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"```{language}([^\n]*)\n(.*?)```", text, re.S)


def commands() -> list[tuple[list[str], int]]:
    found = []
    for _, body in fenced("sh"):
        for line in body.splitlines():
            if line.startswith("inpaintkit "):
                said = re.search(r"# exit (\d)", line)
                found.append((shlex.split(line, comments=True)[1:], int(said[1]) if said else 0))
    return found


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the page describes: three photos, two masks, a watermark, 128×96."""
    for number, name in enumerate(("shoe-01.png", "shoe-02.png", "shoe-03.png")):
        make_photo(tmp_path / "photos" / name, seed=number, size=128)
    for name in ("shoe-01", "shoe-02"):  # the page's photos are JPEGs
        image = Image.open(tmp_path / "photos" / f"{name}.png").crop((0, 0, 128, 96))
        image.save(tmp_path / "photos" / f"{name}.jpg", quality=92)
        (tmp_path / "photos" / f"{name}.png").unlink()
    Image.open(tmp_path / "photos" / "shoe-03.png").crop((0, 0, 128, 96)).save(
        tmp_path / "photos" / "shoe-03.png"
    )
    for name, box in (("shoe-01", (30, 20, 70, 60)), ("shoe-02", (50, 40, 100, 80))):
        make_mask(tmp_path / "masks" / f"{name}.png", box=box, size=128)
        Image.open(tmp_path / "masks" / f"{name}.png").crop((0, 0, 128, 96)).save(
            tmp_path / "masks" / f"{name}.png"
        )
    mark = np.zeros((96, 128), np.uint8)
    mark[76:90, 90:122] = 255
    Image.fromarray(mark).save(tmp_path / "watermark.png")
    for language in ("jsonl", "csv"):
        for info, body in fenced(language):
            name = info.strip()
            if name and name != "events":
                (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # The commands run in this process; one worker (the default is one per core) spares
    # each of them starting a pool, which tests/batch/test_batch_run.py covers.
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    return tmp_path


def test_the_page_shows_both_formats_folders_check_and_resume() -> None:
    shown = [" ".join(args) for args, _ in commands()]
    assert any(c.startswith("batch batch.jsonl") for c in shown)
    assert any(c.startswith("batch batch.csv") for c in shown)
    assert any("--images" in c and "--masks" in c for c in shown)
    assert any("--mask " in c for c in shown)
    assert any("--check" in c for c in shown)
    assert any("--json" in c for c in shown)
    kinds = {"file": False, "box": False, "inline": False}
    for line in fenced("jsonl")[0][1].splitlines():
        mask = json.loads(line)["mask"]
        kinds["inline" if not isinstance(mask, str) else "box" if "," in mask else "file"] = True
    assert all(kinds.values())


def test_every_command_on_the_page_runs_with_the_exit_code_it_gives(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: set[tuple[str, ...]] = set()
    for args, expected in commands():
        code, stdout, stderr = run_cli(*args, capsys=capsys)
        assert code == expected, (args, stdout, stderr)
        if tuple(args) in seen:  # the resume example: the same command again
            assert "0 done, 4 skipped" in stdout
        seen.add(tuple(args))
    assert len(seen) < len(commands())  # the page shows a rerun
    results = workspace / "results"
    assert sorted(p.name for p in results.glob("*.png")) == [
        "shoe-01-strokes.png",
        "shoe-01.png",
        "shoe-02.png",
        "shoe-03-clean.png",
    ]
    assert (results / "_inline_masks" / "shoe-01-strokes.json").is_file()
    assert sorted(p.name for p in (workspace / "no-watermark").glob("*.png")) == [
        "shoe-01.png",
        "shoe-02.png",
        "shoe-03.png",
    ]


def test_the_events_shown_have_the_fields_of_real_events(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = [json.loads(line) for line in fenced("jsonl")[-1][1].splitlines()]
    # a run with a row done, a row skipped and a row that fails while running
    Image.fromarray(np.zeros((96, 128), np.uint8)).save(workspace / "empty.png")
    write_jsonl(
        workspace / "mixed.jsonl",
        [
            {"image": "photos/shoe-01.jpg", "mask": "masks/shoe-01.png"},
            {"image": "photos/shoe-02.jpg", "mask": "empty.png"},
            {"image": "photos/shoe-03.png", "mask": "1,1,20,20"},
        ],
    )
    run_cli("batch", "mixed.jsonl", "-o", "mixed", "--engine", "telea", capsys=capsys)
    (workspace / "mixed" / "shoe-01.png").unlink()
    _, stdout, _ = run_cli(
        "batch", "mixed.jsonl", "-o", "mixed", "--engine", "telea", "--json", capsys=capsys
    )
    real = [json.loads(line) for line in stdout.splitlines()]
    for event in shown:
        same = [
            r
            for r in real
            if r["event"] == event["event"] and r.get("status") == event.get("status")
        ]
        assert same and set(same[0]) == set(event), event


def test_the_python_example_runs(workspace: Path) -> None:
    [block] = fenced("python")
    exec(compile(block[1], str(DOC), "exec"), {"__name__": "__main__"})
    assert len(list((workspace / "results-python").glob("*.png"))) == 4
