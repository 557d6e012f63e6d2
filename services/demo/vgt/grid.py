"""Exact plate-carrée grids (EPSG:4326) of the VGT family and their 10° × 10° tiles.

Pixel centres lie on multiples of the resolution (1/336° for PROBA-V 333 m, 1/112° for
SPOT-VGT and SYN-VGT 1 km), so pixel edges lie half a pixel off: at k/336 − 1/672. Every
coordinate is computed with :class:`fractions.Fraction` and converted to float only for the
affine transform and the per-pixel longitudes and latitudes. A 1/336° grid subdivides the
1/112° grid exactly: every third 333 m pixel centre is a 1 km pixel centre.

Tiles ``XnnYnn`` count X from 180° W and Y from 75° N: X18Y02 spans 0°..10° E and 55°..45° N
and holds, at 1/336°, 3360 × 3360 pixels whose upper-left corner is (−1/672, 55 + 1/672).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from affine import Affine
from numpy.typing import NDArray

CRS = "EPSG:4326"
PROBAV_RESOLUTION = Fraction(1, 336)  # "333 m"
VGT_RESOLUTION = Fraction(1, 112)  # "1 km"
TILE_DEG = 10
TILE_ORIGIN = (-180, 75)  # lon of X00's west side, lat of Y00's north side
KM_PER_DEG = 111.32

Region = tuple[float, float, float, float]
"""west, south, east, north in degrees."""


@dataclass(frozen=True)
class GeoGrid:
    """North-up pixels of ``resolution`` degrees; the first column's centre lies at longitude
    ``col0 × resolution`` and the top row's centre at latitude ``row0 × resolution``."""

    resolution: Fraction
    col0: int
    row0: int
    width: int
    height: int

    @property
    def west(self) -> Fraction:
        return (self.col0 - Fraction(1, 2)) * self.resolution

    @property
    def north(self) -> Fraction:
        return (self.row0 + Fraction(1, 2)) * self.resolution

    @property
    def east(self) -> Fraction:
        return self.west + self.width * self.resolution

    @property
    def south(self) -> Fraction:
        return self.north - self.height * self.resolution

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def transform(self) -> Affine:
        size = float(self.resolution)
        return Affine(size, 0.0, float(self.west), 0.0, -size, float(self.north))

    def bounds(self) -> Region:
        return float(self.west), float(self.south), float(self.east), float(self.north)

    def lons(self) -> NDArray[np.float64]:
        """Longitudes of the column centres (correctly rounded)."""
        return _centres(self.col0 + np.arange(self.width), self.resolution)

    def lats(self) -> NDArray[np.float64]:
        """Latitudes of the row centres, north to south (correctly rounded)."""
        return _centres(self.row0 - np.arange(self.height), self.resolution)

    def centre(self) -> tuple[float, float]:
        return float((self.west + self.east) / 2), float((self.north + self.south) / 2)

    def intersection(self, other: GeoGrid) -> GeoGrid | None:
        if other.resolution != self.resolution:
            raise ValueError("grids of different resolutions")
        col0, row0 = max(self.col0, other.col0), min(self.row0, other.row0)
        col_end = min(self.col0 + self.width, other.col0 + other.width)
        row_end = max(self.row0 - self.height, other.row0 - other.height)
        if col_end <= col0 or row_end >= row0:
            return None
        return GeoGrid(self.resolution, col0, row0, col_end - col0, row0 - row_end)

    def window(self, inner: GeoGrid) -> tuple[slice, slice]:
        """(rows, cols) of ``inner``, which must lie inside this grid, in this grid's arrays."""
        top, left = self.row0 - inner.row0, inner.col0 - self.col0
        if top < 0 or left < 0 or top + inner.height > self.height or (
            left + inner.width > self.width
        ):
            raise ValueError("grid not inside this one")
        return slice(top, top + inner.height), slice(left, left + inner.width)

    def pixel_km(self) -> tuple[float, float]:
        """Pixel size (east-west, north-south) in km at the grid's central latitude."""
        north_south = float(self.resolution) * KM_PER_DEG
        return north_south * math.cos(math.radians(self.centre()[1])), north_south


def _centres(indices: NDArray[np.int64], resolution: Fraction) -> NDArray[np.float64]:
    # an integer quotient in float64 is correctly rounded, i.e. float(Fraction(...))
    return indices * resolution.numerator / resolution.denominator


def region_grid(region: Region, resolution: Fraction) -> GeoGrid:
    """The pixels that touch ``region``: its edges snapped outward to the grid's edges."""
    west, south, east, north = (Fraction(value) for value in region)
    half = Fraction(1, 2)
    col0 = math.floor(west / resolution + half)
    col_last = math.ceil(east / resolution - half)
    row0 = math.ceil(north / resolution - half)
    row_last = math.floor(south / resolution + half)
    return GeoGrid(resolution, col0, row0, col_last - col0 + 1, row0 - row_last + 1)


def padded(grid: GeoGrid, pixels: int) -> GeoGrid:
    return GeoGrid(grid.resolution, grid.col0 - pixels, grid.row0 + pixels,
                   grid.width + 2 * pixels, grid.height + 2 * pixels)


@dataclass(frozen=True)
class Tile:
    x: int
    y: int

    @property
    def name(self) -> str:
        return f"X{self.x:02d}Y{self.y:02d}"

    @property
    def lon0(self) -> int:
        return TILE_ORIGIN[0] + TILE_DEG * self.x

    @property
    def lat0(self) -> int:
        return TILE_ORIGIN[1] - TILE_DEG * self.y

    def grid(self, resolution: Fraction) -> GeoGrid:
        """The whole tile: pixel centres from (lon0, lat0) to 10° minus one pixel away."""
        size = TILE_DEG / resolution
        if size.denominator != 1:
            raise ValueError("the resolution does not divide a tile")
        col0, row0 = self.lon0 / resolution, self.lat0 / resolution
        return GeoGrid(resolution, int(col0), int(row0), int(size), int(size))


def tile_of(lon: Fraction, lat: Fraction) -> Tile:
    """The tile holding the pixel centred at (lon, lat)."""
    x = math.floor((lon - TILE_ORIGIN[0]) / TILE_DEG)
    y = math.floor((TILE_ORIGIN[1] - lat) / TILE_DEG)
    return Tile(x, y)


def tiles_for(grid: GeoGrid) -> list[tuple[Tile, GeoGrid]]:
    """Every tile that ``grid`` touches with the part of it inside ``grid`` (north to south,
    then west to east). The demo clips tiles to its region; real tiles are whole."""
    res = grid.resolution
    first = tile_of(grid.col0 * res, grid.row0 * res)
    last = tile_of((grid.col0 + grid.width - 1) * res, (grid.row0 - grid.height + 1) * res)
    parts = []
    for y in range(first.y, last.y + 1):
        for x in range(first.x, last.x + 1):
            tile = Tile(x, y)
            part = tile.grid(res).intersection(grid)
            if part is not None:
                parts.append((tile, part))
    return parts
