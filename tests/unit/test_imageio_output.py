"""Output files: paths checked before any work, errors that name the fix, permissions that
follow the umask, the PNG compression level, metadata on the fast PNG route."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageCms

from inpaintkit.errors import (
    InvalidOutputError,
    InvalidParameterError,
    OutputExistsError,
    spell_flag,
)
from inpaintkit.imageio import (
    DEFAULT_PNG_LEVEL,
    check_output_path,
    load_image,
    read_recipe,
    save_image,
    to_input_layout,
)
from inpaintkit.imageio.png_chunks import insert_chunks, make_chunk

RNG = np.random.default_rng(4)
RGB8 = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
SMOOTH = np.repeat(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], 48, axis=0)
SMOOTH = np.repeat(SMOOTH, 3, axis=2)


# ------------------------------------------------------------------ path checks


def test_a_good_path_passes_and_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.png"
    assert check_output_path(target, overwrite=False) == target
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("name", ["out", "out.xyz", "out.gif"])
def test_unknown_or_missing_extension_lists_the_known_ones(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidOutputError, match=r"\.png.*\.webp|\.bmp.*\.png") as raised:
        check_output_path(tmp_path / name, overwrite=True)
    assert name in str(raised.value)
    with pytest.raises(InvalidOutputError):
        save_image(tmp_path / name, RGB8)
    assert not list(tmp_path.iterdir())


def test_a_folder_asks_for_a_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "results.png"
    folder.mkdir()
    for path in (folder, tmp_path):
        with pytest.raises(InvalidOutputError, match="pass a file name such as") as raised:
            check_output_path(path, overwrite=True)
        assert "overwrite" not in str(raised.value)
        assert str(path / "out.png") in str(raised.value)


@pytest.mark.parametrize("below", ["out.png", "sub/out.png"])
def test_a_parent_that_is_a_file_is_named(tmp_path: Path, below: str) -> None:
    photo = tmp_path / "photo.png"
    save_image(photo, RGB8)
    target = photo / below
    with pytest.raises(InvalidOutputError, match=r"photo\.png is a file, not a folder"):
        check_output_path(target, overwrite=False)
    with pytest.raises(InvalidOutputError, match="is a file, not a folder"):
        save_image(target, RGB8, overwrite=True)


def test_an_existing_file_needs_overwrite_in_every_spelling(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    save_image(path, RGB8)
    with pytest.raises(OutputExistsError, match="pass overwrite=True to replace it") as raised:
        check_output_path(path, overwrite=False)
    assert "pass --overwrite to replace it" in raised.value.spelled(spell_flag)
    assert check_output_path(path, overwrite=True) == path


def test_braces_in_a_file_name_survive_the_option_spelling(tmp_path: Path) -> None:
    path = tmp_path / "out{1}.png"
    save_image(path, RGB8)
    with pytest.raises(OutputExistsError) as raised:
        save_image(path, RGB8)
    assert "out{1}.png exists" in str(raised.value)
    assert "out{1}.png exists" in raised.value.spelled(spell_flag)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_an_existing_special_file_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(InvalidOutputError, match="not a regular file"):
        check_output_path(fifo, overwrite=True)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        yield folder
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: folder permissions do not stop root, so a read-only folder "
    "cannot be made here; test_unwritable_folder_reported_by_the_system covers the logic",
)
def test_a_read_only_folder_is_reported_before_any_work(read_only_folder: Path) -> None:
    for target in (read_only_folder / "out.png", read_only_folder / "new" / "out.png"):
        with pytest.raises(InvalidOutputError, match="no permission to write in"):
            check_output_path(target, overwrite=True)
        with pytest.raises(InvalidOutputError, match="choose a folder you can write to"):
            save_image(target, RGB8, overwrite=True)


def test_unwritable_folder_reported_by_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What os.access answers for a read-only folder or mount, as any user (root included).
    real_access = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if Path(path) == tmp_path and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(InvalidOutputError, match=r"no permission to write in .*read-only"):
        check_output_path(tmp_path / "out.png", overwrite=False)
    with pytest.raises(InvalidOutputError, match="to create"):
        check_output_path(tmp_path / "new" / "out.png", overwrite=False)


@pytest.mark.parametrize(
    ("where", "code", "fix"),
    [
        ("mkstemp", errno.EACCES, "choose a folder you can write to"),
        ("mkstemp", errno.EROFS, "choose a folder you can write to"),
        ("replace", errno.ENOSPC, "free some disk space"),
        ("replace", errno.EISDIR, "pass a file name such as"),
        ("replace", errno.EIO, "check the path"),
    ],
)
def test_every_os_error_while_writing_names_the_path_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, code: int, fix: str
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    if where == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    else:
        monkeypatch.setattr(os, "replace", fail)
    target = tmp_path / "out.png"
    with pytest.raises(InvalidOutputError) as raised:
        save_image(target, RGB8)
    assert str(target) in str(raised.value) and fix in str(raised.value)
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_a_path_we_may_not_even_look_at_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Path.is_dir raises for EACCES (a folder on the way that we may not search).
    def refuse(self: Path) -> bool:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_dir", refuse)
    with pytest.raises(InvalidOutputError, match="choose a folder you can write to"):
        check_output_path(tmp_path / "out.png", overwrite=False)


def test_a_nul_character_in_the_path_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidOutputError, match="null"):
        check_output_path(str(tmp_path / "out\0.png"), overwrite=False)


# ------------------------------------------------------------------ permissions


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
def test_new_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        save_image(tmp_path / "out.png", RGB8)
        save_image(tmp_path / "out.tiff", RGB8)
    finally:
        os.umask(previous)
    for name in ("out.png", "out.tiff"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")
def test_overwriting_keeps_the_files_own_permissions(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    save_image(path, RGB8)
    path.chmod(0o640)
    save_image(path, RGB8[::-1], overwrite=True)
    assert path.stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------ PNG level and metadata


def test_default_level_is_fast_and_levels_trade_size(tmp_path: Path) -> None:
    assert DEFAULT_PNG_LEVEL == 1
    sizes = {}
    for level in (0, None, 9):
        path = tmp_path / f"level-{level}.png"
        save_image(path, SMOOTH, png_level=level)
        np.testing.assert_array_equal(load_image(path).pixels, SMOOTH)
        sizes[level] = path.stat().st_size
    assert sizes[0] > sizes[None] >= sizes[9]


@pytest.mark.parametrize("level", [-1, 10, 1.5, True, "1"])
def test_bad_png_level_names_the_option(tmp_path: Path, level: Any) -> None:
    with pytest.raises(InvalidParameterError, match="set png_level to a whole number") as raised:
        save_image(tmp_path / "out.png", RGB8, png_level=level)
    assert "--png-level" in raised.value.spelled(spell_flag)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "pixels",
    [RGB8, RGB8[..., 0], np.dstack([RGB8, RGB8[..., 0]]), RGB8.astype(np.uint16) * 257],
    ids=["rgb8", "grey8", "rgba8", "rgb16"],
)
def test_recipe_and_icc_survive_every_png_route(tmp_path: Path, pixels: np.ndarray) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    recipe = {"engine": "telea", "note": "ü {braces}"}
    path = tmp_path / "out.png"
    save_image(path, pixels, icc_profile=profile, recipe=recipe, png_level=3)
    loaded = load_image(path)
    assert loaded.icc_profile == profile
    assert read_recipe(path) == recipe
    np.testing.assert_array_equal(to_input_layout(loaded, loaded.pixels, loaded.alpha), pixels)


def test_exif_after_the_pixel_data_is_still_found(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    save_image(tmp_path / "plain.png", RGB8)
    png = (tmp_path / "plain.png").read_bytes()
    end = png.rindex(b"IEND") - 4
    late = png[:end] + make_chunk(b"eXIf", exif.tobytes()) + png[end:]
    loaded = load_image(late)
    assert loaded.exif_orientation == 6
    np.testing.assert_array_equal(loaded.pixels, np.rot90(RGB8, k=-1))
    early = insert_chunks(png, [make_chunk(b"eXIf", exif.tobytes())])
    assert load_image(early).exif_orientation == 6


def test_rgb_png_with_colour_key_transparency_gets_alpha(tmp_path: Path) -> None:
    path = tmp_path / "keyed.png"
    Image.fromarray(RGB8).save(path, transparency=tuple(int(v) for v in RGB8[0, 0]))
    loaded = load_image(path)
    assert loaded.alpha is not None and loaded.alpha[0, 0] == 0
    np.testing.assert_array_equal(loaded.pixels, RGB8)
