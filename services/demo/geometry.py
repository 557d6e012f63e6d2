"""Where the demo area lies: Sentinel-2 MGRS tiles, the area grid and per-tile windows."""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import Transformer
from rasterio.transform import Affine, from_origin

from services.demo.spec import DemoSpec

CRS = "EPSG:32631"
ALIGNMENT_M = 20
"""Every edge lies on a 20 m multiple so the 10 m bands and the 20 m SCL share their edges."""


@dataclass(frozen=True)
class Bounds:
    """An axis-aligned rectangle in EPSG:32631 metres."""

    left: float
    bottom: float
    right: float
    top: float

    def intersection(self, other: Bounds) -> Bounds | None:
        left, right = max(self.left, other.left), min(self.right, other.right)
        bottom, top = max(self.bottom, other.bottom), min(self.top, other.top)
        if left >= right or bottom >= top:
            return None
        return Bounds(left, bottom, right, top)

    def contains(self, other: Bounds) -> bool:
        return (
            self.left <= other.left
            and self.right >= other.right
            and self.bottom <= other.bottom
            and self.top >= other.top
        )


TILES: dict[str, Bounds] = {
    "31UES": Bounds(499980.0, 5590200.0, 609780.0, 5700000.0),
    "31UFS": Bounds(599980.0, 5590200.0, 709780.0, 5700000.0),
}
HOME_TILE = "31UES"
DEFAULT_UPPER_LEFT = (545000.0, 5660000.0)  # near Ghent
OVERLAP_EDGE_X = TILES["31UFS"].left


@dataclass(frozen=True)
class Grid:
    """A north-up pixel grid: upper-left corner, square pixel size and shape."""

    left: float
    top: float
    resolution: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        return from_origin(self.left, self.top, self.resolution, self.resolution)

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def bounds(self) -> Bounds:
        right = self.left + self.width * self.resolution
        bottom = self.top - self.height * self.resolution
        return Bounds(self.left, bottom, right, self.top)

    def coarsened(self, factor: int) -> Grid:
        """The grid with pixels ``factor`` times larger (shape must divide evenly)."""
        if self.width % factor or self.height % factor:
            raise ValueError(f"grid {self.shape} does not divide by {factor}")
        coarse = self.resolution * factor
        return Grid(self.left, self.top, coarse, self.width // factor, self.height // factor)

    def window(self, bounds: Bounds) -> tuple[slice, slice]:
        """Row and column slices of the pixels covering ``bounds`` (must be pixel-aligned)."""
        col_start = (bounds.left - self.left) / self.resolution
        col_stop = (bounds.right - self.left) / self.resolution
        row_start = (self.top - bounds.top) / self.resolution
        row_stop = (self.top - bounds.bottom) / self.resolution
        edges = (row_start, row_stop, col_start, col_stop)
        if any(edge != round(edge) for edge in edges):
            raise ValueError(f"{bounds} is not aligned to the grid")
        return slice(round(row_start), round(row_stop)), slice(round(col_start), round(col_stop))

    def subgrid(self, bounds: Bounds) -> Grid:
        rows, cols = self.window(bounds)
        width, height = cols.stop - cols.start, rows.stop - rows.start
        return Grid(bounds.left, bounds.top, self.resolution, width, height)


def area_side_m(spec: DemoSpec) -> int:
    return max(ALIGNMENT_M, round(spec.size_km * 1000 / ALIGNMENT_M) * ALIGNMENT_M)


def area_bounds(spec: DemoSpec) -> Bounds:
    """The square demo area: near Ghent, or centred on the west edge of 31UFS with overlap."""
    side = area_side_m(spec)
    left, top = DEFAULT_UPPER_LEFT
    if spec.overlap:
        left = OVERLAP_EDGE_X - round(side / 2 / ALIGNMENT_M) * ALIGNMENT_M
    area = Bounds(left, top - side, left + side, top)
    if not spec.overlap and not TILES[HOME_TILE].contains(area):
        raise ValueError(f"a {spec.size_km} km area does not fit in tile {HOME_TILE}")
    if spec.overlap and any(tile.intersection(area) is None for tile in TILES.values()):
        raise ValueError("the demo area does not reach both tiles")
    return area


def area_grid(spec: DemoSpec) -> Grid:
    """The pixel grid of the whole demo area at the spec's resolution."""
    area = area_bounds(spec)
    side_px = round((area.right - area.left) / spec.resolution)
    return Grid(area.left, area.top, float(spec.resolution), side_px, side_px)


def tiles_for(spec: DemoSpec) -> dict[str, Bounds]:
    """Each tile that gets products, with the part of the demo area it covers."""
    area = area_bounds(spec)
    names = tuple(TILES) if spec.overlap else (HOME_TILE,)
    parts = {name: TILES[name].intersection(area) for name in names}
    return {name: part for name, part in parts.items() if part is not None}


def centre_lon_lat(bounds: Bounds) -> tuple[float, float]:
    """Geographic longitude and latitude (degrees) of the centre of ``bounds``."""
    to_wgs84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(
        (bounds.left + bounds.right) / 2, (bounds.bottom + bounds.top) / 2
    )
    return float(lon), float(lat)
