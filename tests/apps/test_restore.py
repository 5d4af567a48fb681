"""restore and its detectors: long film scratches and torn corners are found, a clean
photo stays (nearly) clean, the fill improves the photo and keeps every other pixel,
and `inpaintkit restore` writes result, mask and preview that `inpaintkit replay` redoes."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from inpaintkit.apps.restoration import find_damage, restore
from inpaintkit.errors import EmptyMaskError, InvalidParameterError
from inpaintkit.mask.damage import detect_damage, detect_missing, drop_line_patterns
from inpaintkit.mask.long_scratches import detect_long_scratches
from tests.cli.test_cli import run_cli


def _photo(seed: int = 0, height: int = 240, width: int = 200) -> np.ndarray:
    """A softly textured uint8 RGB 'photo': shading, blobs of detail and grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.35 + 0.2 * x / width + 0.1 * np.sin(y / 23.0)
    detail = cv2.GaussianBlur(rng.normal(0, 0.08, (height, width)).astype(np.float32), (0, 0), 3)
    grain = cv2.GaussianBlur(rng.normal(0, 0.015, (height, width)).astype(np.float32), (0, 0), 0.7)
    grey = base + detail + grain
    rgb = np.stack([grey * 1.05, grey, grey * 0.85], axis=2)
    return np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _film_scratches(photo: np.ndarray, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Three film scratches (bright and dark, 1–2 px, slight tilt, fading) and their truth."""
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    rows = np.arange(height)
    for x0, sign, thickness in ((40, 1.0, 1), (105, -1.0, 2), (160, 1.0, 1)):
        xs = x0 + 0.015 * rows + 1.5 * np.sin(rows / 60.0 + rng.uniform(0, 6))
        stroke = np.zeros((height, width), np.float32)
        points = np.rint(np.stack([xs, rows], axis=1)).astype(np.int32)
        cv2.polylines(stroke, [points], False, 1.0, thickness)
        stroke = cv2.GaussianBlur(stroke, (0, 0), 0.5)
        fade = np.interp(rows, [0, height / 2, height - 1], [1.0, 0.5, 0.9])[:, None]
        change += sign * 0.3 * stroke * fade.astype(np.float32)
    values = photo.astype(np.float32) / 255
    damaged = np.rint(np.clip(values + change[:, :, None], 0, 1) * 255).astype(np.uint8)
    truth = np.abs(damaged.astype(np.int16) - photo).max(axis=2) >= 8
    return damaged, truth


def _near(mask: np.ndarray, pixels: int = 2) -> np.ndarray:
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), disc) > 0


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / error))


def test_long_scratch_detector_finds_film_scratches_and_little_else():
    damaged, truth = _film_scratches(_photo())
    found = detect_long_scratches(damaged) > 0
    recall = _near(found)[truth].mean()
    precision = _near(truth)[found].mean()
    assert recall > 0.9 and precision > 0.9


def test_clean_photo_has_few_false_alarms():
    clean = _photo(seed=5)
    assert detect_long_scratches(clean).mean() < 0.002
    assert detect_damage(clean).mean() < 0.005


def test_torn_corner_is_found_and_a_flat_white_area_inside_is_not():
    photo = _photo(seed=2)
    torn = photo.copy()
    corner = np.array([[0, 0], [70, 0], [55, 18], [62, 30], [30, 45], [18, 70], [0, 80]])
    region = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(region, [corner], 1)
    torn[region > 0] = (243, 240, 231)
    torn[120:170, 90:150] = 250  # a white card in the middle of the scene: not a tear
    found = detect_missing(torn, grow=0) > 0
    assert found[region > 0].mean() > 0.95
    assert not found[115:175, 85:155].any()


def test_rows_of_parallel_lines_go_but_a_scratch_across_them_stays():
    mask = np.zeros((200, 200), np.float32)
    for x in range(20, 200, 30):
        mask[10:190, x : x + 2] = 1  # brick joints: a row of parallel lines
    cv2.line(mask, (5, 40), (195, 160), 1.0, 2)  # a scratch across them, joining them
    kept = drop_line_patterns(mask)
    for x in (50, 80, 110, 140):  # the joints inside the row go, but for the crossing
        assert kept[:, x : x + 2].sum() <= 2 * 16
    scratch = np.zeros((200, 200), np.uint8)
    cv2.line(scratch, (5, 40), (195, 160), 1, 2)
    assert kept[scratch > 0].mean() > 0.95


def test_restore_improves_the_photo_and_keeps_every_other_pixel():
    photo = _photo()
    damaged, _ = _film_scratches(photo)
    result = restore(damaged, seed=0)
    assert result.image.dtype == np.uint8 and result.image.shape == photo.shape
    outside = result.mask == 0
    assert np.array_equal(result.image[outside], damaged[outside])
    assert _psnr(result.image, photo) > _psnr(damaged, photo) + 5
    assert result.recipe["app"]["found"]["long_scratches"] > 0


def test_the_users_mask_is_added_to_what_is_found():
    photo = _photo()
    damaged, _ = _film_scratches(photo)
    extra = np.zeros(photo.shape[:2], np.float32)
    extra[10:30, 60:90] = 1
    union, parts = find_damage(damaged, mask=extra)
    assert union[10:30, 60:90].all() and "mask" in parts
    result = restore(damaged, mask=extra, seed=0)
    assert (result.mask[10:30, 60:90] > 0).all()
    assert result.recipe["app"]["mask"] == "<array>"


def test_nothing_found_says_how_to_go_on():
    flat = np.full((80, 80, 3), 128, np.uint8)
    with pytest.raises(EmptyMaskError, match="sensitivity"):
        restore(flat, seed=0)
    with pytest.raises(InvalidParameterError, match="damage kind"):
        restore(flat, kinds="dust")
    with pytest.raises(InvalidParameterError, match="sensitivity"):
        restore(flat, sensitivity=1.5)


def _write(path, pixels):
    Image.fromarray(pixels).save(path)


def test_cli_writes_result_mask_and_preview_and_replay_redoes_it(tmp_path, capsys):
    photo = _photo()
    damaged, _ = _film_scratches(photo)
    old = tmp_path / "old.png"
    _write(old, damaged)
    extra = np.zeros(photo.shape[:2], np.uint8)
    extra[10:30, 60:90] = 255
    _write(tmp_path / "extra.png", extra)
    code, stdout, _ = run_cli(
        "restore", old, "--mask", tmp_path / "extra.png", "--seed", "3", "--json", capsys=capsys
    )
    summary = json.loads(stdout)
    result = np.asarray(Image.open(tmp_path / "old.restored.png"))
    mask = np.asarray(Image.open(tmp_path / "old.restored.mask.png"))
    preview = Image.open(tmp_path / "old.restored.overlay.png")
    assert code == 0 and summary["found"]["long_scratches"] > 0
    assert mask[20, 70] == 255 and preview.size == (photo.shape[1], photo.shape[0])
    assert np.array_equal(result[mask == 0], damaged[mask == 0])
    assert _psnr(result, photo) > _psnr(damaged, photo)
    code, stdout, _ = run_cli("replay", tmp_path / "old.restored.png", capsys=capsys)
    assert code == 0 and "bit for bit" in stdout


def test_cli_bad_input_exits_2_with_the_fix(tmp_path, capsys):
    old = tmp_path / "old.png"
    _write(old, _film_scratches(_photo())[0])
    code, _, stderr = run_cli("restore", tmp_path / "nope.png", capsys=capsys)
    assert code == 2 and "does not exist" in stderr
    code, _, stderr = run_cli("restore", old, "--kinds", "dust", capsys=capsys)
    assert code == 2 and "long_scratches" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli("restore", old, "--sensitivity", "3", capsys=capsys)
    assert code == 2 and "--sensitivity" in stderr
    preview = tmp_path / "found.png"
    preview.write_bytes(b"keep")
    code, _, stderr = run_cli("restore", old, "--preview", preview, capsys=capsys)
    assert code == 2 and "--overwrite" in stderr and preview.read_bytes() == b"keep"
    assert not (tmp_path / "old.restored.png").exists()


def _lines(
    photo: np.ndarray, lines: list[tuple[float, float, float, int]], rows: float = 1.0
) -> np.ndarray:
    """``photo`` with straight lines (x at the top, tilt, change, width px) from the top
    down ``rows`` of the height."""
    height, width = photo.shape[:2]
    change = np.zeros((height, width), np.float32)
    foot = round(rows * (height - 1))
    for x0, tilt, delta, thickness in lines:
        stroke = np.zeros((height, width), np.float32)
        top, bottom = (round(x0), 0), (round(x0 + tilt * foot), foot)
        cv2.line(stroke, top, bottom, 1.0, thickness)
        change += delta * stroke
    values = photo.astype(np.float32) / 255 + change[:, :, None]
    return np.rint(np.clip(values, 0, 1) * 255).astype(np.uint8)


def test_a_dark_scratch_crossing_a_fan_of_bright_joints_is_not_taken_for_their_echo():
    joints = [(22 + 36 * k, -0.04 + 0.02 * k, 0.3, 2) for k in range(5)]  # a fan, like brick
    # 3 px beside the second joint at the top, 8 px at its foot; shorter (so weaker) than
    # the joints: taken for the joint's echo unless the drift is seen
    scratch = (61.0, 0.0, -0.3, 2)
    clean = _lines(_photo(seed=3, height=300, width=190), joints)
    damaged = _lines(clean, [scratch], rows=0.75)
    truth = np.abs(damaged.astype(np.int16) - clean).max(axis=2) >= 8
    found = detect_long_scratches(damaged) > 0
    assert _near(found)[truth].mean() > 0.8
    assert detect_long_scratches(clean).mean() < 0.002  # the joints themselves: a pattern


def test_two_strong_scratches_beside_a_faint_third_are_no_pattern_of_the_scene():
    photo = _photo(seed=4, height=300, width=200)
    scratches = [(60, 0.03, -0.3, 2), (92, 0.0, -0.06, 1), (125, -0.03, -0.3, 2)]
    damaged = _lines(photo, scratches)
    strong = _lines(photo, [scratches[0], scratches[2]])
    truth = np.abs(strong.astype(np.int16) - photo).max(axis=2) >= 8
    found = detect_long_scratches(damaged) > 0
    assert _near(found)[truth].mean() > 0.8
    fence = _lines(photo, [(40 + 30 * k, 0.0, -0.3, 2) for k in range(5)])  # alike: scene
    assert detect_long_scratches(fence).mean() < 0.002
