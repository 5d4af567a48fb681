"""The command line end to end: files written, recipes stored, errors as one line + exit 2."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from inpaintkit.cli import main


def run_cli(*args, capsys):
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["inpaintkit", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_run_writes_png_with_outside_pixels_kept_and_a_recipe(files, tmp_path, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    code, stdout, _ = run_cli(
        "run", image_path, "--mask", mask_path, "-o", out, "--seed", 3, capsys=capsys
    )
    assert code == 0 and "wrote" in stdout
    before = np.asarray(Image.open(image_path))
    after = np.asarray(Image.open(out))
    keep = np.asarray(Image.open(mask_path)) == 0
    assert np.array_equal(before[keep], after[keep])
    code, stdout, _ = run_cli("info", out, "--json", capsys=capsys)
    recipe = json.loads(stdout)
    assert code == 0 and recipe["seed"] == 3 and recipe["image"]["source"] == str(image_path)


def test_json_summary_and_side_by_side(files, tmp_path, capsys):
    image_path, mask_path = files
    out, strip = tmp_path / "out.png", tmp_path / "strip.png"
    code, stdout, _ = run_cli(
        "run",
        image_path,
        "-m",
        mask_path,
        "-o",
        out,
        "--json",
        "--side-by-side",
        strip,
        "--engine",
        "patchmatch",
        "--seed",
        1,
        capsys=capsys,
    )
    summary = json.loads(stdout)
    assert code == 0 and summary["engine"] == "patchmatch" and summary["regions"] == 1
    assert Image.open(strip).size[0] > 3 * Image.open(image_path).size[0]


def test_refuses_to_overwrite_without_flag(files, tmp_path, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    code, _, stderr = run_cli("run", image_path, "-m", mask_path, "-o", out, capsys=capsys)
    assert code == 2 and "--overwrite" in stderr and out.read_bytes() == b"precious"
    code, _, _ = run_cli(
        "run", image_path, "-m", mask_path, "-o", out, "--overwrite", capsys=capsys
    )
    assert code == 0 and out.read_bytes() != b"precious"


def test_replay_reproduces_bit_for_bit(files, tmp_path, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    run_cli(
        "run",
        image_path,
        "-m",
        mask_path,
        "-o",
        out,
        "--engine",
        "patchmatch",
        "--grow",
        2,
        capsys=capsys,
    )
    code, stdout, _ = run_cli("replay", out, capsys=capsys)
    assert code == 0 and "bit for bit" in stdout


def test_replay_detects_a_changed_input(files, tmp_path, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    run_cli("run", image_path, "-m", mask_path, "-o", out, capsys=capsys)
    Image.fromarray(np.zeros((96, 128, 3), np.uint8)).save(image_path)
    code, _, stderr = run_cli("replay", out, capsys=capsys)
    assert code == 2 and "differs" in stderr


def test_box_mask_and_engine_param(files, tmp_path, capsys):
    image_path, _ = files
    out = tmp_path / "out.png"
    code, _, _ = run_cli(
        "run",
        image_path,
        "-m",
        "10,10,40,30",
        "-o",
        out,
        "--engine",
        "telea",
        "--param",
        "radius=3",
        capsys=capsys,
    )
    assert code == 0 and out.exists()


def test_jpeg_output_warns(files, tmp_path, capsys):
    image_path, mask_path = files
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", tmp_path / "out.jpg", capsys=capsys
    )
    assert code == 0 and "JPEG" in stderr


def test_engines_lists_classical_engines(capsys):
    code, stdout, _ = run_cli("engines", "--json", capsys=capsys)
    listed = json.loads(stdout)
    assert code == 0 and listed["patchmatch"]["ready"] and "telea" in listed


def test_mask_refine_writes_mask_and_preview(files, tmp_path, capsys):
    image_path, mask_path = files
    out, preview = tmp_path / "m.png", tmp_path / "p.png"
    code, _, _ = run_cli(
        "mask",
        "refine",
        mask_path,
        "--image",
        image_path,
        "--grow",
        3,
        "--feather",
        1.5,
        "-o",
        out,
        "--preview",
        preview,
        capsys=capsys,
    )
    refined = np.asarray(Image.open(out))
    assert code == 0 and refined.shape == (96, 128) and preview.exists()
    assert (refined > 0).sum() > (np.asarray(Image.open(mask_path)) > 0).sum()


def test_mask_lint_reports_border_contact(files, tmp_path, capsys):
    image_path, _ = files
    code, stdout, _ = run_cli(
        "mask", "lint", "0,0,20,20", "--image", image_path, "--json", capsys=capsys
    )
    codes = {f["code"] for f in json.loads(stdout)["findings"]}
    assert code == 0 and "touches-border" in codes


def test_bad_option_value_is_exit_2(files, tmp_path, capsys):
    image_path, mask_path = files
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", tmp_path / "o.png", "--grow", "-1", capsys=capsys
    )
    assert code == 2 and "grow" in stderr and "Traceback" not in stderr


def run_console(*args):
    """Run the installed entry point in a real subprocess (as a user's shell would)."""
    command = [sys.executable, "-m", "inpaintkit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_real_console_script_error_is_one_line(tmp_path):
    done = run_console("run", tmp_path / "missing.jpg", "-m", "0,0,4,4", "-o", tmp_path / "o.png")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "missing.jpg" in done.stderr
    assert not (tmp_path / "o.png").exists()


def test_outpaint_command_and_replay(files, tmp_path, capsys):
    image_path, _ = files
    out, strip = tmp_path / "wide.png", tmp_path / "strip.png"
    code, _, _ = run_cli(
        "outpaint", image_path, "--right", 32, "--top", 8, "-o", out, "--seed", 4,
        "--side-by-side", strip, capsys=capsys,
    )  # fmt: skip
    assert code == 0 and Image.open(out).size == (128 + 32, 96 + 8) and strip.exists()
    kept = np.asarray(Image.open(out))[8:, :128]
    assert np.array_equal(kept, np.asarray(Image.open(image_path)))
    code, stdout, _ = run_cli("replay", out, capsys=capsys)
    assert code == 0 and "bit for bit" in stdout


def test_outpaint_without_sides_is_exit_2(files, tmp_path, capsys):
    image_path, _ = files
    code, _, stderr = run_cli("outpaint", image_path, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 2 and "--right" in stderr


def test_output_defaults_to_a_png_beside_the_photo(files, capsys):
    image_path, mask_path = files
    code, stdout, _ = run_cli("run", image_path, "-m", mask_path, capsys=capsys)
    expected = image_path.with_name("photo.inpainted.png")
    assert code == 0 and expected.exists() and str(expected) in stdout
    code, _, stderr = run_cli("run", image_path, "-m", mask_path, capsys=capsys)
    assert code == 2 and "--overwrite" in stderr
