"""Put generated pixels back into the photo, keeping every unmasked pixel bit for bit.

The guarantee: wherever the mask is 0 the output equals the input exactly, whatever the
dtype (uint8, uint16, float16, float32 or float64) and whether or not the image has an
alpha channel. The blend ``original·(1 − m) + generated·m`` is computed at the image's
own scale (255, 65535 or 1.0, decided by the dtype) and written only where ``m > 0``, so
no rounding can leak into kept pixels. It is computed in float32, which holds every
uint8, uint16 and float16 value exactly, and in float64 for a float64 image, so a soft
pixel loses none of the target's precision. Cost follows the region's box, not the image.

Seam treatment is optional and works on float32 crops:

* :func:`match_colors` moves the generated fill's Lab mean and spread to the original's,
  measured in a band just outside the mask (for engines whose output is colour-shifted).
* :func:`poisson_blend` clones the fill's gradients into the original (OpenCV
  ``seamlessClone``), so the fill meets the border without a step.
* :func:`seam_score` measures how visible the border is.
"""

from __future__ import annotations

import operator
from typing import Any

import cv2
import numpy as np

from inpaintkit.convert import IMAGE_DTYPES, dtype_scale, from_float, to_float32
from inpaintkit.errors import InvalidInputError, InvalidMaskError, SizeMismatchError
from inpaintkit.types import Box

__all__ = [
    "composite",
    "composite_region",
    "composite_region_into",
    "match_colors",
    "poisson_blend",
    "seam_score",
    "treat_seam",
]

# seamlessClone erodes the mask it is given by three 3×3 steps before it takes the
# source's gradients. Growing the hole by two steps first makes the fill's gradients
# cover the hole except its outermost pixel ring; taking that ring from the fill too
# would copy the very step at the border the blend is meant to remove (measured: a fill
# offset by +0.15 only inside the hole keeps a 17/255 error with three steps, 1.5 with
# two).
_CLONE_GROW = 2


def composite_region(
    base: np.ndarray, generated: np.ndarray, mask: np.ndarray, box: Box
) -> np.ndarray:
    """Return a copy of ``base`` with ``generated`` blended in over ``box`` by ``mask``.

    ``base`` is the full image in its own dtype (uint8, uint16, float16, float32 or
    float64; ``H×W×3`` or ``H×W×4``, where the alpha channel is never changed);
    ``generated`` is a float32 RGB crop in [0, 1] of exactly ``box``'s size; ``mask`` is
    the full-size mask (1 = regenerate). Pixels with mask 0 are bit-identical to
    ``base``; pixels with mask 1 are ``generated`` quantised to ``base``'s dtype.

    >>> base = np.full((4, 4, 3), 10, np.uint8)
    >>> mask = np.zeros((4, 4), np.float32); mask[1, 1] = 1.0; mask[1, 2] = 0.5
    >>> out = composite_region(base, np.ones((2, 2, 3), np.float32), mask, Box(1, 1, 3, 3))
    >>> out[1, 1:4, 0].tolist()
    [255, 132, 10]
    """
    _check_target(base)
    checked = _check_region(base, generated, mask, box)
    output = base.copy()
    _blend_into(output, checked)
    return output


def composite_region_into(
    target: np.ndarray, generated: np.ndarray, mask: np.ndarray, box: Box
) -> None:
    """Like :func:`composite_region`, but write into ``target`` in place.

    Only ``target[box]`` where the mask is above 0 is written, and only the colour
    channels; the pipeline uses this to avoid one full-image copy per region.
    """
    _check_target(target)
    if not target.flags.writeable:
        raise InvalidInputError(
            "target array is read-only; pass a writable copy (target.copy()) or use "
            "composite_region, which returns a new array"
        )
    _blend_into(target, _check_region(target, generated, mask, box))


def composite(base: np.ndarray, generated_full: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend a whole-image ``generated_full`` into ``base`` by ``mask`` (see
    :func:`composite_region`).

    >>> base = np.zeros((2, 2, 3), np.uint16)
    >>> out = composite(base, np.ones((2, 2, 3), np.float32), np.eye(2, dtype=np.float32))
    >>> out[..., 0].tolist()
    [[65535, 0], [0, 65535]]
    """
    _check_target(base)
    height, width = base.shape[:2]
    return composite_region(base, generated_full, mask, Box(0, 0, width, height))


def match_colors(
    generated: np.ndarray, original: np.ndarray, mask: np.ndarray, *, band: int = 16
) -> np.ndarray:
    """Shift and scale the fill's colours so they match the original around the hole.

    In Lab, per channel, the mean and standard deviation of ``generated`` in a band of
    ``band`` pixels just outside ``mask > 0`` are matched to those of ``original`` in the
    same band, and that correction is applied to ``generated`` where ``mask > 0``. The band
    is where the right answer is known: an engine that redraws its whole crop (a learned or
    diffusion model, whose decoder shifts colours) shows its shift there, and the same
    shift is taken out of the fill. An engine that leaves the context untouched (the
    classical fills) shows none, and its fill is left as it is. Pixels
    outside the mask are returned unchanged. Both images are float32 RGB crops in [0, 1]
    of the same size; the result is float32 RGB in [0, 1]. If the band is empty (the mask
    is empty or covers the whole crop) the fill is returned unchanged.
    """
    generated = _float_rgb(generated, "generated image")
    original = _float_rgb(original, "original image")
    _same_size(generated, original, "generated image", "original image")
    hole = _mask_crop(mask, generated.shape[:2]) > 0
    if isinstance(band, bool) or not isinstance(band, int | np.integer) or band < 1:
        raise InvalidInputError(f"band is {band!r}; pass a whole number of pixels ≥ 1")
    result = generated.copy()
    if not hole.any():
        return result
    ring = _outer_ring(hole, int(band))
    if ring.sum() < 2:
        return result
    generated_lab = cv2.cvtColor(generated, cv2.COLOR_RGB2Lab)
    original_lab = cv2.cvtColor(original, cv2.COLOR_RGB2Lab)
    target_mean, target_std = _stats(original_lab[ring])
    source_mean, source_std = _stats(generated_lab[ring])
    # A flat band (std ≈ 0) says nothing about contrast; only shift it. Otherwise keep the
    # gain sane so a nearly flat band cannot blow the fill's contrast up.
    gain = np.where(
        source_std > 1e-3, np.clip(target_std / np.maximum(source_std, 1e-3), 0.5, 2.0), 1.0
    ).astype(np.float32)
    corrected = (generated_lab[hole] - source_mean) * gain + target_mean
    fill_lab = generated_lab.copy()
    fill_lab[hole] = corrected
    fill = cv2.cvtColor(fill_lab, cv2.COLOR_Lab2RGB)
    result[hole] = np.clip(fill[hole], 0.0, 1.0)
    return result


def poisson_blend(original: np.ndarray, generated: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Clone ``generated``'s content into ``original`` over ``mask > 0`` (Poisson editing).

    Uses OpenCV's ``seamlessClone`` (NORMAL_CLONE): inside the hole the result keeps the
    fill's gradients while meeting the original at the border, which removes a constant
    colour offset. OpenCV works in uint8, so values inside the hole are quantised to
    1/255; pixels outside the hole are returned as ``original`` exactly. Masks that touch
    the crop's edge are handled by padding (the original is mirrored outwards). Inputs
    are float32 RGB crops in [0, 1] of the same size; the result is float32 RGB.
    """
    original = _float_rgb(original, "original image")
    generated = _float_rgb(generated, "generated image")
    _same_size(generated, original, "generated image", "original image")
    hole = _mask_crop(mask, original.shape[:2]) > 0
    result = original.copy()
    if not hole.any():
        return result
    if hole.all():
        # No border to meet: nothing for the Poisson solve to anchor to.
        return generated.copy()
    pad = _CLONE_GROW + 2
    clone_mask = cv2.dilate(
        np.pad(hole, pad).astype(np.uint8) * 255,
        np.ones((3, 3), np.uint8),
        iterations=_CLONE_GROW,
    )
    source = _padded_u8(generated, pad)
    destination = _padded_u8(original, pad)
    x, y, width, height = cv2.boundingRect(clone_mask)
    # seamlessClone centres the mask's bounding box on this point with integer halves;
    # this choice puts it back exactly where it came from.
    center = (x + width // 2, y + height // 2)
    cloned = cv2.seamlessClone(source, destination, clone_mask, center, cv2.NORMAL_CLONE)
    inside = cloned[pad:-pad, pad:-pad][hole]
    result[hole] = to_float32(inside)
    return result


def treat_seam(
    generated: np.ndarray, original: np.ndarray, mask: np.ndarray, *, how: str
) -> np.ndarray:
    """Apply a seam treatment to a float32 crop before compositing: ``"none"``,
    ``"color"`` (:func:`match_colors`), ``"poisson"`` (:func:`poisson_blend`) or
    ``"color+poisson"`` (both, colour first)."""
    if how not in ("none", "color", "poisson", "color+poisson"):
        raise InvalidInputError(
            f"seam treatment {how!r} is unknown; use none, color, poisson or color+poisson"
        )
    if "color" in how:
        generated = match_colors(generated, original, mask)
    if "poisson" in how:
        generated = poisson_blend(original, generated, mask)
    return generated


def seam_score(
    original: np.ndarray, result: np.ndarray, mask: np.ndarray, *, width: int = 2
) -> float:
    """How visible the border of the filled area is, in units of 1/255 (0 = invisible).

    Exact definition: let ``H = mask > 0.5``. The *border pixels* are the pixels outside
    ``H`` that touch it (4-neighbourhood). Around each border pixel ``b``, per channel and
    then averaged over channels, with ``w = width``:

    - ``step_b``: in ``result``, the difference between the mean over the *inner ring*
      (pixels of ``H`` within ``w`` of its edge) and over the *outer ring* (pixels outside
      ``H`` within ``w``), both inside the ``(2w + 1)²`` window around ``b``;
    - ``texture_b``: in ``result``, the same difference one ring further out (outer ring
      against the pixels ``w < d ≤ 2w`` outside ``H``, window ``(4w + 1)²``): the step
      the photo itself has next to the border, all of it untouched content;
    - ``change_b``: how much the inner ring's mean differs between ``result`` and
      ``original``.

    The score is the mean over border pixels of ``max(0, min(step_b − texture_b,
    change_b))`` · 255. A step no larger than the surrounding texture is no seam; a step
    the photo already had and the fill kept (``change_b ≈ 0``) is not blamed on the fill,
    while the removed object's own outline, which the fill replaced, does not excuse a
    seam either. Returns 0.0 when ``H`` has no border inside the image (empty, or covering
    everything). Inputs are float32 RGB crops in [0, 1] of the same size.

    >>> photo = np.full((16, 16, 3), 0.5, np.float32)
    >>> hole = np.zeros((16, 16), np.float32); hole[4:12, 4:12] = 1
    >>> seam_score(photo, photo, hole)
    0.0
    >>> filled = photo.copy(); filled[4:12, 4:12] = 0.6
    >>> round(seam_score(photo, filled, hole), 1)
    25.5
    """
    original = _float_rgb(original, "original image")
    result = _float_rgb(result, "result image")
    _same_size(result, original, "result image", "original image")
    hole = _mask_crop(mask, original.shape[:2]) > 0.5
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
        raise InvalidInputError(f"width is {width!r}; pass a whole number of pixels ≥ 1")
    width = int(width)
    hole_u8 = hole.astype(np.uint8)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    border = (cv2.dilate(hole_u8, cross) > 0) & ~hole
    if not border.any():
        return 0.0
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    far = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * width + 1, 4 * width + 1))
    # erode's default border counts the outside of the crop as part of H, so the crop's
    # edge is not mistaken for a border of the hole.
    inner = hole & (cv2.erode(hole_u8, near) == 0)
    within_near = cv2.dilate(hole_u8, near) > 0
    outer = within_near & ~hole
    beyond = (cv2.dilate(hole_u8, far) > 0) & ~within_near

    def local_mean(image: np.ndarray, ring: np.ndarray, size: int) -> np.ndarray:
        window = (size, size)
        weights = ring.astype(np.float32)
        total = cv2.boxFilter(image * weights[..., None], -1, window, normalize=False)
        count = cv2.boxFilter(weights, -1, window, normalize=False)
        return total[border] / np.maximum(count[border], 1.0)[:, None]

    near_size, far_size = 2 * width + 1, 4 * width + 1
    inner_result = local_mean(result, inner, near_size)
    step = np.abs(inner_result - local_mean(result, outer, near_size)).mean(axis=1)
    texture = np.abs(
        local_mean(result, outer, far_size) - local_mean(result, beyond, far_size)
    ).mean(axis=1)
    change = np.abs(inner_result - local_mean(original, inner, near_size)).mean(axis=1)
    seam = np.clip(np.minimum(step - texture, change), 0.0, None)
    return float(seam.mean()) * 255.0


# --- helpers -------------------------------------------------------------------------


def _check_target(image: Any) -> None:
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(
            f"base image is a {type(image).__name__}; pass a numpy array (H×W×3 or H×W×4)"
        )
    if image.dtype not in IMAGE_DTYPES:
        raise InvalidInputError(
            f"base image has dtype {image.dtype}; pass uint8, uint16 or float in [0, 1] "
            "(convert with inpaintkit.load_image)"
        )
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InvalidInputError(
            f"base image has shape {image.shape}; pass an H×W×3 (RGB) or H×W×4 (RGBA) array"
        )


_Checked = tuple[tuple[slice, slice], np.ndarray, np.ndarray] | None


def _check_region(target: np.ndarray, generated: Any, mask: Any, box: Any) -> _Checked:
    """Validate everything against ``target`` before anything is written.

    Returns ``box``'s slices, the mask inside the box and the fill (both float32), or
    None when the box is empty.
    """
    height, width = target.shape[:2]
    try:
        x0, y0, x1, y1 = (operator.index(value) for value in box)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"box is {box!r}; pass a Box(x0, y0, x1, y1) of whole pixel coordinates"
        ) from None
    region = Box(x0, y0, x1, y1)
    if not isinstance(mask, np.ndarray):
        raise InvalidMaskError(f"mask is a {type(mask).__name__}; pass a numpy array (H×W)")
    if mask.shape != (height, width):
        raise SizeMismatchError(
            f"mask has shape {mask.shape} but the base image has shape {target.shape}; "
            "pass the full-size H×W mask the image was planned with"
        )
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height or x1 < x0 or y1 < y0:
        raise InvalidInputError(
            f"box {tuple(region)} does not fit inside the {width}×{height} image; "
            "pass a box with 0 ≤ x0 ≤ x1 ≤ width and 0 ≤ y0 ≤ y1 ≤ height"
        )
    if not isinstance(generated, np.ndarray):
        raise InvalidInputError(
            f"generated image is a {type(generated).__name__}; pass a float32 numpy array"
        )
    expected = (region.height, region.width, 3)
    if generated.shape != expected:
        raise SizeMismatchError(
            f"generated image has shape {generated.shape} but box {tuple(region)} needs "
            f"{expected}; pass an RGB crop of exactly the box's size (resize it with uncrop)"
        )
    if region.is_empty:
        return None
    weights = _mask_crop(mask[region.slices], expected[:2])
    fill = _float_rgb(generated, "generated image", check_range=False)
    return region.slices, weights, fill


def _blend_into(target: np.ndarray, checked: _Checked) -> None:
    if checked is None:
        return
    slices, weights, generated = checked
    # Assign only where the mask is above 0: the formula would give the same value there,
    # but never touching those pixels is what makes "bit-identical" a guarantee.
    selected = weights > 0
    if not selected.any():
        return
    # float32 holds every uint8, uint16 and float16 value exactly; float64 needs itself.
    work = np.dtype(np.float64 if target.dtype == np.float64 else np.float32)
    scale = 1.0 if target.dtype.kind == "f" else dtype_scale(target.dtype)
    fill: np.ndarray = np.clip(generated[selected], 0.0, 1.0).astype(work)
    if scale != 1.0:
        fill *= np.asarray(scale, work)
    view = target[slices]
    kept: np.ndarray = view[selected, :3].astype(work)
    alpha: np.ndarray = weights[selected][:, None].astype(work)
    blended = kept * (np.asarray(1.0, work) - alpha) + fill * alpha
    view[selected, :3] = from_float(blended, target.dtype, scaled=True)


def _float_rgb(image: Any, what: str, *, check_range: bool = True) -> np.ndarray:
    """``image`` as float32 RGB; uint8/uint16 are scaled by their dtype."""
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(f"{what} is a {type(image).__name__}; pass a numpy array")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InvalidInputError(f"{what} has shape {image.shape}; pass an H×W×3 RGB array")
    if image.dtype in (np.uint8, np.uint16):
        return to_float32(image)
    if image.dtype.kind != "f":
        raise InvalidInputError(
            f"{what} has dtype {image.dtype}; pass float32 in [0, 1] (or uint8/uint16)"
        )
    result = np.ascontiguousarray(image, dtype=np.float32)
    if not np.isfinite(result).all():
        raise InvalidInputError(f"{what} contains NaN or infinite values; pass finite values")
    if check_range and result.size and (result.min() < -1e-3 or result.max() > 1.001):
        raise InvalidInputError(
            f"{what} has values in [{result.min():.3g}, {result.max():.3g}]; "
            "pass float32 values in [0, 1]"
        )
    return np.clip(result, 0.0, 1.0) if check_range else result


def _mask_crop(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` as float32 in [0, 1], checked to be ``shape``; the dtype decides the scale."""
    if not isinstance(mask, np.ndarray):
        raise InvalidMaskError(f"mask is a {type(mask).__name__}; pass a numpy array (H×W)")
    if mask.shape != tuple(shape):
        raise SizeMismatchError(
            f"mask has shape {mask.shape} but the image is {tuple(shape)} (H×W); "
            "pass a mask of the same size as the image"
        )
    if mask.dtype in (np.bool_, np.uint8, np.uint16):
        return to_float32(mask)
    if mask.dtype.kind != "f":
        raise InvalidMaskError(
            f"mask has dtype {mask.dtype}; pass float32 in [0, 1], bool, uint8 or uint16"
        )
    result = np.asarray(mask, dtype=np.float32)
    if result.size and not (np.isfinite(result).all() and result.min() >= 0 and result.max() <= 1):
        raise InvalidMaskError(
            "mask has NaN or values outside [0, 1]; pass float32 values in [0, 1] (1 = regenerate)"
        )
    return result


def _same_size(first: np.ndarray, second: np.ndarray, first_name: str, second_name: str) -> None:
    if first.shape != second.shape:
        raise SizeMismatchError(
            f"{first_name} has shape {first.shape} but {second_name} has shape "
            f"{second.shape}; pass crops of the same size"
        )


def _outer_ring(hole: np.ndarray, band: int) -> np.ndarray:
    """Pixels outside ``hole`` within ``band`` pixels of it (cost independent of ``band``)."""
    outside = (~hole).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    return (distance > 0) & (distance <= band)


def _stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return values.mean(axis=0), values.std(axis=0)


def _padded_u8(image: np.ndarray, pad: int) -> np.ndarray:
    quantised = from_float(image, np.uint8)
    return cv2.copyMakeBorder(quantised, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
