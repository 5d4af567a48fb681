import numpy as np
import pytest

from inpaintkit.engines import get_engine, list_engines, run_engine
from inpaintkit.errors import UnknownEngineError


def test_classical_engines_are_listed_and_ready():
    statuses = {s.name: s for s in list_engines()}
    for name in ("telea", "navier-stokes", "patchmatch"):
        assert statuses[name].ready, statuses[name].reason


def test_unknown_engine_names_the_choices():
    with pytest.raises(UnknownEngineError, match="telea"):
        get_engine("nope")


@pytest.mark.parametrize("name", ["telea", "navier-stokes", "patchmatch"])
def test_classical_engine_fills_hole_and_keeps_shape(name):
    rng = np.random.default_rng(0)
    image = np.full((48, 64, 3), 0.5, np.float32) + rng.normal(0, 0.01, (48, 64, 3)).astype(
        np.float32
    )
    image = np.clip(image, 0, 1)
    image[16:32, 20:40] = 1.0  # a bright object to remove
    mask = np.zeros((48, 64), np.float32)
    mask[14:34, 18:42] = 1.0
    out = run_engine(name, image, mask, seed=3)
    assert out.shape == image.shape and out.dtype == np.float32
    assert abs(float(out[16:32, 20:40].mean()) - 0.5) < 0.1


def test_patchmatch_is_deterministic_for_a_seed():
    rng = np.random.default_rng(1)
    image = rng.random((40, 40, 3), dtype=np.float32)
    mask = np.zeros((40, 40), np.float32)
    mask[10:30, 10:30] = 1
    a = run_engine("patchmatch", image, mask, seed=7)
    b = run_engine("patchmatch", image, mask, seed=7)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("name", ["telea", "navier-stokes"])
def test_diffusion_fill_keeps_16_bit_precision(name):
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    smooth = np.stack([x / 64, y / 64, (x + y) / 128], axis=-1) + np.float32(1 / 65535)
    mask = np.zeros((64, 64), np.float32)
    mask[24:40, 24:40] = 1
    out = run_engine(name, smooth, mask, seed=0)
    assert out.min() >= 0 and out.max() <= 1
    assert np.abs(out - smooth)[mask > 0].mean() < 0.03
    # not quantised to 8 bits inside the hole
    assert not np.array_equal(out, np.rint(out * 255) / 255)
