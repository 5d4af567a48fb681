"""Inputs and outputs on an object store (fsspec's in-memory one here): rows read from
URIs, outputs written there with recipes naming the URIs, a rerun skips them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from inpaintkit.batch import storage
from inpaintkit.batch.local import run_local
from inpaintkit.batch.manifest import read_manifest
from inpaintkit.imageio.png_chunks import find_text
from inpaintkit.imageio.write_image import RECIPE_KEYWORD
from tests.batch.photos import make_mask, make_photo

fsspec = pytest.importorskip("fsspec")


def recipe_at(uri: str) -> dict:
    text = find_text(storage.read_bytes(uri), RECIPE_KEYWORD)
    assert text is not None, f"{uri} carries no recipe"
    return json.loads(text)


def test_a_batch_from_and_to_an_object_store(tmp_path: Path) -> None:
    bucket = f"memory://bucket-{uuid.uuid4().hex}"
    storage.write_bytes(f"{bucket}/in/a.png", make_photo(tmp_path / "a.png", seed=1).read_bytes())
    storage.write_bytes(f"{bucket}/in/m.png", make_mask(tmp_path / "m.png").read_bytes())
    strokes = {"strokes": [{"points": [[5, 5], [50, 50]], "radius": 4}]}
    storage.write_bytes(f"{bucket}/in/s.json", json.dumps(strokes).encode())
    rows = [
        {"image": "a.png", "mask": "m.png"},
        {"image": "a.png", "mask": "s.json", "output": "strokes.png", "num_images": 2},
        {"image": "a.png", "mask": {"polygons": [[[1, 1], [30, 1], [1, 30]]]}, "output": "p.png"},
    ]
    manifest = f"{bucket}/in/batch.jsonl"
    storage.write_bytes(manifest, "".join(json.dumps(r) + "\n" for r in rows).encode())

    good, bad = read_manifest(manifest, defaults={"engine": "telea"})
    assert bad == [] and good[0].request.image == f"{bucket}/in/a.png"
    outdir = f"{bucket}/out"
    outcomes = run_local(good, outdir, workers=1)
    assert [o.status for o in outcomes] == ["done"] * 3
    assert outcomes[0].output == f"{outdir}/a.png"
    for name in ("a.png", "strokes.png", "strokes-2.png", "p.png"):
        assert storage.exists(f"{outdir}/{name}")
    recipe = recipe_at(f"{outdir}/strokes.png")
    assert recipe["image"]["source"] == f"{bucket}/in/a.png"
    assert recipe["mask"]["source"] == f"{bucket}/in/s.json"
    assert recipe_at(f"{outdir}/p.png")["mask"]["source"] == f"{outdir}/_inline_masks/p.json"
    assert recipe_at(f"{outdir}/strokes-2.png")["seed"] == recipe["seed"] + 1
    again = run_local(good, outdir, workers=1)
    assert [o.status for o in again] == ["skipped"] * 3


def test_a_file_uri_is_a_local_path(tmp_path: Path) -> None:
    target = f"file://{tmp_path}/sub/x.bin"
    storage.write_bytes(target, b"data")
    assert (tmp_path / "sub" / "x.bin").read_bytes() == b"data"
    assert storage.exists(target) and storage.read_bytes(target) == b"data"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["x.bin"]  # no temp file left
    storage.remove(target)
    assert not storage.exists(target)
