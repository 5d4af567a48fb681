"""``compose``: the cut-out lands where asked with its alpha, only the footprint and its
band change, the seam drops on a colour mismatch, and bad input is exit 2 with the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintkit.apps import compose
from inpaintkit.apps.composition import edge_band, replay_composition
from inpaintkit.errors import InvalidInputError
from tests.cli.test_cli import run_cli

AT = (50, 30)


def background() -> np.ndarray:
    rng = np.random.default_rng(2)
    y, x = np.mgrid[0:100, 0:140].astype(np.float32)
    base = np.stack([0.3 + 0.2 * x / 140, 0.45 + 0 * x, 0.35 + 0.2 * y / 100], -1)
    return np.rint(np.clip(base + rng.normal(0, 0.02, base.shape), 0, 1) * 255).astype(np.uint8)


def cutout(size: int = 40) -> np.ndarray:
    """A bright textured disc (a colour mismatch with the scene) with a soft-edged alpha."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    radius = np.hypot(x - size / 2 + 0.5, y - size / 2 + 0.5)
    alpha = np.clip(size / 2 - 3 - radius + 0.5, 0, 1)
    colours = np.stack([0.95 - 0.2 * x / size, 0.75 + 0 * x, 0.2 + 0.3 * y / size], -1)
    colours = np.clip(colours + rng.normal(0, 0.03, colours.shape), 0, 1)
    return np.rint(np.dstack([colours, alpha]) * 255).astype(np.uint8)


def reach(alpha: np.ndarray, band: int) -> np.ndarray:
    """Where a composition with this placed alpha may change pixels: footprint ⊕ band."""
    import cv2

    footprint = (alpha > 0).astype(np.uint8)
    return cv2.dilate(footprint, np.ones((2 * band + 1,) * 2, np.uint8)) > 0


def placed_alpha(at: tuple[int, int] = AT, shape: tuple[int, int] = (100, 140)) -> np.ndarray:
    alpha = np.zeros(shape, np.float32)
    piece = cutout()[..., 3].astype(np.float32) / 255
    alpha[at[1] : at[1] + 40, at[0] : at[0] + 40] = piece
    return alpha


@pytest.mark.parametrize("blend", ["none", "color", "poisson", "color+poisson"])
def test_object_present_and_outside_exact(blend: str) -> None:
    scene = background()
    result = compose(scene, cutout(), at=AT, band=6, blend=blend)
    alpha = placed_alpha()
    outside = ~reach(alpha, 6)
    assert np.array_equal(result.image[outside], scene[outside])
    centre = result.image[AT[1] + 15 : AT[1] + 25, AT[0] + 15 : AT[0] + 25].astype(float)
    assert centre[..., 0].mean() > 150 and centre[..., 2].mean() < 140  # the object is there
    if blend == "none":  # a plain alpha paste: the object's own pixels
        inside = alpha == 1
        assert np.abs(result.image[inside].astype(int) - _paste_plain(scene)[inside]).max() <= 1


def _paste_plain(scene: np.ndarray) -> np.ndarray:
    alpha = placed_alpha()[..., None]
    colours = np.zeros(scene.shape, np.float32)
    colours[AT[1] : AT[1] + 40, AT[0] : AT[0] + 40] = cutout()[..., :3] / 255
    return np.rint((scene / 255 * (1 - alpha) + colours * alpha) * 255).astype(int)


def test_seam_drops_on_a_colour_mismatch() -> None:
    scores = {}
    for blend in ("none", "color", "poisson", "color+poisson"):
        result = compose(background(), cutout(), at=AT, blend=blend)
        scores[blend] = (result.details["seam_before"], result.details["seam_after"])
    before = scores["none"][0]
    assert before > 10
    assert scores["none"][1] == pytest.approx(before, abs=0.5)
    for blend in ("color", "poisson", "color+poisson"):
        assert scores[blend][1] < before, scores
    assert scores["color+poisson"][1] < 0.5 * before


def test_alpha_is_respected() -> None:
    """Transparent corners of the cut-out leave the scene as it was."""
    scene = background()
    result = compose(scene, cutout(), at=AT, blend="color+poisson")
    corner = (slice(AT[1], AT[1] + 4), slice(AT[0], AT[0] + 4))
    assert np.array_equal(result.image[corner], scene[corner])
    assert np.array_equal(result.mask > 0, placed_alpha() > 0)


def test_cutout_mask_stands_in_for_alpha() -> None:
    rgba = cutout()
    mask = (rgba[..., 3] > 127).astype(np.float32)
    result = compose(background(), rgba[..., :3], at=AT, cutout_mask=mask, blend="none")
    assert result.image[AT[1] + 20, AT[0] + 20, 0] > 150
    assert np.array_equal(result.image[: AT[1]], background()[: AT[1]])


def test_scale_center_and_clipping() -> None:
    scene = background()
    half = compose(scene, cutout(), at=(70, 50), center=True, scale=0.5, blend="none")
    assert tuple(half.recipe["app"]["placed"]) == (60, 40, 80, 60)
    double = compose(scene, cutout(), at=(120, 80), scale=2.0, blend="none")
    assert tuple(double.recipe["app"]["placed"]) == (120, 80, 140, 100)
    assert any("clipped" in note for note in double.details["notes"])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"at": (500, 500)}, "outside"),
        ({"at": "a,b"}, "two whole numbers"),
        ({"at": AT, "scale": 0}, "scale"),
        ({"at": AT, "band": 0}, "band"),
        ({"at": AT, "blend": "magic"}, "blend"),
    ],
)
def test_bad_placement_names_the_fix(kwargs: dict, words: str) -> None:
    with pytest.raises(InvalidInputError, match=words):
        compose(background(), cutout(), **kwargs)


def test_cutout_without_alpha_says_how_to_make_one() -> None:
    with pytest.raises(InvalidInputError, match=r"no alpha channel.*cutout_mask"):
        compose(background(), cutout()[..., :3], at=AT)


def test_engine_band_through_the_pipeline_keeps_outside_exact() -> None:
    scene = background()
    result = compose(scene, cutout(), at=AT, band=5, engine="telea", seed=1)
    band = edge_band(placed_alpha(), 5)
    assert np.array_equal(result.image[band == 0][~reach(placed_alpha(), 5)[band == 0]],
                          scene[band == 0][~reach(placed_alpha(), 5)[band == 0]])  # fmt: skip
    assert np.array_equal(result.mask, band)
    assert result.engine == "telea" and result.recipe["app"]["engine"] == "telea"


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    scene_path, object_path = tmp_path / "scene.png", tmp_path / "object.png"
    Image.fromarray(background()).save(scene_path)
    Image.fromarray(cutout(), "RGBA").save(object_path)
    return scene_path, object_path


def test_cli_compose_writes_and_reports_seams(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene_path, object_path = inputs
    code, out, err = run_cli(
        "compose", scene_path, "--paste", object_path, "--at", "70,50", "--center", capsys=capsys
    )
    assert code == 0, err
    written = tmp_path / "scene.composed.png"
    result = np.asarray(Image.open(written))
    outside = ~reach(placed_alpha(), 8)
    assert np.array_equal(result[outside], background()[outside])
    assert "seam score" in out and "->" in out
    replayed = replay_composition(written)
    assert replayed.identical
    assert replayed.recipe["app"]["cutout"]["from_output"] == "object.png"
    code, out, err = run_cli("replay", written, capsys=capsys)  # the user's way in
    assert code == 0 and "bit for bit" in out, err


def test_cli_compose_engine_band_replays_through_inpaintkit_replay(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene_path, object_path = inputs
    out_path = tmp_path / "c.png"
    code, out, err = run_cli(
        "compose", scene_path, "--paste", object_path, "--at", "50,30", "--engine", "telea",
        "--seed", "2", "-o", out_path, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "c.pasted.png").is_file() and (tmp_path / "c.mask.png").is_file()
    code, out, err = run_cli("replay", out_path, capsys=capsys)
    assert code == 0 and "bit for bit" in out, err


@pytest.mark.parametrize(
    "args, words",
    [
        (("--at", "1,1"), "--paste"),
        (("--paste", "{object}"), "--at"),
        (("--paste", "{object}", "--at", "900,900"), "--at"),
        (("--paste", "{plain}", "--at", "1,1"), "--cutout-mask"),
        (("--paste", "{object}", "--at", "1,1", "--scale", "-1"), "--scale"),
    ],
)
def test_cli_errors_exit_2_naming_the_fix(
    args: tuple[str, ...],
    words: str,
    inputs: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scene_path, object_path = inputs
    plain = tmp_path / "plain.png"
    Image.fromarray(cutout()[..., :3]).save(plain)
    filled = [a.format(object=object_path, plain=plain) for a in args]
    code, _, err = run_cli("compose", scene_path, *filled, capsys=capsys)
    assert code == 2, err
    assert err.strip().count("\n") == 0 and words in err and "Traceback" not in err
    assert not (tmp_path / "scene.composed.png").exists()
