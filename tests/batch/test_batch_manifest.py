"""Manifests and folders become validated rows; every bad row is reported at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from inpaintkit.batch.manifest import derive_seed, read_manifest, rows_from_folders
from inpaintkit.errors import InvalidInputError
from tests.batch.photos import make_mask, make_photo, write_jsonl


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for number in range(3):
        make_photo(tmp_path / "photos" / f"p{number}.png", seed=number)
    make_mask(tmp_path / "masks" / "p0.png")
    make_mask(tmp_path / "masks" / "p1.png", box=(10, 10, 40, 30))
    return tmp_path


def test_jsonl_rows_take_every_mask_kind_parameters_and_engine_options(folder: Path) -> None:
    (folder / "strokes.json").write_text(
        json.dumps({"strokes": [{"points": [[10, 10], [80, 70]], "radius": 4}]})
    )
    manifest = write_jsonl(
        folder / "batch.jsonl",
        [
            {"image": "photos/p0.png", "mask": "masks/p0.png", "grow": 4, "seed": 7},
            {"image": "photos/p1.png", "mask": "10,10,50,40", "engine": "telea", "radius": 5},
            {"image": "photos/p2.png", "mask": "strokes.json", "output": "sub/two.png"},
            {"image": "photos/p0.png", "mask": [[[5, 5], [40, 5], [20, 30]]], "output": "x.png"},
        ],
    )
    rows, errors = read_manifest(str(manifest), defaults={"feather": 1.5})
    assert errors == []
    first, second, third, fourth = rows
    assert first.number == 1 and first.output == "p0.png"
    assert first.request.image == str(folder / "photos" / "p0.png")  # relative to the manifest
    assert first.request.mask == str(folder / "masks" / "p0.png")
    assert (first.request.grow, first.request.seed, first.request.feather) == (4, 7, 1.5)
    assert second.request.mask == "10,10,50,40"  # a box string stays a box string
    assert second.request.engine == "telea" and second.request.engine_params == {"radius": 5}
    assert second.request.seed == derive_seed("p1.png")  # no seed given: one from the output
    assert third.output == "sub/two.png" and third.request.mask == str(folder / "strokes.json")
    assert fourth.mask_data == [[[5, 5], [40, 5], [20, 30]]] and fourth.request.mask is None


def test_relative_paths_do_not_depend_on_the_working_folder(folder: Path, monkeypatch) -> None:
    manifest = write_jsonl(
        folder / "batch.jsonl", [{"image": "photos/p0.png", "mask": "masks/p0.png"}]
    )
    monkeypatch.chdir(folder / "photos")
    rows, errors = read_manifest("../batch.jsonl", defaults={})
    assert errors == [] and rows[0].request.image == str(folder / "photos" / "p0.png")
    assert os.path.isabs(str(manifest))


def test_csv_rows_with_empty_cells_taking_the_defaults(folder: Path) -> None:
    manifest = folder / "batch.csv"
    manifest.write_text(
        "image,mask,grow,engine,radius,output\n"
        "photos/p0.png,masks/p0.png,3,telea,6,\n"
        'photos/p1.png,"10,10,40,30",,,,one.png\n',
        encoding="utf-8",
    )
    rows, errors = read_manifest(str(manifest), defaults={"grow": 1, "engine": "telea"})
    assert errors == []
    assert [row.number for row in rows] == [2, 3]  # line numbers: the header is line 1
    assert rows[0].request.grow == 3 and rows[0].request.engine_params == {"radius": 6}
    assert rows[1].request.grow == 1 and rows[1].request.engine == "telea"
    assert rows[1].request.mask == "10,10,40,30" and rows[1].output == "one.png"


def test_every_bad_row_is_reported_at_once_with_its_number(folder: Path) -> None:
    make_mask(folder / "small.png", size=48)
    manifest = folder / "batch.jsonl"
    manifest.write_text(
        "\n".join(
            [
                json.dumps({"image": "photos/p0.png", "mask": "masks/p0.png"}),  # 1 fine
                json.dumps({"image": "photos/nope.png", "mask": "masks/p0.png"}),  # 2
                json.dumps({"image": "photos/p1.png", "mask": "masks/nope.png"}),  # 3
                json.dumps({"image": "photos/p1.png", "mask": "small.png", "output": "a.png"}),
                json.dumps({"image": "photos/p2.png", "mask": "1,1,9,9", "grow": -2}),  # 5
                "{not json",  # 6
                json.dumps(
                    {"image": "photos/p2.png", "mask": "1,1,9,9", "wobble": 3, "output": "b.png"}
                ),  # 7: no engine takes it
                json.dumps({"image": "photos/p2.png", "mask": "1,1,9,9", "output": "../c.png"}),
                json.dumps({"image": "elsewhere/p0.png", "mask": "1,1,9,9"}),  # 9: p0.png again
                json.dumps({"image": "photos/p2.png"}),  # 10: no mask
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    make_photo(folder / "elsewhere" / "p0.png", seed=9)
    rows, errors = read_manifest(str(manifest), defaults={})
    by_row = {error.number: error for error in errors}
    assert rows == []  # row 1 shares its output with row 9: both are refused
    assert sorted(by_row) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert by_row[2].kind == "missing-file" and "nope.png" in by_row[2].message
    assert by_row[3].kind == "missing-file"
    assert by_row[4].kind == "mask-size" and "48×48" in by_row[4].message
    assert "mask_resize" in by_row[4].message
    assert by_row[5].kind == "invalid" and '"grow"' in by_row[5].message
    assert by_row[6].kind == "invalid" and "JSON" in by_row[6].message
    assert by_row[7].kind == "invalid" and "wobble" in by_row[7].message
    assert by_row[8].kind == "invalid" and ".." in by_row[8].message
    assert by_row[1].kind == by_row[9].kind == "duplicate-output"
    assert "row 9" in by_row[1].message and "row 1" in by_row[9].message
    assert by_row[10].kind == "invalid" and "mask" in by_row[10].message


def test_a_wrong_size_mask_is_fine_with_mask_resize(folder: Path) -> None:
    make_mask(folder / "small.png", size=48)
    manifest = write_jsonl(
        folder / "b.jsonl", [{"image": "photos/p0.png", "mask": "small.png", "mask_resize": True}]
    )
    rows, errors = read_manifest(str(manifest), defaults={})
    assert errors == [] and rows[0].request.mask_resize


def test_a_manifest_that_cannot_be_read_is_an_error(folder: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_manifest(str(folder / "missing.jsonl"), defaults={})
    (folder / "empty.jsonl").write_text("\n")
    with pytest.raises(InvalidInputError, match="no rows"):
        read_manifest(str(folder / "empty.jsonl"), defaults={})
    (folder / "noimage.csv").write_text("picture,mask\na.png,b.png\n")
    with pytest.raises(InvalidInputError, match="no 'image' column"):
        read_manifest(str(folder / "noimage.csv"), defaults={})


def test_folders_match_masks_by_stem_and_an_image_without_a_mask_is_a_bad_row(
    folder: Path,
) -> None:
    rows, errors = rows_from_folders(
        str(folder / "photos"), str(folder / "masks"), mask=None, defaults={"engine": "telea"}
    )
    assert [(row.number, row.output) for row in rows] == [(1, "p0.png"), (2, "p1.png")]
    assert rows[1].request.mask == str(folder / "masks" / "p1.png")
    assert rows[0].request.engine == "telea"
    assert [(e.number, e.kind) for e in errors] == [(3, "missing-mask")]
    assert "p2.png" in errors[0].message


def test_one_mask_for_every_image_in_a_folder(folder: Path) -> None:
    rows, errors = rows_from_folders(
        str(folder / "photos"), None, mask=str(folder / "masks" / "p0.png"), defaults={}
    )
    assert errors == [] and len(rows) == 3
    assert {row.request.mask for row in rows} == {str(folder / "masks" / "p0.png")}
    with pytest.raises(InvalidInputError, match="--masks"):
        rows_from_folders(str(folder / "photos"), None, mask=None, defaults={})


def test_derived_seeds_are_stable_and_differ_between_outputs() -> None:
    seeds = {derive_seed(f"photo{n}.png") for n in range(100)}
    assert len(seeds) == 100 and all(0 <= s < 2**31 for s in seeds)
    assert derive_seed("photo1.png") == derive_seed("photo1.png")
    assert np.int64(derive_seed("a.png")) == derive_seed("a.png")
