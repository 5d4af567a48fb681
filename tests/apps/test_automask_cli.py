"""`inpaintkit mask auto`: the mask and its preview are written, refine flags apply,
bad prompts exit 2 with one line naming the fix, outputs are never overwritten silently."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.apps.test_automask import iou, textured
from tests.cli.test_cli import run_cli


@pytest.fixture
def photo(tmp_path: Path) -> tuple[Path, np.ndarray]:
    picture = textured((120, 160), (90, 110, 130), 4)
    truth = np.zeros((120, 160), np.uint8)
    cv2.circle(truth, (80, 60), 30, 1, -1)
    picture[truth > 0] = textured((120, 160), (210, 140, 40), 5)[truth > 0]
    path = tmp_path / "photo.png"
    Image.fromarray(picture).save(path)
    return path, truth > 0


def _mask(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path)).astype(np.float32) / 255


def test_a_box_writes_the_mask_beside_the_photo_and_a_preview(photo, tmp_path, capsys) -> None:
    path, truth = photo
    preview = tmp_path / "overlay.png"
    code, stdout, _ = run_cli(
        "mask", "auto", path, "--box", "40,20,120,100", "--preview", preview, "--json",
        capsys=capsys,
    )  # fmt: skip
    summary = json.loads(stdout)
    written = tmp_path / "photo.mask.png"
    assert code == 0 and summary["output"] == str(written)
    assert iou(_mask(written), truth) >= 0.9
    assert Image.open(preview).size == (160, 120) and Image.open(preview).mode == "RGB"
    assert 0.1 < summary["coverage"] < 0.3


def test_clicks_with_refine_flags_grow_and_feather(photo, tmp_path, capsys) -> None:
    path, truth = photo
    out = tmp_path / "clicks.png"
    code, stdout, _ = run_cli(
        "mask", "auto", path, "-o", out, "--point", "80,60", "--point", "70,50",
        "--not", "5,5", "--method", "grow", capsys=capsys,
    )  # fmt: skip
    assert code == 0 and "wrote" in stdout
    plain = _mask(out)
    assert iou(plain, truth) >= 0.85
    grown = tmp_path / "grown.png"
    code, _, _ = run_cli(
        "mask", "auto", path, "-o", grown, "--point", "80,60", "--method", "grow",
        "--grow", "4", "--feather", "2", capsys=capsys,
    )  # fmt: skip
    refined = _mask(grown)
    assert code == 0 and (refined > 0).sum() > (plain > 0).sum()
    assert ((refined > 0) & (refined < 1)).any()  # the feathered edge is soft


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        ([], "one of --box, --point or --salient"),
        (["--box", "1,2,3,4", "--point", "5,5"], "--box and --point"),
        (["--box", "1,2,3"], "--box '1,2,3' is not 4 whole numbers"),
        (["--point", "a,b"], "--point 'a,b' is not 2 whole numbers"),
        (["--point", "500,5"], "outside the 160×120 photo"),
        (["--box", "200,200,300,300"], "lies outside"),
        (["--not", "5,5", "--box", "10,10,90,90"], "--not needs --point"),
        (["--text", "a cat", "--salient"], "--text needs --model"),
        (["--salient", "--model", "x"], "leave out --model"),
        (["--point", "80,60", "--method", "slic"], "--method must be one of"),
    ],
)
def test_bad_prompts_exit_2_with_one_line(photo, tmp_path, capsys, flags, says) -> None:
    path, _ = photo
    code, _, stderr = run_cli("mask", "auto", path, "-o", tmp_path / "m.png", *flags, capsys=capsys)
    assert code == 2 and says in stderr and len(stderr.strip().splitlines()) == 1
    assert "Traceback" not in stderr and not (tmp_path / "m.png").exists()


def test_an_existing_output_is_kept_without_overwrite(photo, tmp_path, capsys) -> None:
    path, _ = photo
    out = tmp_path / "m.png"
    out.write_bytes(b"precious")
    code, _, stderr = run_cli(
        "mask", "auto", path, "-o", out, "--box", "40,20,120,100", capsys=capsys
    )
    assert code == 2 and "--overwrite" in stderr and out.read_bytes() == b"precious"
    code, _, _ = run_cli(
        "mask", "auto", path, "-o", out, "--box", "40,20,120,100", "--overwrite", capsys=capsys
    )
    assert code == 0 and out.read_bytes() != b"precious"


def test_salient_without_the_model_exits_2_naming_the_fetch(photo, tmp_path, monkeypatch) -> None:
    path, _ = photo
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "empty-cache"))
    done = subprocess.run(
        [sys.executable, "-m", "inpaintkit", "mask", "auto", str(path), "--salient",
         "-o", str(tmp_path / "m.png")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "run `inpaintkit models fetch u2netp`" in done.stderr
    assert "Traceback" not in done.stderr


def test_salient_writes_the_main_object(tmp_path, capsys) -> None:
    from tests.apps.test_automask import _reference, _u2netp

    _u2netp()
    picture, truth = _reference("coffee")
    path = tmp_path / "coffee.png"
    Image.fromarray(picture).save(path)
    code, _, _ = run_cli("mask", "auto", path, "--salient", "-o", tmp_path / "m.png", capsys=capsys)
    assert code == 0 and iou(_mask(tmp_path / "m.png"), truth) >= 0.95


def test_one_click_on_the_examples_spoon_writes_the_spoon(tmp_path, capsys) -> None:
    """The docs' case: one click on the spoon's bowl of ``examples/photo.png``, no
    ``--not``: the spoon (about 2 % of the photo), not the saucer and cup (32 %)."""
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "spoon.png"
    code, stdout, _ = run_cli(
        "mask", "auto", root / "examples" / "photo.png", "--point", "366,290", "-o", out,
        "--json", capsys=capsys,
    )  # fmt: skip
    assert code == 0 and json.loads(stdout)["coverage"] < 0.05
    spoon = np.asarray(Image.open(root / "tests" / "data" / "automask" / "example_spoon.png")) > 0
    assert iou(_mask(out), spoon) >= 0.75
