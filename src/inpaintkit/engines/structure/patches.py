"""Nearest-patch search and patch voting, vectorised over every hole pixel at once.

Patches are compared through short descriptors: each pixel's ``p×p`` colour patch
projected on the leading principal components of the known patches (a bank of linear
filters, so a whole level costs a few ``cv2.filter2D`` calls), plus weighted guide
channels (a low-pass structure estimate, the local amplitude of fine texture). The
squared distance between descriptors approximates the patch SSD, so one candidate for
all N hole pixels is one gather of N short rows.

The search is PatchMatch (Barnes et al. 2009) made data-parallel: propagation reads the
matches of neighbours at distances 8, 4, 2, 1 in four directions (jump flooding) instead
of a sequential scan, then random search tries offsets in shrinking windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_BASIS_SAMPLES = 1500


@dataclass
class Field:
    """Nearest-neighbour field: for hole pixel i at (ty[i], tx[i]) its source (sy[i], sx[i])."""

    ty: np.ndarray
    tx: np.ndarray
    sy: np.ndarray
    sx: np.ndarray
    cost: np.ndarray


def reflect(index: np.ndarray, size: int) -> np.ndarray:
    """Indices mirrored into ``[0, size)`` like OpenCV's ``BORDER_REFLECT_101``.

    >>> reflect(np.array([-2, -1, 0, 4, 5, 6]), 5)
    array([2, 1, 0, 4, 3, 2])
    """
    index = np.abs(index)
    return np.where(index >= size, 2 * (size - 1) - index, index)


def source_map(hole: np.ndarray, radius: int) -> np.ndarray:
    """Pixels whose whole ``(2·radius+1)²`` patch is known; patches crossing the crop's
    edge are mirrored, which keeps enough sources at coarse levels of a tight crop."""
    known = (~hole).astype(np.uint8)
    size = 2 * radius + 1
    valid = cv2.erode(known, np.ones((size, size), np.uint8), borderValue=1).astype(bool)
    return valid


def patch_basis(
    image: np.ndarray, valid: np.ndarray, *, radius: int, dims: int, rng: np.random.Generator
) -> np.ndarray:
    """``dims`` principal patch components as correlation kernels, shape (dims, C, p, p)."""
    ys, xs = np.nonzero(valid)
    pick = rng.choice(len(ys), size=min(len(ys), _BASIS_SAMPLES), replace=False)
    ys, xs = ys[np.sort(pick)], xs[np.sort(pick)]
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    rows = reflect(ys[:, None, None] + dy, image.shape[0])
    cols = reflect(xs[:, None, None] + dx, image.shape[1])
    patches = image[rows, cols]  # n, p, p, C
    matrix = patches.reshape(len(ys), -1).astype(np.float64)
    matrix -= matrix.mean(axis=0)
    # Eigenvectors of the small covariance matrix, by OpenCV: the same components as an
    # SVD of the samples, and immune to OpenBLAS thread oversubscription on busy machines
    # (numpy's eigh took 0.3 s for this 147×147 matrix on two shared cores).
    # Single precision halves the time and is plenty for a basis used in float32 filters.
    _, _, vectors = cv2.eigen((matrix.T @ matrix).astype(np.float32))
    size = 2 * radius + 1
    leading = vectors[: min(dims, len(ys))]
    components = leading.reshape(-1, size, size, image.shape[2])
    if len(components) < dims:  # fewer samples than dimensions: pad with zero filters
        pad = np.zeros((dims - len(components), size, size, image.shape[2]))
        components = np.concatenate([components, pad])
    return np.ascontiguousarray(components.transpose(0, 3, 1, 2), dtype=np.float32)


def describe(image: np.ndarray, basis: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Descriptor per pixel: patch projections then the (already weighted) guide, H×W×D."""
    planes = [np.ascontiguousarray(image[..., c]) for c in range(image.shape[2])]
    out = np.empty((*image.shape[:2], len(basis) + guide.shape[2]), np.float32)
    for k, kernels in enumerate(basis):
        out[..., k] = sum(
            cv2.filter2D(plane, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT_101)
            for plane, kernel in zip(planes, kernels, strict=True)
        )
    out[..., len(basis) :] = guide
    return out


class Searcher:
    """Improves a :class:`Field` against fixed source descriptors."""

    def __init__(self, sources: np.ndarray, valid: np.ndarray, hole: np.ndarray) -> None:
        self.height, self.width = valid.shape
        self.sources = sources.reshape(self.height * self.width, -1)
        self.valid = valid.reshape(-1)
        self.index = np.full(self.height * self.width, -1, np.int64)
        ty, tx = np.nonzero(hole)
        self.index[ty * self.width + tx] = np.arange(len(ty))
        self.valid_flat = np.flatnonzero(self.valid)

    def random_sources(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        flat = self.valid_flat[rng.integers(0, len(self.valid_flat), count)]
        return flat // self.width, flat % self.width

    def cost(self, targets: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
        diff = self.sources[sy * self.width + sx] - targets
        return np.einsum("ij,ij->i", diff, diff)

    def _try(self, field: Field, targets: np.ndarray, cy: np.ndarray, cx: np.ndarray) -> None:
        inside = (cy >= 0) & (cy < self.height) & (cx >= 0) & (cx < self.width)
        flat = np.where(inside, cy * self.width + cx, 0)
        ok = inside & self.valid[flat]
        rows = np.flatnonzero(ok)
        if not len(rows):
            return
        diff = self.sources[flat[rows]] - targets[rows]
        cost = np.einsum("ij,ij->i", diff, diff)
        better = cost < field.cost[rows]
        rows = rows[better]
        field.sy[rows], field.sx[rows] = cy[rows], cx[rows]
        field.cost[rows] = cost[better]

    def improve(
        self,
        field: Field,
        targets: np.ndarray,
        *,
        jumps: tuple[int, ...],
        search_radius: int,
        rng: np.random.Generator,
    ) -> None:
        field.cost = self.cost(targets, field.sy, field.sx)
        for jump in jumps:
            for ey, ex in ((jump, 0), (-jump, 0), (0, jump), (0, -jump)):
                ny, nx = field.ty + ey, field.tx + ex
                inside = (ny >= 0) & (ny < self.height) & (nx >= 0) & (nx < self.width)
                neighbour = np.where(
                    inside, self.index[np.where(inside, ny * self.width + nx, 0)], -1
                )
                has = neighbour >= 0
                safe = np.where(has, neighbour, 0)
                cy = np.where(has, field.sy[safe] - ey, -1)
                cx = np.where(has, field.sx[safe] - ex, -1)
                self._try(field, targets, cy, cx)
        radius = search_radius
        while radius >= 1:
            offsets = rng.integers(-radius, radius + 1, size=(2, len(field.sy)))
            self._try(field, targets, field.sy + offsets[0], field.sx + offsets[1])
            radius //= 2


def vote(
    image: np.ndarray, field: Field, index: np.ndarray, *, radius: int, weights: np.ndarray
) -> np.ndarray:
    """Colour of each hole pixel: weighted mean of what overlapping matched patches say."""
    height, width = image.shape[:2]
    flat_image = image.reshape(height * width, -1)
    total = np.zeros((len(field.ty), image.shape[2]), np.float32)
    weight_sum = np.zeros(len(field.ty), np.float32)
    # A sparse 3×3 set of the overlapping patches votes: nine opinions are as good as the
    # whole patch's p² against noise, cost a fraction, and average less texture away.
    steps = (
        sorted({-(radius - 1), 0, radius - 1}) if radius > 2 else list(range(-radius, radius + 1))
    )
    for dy in steps:
        for dx in steps:
            qy, qx = field.ty - dy, field.tx - dx
            inside = (qy >= 0) & (qy < height) & (qx >= 0) & (qx < width)
            q = np.where(inside, index[np.where(inside, qy * width + qx, 0)], -1)
            rows = np.flatnonzero(q >= 0)
            j = q[rows]
            w = weights[j]
            rows_at = reflect(field.sy[j] + dy, height)
            colour = flat_image[rows_at * width + reflect(field.sx[j] + dx, width)]
            total[rows] += colour * w[:, None]
            weight_sum[rows] += w
    return total / np.maximum(weight_sum, 1e-30)[:, None]


def match_weights(cost: np.ndarray) -> np.ndarray:
    """Wexler et al. 2007: trust good matches more, ``exp(-cost / 2σ²)``, σ² from the 75th pct."""
    if not len(cost):
        return cost.astype(np.float32)
    scale = float(np.percentile(cost, 75)) + 1e-6
    # Capped so that a pixel whose every vote is poor still gets a colour, never 0/0.
    return np.exp(-np.minimum(cost / (2.0 * scale), 20.0)).astype(np.float32)
