"""Coarse-to-fine structure-guided exemplar fill; see :func:`fill_structure`."""

from __future__ import annotations

import cv2
import numpy as np

from inpaintkit.engines.structure.patches import (
    Field,
    Searcher,
    describe,
    match_weights,
    patch_basis,
    source_map,
    vote,
)
from inpaintkit.engines.structure.pyramid import (
    diffusion_fill,
    enlarge,
    exemplar_fill,
    halve_hole,
    halve_image,
)

# Tuning constants. Values were chosen on benchmarks/quality_bench.py (8 photos, LaMa
# mask kinds) and benchmarks/structure_bench.py (speed); the comments say why each holds.

# Halve until the hole is at most this wide (px): there a 7×7 patch and pypatchmatch's
# own pyramid see across the hole, so edges on both sides connect.
_COARSEST_HOLE_WIDTH = 56.0
# PCA components per patch descriptor: the leading 10 of 147 (7×7×RGB) hold most of a
# patch's variance, and each one more costs a filter2D per channel per level (kept from
# the first version, not re-tuned here).
_DESCRIPTOR_DIMS = 10
# Blur (px) of the structure guide: drops the exemplar fill's pixel noise but keeps the
# position of the edges it continued into the hole (kept, not re-tuned here).
_GUIDE_SIGMA = 1.5
# Fewest known patches a level needs for its search; below that, smaller patches.
_MIN_SOURCES = 64
# Coarsest structure by pypatchmatch (texture-aware) rather than diffusion alone: boxes
# gain 1.6 dB inside the hole (20.75 against 19.17), as diffusion blurs wide holes flat.
_USE_COARSE_EXEMPLAR = True
# Independent coarse exemplar fills averaged into the structure estimate. Each run picks
# different plausible content; their mean is closer to the expected colour (what the
# low-pass of the result should be), and the matched texture supplies the detail. Two
# runs: +0.14 dB inside box holes (and thick strokes, were it affordable there).
_COARSE_EXEMPLAR_RUNS = 2
# ...but only where the coarsest hole has at most this many pixels: pypatchmatch's time
# grows with the level it fills (~0.3-0.5 s for the quality bench's boxes, ~6k px; 1-2 s
# per run for stroke masks, which are not halved: 25k-85k px).
_AVERAGED_EXEMPLAR_HOLE_LIMIT = 12_000
# Seed offset between those runs (a prime, so runs of nearby seeds do not coincide).
_SEED_STRIDE = 7919
# Share of the diffusion fill in the structure estimate (rest: the exemplar fills).
# Strokes want diffusion (thick strokes: 13.98 dB with none, 14.37 with 0.3), boxes the
# exemplar (20.77 with none, 20.72 with 0.3): 0.22 keeps both above every baseline.
_DIFFUSION_SHARE = 0.22
# Smallest side (px) of a pyramid level; below it, patch statistics are meaningless.
_MIN_LEVEL_SIDE = 8
# Known patches wanted per hole pixel before a coarse level may use large patches.
_SOURCES_PER_HOLE_PIXEL = 1.0
# Hole pixels above which a level only refines the carried-up matches locally, so time
# stays roughly linear in the hole's area (the 1024² bench's finest levels exceed it).
_FULL_SEARCH_LIMIT = 40_000
# Texture-energy guide. Matching blurry targets (votes average overlapping patches)
# prefers smooth sources, so fills came out flatter than the photo (detail ratio 0.92
# on boxes). Each descriptor therefore also carries the local amplitude of fine detail,
# which for hole pixels is diffused in from around the hole: a textured neighbourhood
# asks for textured patches. Weight 36 lifts box detail to ~1.28 (PatchMatch: 1.23); at
# 48 the colour match weakens enough that box PSNR fell 0.1 dB.
_TEXTURE_ENERGY_WEIGHT = 36.0
# Fine detail is what a σ = 1 px blur removes: the band the eye reads as texture.
_FINE_DETAIL_SIGMA = 1.0
# Neighbourhood (σ, px) over which detail amplitude is measured: a few texture grains.
_TEXTURE_ENERGY_SIGMA = 2.0
# The amplitude varies slowly, so it is diffused into the hole on a copy shrunk 4×,
# which costs a sixteenth of a full-size diffusion fill.
_TEXTURE_ENERGY_SHRINK = 4


def _texture_energy(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Local amplitude of fine detail, H×W; inside the hole, diffused in from around it."""
    grey = image.mean(axis=2, dtype=np.float32)
    detail = grey - _blur(grey, _FINE_DETAIL_SIGMA)
    # The hole is zeroed at every level, so detail next to it is a false edge: measure
    # only where the high-pass window (~5×5) sees no hole pixel.
    trusted = cv2.erode((~hole).astype(np.uint8), np.ones((5, 5), np.uint8), borderValue=1).astype(
        np.float32
    )
    spread = _blur(trusted, _TEXTURE_ENERGY_SIGMA)
    power = _blur(detail * detail * trusted, _TEXTURE_ENERGY_SIGMA) / np.maximum(spread, 1e-6)
    amplitude = np.sqrt(power).astype(np.float32)
    unknown = spread < 0.5
    if not unknown.any():
        return amplitude
    height, width = hole.shape
    small_size = (
        max(1, width // _TEXTURE_ENERGY_SHRINK),
        max(1, height // _TEXTURE_ENERGY_SHRINK),
    )
    small = cv2.resize(amplitude, small_size, interpolation=cv2.INTER_AREA)
    small_unknown = cv2.resize(unknown.astype(np.float32), small_size, interpolation=cv2.INTER_AREA)
    small_unknown8 = (small_unknown > 0).astype(np.uint8)
    if small_unknown8.any():
        small = cv2.inpaint(small, small_unknown8, 3, cv2.INPAINT_NS)
    return np.where(unknown, enlarge(small, hole.shape), amplitude).astype(np.float32)


def _average_exemplar_fill(
    image: np.ndarray, hole: np.ndarray, *, runs: int, seed: int
) -> np.ndarray:
    """Mean of ``runs`` exemplar fills with different seeds."""
    fills = [exemplar_fill(image, hole, seed=seed + _SEED_STRIDE * run) for run in range(runs)]
    return (sum(fills[1:], fills[0]) / len(fills)).astype(np.float32)


def _exemplar_runs(hole: np.ndarray, coarse_hole: np.ndarray) -> int:
    """Average exemplar fills only on small jobs: a coarsest hole cheap for pypatchmatch,
    and a hole below the full-search limit (the 1024² bench's 15 % box, 157k px, would
    spend ~10 % of its 2 s budget on the second run)."""
    small = int(coarse_hole.sum()) <= _AVERAGED_EXEMPLAR_HOLE_LIMIT
    return _COARSE_EXEMPLAR_RUNS if small and int(hole.sum()) <= _FULL_SEARCH_LIMIT else 1


Level = tuple[np.ndarray, np.ndarray, int]  # image, hole, patch radius


def _usable_radius(hole: np.ndarray, largest: int, *, per_hole_pixel: float) -> int:
    """The largest patch radius up to ``largest`` leaving enough known patches; 0 if none."""
    needed = max(_MIN_SOURCES, per_hole_pixel * int(hole.sum()))
    for radius in range(largest, 0, -1):
        if int(source_map(hole, radius).sum()) >= needed:
            return radius
    return 0


def _levels(image: np.ndarray, hole: np.ndarray, radius: int) -> list[Level]:
    """Halve until the hole is a few pixels wide, so that at the coarsest level a patch
    sees across it and edges connect; the context around a hole is only about half its
    size, so coarse levels use smaller patches where large ones find no known source."""
    radius = _usable_radius(hole, radius, per_hole_pixel=0.0)
    if not radius:
        return []
    levels = [(np.where(hole[..., None], 0.0, image).astype(np.float32), hole, radius)]
    distance = cv2.distanceTransform(np.pad(hole.astype(np.uint8), 1), cv2.DIST_L2, 3)
    width = 2.0 * float(distance.max())
    while width > _COARSEST_HOLE_WIDTH and min(hole.shape) // 2 >= _MIN_LEVEL_SIDE:
        coarser_hole = halve_hole(hole)
        coarser_radius = _usable_radius(
            coarser_hole, radius, per_hole_pixel=_SOURCES_PER_HOLE_PIXEL
        )
        if not coarser_radius:
            break
        image, hole, radius = halve_image(levels[-1][0]), coarser_hole, coarser_radius
        levels.append((image, hole, radius))
        width /= 2
    return levels


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def _carry_up(field: Field, hole: np.ndarray, coarse_index: np.ndarray, coarse_width: int) -> Field:
    ty, tx = np.nonzero(hole)
    parent = coarse_index[(ty // 2) * coarse_width + tx // 2]
    sy = 2 * field.sy[parent] + (ty % 2)
    sx = 2 * field.sx[parent] + (tx % 2)
    return Field(ty, tx, sy, sx, np.ones(len(ty), np.float32))


def fill_structure(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    patch_size: int = 7,
    iterations: int = 4,
    guide_weight: float = 2.0,
    low_pass_blend: float = 0.9,
    final_vote_radius: int = 0,
    detail_sigma: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Fill ``hole`` in the float32 RGB ``image``: smooth structure, then matched texture.

    The result is ``sharp`` (each hole pixel copied from its best match) whose band
    below ``detail_sigma`` is replaced by a low-pass mix: ``low_pass_blend`` of the
    structure estimate (diffusion + averaged exemplar fills), the rest the voted estimate.
    """
    rng = np.random.default_rng(seed)
    levels = _levels(image, hole, patch_size // 2)
    if not levels:  # no known patch anywhere: the smooth fill is all there is
        structure = diffusion_fill(image, hole)
        return _finish(image, hole, structure, structure, structure, 1.0, 1.0)
    coarse_image, coarse_hole, _ = levels[-1]
    smooth_fill = diffusion_fill(coarse_image, coarse_hole)
    structure = (
        _average_exemplar_fill(
            coarse_image, coarse_hole, runs=_exemplar_runs(hole, coarse_hole), seed=seed
        )
        if _USE_COARSE_EXEMPLAR
        else smooth_fill
    )

    field: Field | None = None
    parent_index = np.empty(0, np.int64)
    estimate = structure
    for depth in range(len(levels) - 1, -1, -1):
        level_image, level_hole, radius = levels[depth]
        shape = level_hole.shape
        valid = source_map(level_hole, radius)
        smooth = structure if field is None else enlarge(structure, shape)
        colour_guide = _blur(np.where(level_hole[..., None], smooth, level_image), _GUIDE_SIGMA)
        energy = _texture_energy(level_image, level_hole)
        guide = np.concatenate(
            [guide_weight * colour_guide, _TEXTURE_ENERGY_WEIGHT * energy[..., None]], axis=2
        )
        basis = patch_basis(level_image, valid, radius=radius, dims=_DESCRIPTOR_DIMS, rng=rng)
        searcher = Searcher(describe(level_image, basis, guide), valid, level_hole)
        count = int(level_hole.sum())
        if field is None:
            ty, tx = np.nonzero(level_hole)
            sy, sx = searcher.random_sources(len(ty), rng)
            field = Field(ty, tx, sy, sx, np.ones(len(ty), np.float32))
        else:
            field = _carry_up(field, level_hole, parent_index, levels[depth + 1][1].shape[1])
            outside = (field.sy >= shape[0]) | (field.sx >= shape[1])
            flat = np.minimum(field.sy, shape[0] - 1) * shape[1] + np.minimum(
                field.sx, shape[1] - 1
            )
            bad = np.flatnonzero(outside | ~searcher.valid[flat])
            field.sy[bad], field.sx[bad] = searcher.random_sources(len(bad), rng)
            colours = vote(level_image, field, searcher.index, radius=radius, weights=field.cost)
            estimate = _paste(level_image, field, colours)
        full = count <= _FULL_SEARCH_LIMIT
        for _ in range(iterations if full else 1):
            targets = describe(estimate, basis, guide)
            targets = targets.reshape(-1, targets.shape[2])[field.ty * shape[1] + field.tx]
            searcher.improve(
                field,
                targets,
                jumps=(8, 4, 2, 1) if full else (2, 1),
                search_radius=max(shape) // 2 if full else 4,
                rng=rng,
            )
            colours = vote(
                level_image,
                field,
                searcher.index,
                radius=radius,
                weights=match_weights(field.cost),
            )
            estimate = _paste(level_image, field, colours)
        parent_index = searcher.index
    assert field is not None  # `levels` is not empty, so the loop ran at least once
    # The last vote copies each pixel from its own match alone, keeping texture sharp;
    # the averaged estimate and the smooth fill provide the fill's lower frequencies.
    colours = vote(
        image, field, searcher.index, radius=final_vote_radius, weights=match_weights(field.cost)
    )
    sharp = _paste(image, field, colours)
    lows = _DIFFUSION_SHARE * enlarge(smooth_fill, hole.shape) + (1 - _DIFFUSION_SHARE) * enlarge(
        structure, hole.shape
    )
    return _finish(image, hole, sharp, estimate, lows, low_pass_blend, detail_sigma)


def _paste(level_image: np.ndarray, field: Field, colours: np.ndarray) -> np.ndarray:
    out = level_image.copy()
    out[field.ty, field.tx] = colours
    return out


def _finish(
    image: np.ndarray,
    hole: np.ndarray,
    sharp: np.ndarray,
    smooth: np.ndarray,
    structure: np.ndarray,
    blend: float,
    sigma: float,
) -> np.ndarray:
    out = image.copy()
    inside = hole[..., None]
    lows = blend * structure + (1 - blend) * smooth
    # Replace the sharp fill's low frequencies by those of ``lows``; the correction is a
    # blur normalised over the hole, so it keeps full strength up to the hole's edge.
    weight = hole.astype(np.float32)
    correction = np.where(inside, lows - sharp, 0.0).astype(np.float32)
    spread = _blur(weight, sigma)[..., None]
    filled = sharp + _blur(correction, sigma) / np.maximum(spread, 1e-6)
    out[hole] = np.clip(filled[hole], 0.0, 1.0)
    return out
