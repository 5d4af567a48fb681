"""Check a mask before inpainting and say, in words, what is likely to go wrong.

:func:`lint_mask` returns :class:`~inpaintkit.types.LintFinding` records; it never
raises for a suspicious mask, only for one that cannot be read at all.

Geometric checks (thin strokes, islands, border) look at the pixels that will really be
regenerated, ``mask >= 0.5``, so that compression noise does not show up as hundreds of
islands. Value checks (nearly binary, JPEG noise) look at the nonzero pixels only: the
untouched background would otherwise swamp every statistic on a large image.

Only engines that work on latent cells (``latent_scale``, 8 for Stable Diffusion) get
the thin-stroke check: a per-pixel engine redraws a one-pixel line as well as a blob.
Messages describe the fix in plain words (grow by N pixels, remove islands under N
pixels), which every front end can show as it is.

Cost follows the mask: one fast pass finds the mask's box (or the caller passes it as
``bounds``) and every check reads that box plus a margin wider than its reach.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from inpaintkit.errors import InvalidParameterError, SizeMismatchError
from inpaintkit.mask.refine import _check, _literal, _selected_box
from inpaintkit.types import Box, LintFinding

__all__ = ["lint_mask"]

COVERAGE_HIGH = 0.90
COVERAGE_LOW = 0.0001
NEAR_EXTREME = 0.02  # "nearly binary": this close to 0 or 1
NEARLY_BINARY_SHARE = 0.99
JPEG_BAND = 0.1  # JPEG noise of a binary mask stays this close to 0 or 1
JPEG_CLUSTERED_SHARE = 0.95
JPEG_MIN_BUMPS = 8
JPEG_BUMP_SHARE = 0.02
# Without latent cells, an island counts as tiny below a 3×3 dab: brush noise, not intent.
PER_PIXEL_MIN_ISLAND_AREA = 9


def _check_options(
    latent_scale: object, min_island_area: object, expect_small_parts: object
) -> tuple[int | None, int, bool]:
    scale: int | None = None
    if latent_scale is not None:
        if (
            isinstance(latent_scale, bool)
            or not isinstance(latent_scale, int | np.integer)
            or latent_scale < 1
        ):
            raise InvalidParameterError(
                "{latent_scale} must be a whole number ≥ 1 (8 for Stable Diffusion) or "
                f"None for an engine that works per pixel, got {_literal(latent_scale)}",
                options={"latent_scale": None},
            )
        scale = int(latent_scale)
    if not isinstance(expect_small_parts, bool | np.bool_):
        raise InvalidParameterError(
            f"{{expect_small_parts}} must be True or False, got {_literal(expect_small_parts)}",
            options={"expect_small_parts": None},
        )
    if min_island_area is None:
        area = PER_PIXEL_MIN_ISLAND_AREA if scale is None else scale * scale
        return scale, area, bool(expect_small_parts)
    if (
        isinstance(min_island_area, bool)
        or not isinstance(min_island_area, int | np.integer)
        or min_island_area < 0
    ):
        raise InvalidParameterError(
            "{min_island_area} must be a whole number ≥ 0 or None, got "
            f"{_literal(min_island_area)}",
            options={"min_island_area": None},
        )
    return scale, int(min_island_area), bool(expect_small_parts)


def _thin_parts(selected: np.ndarray, scale: int) -> LintFinding | None:
    """Pixels no ``scale×scale`` square inside the mask covers, in runs of real length."""
    if scale < 2:
        return None
    binary = selected.astype(np.uint8)
    square = np.ones((scale, scale), np.uint8)
    # An opening spelled out: with an even kernel, cv2.morphologyEx uses the same anchor
    # for both steps, which shifts the result and flags one side of every round shape.
    eroded = cv2.erode(binary, square, anchor=(0, 0))
    opened = cv2.dilate(eroded, square, anchor=(scale - 1, scale - 1))
    thin = (binary > 0) & (opened == 0)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        thin.astype(np.uint8), connectivity=8
    )
    # Single-pixel jaggies and corner slivers are not strokes: keep pieces at least one
    # latent cell long.
    keep = stats[:, cv2.CC_STAT_AREA] >= scale
    keep[0] = False
    if count <= 1 or not keep.any():
        return None
    thin_pixels = keep[labels]
    amount = int(thin_pixels.sum())
    grow_by = math.ceil(scale / 2)
    return LintFinding(
        code="thin-stroke",
        severity="warning",
        message=(
            f"{amount} mask pixels lie in parts thinner than {scale} px, one latent cell of "
            "the model; it has almost no room to redraw there and such strokes often come "
            f"back unchanged or smeared. Grow the mask by {grow_by} pixels."
        ),
        box=_selected_box(thin_pixels),
    )


def _tiny_islands(selected: np.ndarray, min_area: int) -> LintFinding | None:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        selected.astype(np.uint8), connectivity=8
    )
    tiny = stats[:, cv2.CC_STAT_AREA] < min_area
    tiny[0] = False
    if count <= 1 or not tiny.any():
        return None
    islands = int(tiny.sum())
    return LintFinding(
        code="tiny-island",
        severity="warning",
        message=(
            f"{islands} separate mask region(s) are smaller than {min_area} pixels; they are "
            f"usually stray brush dabs or noise. Remove islands under {min_area} pixels, or "
            "grow the mask if they are meant."
        ),
        box=_selected_box(tiny[labels]),
    )


def _touches_border(area: np.ndarray, window: Box, height: int, width: int) -> LintFinding | None:
    """``area`` is the mask inside ``window``; the mask is 0 outside it."""
    edges = (
        ("top", window.y0 == 0, area[0]),
        ("bottom", window.y1 == height, area[-1]),
        ("left", window.x0 == 0, area[:, 0]),
        ("right", window.x1 == width, area[:, -1]),
    )
    sides = [name for name, on_border, edge in edges if on_border and (edge >= 0.5).any()]
    if not sides:
        return None
    return LintFinding(
        code="touches-border",
        severity="info",
        message=(
            f"the mask touches the image border ({', '.join(sides)}); the fill there has "
            "context on one side only. If you meant to extend the canvas, use outpainting "
            "instead of a mask."
        ),
        box=_selected_box(area >= 0.5),
    )


def _shifted(finding: LintFinding, dx: int, dy: int) -> LintFinding:
    if finding.box is None:
        return finding
    x0, y0, x1, y1 = finding.box
    return replace(finding, box=Box(x0 + dx, y0 + dy, x1 + dx, y1 + dy))


def _value_findings(values: np.ndarray) -> list[LintFinding]:
    touched = values[values > 0]
    distance = np.minimum(touched, 1 - touched)  # to the nearest of 0 and 1
    not_exact = distance > 0
    if not not_exact.any():
        return []
    findings = []
    share_near = float((distance <= NEAR_EXTREME).mean())
    if share_near >= NEARLY_BINARY_SHARE and (distance > NEAR_EXTREME).any():
        findings.append(
            LintFinding(
                code="nearly-binary",
                severity="warning",
                message=(
                    f"{share_near:.2%} of the marked pixels are within {NEAR_EXTREME} of 0 or "
                    "1 but a few are not: a hard mask damaged by compression or an accidental "
                    "blur. Threshold it at 0.5 to make it exactly binary."
                ),
            )
        )
    # JPEG noise leaves isolated bumps: near-0 pixels brighter than all 8 neighbours and
    # near-1 pixels darker than all 8; a blurred or feathered edge is monotone and has none.
    near_zero = (values > 0) & (values <= JPEG_BAND)
    near_one = (values < 1) & (values >= 1 - JPEG_BAND)
    ring = np.ones((3, 3), np.uint8)
    ring[1, 1] = 0
    neighbour_max = cv2.dilate(values, ring, borderType=cv2.BORDER_REPLICATE)
    neighbour_min = cv2.erode(values, ring, borderType=cv2.BORDER_REPLICATE)
    bumps = int(
        (near_zero & (values > neighbour_max)).sum() + (near_one & (values < neighbour_min)).sum()
    )
    clustered = float((distance <= JPEG_BAND).mean()) >= JPEG_CLUSTERED_SHARE
    noisy_pixels = int(not_exact.sum())
    if clustered and bumps >= max(JPEG_MIN_BUMPS, JPEG_BUMP_SHARE * noisy_pixels):
        findings.append(
            LintFinding(
                code="jpeg-noise",
                severity="warning",
                message=(
                    f"{noisy_pixels} pixels sit just off 0 or 1 in the speckled pattern JPEG "
                    "compression leaves; the noise would be partly inpainted. Save masks as "
                    "PNG, or clean this one by thresholding it at 0.5."
                ),
            )
        )
    return findings


def lint_mask(
    image: np.ndarray | None,
    mask: np.ndarray,
    *,
    latent_scale: int | None = None,
    min_island_area: int | None = None,
    expect_small_parts: bool = False,
    bounds: Box | None = None,
) -> list[LintFinding]:
    """Findings about ``mask`` (and, later, ``image``); an empty list means all clear.

    ``latent_scale`` is the engine's pixels per latent cell (8 for Stable Diffusion;
    ``None``, the default, for engines that work per pixel, which get no thin-stroke
    check). ``min_island_area`` defaults to one latent cell (``latent_scale²``), or to 9
    pixels per pixel. ``expect_small_parts`` says many small, thin parts are the point
    (a scratch and dust mask, such as :func:`~inpaintkit.mask.detect_scratches` makes):
    tiny islands, low coverage and parts running off the border are then expected and
    not reported, and an empty mask (a clean photo) is an ``info`` finding rather than an
    ``error``; thin strokes still are for a latent engine, which cannot redraw them
    whatever the intent. ``bounds`` is a box outside which the mask is 0 (see
    :func:`~inpaintkit.mask.mask_bounds`), to skip the pass that finds it. ``image`` may
    be ``None``; when given it must have the mask's size.

    >>> [f.code for f in lint_mask(None, np.zeros((4, 4), np.float32))]
    ['empty']
    >>> line = np.zeros((64, 64), np.float32); line[8:10, 4:60] = 1
    >>> [f.code for f in lint_mask(None, line)], [f.code for f in lint_mask(None, line, latent_scale=8)]
    ([], ['thin-stroke'])
    """  # noqa: E501
    checked = _check(mask, bounds=bounds)
    scale, min_area, small_parts = _check_options(latent_scale, min_island_area, expect_small_parts)
    height, width = checked.shape
    if image is not None:
        if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
            raise SizeMismatchError(
                f"image must be an H×W or H×W×C array, got {getattr(image, 'shape', image)!r}"
            )
        if image.shape[:2] != (height, width):
            raise SizeMismatchError(
                f"mask is {width}×{height} but image is "
                f"{image.shape[1]}×{image.shape[0]}; resize the mask to the image first"
            )
    # Every check needs only the marked area and a margin wider than its reach, so the
    # cost follows the mask, not the image.
    window = checked.window((scale or 1) + 1)
    area = None if window is None else checked.part(window)
    if window is None or area is None or not area.any():
        if small_parts:
            # A detector's mask (scratches, dust) is empty when the photo has none: an
            # outcome to report, not a mistake to fix.
            return [
                LintFinding(
                    code="empty",
                    severity="info",
                    message="the mask selects nothing: none of the small parts it is meant "
                    "to hold (scratches, dust specks) were found, so there is nothing to "
                    "inpaint",
                )
            ]
        return [
            LintFinding(
                code="empty",
                severity="error",
                message="the mask selects nothing, so there is nothing to inpaint; paint or "
                "pass the area to regenerate (white = regenerate)",
            )
        ]
    x0, y0 = window.x0, window.y0
    findings: list[LintFinding] = []
    coverage = float(area.sum(dtype=np.float64)) / (height * width)
    if coverage > COVERAGE_HIGH:
        findings.append(
            LintFinding(
                code="coverage-high",
                severity="warning",
                message=(
                    f"the mask covers {coverage:.1%} of the image, leaving little context to "
                    "match; check it is not inverted (white = regenerate), or generate a new "
                    "image instead of inpainting."
                ),
            )
        )
    elif coverage < COVERAGE_LOW and not small_parts:
        findings.append(
            _shifted(
                LintFinding(
                    code="coverage-low",
                    severity="warning",
                    message=(
                        f"the mask covers only {coverage:.4%} of the image; if you meant more "
                        "than a few pixels, check the mask file (a nearly black or faint "
                        "mask?) or grow it."
                    ),
                    box=_selected_box(area > 0),
                ),
                x0,
                y0,
            )
        )
    border = None if small_parts else _touches_border(area, window, height, width)
    if border is not None:
        findings.append(_shifted(border, x0, y0))
    selected = area >= 0.5
    local: list[LintFinding | None] = []
    if selected.any():
        if scale is not None:
            local.append(_thin_parts(selected, scale))
        if not small_parts:
            local.append(_tiny_islands(selected, min_area))
    local += _value_findings(area)
    findings.extend(_shifted(f, x0, y0) for f in local if f is not None)
    return findings
