"""Seeded LaMa-style synthetic masks: deterministic, in range, and the kinds really differ."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaintkit.errors import InvalidParameterError
from inpaintkit.mask.synthetic import coverage_range, object_mask, random_mask
from inpaintkit.types import Box, Extent

KINDS = ("thin", "medium", "thick", "box")


def _mean_stroke_width(mask: np.ndarray) -> float:
    """Twice the mean distance from a masked pixel to the nearest kept pixel."""
    padded = np.pad(mask.astype(np.uint8), 1)  # the image border counts as kept
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    return float(2 * distance[mask > 0].mean())


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_the_same_mask(kind: str) -> None:
    a = random_mask(Extent(160, 96), kind=kind, seed=7)  # type: ignore[arg-type]
    b = random_mask(Extent(160, 96), kind=kind, seed=7)  # type: ignore[arg-type]
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_give_different_masks(kind: str) -> None:
    masks = [random_mask((128, 128), kind=kind, seed=s) for s in range(5)]  # type: ignore[arg-type]
    assert len({m.tobytes() for m in masks}) == 5


@pytest.mark.parametrize("kind", KINDS)
def test_mask_is_binary_float32_of_the_requested_size(kind: str) -> None:
    mask = random_mask(Extent(200, 120), kind=kind, seed=1)  # type: ignore[arg-type]
    assert mask.shape == (120, 200)
    assert mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, 1.0}


@pytest.mark.parametrize("kind", KINDS)
def test_coverage_is_in_lamas_range_and_never_empty(kind: str) -> None:
    low, high = coverage_range(kind)  # type: ignore[arg-type]
    coverages = [
        random_mask((256, 256), kind=kind, seed=s).mean()  # type: ignore[arg-type]
        for s in range(20)
    ]
    assert all(low < c <= high for c in coverages)


def test_kinds_have_increasing_stroke_width() -> None:
    widths = {
        kind: np.mean(
            [_mean_stroke_width(random_mask((512, 512), kind=kind, seed=s)) for s in range(8)]
        )
        for kind in ("thin", "medium", "thick")
    }
    assert widths["thin"] < widths["medium"] < widths["thick"]
    # Thin strokes are at most 25 px wide at 512 px (LaMa's thin config).
    assert widths["thin"] < 25


@pytest.mark.parametrize("seed", range(5))
def test_box_kind_is_a_union_of_at_most_five_rectangles(seed: int) -> None:
    mask = random_mask((256, 256), kind="box", seed=seed)
    # A union of n axis-aligned rectangles changes value at no more than 2n columns and
    # 2n rows; an angled stroke would change at many.
    column_edges = np.flatnonzero(np.diff(mask, axis=1).any(axis=0))
    row_edges = np.flatnonzero(np.diff(mask, axis=0).any(axis=1))
    assert len(column_edges) <= 10 and len(row_edges) <= 10


def test_strokes_scale_with_image_size() -> None:
    small = np.mean(
        [_mean_stroke_width(random_mask((256, 256), kind="medium", seed=s)) for s in range(6)]
    )
    large = np.mean(
        [_mean_stroke_width(random_mask((1024, 1024), kind="medium", seed=s)) for s in range(6)]
    )
    assert 2.5 < large / small < 6


@settings(max_examples=50, deadline=None)
@given(
    width=st.integers(8, 160),
    height=st.integers(8, 160),
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 2**32),
)
def test_any_size_gives_a_non_empty_mask_within_coverage(
    width: int, height: int, kind: str, seed: int
) -> None:
    mask = random_mask((width, height), kind=kind, seed=seed)  # type: ignore[arg-type]
    assert mask.shape == (height, width)
    assert 0 < mask.mean() <= 0.7


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: random_mask((64, 64), kind="huge", seed=0), "kind"),  # type: ignore[arg-type]
        (lambda: random_mask((64, 64), kind="thin", seed=-1), "seed"),
        (lambda: random_mask((64, 64), kind="thin", seed=1.5), "seed"),  # type: ignore[arg-type]
        (lambda: random_mask((0, 64), kind="thin", seed=0), "width"),
        (lambda: random_mask(64, kind="thin", seed=0), "width, height"),  # type: ignore[arg-type]
        (lambda: object_mask((64, 64), box=Box(10, 10, 70, 20)), "inside"),
        (lambda: object_mask((64, 64), box=Box(10, 10, 10, 20)), "non-empty"),
        (lambda: object_mask((64, 64), box=Box(0, 0, 8, 8), shape="star"), "ellipse"),  # type: ignore[arg-type]
    ],
)
def test_bad_options_raise_a_clear_error(call: object, needle: str) -> None:
    with pytest.raises(InvalidParameterError, match=needle):
        call()  # type: ignore[operator]


def test_object_mask_box_fills_exactly_the_box() -> None:
    mask = object_mask(Extent(40, 30), box=Box(5, 10, 25, 20))
    expected = np.zeros((30, 40), np.float32)
    expected[10:20, 5:25] = 1
    assert np.array_equal(mask, expected)


def test_object_mask_ellipse_is_inscribed_and_symmetric() -> None:
    box = Box(100, 50, 300, 150)
    mask = object_mask((400, 200), box=box, shape="ellipse")
    assert mask[: box.y0].sum() == 0 and mask[box.y1 :].sum() == 0
    assert mask[:, : box.x0].sum() == 0 and mask[:, box.x1 :].sum() == 0
    inside = mask[box.slices]
    assert np.array_equal(inside, inside[::-1]) and np.array_equal(inside, inside[:, ::-1])
    assert inside.sum() / box.area == pytest.approx(np.pi / 4, abs=0.01)
    assert mask[100, 200] == 1  # centre
