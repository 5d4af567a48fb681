"""What a new user meets first, through the real command line: each case asserts what the
user relies on (exit code 2 and a one-line ``error: ...`` that names the fix in flags,
pixels outside the mask kept, files written or not written).

The same cases through the library are in ``tests/unit/test_first_contact.py``. Cases
already covered elsewhere are only named here:

* usage errors (``rnu``, a missing option, an unknown flag) are typer's message with
  exit 2: ``tests/cli/test_cli_front_door.py::test_usage_errors_are_exit_2_with_typers_message``
  (here: one real subprocess run of ``python -m inpaintkit rnu``);
* ``replay`` from another working directory:
  ``tests/cli/test_cli_front_door.py::test_replay_from_another_directory``;
* every JSON example in docs/masks.md (the bare stroke list included) exists and loads:
  ``tests/unit/test_mask_sources.py::test_the_doc_has_an_example_of_every_json_form`` and
  ``::test_every_json_example_in_the_doc_loads``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from tests.cli.test_cli import run_cli, run_console

EXAMPLE_PHOTO = Path(__file__).resolve().parents[2] / "examples" / "photo.png"
CLASSICAL_ENGINES = ["telea", "navier-stokes", "patchmatch", "structure", "auto"]


def listing(folder: Path) -> list[Path]:
    """Every file and folder below ``folder``: temp files and half-written outputs too."""
    return sorted(path.relative_to(folder) for path in folder.rglob("*"))


def one_error_line(stderr: str) -> str:
    """The message of a bad-input exit: one line that starts with ``error: ``."""
    message = stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, stderr
    assert "Traceback" not in stderr
    return message


def save_mask(path: Path, mask: np.ndarray, **options) -> Path:
    Image.fromarray(mask).save(path, **options)
    return path


def box_mask(value: int = 255, shape=(96, 128)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[30:60, 40:80] = value
    return mask


# ------------------------------------------------------------------ 1. whole-photo masks


@pytest.mark.parametrize("engine", CLASSICAL_ENGINES)
def test_whole_photo_mask_file_is_exit_2_for_fills_that_need_context(
    engine, files, tmp_path, capsys
):
    image_path, _ = files
    full = save_mask(tmp_path / "full.png", np.full((96, 128), 255, np.uint8))
    before = listing(tmp_path)
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", image_path, "-m", full, "-o", out, "--engine", engine, capsys=capsys
    )
    message = one_error_line(stderr)
    assert code == 2 and "covers the whole photo" in message
    assert "--engine diffusion" in message and "engine='diffusion'" not in message
    assert not out.exists() and listing(tmp_path) == before


# ------------------------------------------------------------------ 2. 0/1 masks


def test_zero_one_mask_png_is_a_binary_mask(files, photo_u8, tmp_path, capsys):
    image_path, _ = files
    mask = save_mask(tmp_path / "zero_one.png", box_mask(1))
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask, "-o", out, "--engine", "telea", "--seed", 0, capsys=capsys
    )
    assert code == 0, stderr
    assert "0 and 1" in stderr  # the info finding says how it was read
    after = np.asarray(Image.open(out))
    inside = box_mask(1) == 1
    assert np.array_equal(after[~inside], photo_u8[~inside])
    assert not np.array_equal(after[inside], photo_u8[inside])


def test_mask_mixing_one_and_255_is_exit_2_and_explains(files, tmp_path, capsys):
    image_path, _ = files
    mixed = box_mask(255)
    mixed[0, :4] = 1
    mask = save_mask(tmp_path / "mixed.png", mixed)
    out = tmp_path / "out.png"
    code, _, stderr = run_cli("run", image_path, "-m", mask, "-o", out, capsys=capsys)
    message = one_error_line(stderr)
    assert code == 2 and "mixed.png" in message and "1 and 255" in message
    assert "only 0 and 255, or only 0 and 1" in message and not out.exists()


# ------------------------------------------------------------------ 3. colour and JPEG masks


def test_colour_mask_is_exit_2_and_says_how_to_make_a_mask(files, tmp_path, capsys):
    image_path, _ = files
    canvas = Image.new("RGB", (128, 96), (0, 0, 0))
    ImageDraw.Draw(canvas).line([(10, 10), (110, 80)], fill=(230, 20, 20), width=6)
    mask = tmp_path / "strokes.png"
    canvas.save(mask)
    out = tmp_path / "out.png"
    code, _, stderr = run_cli("run", image_path, "-m", mask, "-o", out, capsys=capsys)
    message = one_error_line(stderr)
    assert code == 2 and "strokes.png is in colour" in message
    assert "white (1) = regenerate, black = keep" in message and "greyscale PNG" in message
    assert "--mask-alpha opaque" in message and "mask_alpha=" not in message
    assert not out.exists()


def test_black_and_white_jpeg_mask_still_works(files, photo_u8, tmp_path, capsys):
    image_path, _ = files
    mask = save_mask(tmp_path / "mask.jpg", box_mask(255), quality=70)
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask, "-o", out, "--engine", "telea", "--seed", 0, capsys=capsys
    )
    assert code == 0, stderr
    after = np.asarray(Image.open(out))
    far = np.ones((96, 128), bool)
    far[30 - 4 : 60 + 4, 40 - 4 : 80 + 4] = False  # JPEG ringing stays within a few px
    assert np.array_equal(after[far], photo_u8[far])
    assert (after[34:56, 44:76] != photo_u8[34:56, 44:76]).any(axis=-1).mean() > 0.5


# ------------------------------------------------------------------ 4. the photo's own mode


def _grey(photo_u8):
    return np.asarray(Image.fromarray(photo_u8).convert("L"))


@pytest.mark.parametrize("mode", ["L", "I;16", "P"])
def test_grey_16_bit_and_palette_photos_come_back_in_their_own_mode(
    mode, photo_u8, tmp_path, capsys
):
    if mode == "L":
        picture = Image.fromarray(_grey(photo_u8), "L")
    elif mode == "I;16":
        picture = Image.fromarray(_grey(photo_u8).astype(np.uint16) * 257 + 3)
    else:
        picture = Image.fromarray(photo_u8).quantize(16)
    photo = tmp_path / "photo.png"
    picture.save(photo)
    assert Image.open(photo).mode == mode
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", photo, "-m", "40,30,80,60", "-o", out, "--engine", "telea", "--seed", 0,
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    written = Image.open(out)
    assert written.mode == mode
    keep = np.ones((96, 128), bool)
    keep[30:60, 40:80] = False
    before, after = np.asarray(Image.open(photo)), np.asarray(written)
    assert np.array_equal(after[keep], before[keep])
    if mode == "P":  # the same colours too, not only the same indices
        rgb_before = np.asarray(Image.open(photo).convert("RGB"))
        assert np.array_equal(np.asarray(written.convert("RGB"))[keep], rgb_before[keep])
    else:
        assert not np.array_equal(after[~keep], before[~keep])


# ------------------------------------------------------------------ 5. permissions


@pytest.mark.skipif(not hasattr(os, "umask") or os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_output_files_follow_the_umask(umask, expected, files, tmp_path, capsys):
    image_path, mask_path = files
    out, strip = tmp_path / "out.png", tmp_path / "strip.png"
    previous = os.umask(umask)
    try:
        code, _, stderr = run_cli(
            "run", image_path, "-m", mask_path, "-o", out, "--engine", "telea",
            "--side-by-side", strip, capsys=capsys,
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert code == 0, stderr
    assert out.stat().st_mode & 0o777 == expected
    assert strip.stat().st_mode & 0o777 == expected


# ------------------------------------------------------------------ 6. bad output paths


@pytest.fixture
def engine_calls(monkeypatch):
    """Record any start of the pipeline or of the (slow) structure engine."""
    import inpaintkit.pipeline
    from inpaintkit.engines.structure import StructureEngine

    calls = []
    real_run, real_inpaint = inpaintkit.pipeline.run, StructureEngine.inpaint

    def run(*args, **kwargs):
        calls.append("pipeline")
        return real_run(*args, **kwargs)

    def inpaint(*args, **kwargs):
        calls.append("engine")
        return real_inpaint(*args, **kwargs)

    monkeypatch.setattr(inpaintkit.pipeline, "run", run)
    monkeypatch.setattr(StructureEngine, "inpaint", inpaint)
    return calls


def _locked_folder(tmp_path, monkeypatch):
    """A folder we may not write in, for root too (root ignores the permission bits)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access

    def access(path, mode, **kwargs):
        if Path(path) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    return folder / "new" / "out.png"


BAD_OUTPUTS = {
    "parent-is-a-file": (
        lambda tmp, mp: tmp / "photo.png" / "out.png",
        ["photo.png is a file, not a folder"],
    ),
    "folder-below-a-file": (
        lambda tmp, mp: tmp / "photo.png" / "new" / "out.png",
        ["photo.png is a file, not a folder"],
    ),
    "unknown-extension": (
        lambda tmp, mp: tmp / "out.xyz",
        ["unknown extension '.xyz'", ".png"],
    ),
    "existing-folder": (
        lambda tmp, mp: tmp / "somedir",
        ["somedir is a folder; pass a file name such as", "somedir/out.png"],
    ),
    "folder-cannot-be-created": (
        _locked_folder,
        ["no permission to write in", "locked to create", "choose a folder you can write to"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_OUTPUTS))
def test_bad_output_path_is_exit_2_before_any_work(
    case, files, tmp_path, monkeypatch, engine_calls, capsys
):
    image_path, mask_path = files
    (tmp_path / "somedir").mkdir()
    make_target, fragments = BAD_OUTPUTS[case]
    target = make_target(tmp_path, monkeypatch)
    before = listing(tmp_path)
    code, stdout, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", target, "--engine", "structure", capsys=capsys
    )
    message = one_error_line(stderr)
    assert code == 2 and stdout == ""
    assert all(fragment in message for fragment in fragments), message
    assert "--overwrite" not in message  # none of these is fixed by overwriting
    assert engine_calls == [] and listing(tmp_path) == before


def test_existing_output_needs_overwrite_before_any_work(files, tmp_path, engine_calls, capsys):
    image_path, mask_path = files
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", out, "--engine", "structure", capsys=capsys
    )
    message = one_error_line(stderr)
    assert code == 2 and "out.png exists; pass --overwrite to replace it" in message
    assert engine_calls == [] and out.read_bytes() == b"precious"


def test_console_script_refuses_a_bad_output_path_with_one_line(files, tmp_path):
    script = Path(sys.executable).with_name("inpaintkit")
    if not script.exists():
        pytest.skip("the inpaintkit console script is not installed beside this Python")
    image_path, mask_path = files
    before = listing(tmp_path)
    done = subprocess.run(
        [script, "run", image_path, "-m", mask_path, "-o", image_path / "out.png"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    message = one_error_line(done.stderr)
    assert done.returncode == 2 and "photo.png is a file, not a folder" in message
    assert done.stdout == "" and listing(tmp_path) == before


# ------------------------------------------------------------------ 7. usage errors


def test_mistyped_command_in_a_real_process_is_exit_2_without_a_traceback():
    # The in-process version of every usage error is in test_cli_front_door.py.
    done = run_console("rnu")  # python -m inpaintkit rnu
    assert done.returncode == 2 and "No such command" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# ------------------------------------------------------------------ 8. replay


def test_outpaint_noise_fill_without_seed_replays_bit_for_bit(files, tmp_path, capsys):
    image_path, _ = files
    out = tmp_path / "wide.png"
    code, _, stderr = run_cli(
        "outpaint", image_path, "--right", 16, "--bottom", 8, "--fill", "noise",
        "--engine", "telea", "-o", out, capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    code, stdout, _ = run_cli("info", out, "--json", capsys=capsys)
    assert code == 0 and isinstance(json.loads(stdout)["seed"], int)
    code, stdout, stderr = run_cli("replay", out, capsys=capsys)
    assert code == 0 and "reproduced bit for bit" in stdout, stderr


# ------------------------------------------------------------------ 9. the caller's language


def test_size_mismatch_names_the_flag(files, tmp_path, capsys):
    image_path, _ = files
    small = save_mask(tmp_path / "small.png", box_mask(255, (48, 64)))
    out = tmp_path / "out.png"
    code, _, stderr = run_cli("run", image_path, "-m", small, "-o", out, capsys=capsys)
    message = one_error_line(stderr)
    assert code == 2 and "small.png is 64×48 but image is 128×96" in message
    assert "--mask-resize" in message and "mask_resize" not in message and not out.exists()


def test_empty_mask_suggests_the_invert_flag(files, tmp_path, capsys):
    image_path, _ = files
    empty = save_mask(tmp_path / "empty.png", np.zeros((96, 128), np.uint8))
    out = tmp_path / "out.png"
    code, _, stderr = run_cli("run", image_path, "-m", empty, "-o", out, capsys=capsys)
    message = one_error_line(stderr)
    assert code == 2 and "selects no pixels" in message
    assert "--invert-mask" in message and "invert_mask" not in message and not out.exists()


def test_mask_lint_mentions_latent_cells_only_for_a_latent_engine(tmp_path, capsys):
    thin = np.zeros((96, 128), np.uint8)
    thin[10:86, 60:62] = 255  # a 2 px stroke: fine per pixel, lost in 8 px latent cells
    thin[48, 8:120] = 255
    mask = save_mask(tmp_path / "thin.png", thin)
    code, stdout, _ = run_cli("mask", "lint", mask, "--engine", "telea", capsys=capsys)
    assert code == 0 and "latent cell" not in stdout and "thin-stroke" not in stdout
    code, stdout, _ = run_cli("mask", "lint", mask, "--engine", "diffusion", capsys=capsys)
    assert code == 0 and "thin-stroke" in stdout and "latent cell" in stdout


def _scratched_photo(path: Path) -> np.ndarray:
    """examples/photo.png with thin neutral scratches added (as dust and wear add light or
    take it away in every channel alike); returns the scratched pixels."""
    photo = np.asarray(Image.open(EXAMPLE_PHOTO).convert("RGB")).astype(np.int16)
    lines = Image.new("L", (photo.shape[1], photo.shape[0]))
    draw = ImageDraw.Draw(lines)
    scratches = [((40, 30), (300, 360), 2, 90), ((420, 20), (560, 380), 1, -90)]
    scratches.append(((150, 5), (170, 395), 1, 80))
    for number, (start, end, width, _) in enumerate(scratches, start=1):
        draw.line([start, end], fill=number, width=width)
    drawn = np.asarray(lines)
    for number, (*_, change) in enumerate(scratches, start=1):
        photo[drawn == number] += change
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(path)
    return drawn > 0


def test_mask_scratches_does_not_warn_about_its_own_mask(tmp_path, capsys):
    photo = tmp_path / "old.png"
    scratched = _scratched_photo(photo)
    out = tmp_path / "scratches.png"
    code, stdout, stderr = run_cli("mask", "scratches", photo, "-o", out, capsys=capsys)
    assert code == 0 and "wrote" in stdout, stderr
    assert "stray brush dabs" not in stderr and "smaller than" not in stderr
    assert "warning" not in stderr and "error" not in stderr
    found = np.asarray(Image.open(out)) > 0
    assert (found & scratched).sum() > 0.5 * scratched.sum()  # it did find them


def test_mask_scratches_on_a_clean_photo_is_no_error(files, tmp_path, capsys):
    image_path, _ = files
    out = tmp_path / "scratches.png"
    code, stdout, stderr = run_cli("mask", "scratches", image_path, "-o", out, capsys=capsys)
    assert code == 0 and "wrote" in stdout and not np.asarray(Image.open(out)).any()
    assert "error" not in stderr and "warning" not in stderr  # a clean photo is no mistake


# ------------------------------------------------------------------ 10. strokes JSON


def test_bare_stroke_list_json_is_a_mask(files, photo_u8, tmp_path, capsys):
    image_path, _ = files
    strokes = tmp_path / "strokes.json"
    strokes.write_text(json.dumps([{"points": [[10, 20], [110, 70]], "width": 12}]))
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", image_path, "--mask", strokes, "-o", out, "--engine", "telea", "--seed", 0,
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    after = np.asarray(Image.open(out))
    # Distance of every pixel from the stroke's centre line.
    y, x = np.mgrid[0:96, 0:128].astype(np.float64)
    (x0, y0), (x1, y1) = (10, 20), (110, 70)
    t = np.clip(
        ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2), 0, 1
    )
    distance = np.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0)))
    far, along = distance > 6 + 2, distance <= 3
    assert np.array_equal(after[far], photo_u8[far])
    assert (after[along] != photo_u8[along]).any(axis=-1).mean() > 0.5


# ------------------------------------------------------------------ 11. EXIF-rotated photos


def test_exif_rotated_photo_with_a_mask_in_stored_orientation(tmp_path, capsys):
    y, x = np.mgrid[0:40, 0:64]
    stored = np.stack([30 + x // 2, 40 + y, 50 + (x + y) // 3], axis=-1).astype(np.uint8)
    stored[5:15, 8:24] = 245  # a bright block to remove, off-centre in the stored photo
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90° clockwise to show upright
    photo = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(photo, quality=95, exif=exif.tobytes())
    stored_mask = np.zeros((40, 64), np.uint8)
    stored_mask[3:17, 6:26] = 255
    mask = save_mask(tmp_path / "mask.png", stored_mask)
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", photo, "-m", mask, "-o", out, "--engine", "telea", "--seed", 0, capsys=capsys
    )
    assert code == 0, stderr
    infos = [line for line in stderr.splitlines() if line.startswith("info: ")]
    assert any("turned upright" in line and "orientation 6" in line for line in infos), stderr
    upright = np.asarray(ImageOps.exif_transpose(Image.open(photo)).convert("RGB"))
    upright_mask = np.asarray(Image.fromarray(stored_mask).transpose(Image.Transpose.ROTATE_270))
    written = Image.open(out)
    after = np.asarray(written)
    assert after.shape == upright.shape == (64, 40, 3)
    assert written.getexif().get(0x0112, 1) == 1  # shown upright, not turned twice
    assert np.array_equal(after[upright_mask == 0], upright[upright_mask == 0])
    block = np.asarray(Image.fromarray(stored[..., 0] == 245).transpose(Image.Transpose.ROTATE_270))
    assert upright[block].mean() > 200 and after[block].mean() < 150  # the block is gone


# ------------------------------------------------------------------ 12. engines


@pytest.fixture
def no_model_in_the_environment(monkeypatch):
    for name in ("INPAINTKIT_LAMA_MODEL", "INPAINTKIT_MIGAN_MODEL", "INPAINTKIT_DIFFUSION_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_engines_says_learned_engines_need_a_model(no_model_in_the_environment, capsys):
    code, stdout, _ = run_cli("engines", capsys=capsys)
    assert code == 0
    lines = stdout.splitlines()
    for name in ("lama", "migan", "diffusion"):
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
        assert "not ready" in lines[at + 1] and "--model" in lines[at + 1], lines[at + 1]
    for name in ("telea", "structure"):
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
        assert lines[at + 1].strip() == "ready"


def test_engines_json_has_capabilities_readiness_and_option_schemas(
    no_model_in_the_environment, capsys
):
    from inpaintkit.engines.registry import ENGINES

    code, stdout, _ = run_cli("engines", "--json", capsys=capsys)
    listed = json.loads(stdout)
    assert code == 0 and set(listed) == set(ENGINES)
    for name, status in listed.items():
        assert {"capabilities", "ready", "reason", "options"} <= set(status), name
        assert isinstance(status["capabilities"], dict) and isinstance(status["ready"], bool)
        schema = status["options"]
        assert schema["type"] == "object" and set(schema["properties"]) == set(
            ENGINES[name].options.names
        )
        for option_name, field in schema["properties"].items():
            declared = ENGINES[name].options[option_name]
            assert "type" in field and "default" in field, (name, option_name)
            assert field["default"] == declared.default
            if declared.minimum is not None:
                assert field["minimum"] == declared.minimum, (name, option_name)
            if declared.maximum is not None:
                assert field["maximum"] == declared.maximum, (name, option_name)
            if declared.choices:
                assert set(declared.choices) <= set(field["enum"]), (name, option_name)
    for name in ("lama", "migan", "diffusion"):
        assert not listed[name]["ready"] and "--model" in listed[name]["reason"]
    radius = listed["telea"]["options"]["properties"]["radius"]
    assert radius["type"] == "integer" and "minimum" in radius and "maximum" in radius
    assert "enum" in listed["lama"]["options"]["properties"]["output_range"]
