"""`inpaintkit mask scratches`: the mask is written, outputs are never overwritten silently."""

import json

import cv2
import numpy as np
from PIL import Image

from tests.cli.test_cli import run_cli


def _old_photo(path):
    """A flat grey photo with one bright scratch down it."""
    photo = np.full((96, 128, 3), 110, np.uint8)
    cv2.line(photo, (30, 5), (50, 90), (230, 230, 230), 2)
    Image.fromarray(photo).save(path)
    return photo


def test_writes_the_mask_beside_the_photo_and_a_preview(tmp_path, capsys):
    photo_path = tmp_path / "old.png"
    _old_photo(photo_path)
    preview = tmp_path / "preview.png"
    code, stdout, _ = run_cli(
        "mask", "scratches", photo_path, "--preview", preview, "--json", capsys=capsys
    )
    summary = json.loads(stdout)
    mask = np.asarray(Image.open(tmp_path / "old.scratches.png"))
    assert code == 0 and summary["output"] == str(tmp_path / "old.scratches.png")
    assert mask.shape == (96, 128) and mask[48, 40] == 255 and mask[48, 100] == 0
    assert 0 < summary["coverage"] < 0.1 and Image.open(preview).size == (128, 96)


def test_refuses_to_overwrite_and_rejects_bad_options(tmp_path, capsys):
    photo_path = tmp_path / "old.png"
    _old_photo(photo_path)
    out = tmp_path / "mask.png"
    out.write_bytes(b"precious")
    code, _, stderr = run_cli("mask", "scratches", photo_path, "-o", out, capsys=capsys)
    assert code == 2 and "--overwrite" in stderr and out.read_bytes() == b"precious"
    code, stdout, _ = run_cli(
        "mask", "scratches", photo_path, "-o", out, "--overwrite", "--kinds", "bright",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0 and "wrote" in stdout and out.read_bytes() != b"precious"
    code, _, stderr = run_cli(
        "mask", "scratches", photo_path, "-o", tmp_path / "x.png", "--sensitivity", 3,
        capsys=capsys,
    )  # fmt: skip
    assert code == 2 and "sensitivity must be in [0, 1]" in stderr
