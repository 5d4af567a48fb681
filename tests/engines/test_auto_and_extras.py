import subprocess
import sys

import numpy as np
import pytest

from inpaintkit.engines import registry
from inpaintkit.engines.auto import choose_engine, hole_width
from inpaintkit.engines.base import Capabilities
from inpaintkit.engines.options import OptionTable
from inpaintkit.errors import EngineUnavailableError, InvalidParameterError


def test_auto_uses_diffusion_fill_for_thin_strokes_and_exemplars_for_wide_holes():
    thin = np.zeros((64, 64), np.float32)
    thin[10:50, 30:33] = 1
    wide = np.zeros((64, 64), np.float32)
    wide[10:50, 10:50] = 1
    assert hole_width(thin) <= 4 and choose_engine(thin) == "telea"
    assert choose_engine(wide) == "structure"


def test_engine_needing_a_missing_extra_names_the_extra(monkeypatch):
    entry = registry.EngineEntry(
        "needs-extra",
        "inpaintkit.engines.classical:TeleaEngine",
        Capabilities(),
        OptionTable(),
        requires=("a_module_that_is_not_installed",),
        extra="onnx",
    )
    monkeypatch.setitem(registry.ENGINES, entry.name, entry)
    status = {s.name: s for s in registry.list_engines()}["needs-extra"]
    assert not status.ready and "inpaintkit[onnx]" in status.reason
    with pytest.raises(EngineUnavailableError, match=r"inpaintkit\[onnx\]") as raised:
        registry.get_engine("needs-extra")
    assert raised.value.extra == "onnx"


def test_unknown_engine_option_names_the_known_ones():
    with pytest.raises(InvalidParameterError, match="radius"):
        registry.check_engine_options("telea", {"raduis": 3})


def test_import_is_light():
    code = (
        "import sys, inpaintkit; "
        "heavy = {'torch', 'diffusers', 'onnxruntime', 'ray', 'cv2', 'skimage'}; "
        "heavy &= set(sys.modules); "
        "print(sorted(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
