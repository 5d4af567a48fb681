"""Each engine option is declared once: checks, defaults, JSON Schema and keywords all
come from the table."""

import inspect

import numpy as np
import pytest

import inpaintkit
from inpaintkit.engines.registry import ENGINES, list_engines, resolve_engine_options
from inpaintkit.engines.tables import DIFFUSION
from inpaintkit.errors import InvalidInputError, InvalidParameterError, spell_flag
from inpaintkit.schema import Request, make_request


def test_defaults_fill_in_and_values_are_checked():
    assert resolve_engine_options("structure", {}) == {"patch_size": 7, "iterations": 4}
    assert resolve_engine_options("telea", {"radius": "5"}) == {"radius": 5}
    with pytest.raises(InvalidParameterError, match="patch_size must be odd"):
        resolve_engine_options("structure", {"patch_size": 4})
    with pytest.raises(InvalidParameterError, match="from 1 to 64"):
        resolve_engine_options("telea", {"radius": 0})
    with pytest.raises(InvalidParameterError, match="must be one of ddim"):
        resolve_engine_options("diffusion", {"model": "m", "scheduler": "fastest"})


def test_unknown_option_lists_the_known_ones_in_the_callers_terms():
    with pytest.raises(InvalidParameterError) as raised:
        make_request(engine="telea", engine_params={"raduis": 3})
    assert str(raised.value) == "engine 'telea' has no option raduis; its options: radius"
    flagged = raised.value.spelled(spell_flag)
    assert flagged == "engine 'telea' has no option --raduis; its options: --radius"


def test_an_option_of_another_engine_names_that_engine():
    with pytest.raises(InvalidParameterError) as raised:
        make_request(engine="telea", engine_params={"prompt": "a cat"})
    assert str(raised.value) == (
        "prompt is an option of engine diffusion, not 'telea': add engine='diffusion' model='PATH'"
    )
    assert raised.value.spelled(spell_flag).endswith("add --engine diffusion --model PATH")


def test_diffusion_rules_tie_options_together_before_any_model_loads():
    with pytest.raises(InvalidParameterError, match="needs a model: pass model="):
        resolve_engine_options("diffusion", {})
    with pytest.raises(InvalidParameterError, match="needs a ControlNet"):
        resolve_engine_options("diffusion", {"model": "m", "control_image": "edges.png"})
    options = resolve_engine_options("diffusion", {"model": "m", "controlnet": "c"})
    assert options["control_image"] == "canny" and options["steps"] == 30
    with pytest.raises(InvalidParameterError, match="multiple of 8"):
        resolve_engine_options("diffusion", {"model": "m", "working_size": 500})


def test_json_schema_has_types_defaults_ranges_and_choices():
    schema = DIFFUSION.json_schema()
    steps = schema["properties"]["steps"]
    assert steps["type"] == "integer" and steps["default"] == 30
    assert (steps["minimum"], steps["maximum"]) == (1, 1000)
    assert schema["properties"]["guidance"]["type"] == ["number", "null"]
    assert "ddim" in schema["properties"]["scheduler"]["enum"]
    assert schema["additionalProperties"] is False


def test_every_engine_lists_capabilities_readiness_and_options():
    for status in list_engines():
        entry = status.to_dict()
        assert set(entry) >= {"ready", "reason", "capabilities", "options"}
        assert set(entry["options"]["properties"]) == set(ENGINES[status.name].options.names)
    diffusion = {s.name: s for s in list_engines()}["diffusion"]
    assert not diffusion.ready  # no model set, whatever is installed


def test_inpaint_takes_every_request_field():
    accepted = set(inspect.signature(inpaintkit.inpaint).parameters)
    fields = set(Request.model_fields) - {"image", "mask", "engine_params"}
    assert fields <= accepted


def test_inpaint_keyword_for_another_engine_is_an_error_naming_the_keyword():
    photo = np.full((16, 16, 3), 100, np.uint8)
    with pytest.raises(InvalidParameterError, match="prompt is an option of engine diffusion"):
        inpaintkit.inpaint(photo, "4,4,8,8", engine="telea", prompt="a cat")
    with pytest.raises(InvalidInputError, match="did you mean grow"):
        inpaintkit.inpaint(photo, "4,4,8,8", engine="telea", grwo=3)


def test_dir_shows_the_lazy_public_api():
    names = dir(inpaintkit)
    for name in ("inpaint", "outpaint", "replay", "save_result", "load_image", "Request"):
        assert name in names
    assert "importlib" not in names


def test_docs_engine_tables_are_written_from_the_tables():
    from pathlib import Path

    from inpaintkit.engines.registry import engines_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "engines.md"
    assert docs.read_text(encoding="utf-8") == engines_markdown(), (
        "docs/engines.md is stale: run `inpaintkit engines --markdown > docs/engines.md`"
    )
