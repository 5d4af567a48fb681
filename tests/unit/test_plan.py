import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaintkit.errors import (
    EmptyMaskError,
    InvalidMaskError,
    InvalidParameterError,
    SizeMismatchError,
)
from inpaintkit.prepare.geometry import intersect_boxes, mask_bbox
from inpaintkit.prepare.plan import crop_mask, crop_region, plan_regions, uncrop
from inpaintkit.types import Box, Extent, Plan, Region


def inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x0 <= inner.x0 <= inner.x1 <= outer.x1
        and outer.y0 <= inner.y0 <= inner.y1 <= outer.y1
    )


def assert_plan_invariants(plan: Plan, mask: np.ndarray) -> None:
    height, width = mask.shape
    image = Box(0, 0, width, height)
    regions = plan.regions
    for a in range(len(regions)):
        for b in range(a + 1, len(regions)):
            assert intersect_boxes(regions[a].crop, regions[b].crop) is None
    owners = np.zeros(mask.shape, np.int32)
    for region in regions:
        assert inside(region.crop, image)
        assert inside(region.mask_box, region.crop)
        owners[region.mask_box.slices] += 1
        # mask_box is the tight box of the masked pixels in the crop.
        tight = mask_bbox(mask[region.crop.slices])
        assert tight is not None
        assert region.mask_box == Box(
            tight.x0 + region.crop.x0,
            tight.y0 + region.crop.y0,
            tight.x1 + region.crop.x0,
            tight.y1 + region.crop.y0,
        )
        for side, full in ((region.crop.width, width), (region.crop.height, height)):
            assert side % plan.multiple == 0 or side == full
    assert np.all(owners[mask > 0] == 1)


def test_single_blob_exact_crop():
    mask = np.zeros((64, 96), np.float32)
    mask[20:30, 40:52] = 1.0
    plan = plan_regions(Extent(96, 64), mask, padding=4, multiple=8)
    assert plan.regions == (
        Region(crop=Box(34, 13, 58, 37), mask_box=Box(40, 20, 52, 30), working_size=Extent(24, 24)),
    )
    assert plan.padding == 4 and plan.multiple == 8 and plan.working_size is None
    assert plan.notes == ()


def test_far_blobs_stay_separate_and_near_blobs_merge():
    mask = np.zeros((64, 200), np.float32)
    mask[10:20, 10:20] = 1
    mask[10:20, 170:180] = 1
    plan = plan_regions(Extent(200, 64), mask, padding=4, multiple=1)
    assert [r.mask_box for r in plan.regions] == [Box(10, 10, 20, 20), Box(170, 10, 180, 20)]

    mask[40:50, 30:40] = 1  # its crop (rows 36..54) is 12 rows below the first (6..24)
    plan = plan_regions(Extent(200, 64), mask, padding=4, multiple=1, merge_distance=0)
    assert len(plan.regions) == 3
    plan = plan_regions(Extent(200, 64), mask, padding=4, multiple=1, merge_distance=12)
    assert [r.mask_box for r in plan.regions] == [Box(10, 10, 40, 50), Box(170, 10, 180, 20)]
    assert plan.regions[0].crop == Box(6, 6, 44, 54)
    assert "merged 3 masked areas into 2 regions" in plan.notes


def test_merge_distance_threshold_is_inclusive():
    mask = np.zeros((20, 60), np.uint8)
    mask[5:10, 5:10] = 1
    mask[5:10, 25:30] = 1  # crops 3..12 and 23..32: 11 columns apart
    extent = Extent(60, 20)
    assert len(plan_regions(extent, mask, padding=2, multiple=1, merge_distance=10).regions) == 2
    assert len(plan_regions(extent, mask, padding=2, multiple=1, merge_distance=11).regions) == 1


def test_overlapping_crops_always_merge():
    mask = np.zeros((20, 40), bool)
    mask[5:10, 5:10] = True
    mask[5:10, 14:18] = True  # 4 px apart, padding 3 makes the crops overlap
    plan = plan_regions(Extent(40, 20), mask, padding=3, multiple=1, merge_distance=0)
    assert [r.mask_box for r in plan.regions] == [Box(5, 5, 18, 10)]


def test_diagonal_neighbours_are_one_area():
    mask = np.zeros((10, 10), np.float32)
    mask[2, 2] = mask[3, 3] = 1.0
    plan = plan_regions(Extent(10, 10), mask, padding=0, multiple=1, merge_distance=0)
    assert [r.mask_box for r in plan.regions] == [Box(2, 2, 4, 4)]
    assert plan.notes == ()


def test_automatic_padding_follows_region_size():
    mask = np.zeros((2000, 2000), np.uint8)
    mask[100:110, 100:110] = 1  # small: 32 px context
    mask[1000:1400, 1000:1200] = 1  # 400 px tall: 200 px context
    plan = plan_regions(Extent(2000, 2000), mask, multiple=1)
    assert plan.padding is None
    assert [r.crop for r in plan.regions] == [Box(68, 68, 142, 142), Box(800, 800, 1400, 1600)]


def test_side_that_cannot_be_a_multiple_is_noted():
    mask = np.zeros((20, 30), np.float32)
    mask[5:15, 2:28] = 0.5
    plan = plan_regions(Extent(30, 20), mask, padding=2, multiple=8)
    (region,) = plan.regions
    assert region.crop == Box(0, 2, 30, 18)
    assert any("width 30 is not a multiple of 8" in note for note in plan.notes)


def test_working_size_keeps_aspect_and_multiple():
    mask = np.zeros((300, 400), np.float32)
    mask[100:140, 100:180] = 1  # crop 80+2*20=120 wide, 40+40=80 high
    plan = plan_regions(Extent(400, 300), mask, padding=20, multiple=8, working_size=512)
    (region,) = plan.regions
    assert region.crop.extent == Extent(120, 80)
    assert region.working_size == Extent(512, 344)  # 512 * 80/120 = 341.3 -> 344
    assert plan.working_size == 512
    assert Plan.from_dict(plan.to_dict()) == plan


def test_crop_region_mask_and_uncrop_round_trip_sizes_and_values():
    rng = np.random.default_rng(0)
    image = (rng.random((300, 400, 3)) * 255).astype(np.uint8)
    image[100:200, 100:200] = 128
    mask = np.zeros((300, 400), np.float32)
    mask[140:160, 140:160] = 1.0
    plan = plan_regions(Extent(400, 300), mask, padding=20, multiple=8, working_size=128)
    (region,) = plan.regions
    assert region.crop == Box(118, 118, 182, 182)
    crop = crop_region(image, region)
    assert crop.dtype == np.float32 and crop.shape == (128, 128, 3)
    np.testing.assert_allclose(crop, 128 / 255, atol=1e-6)  # flat area stays flat
    m = crop_mask(mask, region)
    assert m.dtype == np.float32 and m.shape == (128, 128)
    assert m.min() == 0.0 and m.max() == pytest.approx(1.0)
    back = uncrop(crop, region)
    assert back.shape == (64, 64, 3) and back.dtype == np.float32
    np.testing.assert_allclose(back, 128 / 255, atol=1e-5)
    assert image.dtype == np.uint8  # the full-size input is untouched


def test_crop_region_without_resize_is_exact_conversion():
    image = np.arange(40 * 50 * 3, dtype=np.uint16).reshape(40, 50, 3)
    region = Region(
        crop=Box(8, 4, 24, 20), mask_box=Box(10, 6, 20, 18), working_size=Extent(16, 16)
    )
    np.testing.assert_array_equal(
        crop_region(image, region), image[4:20, 8:24].astype(np.float32) / 65535
    )


def test_crop_mask_keeps_thin_strokes_when_shrinking():
    mask = np.zeros((256, 256), np.float32)
    mask[:, 128] = 1.0  # one-pixel line
    region = Region(
        crop=Box(0, 0, 256, 256), mask_box=Box(128, 0, 129, 256), working_size=Extent(64, 64)
    )
    small = crop_mask(mask, region)
    assert small.max() == pytest.approx(0.25)  # area-averaged, not dropped
    assert np.count_nonzero(small.max(axis=0)) == 1


def test_uncrop_rejects_wrong_size():
    region = Region(crop=Box(0, 0, 64, 64), mask_box=Box(0, 0, 8, 8), working_size=Extent(32, 32))
    with pytest.raises(SizeMismatchError, match="working size"):
        uncrop(np.zeros((16, 32, 3), np.float32), region)


def test_crop_region_rejects_image_smaller_than_crop():
    region = Region(crop=Box(0, 0, 64, 64), mask_box=Box(0, 0, 8, 8), working_size=Extent(64, 64))
    with pytest.raises(SizeMismatchError):
        crop_region(np.zeros((32, 32, 3), np.float32), region)


def test_empty_mask_is_an_error():
    with pytest.raises(EmptyMaskError, match="selects nothing"):
        plan_regions(Extent(8, 8), np.zeros((8, 8), np.float32))


def test_mask_size_mismatch_names_both_sizes():
    with pytest.raises(SizeMismatchError, match=r"10×8.*12×8"):
        plan_regions(Extent(12, 8), np.ones((8, 10), np.float32))


@pytest.mark.parametrize(
    "options",
    [{"padding": -1}, {"multiple": 0}, {"working_size": 0}, {"merge_distance": -2}],
)
def test_bad_options_are_rejected(options):
    with pytest.raises(InvalidParameterError):
        plan_regions(Extent(8, 8), np.ones((8, 8), np.float32), **options)


def test_bad_mask_is_rejected():
    with pytest.raises(InvalidMaskError, match="2-D"):
        plan_regions(Extent(8, 8), np.ones((8, 8, 3), np.float32))
    nan_mask = np.ones((8, 8), np.float32)
    nan_mask[0, 0] = np.nan
    with pytest.raises(InvalidMaskError, match="NaN"):
        plan_regions(Extent(8, 8), nan_mask)


@st.composite
def blob_masks(draw):
    height, width = draw(st.integers(8, 80)), draw(st.integers(8, 80))
    mask = np.zeros((height, width), np.float32)
    for _ in range(draw(st.integers(1, 12))):
        x, y = draw(st.integers(0, width - 1)), draw(st.integers(0, height - 1))
        w, h = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        mask[y : y + h, x : x + w] = draw(st.sampled_from([1.0, 0.5, 0.01]))
    return mask


@settings(max_examples=50, deadline=None)
@given(
    blob_masks(),
    st.one_of(st.none(), st.integers(0, 12)),
    st.integers(1, 16),
    st.one_of(st.none(), st.integers(0, 10)),
    st.one_of(st.none(), st.integers(8, 64)),
)
def test_plan_invariants_hold_for_random_masks(mask, padding, multiple, merge_distance, working):
    height, width = mask.shape
    plan = plan_regions(
        Extent(width, height),
        mask,
        padding=padding,
        multiple=multiple,
        merge_distance=merge_distance,
        working_size=working,
    )
    assert_plan_invariants(plan, mask)
    for region in plan.regions:
        if working is None:
            assert region.working_size == region.crop.extent
        else:
            assert region.working_size.width % multiple == 0
            assert region.working_size.height % multiple == 0


def test_invariants_hold_for_speckle_masks():
    rng = np.random.default_rng(3)
    mask = (rng.random((400, 500)) > 0.995).astype(np.float32)  # ~1000 separate dots
    for padding in (None, 0, 3):
        plan = plan_regions(Extent(500, 400), mask, padding=padding, multiple=8, merge_distance=0)
        assert_plan_invariants(plan, mask)


def test_8k_mask_with_one_object_is_planned_quickly_and_tightly():
    mask = np.zeros((4320, 7680), np.uint8)
    mask[2000:2512, 5000:5400] = 255
    start = time.perf_counter()
    plan = plan_regions(Extent(7680, 4320), mask, working_size=512)
    elapsed = time.perf_counter() - start
    (region,) = plan.regions
    assert region.mask_box == Box(5000, 2000, 5400, 2512)
    # Automatic padding is 256 px a side: the crop is the object plus its context.
    assert region.crop == Box(4744, 1744, 5656, 2768)
    assert region.crop.area < 2 * (512 + 2 * 256) * (400 + 2 * 256)
    assert region.working_size == Extent(456, 512)
    assert elapsed < 2.0


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 60),
    st.integers(1, 60),
    st.data(),
    st.integers(0, 20),
    st.integers(1, 16),
)
def test_vectorised_crops_match_geometry_functions(width, height, data, padding, multiple):
    # plan_regions computes crops for all regions at once; it must follow the documented
    # pad -> clip -> snap rule of the geometry module exactly.
    from inpaintkit.prepare.geometry import clip_box, pad_box, snap_box
    from inpaintkit.prepare.plan import _region_crops

    x0 = data.draw(st.integers(0, width - 1))
    y0 = data.draw(st.integers(0, height - 1))
    box = Box(x0, y0, data.draw(st.integers(x0 + 1, width)), data.draw(st.integers(y0 + 1, height)))
    extent = Extent(width, height)
    expected = snap_box(
        clip_box(pad_box(box, pixels=padding), extent), multiple=multiple, extent=extent
    )
    got = _region_crops(np.array([box], np.int64), np.array([padding]), multiple, extent)
    assert Box(*map(int, got[0])) == expected
