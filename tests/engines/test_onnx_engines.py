"""The lama and migan engines end to end on tiny stand-in ONNX graphs (tiny_onnx.py).

The graphs keep the published exports' signatures but fill the hole with a constant
colour, so layouts, value ranges, padding and compositing can be checked exactly.
"""

import json

import numpy as np
import pytest
from onnx import TensorProto

import inpaintkit
from inpaintkit.engines import list_engines, run_engine
from inpaintkit.engines.onnx import load_onnx_model
from inpaintkit.errors import (
    EngineUnavailableError,
    InvalidInputError,
    InvalidParameterError,
    UnreadableFileError,
    UnsupportedFormatError,
    spell_flag,
)
from tests.cli.test_cli import run_cli
from tests.engines import tiny_onnx

FILL = np.array(tiny_onnx.FILL, np.float32)
FILL_U8 = np.rint(FILL * 255).astype(np.uint8)


@pytest.fixture(autouse=True)
def _no_model_from_the_environment(monkeypatch):
    monkeypatch.delenv("INPAINTKIT_LAMA_MODEL", raising=False)
    monkeypatch.delenv("INPAINTKIT_MIGAN_MODEL", raising=False)


def _photo(height, width, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _hole(height, width, box):
    mask = np.zeros((height, width), np.float32)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 1.0
    return mask


def _assert_filled(result, photo, mask, colour=FILL_U8, tolerance=1):
    inside, outside = mask > 0, mask == 0
    assert np.array_equal(result.image[outside], photo[outside])  # exact outside the mask
    # Well inside the hole (away from the resampled edge) the fill is the model's colour.
    core = inside.copy()
    for axis in (0, 1):
        core &= np.roll(inside, 3, axis) & np.roll(inside, -3, axis)
    difference = np.abs(result.image[core].astype(int) - colour.astype(int))
    assert core.any() and difference.max() <= tolerance


@pytest.mark.parametrize(
    ("size", "scale"),
    [(None, 1.0), (None, 255.0), (512, 1.0), (512, 255.0)],
    ids=["dynamic-0..1", "dynamic-0..255", "fixed512-0..1", "fixed512-0..255"],
)
def test_lama_fills_the_hole_and_keeps_every_other_pixel(tmp_path, size, scale):
    model = tiny_onnx.save_lama(tmp_path / "lama.onnx", size=size, output_scale=scale)
    photo = _photo(120, 200)
    mask = _hole(120, 200, (60, 30, 140, 90))
    result = inpaintkit.inpaint(photo, mask, engine="lama", model=str(model), seed=0)
    assert result.engine == "lama" and result.image.dtype == np.uint8
    _assert_filled(result, photo, mask)


def test_engine_maps_the_crop_back_without_shift_or_rescale(tmp_path):
    """Called directly on an odd-sized crop: padding for the graph is cut off again."""
    model = tiny_onnx.save_lama(tmp_path / "lama.onnx", size=512)
    image = np.random.default_rng(1).random((301, 187, 3), dtype=np.float32)
    mask = _hole(301, 187, (20, 50, 90, 120))
    mask[0:10, 0:10] = 0.25  # a soft corner still counts as hole
    out = run_engine("lama", image, mask, model=str(model), seed=0)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[mask == 0], image[mask == 0], atol=1e-6)
    np.testing.assert_allclose(out[mask > 0], np.broadcast_to(FILL, (int((mask > 0).sum()), 3)))


def test_crop_larger_than_a_fixed_graph_is_shrunk_to_fit_and_brought_back(tmp_path):
    model = load_onnx_model(tiny_onnx.save_lama(tmp_path / "lama.onnx", size=64), engine="lama")
    image = np.full((100, 160, 3), 0.25, np.float32)
    mask = _hole(100, 160, (40, 30, 120, 70))
    out = model.fill(image, mask)
    assert out.shape == image.shape
    np.testing.assert_allclose(out[45:55, 60:100], np.broadcast_to(FILL, (10, 40, 3)), atol=0.02)
    np.testing.assert_allclose(out[:20], 0.25, atol=0.02)


def test_float16_lama_export_runs(tmp_path):
    path = tiny_onnx.save_lama(tmp_path / "lama16.onnx", image_dtype=TensorProto.FLOAT16)
    photo = _photo(64, 96)
    mask = _hole(64, 96, (20, 16, 70, 48))
    result = inpaintkit.inpaint(photo, mask, engine="lama", model=str(path), seed=0)
    _assert_filled(result, photo, mask)


def test_output_range_can_be_forced(tmp_path):
    model = load_onnx_model(tiny_onnx.save_lama(tmp_path / "l.onnx"), engine="lama")
    image = np.full((32, 32, 3), 0.5, np.float32)
    mask = _hole(32, 32, (8, 8, 24, 24))
    forced = model.fill(image, mask, output_range="0-255")  # wrong on purpose: all dark
    assert float(forced.max()) <= 1 / 255 + 1e-6
    with pytest.raises(InvalidParameterError, match="output_range"):
        model.fill(image, mask, output_range="percent")


def test_large_image_is_worked_on_region_by_region_at_512(tmp_path):
    """The model sees crops around the holes at the working size, never the whole photo."""
    model = tiny_onnx.save_lama(tmp_path / "lama.onnx", size=512)
    photo = _photo(1200, 1600, seed=2)
    mask = _hole(1200, 1600, (100, 100, 180, 160))
    mask[900:1000, 1300:1450] = 1
    result = inpaintkit.inpaint(photo, mask, engine="lama", model=str(model), seed=0)
    assert len(result.plan.regions) == 2
    for region in result.plan.regions:
        assert max(region.working_size) == 512
        assert all(side % 8 == 0 for side in region.working_size)
        assert region.crop.width < 1600 and region.crop.height < 1200
    _assert_filled(result, photo, mask)


@pytest.mark.parametrize("size", [None, 512])
def test_migan_pipeline_uses_255_as_keep_and_pads_to_a_square(tmp_path, size):
    model = tiny_onnx.save_migan_pipeline(tmp_path / "migan.onnx", size=size)
    photo = _photo(90, 220, seed=3)
    mask = _hole(90, 220, (100, 20, 160, 70))
    result = inpaintkit.inpaint(photo, mask, engine="migan", model=str(model), seed=0)
    _assert_filled(result, photo, mask)


def test_migan_generator_export_is_fed_its_four_channel_input(tmp_path):
    model = tiny_onnx.save_migan_generator(tmp_path / "migan_gen.onnx")
    photo = _photo(80, 120, seed=4)
    mask = _hole(80, 120, (30, 20, 90, 60))
    result = inpaintkit.inpaint(photo, mask, engine="migan", model=str(model), seed=0)
    _assert_filled(result, photo, mask)


def test_model_path_from_the_environment(tmp_path, monkeypatch):
    model = tiny_onnx.save_migan_pipeline(tmp_path / "m.onnx")
    monkeypatch.setenv("INPAINTKIT_MIGAN_MODEL", str(model))
    photo = _photo(48, 48)
    mask = _hole(48, 48, (10, 10, 30, 30))
    _assert_filled(inpaintkit.inpaint(photo, mask, engine="migan", seed=0), photo, mask)


def test_session_is_loaded_once_per_file(tmp_path):
    path = tiny_onnx.save_lama(tmp_path / "lama.onnx")
    first = load_onnx_model(path, engine="lama")
    assert load_onnx_model(str(path), engine="lama").session is first.session


@pytest.mark.parametrize(("engine", "variable"), [("lama", "LAMA"), ("migan", "MIGAN")])
def test_no_model_given_names_the_option_the_variable_and_where_to_get_one(engine, variable):
    photo, mask = _photo(32, 32), _hole(32, 32, (8, 8, 16, 16))
    with pytest.raises(EngineUnavailableError) as raised:
        inpaintkit.inpaint(photo, mask, engine=engine, seed=0)
    message = str(raised.value)
    assert f"INPAINTKIT_{variable}_MODEL" in message and "model='PATH'" in message
    assert ("Carve/LaMa-ONNX" if engine == "lama" else "MI-GAN") in message


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "lama_fp32.onnx"
    with pytest.raises(EngineUnavailableError, match="does not exist") as raised:
        inpaintkit.inpaint(
            _photo(32, 32), _hole(32, 32, (8, 8, 16, 16)), engine="lama", model=str(missing)
        )
    assert str(missing) in str(raised.value)


def test_a_file_that_is_not_onnx_is_bad_input(tmp_path):
    path = tmp_path / "lama_fp32.onnx"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(UnreadableFileError, match="not an ONNX model") as raised:
        inpaintkit.inpaint(
            _photo(32, 32), _hole(32, 32, (8, 8, 16, 16)), engine="lama", model=str(path)
        )
    assert isinstance(raised.value, InvalidInputError)


def test_wrong_signature_lists_the_inputs_and_what_the_engine_takes(tmp_path):
    path = tiny_onnx.save_unrelated(tmp_path / "classifier.onnx")
    with pytest.raises(UnsupportedFormatError, match="is this the right file") as raised:
        load_onnx_model(path, engine="lama")
    message = str(raised.value)
    assert "pixels float 1×3×224×224" in message and "LaMa model takes" in message


def test_swapped_engine_and_model_suggests_the_other_engine(tmp_path):
    path = tiny_onnx.save_migan_pipeline(tmp_path / "migan.onnx")
    with pytest.raises(UnsupportedFormatError, match="use --engine migan"):
        load_onnx_model(path, engine="lama")
    lama = tiny_onnx.save_lama(tmp_path / "lama.onnx")
    with pytest.raises(UnsupportedFormatError, match="use --engine lama"):
        load_onnx_model(lama, engine="migan")


def test_engines_are_ready_with_onnxruntime_and_a_model(monkeypatch):
    monkeypatch.delenv("INPAINTKIT_LAMA_MODEL", raising=False)
    monkeypatch.delenv("INPAINTKIT_MIGAN_MODEL", raising=False)
    waiting = {s.name: s for s in list_engines()}
    assert not waiting["lama"].ready and "model='PATH'" in waiting["lama"].reason
    assert "--model PATH" in waiting["lama"].reason_spelled(spell_flag)
    assert "INPAINTKIT_LAMA_MODEL" in waiting["lama"].reason
    monkeypatch.setenv("INPAINTKIT_LAMA_MODEL", "lama.onnx")
    statuses = {s.name: s for s in list_engines({"model": "migan.onnx"})}
    for name in ("lama", "migan"):
        assert statuses[name].ready, statuses[name].reason
        assert statuses[name].extra == "onnx"
        assert "model" in statuses[name].options.names
        assert statuses[name].capabilities.deterministic


def test_cli_lists_and_runs_lama(tmp_path, files, capsys):
    code, stdout, _ = run_cli("engines", "--json", "--model", "x.onnx", capsys=capsys)
    listed = json.loads(stdout)
    assert code == 0 and listed["lama"]["ready"] and listed["migan"]["ready"]
    model = tiny_onnx.save_lama(tmp_path / "lama.onnx", output_scale=255.0)
    image_path, mask_path = files
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(
        "run", image_path, "-m", mask_path, "-o", out, "--engine", "lama",
        "--param", f"model={model}", "--seed", 1, capsys=capsys)  # fmt: skip
    assert code == 0 and out.exists(), stderr
    code, _, stderr = run_cli(
        "run",
        image_path,
        "-m",
        mask_path,
        "-o",
        tmp_path / "x.png",
        "--engine",
        "lama",
        capsys=capsys,
    )
    assert code == 2 and "INPAINTKIT_LAMA_MODEL" in stderr


def test_missing_weights_do_not_point_at_a_pip_extra():
    with pytest.raises(EngineUnavailableError) as raised:
        run_engine("migan", np.zeros((8, 8, 3), np.float32), np.ones((8, 8), np.float32))
    assert raised.value.extra is None
