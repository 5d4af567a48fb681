"""``remove``: an object picked by a box, clicks or a mask disappears, the rest stays exact,
the files are written and the recipe replays, through the library and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import inpaintkit
from inpaintkit.apps import remove
from inpaintkit.apps.removal import default_grow
from inpaintkit.errors import InvalidInputError
from tests.cli.test_cli import run_cli

DISC = (80, 60, 18)  # centre x, y and radius of the red disc
BOX = "58,38,102,82"


def scene() -> np.ndarray:
    """A textured green-brown background with a distinct red disc on it."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:120, 0:160].astype(np.float32)
    base = np.stack([0.35 + 0.1 * np.sin(x / 9), 0.5 + 0.1 * np.cos(y / 7), 0.3 + 0 * x], -1)
    photo = np.clip(base + rng.normal(0, 0.03, base.shape), 0, 1)
    cx, cy, r = DISC
    disc = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    photo[disc] = (0.9, 0.1, 0.1)
    return np.rint(photo * 255).astype(np.uint8)


def disc_mask() -> np.ndarray:
    y, x = np.mgrid[0:120, 0:160]
    cx, cy, r = DISC
    return ((x - cx) ** 2 + (y - cy) ** 2 <= r * r).astype(np.float32)


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(scene()).save(path)
    return path


def assert_gone(result_image: np.ndarray) -> None:
    """The disc's pixels now look like the background: no red left."""
    filled = result_image[disc_mask() > 0].astype(np.float32) / 255
    assert filled[:, 0].mean() < 0.6 and filled[:, 1].mean() > 0.35
    assert np.abs(filled.mean(0) - scene()[disc_mask() == 0].mean(0) / 255).max() < 0.1


@pytest.mark.parametrize(
    "how", [{"box": BOX}, {"points": [(80, 60)]}, {"points": ["80,60"], "negatives": ["5,5"]}]
)
def test_remove_from_box_or_clicks(how: dict, photo_path: Path) -> None:
    result = remove(str(photo_path), seed=0, **how)
    photo = scene()
    assert_gone(result.image)
    assert (result.mask >= disc_mask()).all()  # the whole disc was in the mask
    kept = result.mask == 0
    assert np.array_equal(result.image[kept], photo[kept])
    grown = result.recipe["app"]["grow"]
    assert grown == default_grow(disc_mask()) == 8
    assert result.recipe["app"]["method"] == ("box" if "box" in how else "points")


def test_grow_is_applied_and_recorded(photo_path: Path) -> None:
    tight = remove(str(photo_path), mask=disc_mask(), grow=0, engine="telea", seed=0)
    grown = remove(str(photo_path), mask=disc_mask(), grow=12, engine="telea", seed=0)
    assert tight.mask.sum() == disc_mask().sum()
    assert grown.mask.sum() > tight.mask.sum() and grown.recipe["app"]["grow"] == 12


def test_default_grow_follows_object_size() -> None:
    small = np.zeros((50, 50), np.float32)
    small[10:20, 10:20] = 1
    big = np.zeros((2000, 2000), np.float32)
    big[:1000, :1000] = 1
    assert default_grow(small) == 8
    assert default_grow(big) == 50
    big[:] = 1
    assert default_grow(big) == 64


@pytest.mark.parametrize(
    "how, words",
    [
        ({}, "exactly one of"),
        ({"box": BOX, "points": [(1, 1)]}, "exactly one of"),
        ({"negatives": [(1, 1)]}, "negatives"),
        ({"box": "500,500,600,600"}, "box"),
        ({"points": [(999, 1)]}, "outside"),
        ({"mask": disc_mask(), "grow": -1}, "grow"),
    ],
)
def test_bad_requests_name_the_fix(how: dict, words: str, photo_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=words):
        remove(str(photo_path), **how)


def test_cli_remove_writes_result_mask_overlay_and_replays(
    photo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli("remove", photo_path, "--box", BOX, "--seed", "3", capsys=capsys)
    assert code == 0, err
    result_path = tmp_path / "photo.removed.png"
    mask_path = tmp_path / "photo.removed.mask.png"
    overlay_path = tmp_path / "photo.removed.overlay.png"
    assert result_path.is_file() and mask_path.is_file() and overlay_path.is_file()
    assert "grown 8 px" in out
    result = np.asarray(Image.open(result_path))
    mask = np.asarray(Image.open(mask_path))
    assert set(np.unique(mask)) <= {0, 255} and (mask[disc_mask() > 0] == 255).all()
    assert np.array_equal(result[mask == 0], scene()[mask == 0])
    assert_gone(result)
    overlay = np.asarray(Image.open(overlay_path).convert("RGB"))
    assert overlay.shape == result.shape and not np.array_equal(overlay, scene())
    recipe = inpaintkit.replay(result_path).recipe
    assert recipe["mask"]["from_output"] == "photo.removed.mask.png"
    assert recipe["app"]["box"] == [58, 38, 102, 82]
    # replay from another working directory, through the real console script
    done = subprocess.run(
        [sys.executable, "-m", "inpaintkit", "replay", str(result_path)],
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).parent),
        check=False,
    )
    assert done.returncode == 0 and "bit for bit" in done.stdout, done.stderr


def test_cli_remove_points_with_engine_flag(
    photo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "gone.png"
    code, out, err = run_cli(
        "remove", photo_path, "--point", "80,60", "--not", "3,3", "--engine", "telea",
        "--radius", "5", "--grow", "10", "--no-overlay", "-o", out_path, "--json", capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert '"method": "points"' in out and '"grow": 10' in out
    assert (tmp_path / "gone.mask.png").is_file() and not (tmp_path / "gone.overlay.png").exists()
    assert inpaintkit.replay(out_path).identical
    assert_gone(np.asarray(Image.open(out_path)))


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "--box"),
        (("--not", "3,3"), "--not"),
        (("--point", "999,3"), "--point"),
        (("--box", "1,2,3"), "--box"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    args: tuple[str, ...],
    words: str,
    photo_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli("remove", photo_path, *args, capsys=capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and words in err and "Traceback" not in err
    assert not (tmp_path / "photo.removed.png").exists()


def test_cli_remove_refuses_to_overwrite_the_mask(
    photo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "photo.removed.mask.png").write_bytes(b"mine")
    code, _, err = run_cli("remove", photo_path, "--box", BOX, capsys=capsys)
    assert code == 2 and "--overwrite" in err
    assert not (tmp_path / "photo.removed.png").exists()
