"""``replace`` without a model or a prompt: a clear error, exit 2 from the CLI. The runs
with a (tiny random) diffusion model are in tests/diffusion/test_replace.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintkit.apps import replace
from inpaintkit.errors import InvalidInputError
from tests.cli.test_cli import run_cli


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(path)
    return path


def test_library_needs_a_model_and_a_prompt(photo_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"needs a diffusion model.*model="):
        replace(str(photo_path), box="8,8,30,30", prompt="a red sweater")
    with pytest.raises(InvalidInputError, match="prompt="):
        replace(str(photo_path), box="8,8,30,30", prompt=" ", model="somewhere")
    with pytest.raises(InvalidInputError, match="engine"):
        replace(str(photo_path), box="8,8,30,30", prompt="x", model="m", engine="telea")


@pytest.mark.parametrize(
    "args, words",
    [
        (("--box", "8,8,30,30", "--prompt", "a red wool sweater"), "--model"),
        (("--box", "8,8,30,30", "--model", "nowhere"), "--prompt"),
        (("--prompt", "x", "--model", "nowhere"), "--box"),
    ],
)
def test_cli_errors_are_exit_2(
    args: tuple[str, ...], words: str, photo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli("replace", photo_path, *args, capsys=capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and words in err and "Traceback" not in err
    assert not (photo_path.parent / "photo.replaced.png").exists()
