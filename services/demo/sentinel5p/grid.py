"""Terrascope's Sentinel-5P L3 grid (EPSG:4326, 0.05°) and the window of it the demo writes.

Real Terrascope L3 files are global: 7200 x 3560 pixels of 0.05°, from (-180, 89) to (180, -89).
The demo writes a window of that grid (a region snapped outward to pixel edges). Every edge is
an integer number of pixels from the grid's corner and is computed exactly (``Fraction``), never
by accumulating floats, so windows of different regions line up pixel for pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from affine import Affine
from numpy.typing import NDArray

CRS = "EPSG:4326"
PIXELS_PER_DEGREE = 20
PIXEL_SIZE = Fraction(1, PIXELS_PER_DEGREE)
WEST, SOUTH, EAST, NORTH = -180, -89, 180, 89
WIDTH = (EAST - WEST) * PIXELS_PER_DEGREE  # 7200
HEIGHT = (NORTH - SOUTH) * PIXELS_PER_DEGREE  # 3560
KM_PER_DEGREE = 111.32  # along a meridian and along the equator (spherical Earth)

Region = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""


def exact(value: float) -> Fraction:
    """The decimal a number was written as (3.5 -> 7/2, 0.1 -> 1/10), not its binary float."""
    return Fraction(repr(float(value)))


@dataclass(frozen=True)
class Window:
    """Rows ``row_start:row_stop`` and columns ``col_start:col_stop`` of the global grid."""

    row_start: int
    row_stop: int
    col_start: int
    col_stop: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.row_stop - self.row_start, self.col_stop - self.col_start

    def edges(self) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """Exact (west, south, east, north) of the window's outer pixel edges."""
        return (
            WEST + self.col_start * PIXEL_SIZE,
            NORTH - self.row_stop * PIXEL_SIZE,
            WEST + self.col_stop * PIXEL_SIZE,
            NORTH - self.row_start * PIXEL_SIZE,
        )

    def bounds(self) -> Region:
        west, south, east, north = self.edges()
        return float(west), float(south), float(east), float(north)

    @property
    def transform(self) -> Affine:
        west, _, _, north = self.edges()
        size = float(PIXEL_SIZE)
        return Affine(size, 0.0, float(west), 0.0, -size, float(north))

    def lons(self) -> NDArray[np.float64]:
        """Longitudes of the pixel centres, west to east (one correctly rounded division)."""
        cols = np.arange(self.col_start, self.col_stop, dtype=np.float64)
        return (2 * cols + 1 + 2 * WEST * PIXELS_PER_DEGREE) / (2 * PIXELS_PER_DEGREE)

    def lats(self) -> NDArray[np.float64]:
        """Latitudes of the pixel centres, north to south."""
        rows = np.arange(self.row_start, self.row_stop, dtype=np.float64)
        return (2 * NORTH * PIXELS_PER_DEGREE - 2 * rows - 1) / (2 * PIXELS_PER_DEGREE)


def window_for(region: Region) -> Window:
    """The smallest window of the global grid that contains ``region``."""
    west, south, east, north = (exact(value) for value in region)
    return Window(
        row_start=max(0, math.floor((NORTH - north) * PIXELS_PER_DEGREE)),
        row_stop=min(HEIGHT, math.ceil((NORTH - south) * PIXELS_PER_DEGREE)),
        col_start=max(0, math.floor((west - WEST) * PIXELS_PER_DEGREE)),
        col_stop=min(WIDTH, math.ceil((east - WEST) * PIXELS_PER_DEGREE)),
    )
