"""lint_mask: each finding fires on the mask it describes and stays quiet on clean ones."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from inpaintkit.errors import InvalidMaskError, InvalidParameterError, SizeMismatchError
from inpaintkit.mask import feather, lint_mask, mask_from_boxes, mask_from_strokes
from inpaintkit.types import Box


def codes(mask: np.ndarray, **options: object) -> list[str]:
    return [finding.code for finding in lint_mask(None, mask, **options)]  # type: ignore[arg-type]


def clean_mask() -> np.ndarray:
    mask = mask_from_boxes((128, 96), [Box(30, 20, 90, 70)])
    return np.maximum(mask, mask_from_strokes((128, 96), [{"points": [[40, 80]], "radius": 10}]))


def jpeg(mask: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(
        ".jpg", (mask * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    assert decoded is not None
    return decoded.astype(np.float32) / 255


def test_clean_and_feathered_masks_have_no_findings() -> None:
    assert codes(clean_mask()) == []
    assert codes(feather(clean_mask(), sigma=2)) == []


def test_empty_mask_is_an_error_finding() -> None:
    findings = lint_mask(None, np.zeros((8, 8), np.float32))
    assert [(f.code, f.severity) for f in findings] == [("empty", "error")]
    assert "nothing to inpaint" in findings[0].message


def test_empty_detector_mask_is_only_info() -> None:
    # A clean photo gives detect_scratches an empty mask: an outcome, not a mistake.
    findings = lint_mask(None, np.zeros((8, 8), np.float32), expect_small_parts=True)
    assert [(f.code, f.severity) for f in findings] == [("empty", "info")]
    assert "were found" in findings[0].message and "paint or pass" not in findings[0].message


def test_thin_stroke_is_found_with_count_box_and_fix() -> None:
    mask = clean_mask()
    mask[5:7, 10:120] = 1  # a 2-pixel line, 110 px long
    (finding,) = [f for f in lint_mask(None, mask, latent_scale=8) if f.code == "thin-stroke"]
    assert finding.severity == "warning"
    assert finding.box == Box(10, 5, 120, 7)
    assert "220 mask pixels" in finding.message
    assert "latent cell" in finding.message and "Grow the mask by 4 pixels" in finding.message


def test_thin_stroke_respects_latent_scale() -> None:
    mask = clean_mask()
    mask[5:9, 10:120] = 1  # 4 px wide: fine for a 4-px latent, thin for an 8-px one
    assert "thin-stroke" in codes(mask, latent_scale=8)
    assert "thin-stroke" not in codes(mask, latent_scale=4)


def test_tiny_islands_default_to_one_latent_cell() -> None:
    mask = clean_mask()
    mask[2:9, 110:117] = 1  # 49 px < 64
    (finding,) = [f for f in lint_mask(None, mask, latent_scale=8) if f.code == "tiny-island"]
    assert finding.box == Box(110, 2, 117, 9)
    assert "Remove islands under 64 pixels" in finding.message
    assert "tiny-island" not in codes(mask, latent_scale=8, min_island_area=49)


def test_touches_border_names_the_sides() -> None:
    mask = mask_from_boxes((64, 64), [Box(0, 20, 30, 64)])
    (finding,) = [f for f in lint_mask(None, mask) if f.code == "touches-border"]
    assert finding.severity == "info"
    assert "bottom, left" in finding.message and "outpaint" in finding.message


def test_coverage_high_and_low() -> None:
    assert "coverage-high" in codes(mask_from_boxes((100, 100), [Box(0, 0, 100, 95)]))
    assert "coverage-high" not in codes(mask_from_boxes((100, 100), [Box(0, 0, 100, 90)]))
    few = np.zeros((200, 200), np.float32)
    few[100:102, 100:102] = 1  # 4 px = 0.01 %: not below the limit
    assert "coverage-low" not in codes(few)
    few[100:102, 101] = 0
    assert "coverage-low" in codes(few)


def test_nearly_binary_mask_suggests_threshold() -> None:
    mask = clean_mask()
    noisy = np.where(mask > 0, 0.99, 0.0).astype(np.float32)
    noisy[40, 40] = 0.5  # one pixel really soft
    (finding,) = [f for f in lint_mask(None, noisy) if f.code == "nearly-binary"]
    assert "Threshold it at 0.5" in finding.message
    assert "nearly-binary" not in codes(mask)


@pytest.mark.parametrize("quality", [75, 95])
def test_jpeg_noise_is_found_on_a_jpeg_mask(quality: int) -> None:
    findings = codes(jpeg(clean_mask(), quality))
    assert "jpeg-noise" in findings


def test_soft_edges_are_not_mistaken_for_jpeg_noise() -> None:
    soft = cv2.GaussianBlur(clean_mask(), (0, 0), 1.0)
    quantised = np.round(soft * 255).astype(np.uint8)
    assert "jpeg-noise" not in codes(quantised)
    assert "nearly-binary" not in codes(quantised)


def test_image_size_must_match() -> None:
    with pytest.raises(SizeMismatchError, match="resize the mask"):
        lint_mask(np.zeros((10, 12, 3), np.float32), np.zeros((10, 10), np.float32))
    assert lint_mask(np.zeros((96, 128, 3), np.float32), clean_mask()) == []


def test_bad_options_and_masks_raise() -> None:
    with pytest.raises(InvalidParameterError, match="latent_scale"):
        lint_mask(None, clean_mask(), latent_scale=0)
    with pytest.raises(InvalidParameterError, match="min_island_area"):
        lint_mask(None, clean_mask(), min_island_area=-1)
    with pytest.raises(InvalidMaskError):
        lint_mask(None, np.full((4, 4), 2.0, np.float32))


def test_findings_serialise() -> None:
    mask = clean_mask()
    mask[5:7, 10:120] = 1
    data = [f.to_dict() for f in lint_mask(None, mask, latent_scale=8)]
    assert data[0]["code"] == "thin-stroke" and data[0]["box"] == [10, 5, 120, 7]


def test_per_pixel_engines_get_no_latent_cell_talk() -> None:
    # The default (latent_scale=None) is an engine that works per pixel: a thin line is
    # no problem for it, and no finding mentions latent cells.
    mask = clean_mask()
    mask[5:7, 10:120] = 1
    mask[2:9, 110:117] = 1  # 49 px: a dab, not noise, at one-pixel cells
    assert codes(mask) == []
    for finding in lint_mask(None, mask, latent_scale=8):
        assert finding.code in ("thin-stroke", "tiny-island")
    assert all("latent" not in f.message for f in lint_mask(None, mask))


def test_per_pixel_tiny_islands_are_specks_under_a_3x3_dab() -> None:
    mask = clean_mask()
    mask[3:5, 3:5] = 1  # 4 px
    (finding,) = lint_mask(None, mask)
    assert finding.code == "tiny-island" and finding.box == Box(3, 3, 5, 5)
    assert "under 9 pixels" in finding.message
    mask[3:6, 3:6] = 1  # 9 px: a dab, kept quiet
    assert codes(mask) == []


def test_expect_small_parts_keeps_a_scratch_mask_quiet() -> None:
    # What detect_scratches makes: thin lines running off the frame and dust specks,
    # covering very little of the photo.
    mask = np.zeros((400, 600), np.float32)
    mask[0:300, 100:102] = 1  # a scratch from the top edge
    for y, x in ((50, 400), (200, 500), (350, 300)):
        mask[y : y + 2, x : x + 2] = 1  # dust
    noisy = codes(mask)
    assert {"tiny-island", "touches-border"} <= set(noisy)
    assert codes(mask, expect_small_parts=True) == []
    # A latent engine still cannot redraw a 2-px line, whatever the intent.
    assert codes(mask, expect_small_parts=True, latent_scale=8) == ["thin-stroke"]
    few = np.zeros((400, 600), np.float32)
    few[10, 10:13] = 1
    assert "coverage-low" in codes(few)
    assert "coverage-low" not in codes(few, expect_small_parts=True)


def test_messages_describe_fixes_in_plain_words_not_python_calls() -> None:
    mask = clean_mask()
    mask[5:7, 10:120] = 1
    mask[2:9, 110:117] = 1
    inverted = mask_from_boxes((100, 100), [Box(0, 0, 100, 95)]) * np.float32(0.99)
    inverted[50, 50] = 0.5
    messages = [f.message for f in lint_mask(None, mask, latent_scale=8)]
    messages += [f.message for f in lint_mask(None, inverted)]
    messages += [f.message for f in lint_mask(None, jpeg(clean_mask(), 75))]
    assert len(messages) >= 5
    for message in messages:
        assert "(mask" not in message and re.search(r"\w=", message) is None


def test_latent_scale_errors_name_the_option() -> None:
    from inpaintkit.errors import spell_flag

    with pytest.raises(InvalidParameterError) as caught:
        lint_mask(None, clean_mask(), latent_scale=-8)
    assert "latent_scale must be a whole number ≥ 1" in str(caught.value)
    assert "--latent-scale must be" in caught.value.spelled(spell_flag)
    with pytest.raises(InvalidParameterError, match="expect_small_parts"):
        lint_mask(None, clean_mask(), expect_small_parts="yes")  # type: ignore[arg-type]
