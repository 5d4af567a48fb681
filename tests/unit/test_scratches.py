"""detect_scratches: drawn scratches and dust are found, a clean photo stays clean."""

import cv2
import numpy as np
import pytest

from inpaintkit.errors import InvalidInputError, InvalidParameterError
from inpaintkit.mask import detect_scratches


def _photo(seed: int = 0, size: int = 160) -> np.ndarray:
    """A smooth, softly textured uint8 RGB 'photo': gradients plus mild grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = 0.35 + 0.25 * x + 0.15 * np.sin(3 * y)
    grain = cv2.GaussianBlur(rng.normal(0, 0.02, (size, size)).astype(np.float32), (0, 0), 1)
    rgb = np.stack([base * 1.1, base, base * 0.8], axis=2) + grain[..., None]
    return np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _scratched(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``photo`` with a bright and a dark scratch drawn in; their truth masks."""
    size = photo.shape[0]
    bright = np.zeros(photo.shape[:2], np.uint8)
    dark = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(bright, (20, 10), (60, size - 10), 1, 2)
    cv2.line(dark, (size - 15, 15), (size - 70, size - 20), 1, 1)
    damaged = photo.astype(np.int16)
    damaged[bright > 0] += 90
    damaged[dark > 0] -= 80
    return np.clip(damaged, 0, 255).astype(np.uint8), bright > 0, dark > 0


def _near(mask: np.ndarray, pixels: int = 2) -> np.ndarray:
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), disc) > 0


def test_finds_drawn_scratches_with_few_false_pixels():
    damaged, bright, dark = _scratched(_photo())
    found = detect_scratches(damaged) > 0
    truth = bright | dark
    recall = _near(found)[truth].mean()
    precision = _near(truth)[found].mean()
    assert recall > 0.9 and precision > 0.9
    assert found.dtype == bool and detect_scratches(damaged).dtype == np.float32


def test_clean_photo_gives_almost_nothing():
    found = detect_scratches(_photo(seed=3))
    assert found.mean() < 0.002


def test_kinds_pick_bright_or_dark_defects():
    damaged, bright, dark = _scratched(_photo())
    only_bright = detect_scratches(damaged, kinds="bright", grow=0) > 0
    only_dark = detect_scratches(damaged, kinds="dark", grow=0) > 0
    assert only_bright[bright].mean() > 0.9 and not only_bright[_near(dark, 3)].any()
    assert only_dark[dark].mean() > 0.9 and not only_dark[_near(bright, 3)].any()


def test_dust_specks_are_found_and_short_marks_are_not_scratches():
    photo = np.full((128, 128), 0.5, np.float32)
    photo[30:33, 40:43] = 0.95  # a dust speck
    photo[60, 20:28] = 0.1  # a short dark mark, 8 px, wider than a speck
    photo[100, 20:70] = 0.1  # a dark scratch, 50 px
    found = detect_scratches(photo, grow=0) > 0
    assert found[30:33, 40:43].all() and not found[60, 20:28].any()
    assert found[100, 22:68].all()
    assert not detect_scratches(photo, grow=0, min_length=60)[100, 20:70].any()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"sensitivity": 1.5}, "sensitivity must be in [0, 1]"),
        ({"sensitivity": "high"}, "sensitivity must be a number"),
        ({"max_width": 0}, "max_width must be an integer >= 1"),
        ({"min_length": 2.5}, "min_length must be an integer >= 2"),
        ({"kinds": "white"}, "kinds must be 'both', 'bright' or 'dark'"),
        ({"grow": -1}, "grow must be an integer >= 0"),
    ],
)
def test_bad_options_are_refused_with_the_fix(options, words):
    with pytest.raises(InvalidParameterError, match=words.replace("[", r"\[").replace("]", r"\]")):
        detect_scratches(np.zeros((16, 16), np.uint8), **options)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.full((8, 8, 3), 2.0, np.float32), "scale them to"),
        (np.zeros((8, 8, 2), np.uint8), "H×W×3"),
        (np.zeros((8, 8), np.int32), "no defined scale"),
        ([[0, 1]], "numpy array"),
    ],
)
def test_bad_images_are_refused(image, words):
    with pytest.raises(InvalidInputError, match=words):
        detect_scratches(image)


def test_a_one_pixel_scratch_survives_on_a_large_scan():
    # Above 768 px the search runs on a shrunk copy; a faint 1 px line must not fade.
    rng = np.random.default_rng(5)
    photo = np.full((900, 1700), 0.45, np.float32)
    photo += cv2.GaussianBlur(rng.normal(0, 0.02, photo.shape).astype(np.float32), (0, 0), 1)
    truth = np.zeros(photo.shape, np.uint8)
    cv2.line(truth, (300, 100), (330, 800), 1, 1)  # a film scratch, nearly vertical
    photo[truth > 0] -= 0.12
    found = detect_scratches(np.clip(photo, 0, 1), grow=0) > 0
    assert _near(found)[truth > 0].mean() > 0.85
    assert _near(truth > 0, 3)[found].mean() > 0.9


def test_a_coloured_stripe_of_the_scene_is_spared_but_a_neutral_scratch_is_not():
    photo = _photo()
    stripe = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(stripe, (100, 10), (130, 150), 1, 2)  # a bright orange rod
    damaged, bright, _ = _scratched(photo)
    damaged = damaged.astype(np.int16)
    damaged[stripe > 0] += np.array([100, 45, -10], np.int16)
    found = detect_scratches(np.clip(damaged, 0, 255).astype(np.uint8), kinds="bright") > 0
    assert found[bright].mean() > 0.9
    assert not found[stripe > 0].any()


def _wood(size: int = 160) -> np.ndarray:
    """Float RGB 'wood': brown, with long dark grain lines that darken it in proportion."""
    rgb = np.ones((size, size, 3), np.float32) * np.array([0.62, 0.38, 0.2], np.float32)
    grain = np.zeros((size, size), np.float32)
    for offset in range(-size, size, 23):
        cv2.line(grain, (offset, 0), (offset + size, size), 1.0, 1)
    shade = 1 - 0.5 * cv2.GaussianBlur(grain, (0, 0), 0.6)
    return rgb * shade[:, :, None]


def test_wood_grain_is_spared_but_a_scratch_across_it_is_found():
    # Grain darkens each channel in proportion (brown): its blue channel barely moves.
    # A scratch takes the same off all three, so its weakest channel shows it fully.
    wood = _wood()
    assert (detect_scratches(wood) > 0).mean() < 0.002
    truth = np.zeros(wood.shape[:2], np.uint8)
    cv2.line(truth, (40, 10), (52, 150), 1, 2)
    scratched = np.clip(wood - 0.1 * truth[:, :, None], 0, 1)  # fainter than the grain
    found = detect_scratches(scratched) > 0
    assert _near(found)[truth > 0].mean() > 0.9
    assert _near(truth > 0, 3)[found].mean() > 0.9


def test_a_scratch_crossing_a_coloured_post_is_kept_on_both_sides():
    photo = _photo().astype(np.float32) / 255
    post = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(post, (80, 0), (80, 159), 1, 3)  # a bright yellow post of the scene
    photo[post > 0] = (1.0, 0.75, 0.2)
    truth = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(truth, (10, 70), (150, 78), 1, 2)  # a bright scratch across it
    damaged = np.clip(photo + 0.3 * truth[:, :, None], 0, 1)
    found = detect_scratches(damaged, kinds="bright") > 0
    beside = (truth > 0) & ~_near(post > 0, 6)
    assert _near(found)[beside].mean() > 0.9
    assert not found[(post > 0) & ~_near(truth > 0, 6)].any()


def _grainy(seed: int, size: int = 128, amount: float = 0.04) -> np.ndarray:
    """A float32 grey 'photo' with busy fine grain (texture the top-hat answers to)."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, amount, (size, size)).astype(np.float32), (0, 0), 0.8)
    return np.clip(0.5 + grain, 0, 1)


def test_a_speck_on_busy_grain_is_found_and_the_grain_is_not():
    # The speck is judged against the spread of the detail around it, not one level
    # for the whole photo: grain gives nothing, a speck well above it is found.
    photo = _grainy(seed=7)
    assert not (detect_scratches(photo, grow=0) > 0).any()
    speck = np.zeros(photo.shape, np.float32)
    cv2.circle(speck, (60, 70), 2, 1.0, -1)
    damaged = np.clip(photo + 0.3 * cv2.GaussianBlur(speck, (0, 0), 0.6), 0, 1)
    found = detect_scratches(damaged, grow=0) > 0
    assert found[68:73, 58:63].sum() >= 5
    assert not found[~_near(speck > 0, 3)].any()


def test_a_small_pit_with_a_lit_rim_is_not_dust_but_a_lone_speck_is():
    # A pit (a crater, a rivet hole) is shading: a dark blob with a bright rim beside
    # it. A speck of dust is one tone.
    photo = np.full((96, 96), 0.5, np.float32)
    dark = np.zeros(photo.shape, np.float32)
    rim = np.zeros(photo.shape, np.float32)
    cv2.circle(dark, (30, 40), 2, 1.0, -1)
    cv2.ellipse(rim, (30, 44), (3, 1), 0, 0, 360, 1.0, -1)  # lit lower rim, touching
    cv2.circle(dark, (70, 60), 2, 1.0, -1)  # a dust speck, alone
    relief = np.clip(photo - 0.35 * dark + 0.3 * np.where(dark > 0, 0, rim), 0, 1)
    found = detect_scratches(relief, grow=0) > 0
    assert not found[34:48, 24:37].any()
    assert found[58:63, 68:73].sum() >= 5


def _grey_field(size: int = 200, seed: int = 5) -> np.ndarray:
    """A mid-grey field with fine grain, like grass or paper, as float32 luminance."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, 0.03, (size, size)).astype(np.float32), (0, 0), 0.8)
    return np.clip(0.55 + grain, 0, 1).astype(np.float32)


def test_a_lit_tube_is_spared_but_a_lone_scratch_beside_it_is_found():
    """A tripod leg: a bright band with its dark shaded edge right beside it."""
    photo = _grey_field()
    photo[20:180, 60:64] = 0.95  # the lit side of the tube
    photo[20:180, 58:60] = 0.15  # its shaded edge, as far below the field as the lit side is above
    photo[20:180, 140] = 0.85  # a scratch: bright, with the field on both sides
    found = detect_scratches(photo, grow=0) > 0
    assert not found[:, 50:75].any()
    assert found[30:170, 139:142].any(axis=1).mean() > 0.9


def test_a_pair_of_rails_is_spared_but_a_lone_scratch_is_found():
    """Parallel edges at a fixed spacing (a window frame, rails) are a structure."""
    photo = _grey_field(seed=6)
    photo[20:180, 40] = 0.9
    photo[20:180, 52] = 0.9
    photo[20:180, 150] = 0.9
    found = detect_scratches(photo, grow=0) > 0
    assert not found[:, 30:62].any()
    assert found[30:170, 149:152].any(axis=1).mean() > 0.9


def test_a_scratch_broken_where_it_cannot_show_is_followed_past_the_break():
    """The 30 px stub after the break is shorter than min_length, but continues the line."""
    photo = _grey_field(seed=7)
    photo[120:128, 70:130] = 0.0  # a black band: a dark scratch leaves no trace on it
    photo[10:120, 100] -= 0.3
    photo[128:158, 100] -= 0.3
    found = detect_scratches(np.clip(photo, 0, 1), grow=0) > 0
    assert found[12:118, 99:102].any(axis=1).mean() > 0.9
    assert found[130:156, 99:102].any(axis=1).mean() > 0.9
    assert not found[:, :95].any() and not found[:, 106:].any()
