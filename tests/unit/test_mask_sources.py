"""Mask sources as docs/masks.md documents them: every example there loads, and JSON
geometry files are read as what they look like (strokes or polygons)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inpaintkit.errors import InvalidMaskError, InvalidParameterError
from inpaintkit.imageio import load_mask
from inpaintkit.mask import mask_from_polygons, mask_from_strokes
from inpaintkit.types import Extent

DOC = Path(__file__).resolve().parents[2] / "docs" / "masks.md"
PHOTO = Extent(640, 480)


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def carries_its_own_size(document: object) -> bool:
    if not isinstance(document, dict):
        return False
    segmentation = document.get("segmentation")
    return (
        "counts" in document
        or isinstance(segmentation, dict)
        or ("width" in document and "height" in document)
    )


def own_size(document: dict[str, object]) -> Extent:
    rle = document.get("segmentation", document)
    if isinstance(rle, dict) and "counts" in rle:
        height, width = rle["size"]
        return Extent(width, height)
    return Extent(int(document["width"]), int(document["height"]))  # type: ignore[call-overload]


def test_the_doc_has_an_example_of_every_json_form() -> None:
    documents = [json.loads(block) for block in fenced("json")]
    assert any(isinstance(d, dict) and "polygons" in d for d in documents)
    assert any(isinstance(d, dict) and "strokes" in d for d in documents)
    assert any(isinstance(d, dict) and "segmentation" in d for d in documents)
    assert any(isinstance(d, dict) and "counts" in d for d in documents)
    assert any(isinstance(d, list) and isinstance(d[0], dict) for d in documents)
    assert any(isinstance(d, list) and isinstance(d[0], list) for d in documents)


@pytest.mark.parametrize("block", fenced("json"))
def test_every_json_example_in_the_doc_loads(block: str, tmp_path: Path) -> None:
    document = json.loads(block)
    path = tmp_path / "mask.json"
    path.write_text(block, encoding="utf-8")
    if carries_its_own_size(document):
        expected = own_size(document)
        loaded = load_mask(path).mask
    else:
        expected = PHOTO
        loaded = load_mask(path, size=PHOTO).mask
    assert loaded.shape == (expected.height, expected.width)
    assert loaded.dtype == np.float32 and 0 < loaded.max() <= 1


@pytest.mark.parametrize("block", fenced("python"))
def test_every_python_example_in_the_doc_runs(block: str) -> None:
    exec(compile(block, str(DOC), "exec"), {})


def test_every_box_string_in_the_doc_loads() -> None:
    boxes = [
        text
        for block in fenced("sh")
        for text in re.findall(r'--mask "([^"]+)"', block)
        if re.fullmatch(r"[\d\s,;]+", text)
    ]
    assert len(boxes) >= 2
    for text in boxes:
        assert load_mask(text, size=PHOTO).mask.any()


def test_the_rle_examples_are_the_block_the_doc_says() -> None:
    expected = np.zeros((4, 6), np.float32)
    expected[1:3, 2:5] = 1  # a 3×2 block in a 6×4 mask
    rles = [block for block in fenced("json") if '"counts"' in block]
    assert len(rles) >= 2
    for block in rles:
        document = json.loads(block)
        rle = document.get("segmentation", document)
        from inpaintkit.mask import mask_from_rle

        np.testing.assert_array_equal(mask_from_rle(rle), expected)


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "mask.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_bare_list_of_stroke_objects_is_read_as_strokes(tmp_path: Path) -> None:
    strokes: list[dict[str, Any]] = [
        {"points": [[10, 10], [120, 40]], "width": 12},
        {"points": [[300, 200]], "radius": 5},
    ]
    loaded = load_mask(write(tmp_path, strokes), size=PHOTO).mask
    by_radius = [{"points": [[10, 10], [120, 40]], "radius": 6}, strokes[1]]
    np.testing.assert_array_equal(loaded, mask_from_strokes(PHOTO, by_radius))
    assert loaded[25, 65] == 1 and loaded[200, 300] == 1


def test_a_bare_list_of_point_lists_is_still_read_as_polygons(tmp_path: Path) -> None:
    polygons: list[Any] = [
        [[100, 100], [300, 120], [200, 300]],
        [400, 50, 450, 50, 450, 90, 400, 90],
    ]
    loaded = load_mask(write(tmp_path, polygons), size=PHOTO).mask
    np.testing.assert_array_equal(loaded, mask_from_polygons(PHOTO, polygons))


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([{"points": [[1, 1]], "radius": 2}, [[1, 1], [5, 1], [3, 4]]], "both stroke objects"),
        ([10, 20, 30, 40, 50, 60], "holding the value 10"),
    ],
)
def test_a_malformed_bare_list_shows_both_forms(
    tmp_path: Path, document: object, says: str
) -> None:
    with pytest.raises(InvalidMaskError) as caught:
        load_mask(write(tmp_path, document), size=PHOTO)
    message = str(caught.value)
    assert says in message and '"points"' in message and "[[10, 10], [60, 10]" in message


@pytest.mark.parametrize(
    ("stroke", "says"),
    [
        ({"points": [[1, 1]], "radius": 2, "width": 4}, "both 'radius' and 'width'"),
        ({"points": [[1, 1]]}, "no 'radius' or 'width'"),
        ({"radius": 2}, "no 'points'"),
        ({"points": [[1, 1]], "radius": 2, "hardness": 1}, "unknown key(s) ['hardness']"),
    ],
)
def test_a_malformed_stroke_names_the_problem_and_shows_an_example(
    tmp_path: Path, stroke: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidMaskError) as caught:
        load_mask(write(tmp_path, [stroke]), size=PHOTO)
    assert says in str(caught.value) and '"softness": 0.5' in str(caught.value)


def test_a_bad_brush_width_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="width"):
        mask_from_strokes(PHOTO, [{"points": [[1, 1]], "width": 0}])
