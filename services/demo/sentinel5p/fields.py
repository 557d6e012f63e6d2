"""Random fields tied to the Earth, not to the written window.

Every random number belongs to a fixed cell of a global lattice (drawn block by block from its
own stream), so any region shows exactly the pixels a larger region would show there, and a
tiny test region is a true cut-out of the default archive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import generator
from services.demo.sentinel5p.grid import Window

Array = NDArray[np.float64]

LATTICE_BLOCK = 64
PIXEL_BLOCK = 256
INDEX_OFFSET = 1 << 24  # stream indices must be >= 0; lattice indices west/south of 0 are not


def blocked_normal(seed: int, purpose: str, indices: Sequence[int], rows: range,
                   cols: range, block: int) -> Array:
    """Standard normal values on integer lattice nodes ``rows`` x ``cols``, block by block."""
    out = np.empty((len(rows), len(cols)))
    for block_row in range(rows.start // block, (rows.stop - 1) // block + 1):
        top, bottom = max(rows.start, block_row * block), min(rows.stop, (block_row + 1) * block)
        for block_col in range(cols.start // block, (cols.stop - 1) // block + 1):
            left = max(cols.start, block_col * block)
            right = min(cols.stop, (block_col + 1) * block)
            rng = generator(seed, purpose, *indices, block_row + INDEX_OFFSET,
                            block_col + INDEX_OFFSET)
            values = rng.standard_normal((block, block))
            out[top - rows.start:bottom - rows.start, left - cols.start:right - cols.start] = (
                values[top - block_row * block:bottom - block_row * block,
                       left - block_col * block:right - block_col * block])
    return out


def white_noise(seed: int, purpose: str, indices: Sequence[int], window: Window) -> Array:
    """Independent N(0, 1) per pixel of the global grid, cut to ``window``."""
    rows = range(window.row_start, window.row_stop)
    cols = range(window.col_start, window.col_stop)
    return blocked_normal(seed, purpose, indices, rows, cols, PIXEL_BLOCK)


def bspline_weights(t: Array) -> Array:
    """Cubic B-spline weights (4, n) of the nodes at -1, 0, +1, +2 for offsets t in [0, 1)."""
    return np.stack([(1 - t) ** 3, 3 * t**3 - 6 * t**2 + 4, -3 * t**3 + 3 * t**2 + 3 * t + 1,
                     t**3]) / 6


def lattice_octave(seed: int, purpose: str, indices: Sequence[int], lons: Array, lats: Array,
                   spacing: float) -> Array:
    """Unit-variance smooth noise: white noise on a ``spacing``-degree lattice, B-spline
    interpolated to the (lats x lons) pixel centres and renormalised pixel by pixel."""
    x, y = lons / spacing, lats / spacing
    ix, iy = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    wx, wy = bspline_weights(x - ix), bspline_weights(y - iy)
    cols = range(int(ix.min()) - 1, int(ix.max()) + 3)
    rows = range(int(iy.min()) - 1, int(iy.max()) + 3)
    nodes = blocked_normal(seed, purpose, indices, rows, cols, LATTICE_BLOCK)
    along = sum(wx[k] * nodes[:, ix - cols.start - 1 + k] for k in range(4))
    field = sum(wy[k][:, np.newaxis] * along[iy - rows.start - 1 + k, :] for k in range(4))
    norm = np.sqrt((wy**2).sum(axis=0))[:, np.newaxis] * np.sqrt((wx**2).sum(axis=0))
    return field / norm


def lattice_noise(seed: int, purpose: str, indices: Sequence[int], lons: Array, lats: Array,
                  spacings: Sequence[float], weights: Sequence[float]) -> Array:
    """A zero-mean, unit-variance multi-scale field at the pixel centres (lats x lons).

    ``spacings`` are lattice spacings in degrees (the feature sizes); shift ``lons``/``lats``
    to move the field. The same coordinates always give the same values."""
    total = np.zeros((len(lats), len(lons)))
    for octave, (spacing, weight) in enumerate(zip(spacings, weights, strict=True)):
        offset = 0.37 * octave  # keeps the lattices of the octaves from sharing nodes
        shift = offset * spacing
        total += weight * lattice_octave(seed, purpose, (*indices, octave), lons + shift,
                                         lats + shift, spacing)
    return total / np.sqrt(np.sum(np.square(weights)))
