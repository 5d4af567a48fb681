"""``--check``: each validated row's mask loaded at its image's size and linted
(:func:`~inpaintkit.mask.lint_mask`, for the row's engine), as ``inpaintkit mask lint``
does. A finding of severity ``error`` (an empty mask, say) makes the row bad; warnings
and notes are reported beside it and leave it good."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from inpaintkit.batch import storage
from inpaintkit.batch.manifest import Row, RowError, spell_error
from inpaintkit.errors import InpaintKitError

__all__ = ["lint_rows"]


def lint_rows(rows: list[Row]) -> tuple[list[RowError], list[dict[str, Any]]]:
    """(rows that are bad, notes ``{"row", "severity", "code", "message"}``)."""
    problems: list[RowError] = []
    notes: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="inpaintkit-check-") as scratch:
        for row in rows:
            try:
                findings = _lint(row, scratch)
            except InpaintKitError as error:
                problems.append(
                    RowError(row.number, row.request.image, spell_error(error), "bad-input")
                )
                continue
            errors = [f for f in findings if f.severity == "error"]
            if errors:
                message = "; ".join(f"[{f.code}] {f.message}" for f in errors)
                problems.append(RowError(row.number, row.request.image, message, "lint"))
            notes += [
                {"row": row.number, "severity": f.severity, "code": f.code, "message": f.message}
                for f in findings
                if f.severity != "error"
            ]
    return problems, notes


def _lint(row: Row, scratch: str) -> list[Any]:
    from inpaintkit.engines.registry import engine_capabilities
    from inpaintkit.imageio import load_image
    from inpaintkit.mask import lint_mask
    from inpaintkit.pipeline import _load_mask

    request = row.request
    assert request.image is not None
    image: Any = request.image
    if storage.local_path(image) is None:
        image = storage.read_bytes(image)
    mask: Any = request.mask
    if row.mask_data is not None:
        mask = os.path.join(scratch, f"row-{row.number}.json")
        with open(mask, "w", encoding="utf-8") as stream:
            json.dump(row.mask_data, stream)
    elif mask is not None and storage.local_path(mask) is None:
        suffix = os.path.splitext(mask)[1].lower()
        data = storage.read_bytes(mask)
        if suffix in (".json", ".npy"):
            mask = os.path.join(scratch, f"row-{row.number}{suffix}")
            with open(mask, "wb") as stream:
                stream.write(data)
        else:
            mask = data
    picture = load_image(image, max_pixels=request.max_pixels)
    loaded = _load_mask(mask, request, picture)
    if mask is None:  # outpainting only: nothing of the photo to lint
        return list(loaded.findings)
    scale = engine_capabilities(request.engine).latent_scale
    return [*loaded.findings, *lint_mask(None, loaded.mask, latent_scale=scale)]
