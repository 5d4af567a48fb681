"""The CLI as a new user meets it: usage errors, engine flags from the option tables,
messages in flags, whole-photo masks, outputs checked before any work."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_cli import run_cli


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["rnu"], "No such command"),
        (["run", "photo.png"], "Missing option"),
        (["run", "photo.png", "-m", "1,1,5,5", "--bogus"], "No such option"),
    ],
)
def test_usage_errors_are_exit_2_with_typers_message(args, said, capsys):
    code, _, stderr = run_cli(*args, capsys=capsys)
    assert code == 2 and said in stderr and "Traceback" not in stderr


def test_engine_options_have_their_own_flags(files, tmp_path, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    code, stdout, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", out, "--engine", "telea", "--radius", 5,
        "--seed", 1, "--json", capsys=capsys)  # fmt: skip
    assert code == 0, stderr
    code, stdout, _ = run_cli("info", out, "--json", capsys=capsys)
    assert json.loads(stdout)["options"]["engine_params"] == {"radius": 5}


def test_a_flag_of_another_engine_is_named_as_a_flag(files, tmp_path, capsys):
    image_path, mask_path = files
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", tmp_path / "o.png", "--engine", "telea",
        "--prompt", "a cat", capsys=capsys)  # fmt: skip
    assert code == 2
    assert "--prompt is an option of engine diffusion, not 'telea'" in stderr
    assert "add --engine diffusion --model PATH" in stderr


def test_out_of_range_option_is_named_as_a_flag(files, tmp_path, capsys):
    image_path, mask_path = files
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", tmp_path / "o.png", "--engine", "structure",
        "--patch-size", 4, capsys=capsys)  # fmt: skip
    assert code == 2 and "--patch-size must be odd" in stderr


def test_whole_photo_mask_is_exit_2_and_names_the_way_out(files, tmp_path, capsys):
    image_path, _ = files
    width, height = Image.open(image_path).size
    out = tmp_path / "o.png"
    code, _, stderr = run_cli(
        "run", image_path, "-m", f"0,0,{width},{height}", "-o", out, capsys=capsys
    )
    assert code == 2 and "covers the whole photo" in stderr
    assert "--engine diffusion" in stderr and "--prompt" in stderr and not out.exists()


def test_engines_json_has_capabilities_readiness_and_schema(capsys):
    code, stdout, _ = run_cli("engines", "--json", capsys=capsys)
    listed = json.loads(stdout)
    assert code == 0
    assert (
        listed["telea"]["ready"]
        and listed["telea"]["options"]["properties"]["radius"]["default"] == 3
    )
    assert not listed["diffusion"]["ready"] and "needs a model" in listed["diffusion"]["reason"]
    code, stdout, _ = run_cli("engines", capsys=capsys)
    assert code == 0 and "--patch-size" in stdout


def test_replay_from_another_directory(files, tmp_path, capsys, monkeypatch):
    assert all(path.parent == tmp_path for path in files)
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run_cli(
        "run", "photo.png", "-m", "mask.png", "-o", "out/result.png", "--seed", 2,
        capsys=capsys)  # fmt: skip
    assert code == 0, stderr
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    code, stdout, stderr = run_cli("replay", "../out/result.png", capsys=capsys)
    assert code == 0 and "reproduced bit for bit" in stdout, stderr


def test_mask_refine_and_lint_speak_flags(files, tmp_path, capsys):
    _, mask_path = files
    code, _, stderr = run_cli(
        "mask", "refine", mask_path, "-o", tmp_path / "m.png", "--grow", -2, capsys=capsys
    )
    assert code == 2 and "grow(" not in stderr
    code, stdout, _ = run_cli("mask", "lint", mask_path, "--engine", "telea", capsys=capsys)
    assert code == 0 and "latent" not in stdout


def test_outputs_follow_the_result_dtype_for_16_bit(tmp_path, capsys):
    photo = (np.arange(32 * 32 * 3, dtype=np.uint32).reshape(32, 32, 3) * 61 % 65536).astype(
        np.uint16
    )
    import cv2

    cv2.imwrite(str(tmp_path / "p16.png"), photo[..., ::-1])
    code, _, stderr = run_cli(
        "run", tmp_path / "p16.png", "-m", "8,8,16,16", "-o", tmp_path / "o.png", "--seed", 1,
        "--engine", "telea", capsys=capsys)  # fmt: skip
    assert code == 0, stderr
    back = cv2.imread(str(tmp_path / "o.png"), cv2.IMREAD_UNCHANGED)[..., ::-1]
    keep = np.ones((32, 32), bool)
    keep[8:16, 8:16] = False
    assert back.dtype == np.uint16 and np.array_equal(back[keep], photo[keep])
