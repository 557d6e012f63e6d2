"""Which pixels a geometry covers: the pixel rule of the time series service.

Pixels are counted on the layer's grid (``grid`` of the collection in ``layers/*.yaml``, e.g.
EPSG:32631 at 10 m, or EPSG:4326 at 1/336°), whose pixel edges lie at the grid's origin plus
multiples of the resolution, so every product of the collection in that CRS shares it. The
lon/lat geometry's vertices are projected to the grid CRS, then:

* a polygon covers the pixels whose **centre** lies inside it (GDAL's rasterisation with
  ``all_touched=False``; a centre exactly on the boundary may fall either way);
* a point covers the one pixel containing it (a point on an edge belongs to the pixel to its
  east and south, as :meth:`rasterio.DatasetReader.index` rounds).

A geometry's pixels are held as :class:`Patch` es: one rectangle per polygon, or per cluster
of a MultiPolygon's parts whose rectangles meet, so two far-apart fields do not read the
blocks between them and no pixel is in two patches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from affine import Affine
from pyproj import Geod, Transformer
from rasterio.features import geometry_mask
from shapely import transform
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from services.timeseries.geojson import polygons

Box = tuple[int, int, int, int]  # row0, col0, row1, col1 (ends excluded)
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Patch:
    """A rectangle of the grid and which of its pixels the geometry covers.

    Grid row ``i`` spans y from ``y0 - i * r`` down to ``y0 - (i + 1) * r``; column ``j`` spans
    x from ``x0 + j * r`` to ``x0 + (j + 1) * r`` (r: the resolution, (x0, y0): the origin)."""

    row: int
    col: int
    mask: np.ndarray  # bool (rows, cols): True where the pixel belongs to the geometry

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape


@dataclass(frozen=True)
class Pixels:
    """Every pixel of one geometry."""

    patches: tuple[Patch, ...]

    @property
    def total(self) -> int:
        return int(sum(int(p.mask.sum()) for p in self.patches))


@dataclass(frozen=True)
class QueryGrid:
    crs: str
    resolution: float
    origin: tuple[float, float] = (0.0, 0.0)
    geographic: bool = False

    def transform(self, patch: Patch) -> Affine:
        r, (x0, y0) = self.resolution, self.origin
        return Affine(r, 0.0, x0 + patch.col * r, 0.0, -r, y0 - patch.row * r)

    def centres(self, patch: Patch) -> tuple[np.ndarray, np.ndarray]:
        """x of each column (1, cols) and y of each row (rows, 1) of the patch's centres."""
        rows, cols = patch.shape
        r, (x0, y0) = self.resolution, self.origin
        xs = x0 + (patch.col + np.arange(cols) + 0.5) * r
        ys = y0 - (patch.row + np.arange(rows) + 0.5) * r
        return xs[np.newaxis, :], ys[:, np.newaxis]

    def area_km2(self, box: Box) -> float:
        """The ground area of a pixel rectangle (geodesic on a degree grid)."""
        row0, col0, row1, col1 = box
        r, (x0, y0) = self.resolution, self.origin
        if not self.geographic:
            return (row1 - row0) * (col1 - col0) * r * r / 1e6
        west, east = x0 + col0 * r, x0 + col1 * r
        north, south = y0 - row0 * r, y0 - row1 * r
        area, _ = _GEOD.polygon_area_perimeter([west, east, east, west],
                                               [south, south, north, north])
        return abs(area) / 1e6

    def project(self, lonlat: BaseGeometry) -> BaseGeometry:
        """The geometry with its vertices in the grid CRS."""
        to_grid = transformer("EPSG:4326", self.crs)
        return transform(lonlat, lambda xy: np.column_stack(to_grid.transform(xy[:, 0],
                                                                              xy[:, 1])))

    def boxes(self, shape: BaseGeometry) -> list[Box]:
        """The pixel rectangle of each polygon (or of the point) of ``shape`` (grid CRS)."""
        r, (x0, y0) = self.resolution, self.origin
        if isinstance(shape, Point):
            row, col = math.floor((y0 - shape.y) / r), math.floor((shape.x - x0) / r)
            return [(row, col, row + 1, col + 1)]
        result = []
        for polygon in polygons(shape):
            minx, miny, maxx, maxy = polygon.bounds
            row0, col0 = math.floor((y0 - maxy) / r), math.floor((minx - x0) / r)
            result.append((row0, col0, max(math.ceil((y0 - miny) / r), row0 + 1),
                           max(math.ceil((maxx - x0) / r), col0 + 1)))
        return result

    def pixels(self, shape: BaseGeometry) -> Pixels:
        """The pixels ``shape`` (grid CRS) covers, by the rule above."""
        if isinstance(shape, Point):
            row, col, _, _ = self.boxes(shape)[0]
            return Pixels((Patch(row, col, np.ones((1, 1), dtype=bool)),))
        parts = list(polygons(shape))
        patches = []
        for box, members in clusters(list(zip(self.boxes(shape), parts, strict=True))):
            row0, col0, row1, col1 = box
            patch = Patch(row0, col0, np.zeros((row1 - row0, col1 - col0), dtype=bool))
            patch.mask[:] = geometry_mask(members, patch.shape, self.transform(patch),
                                          all_touched=False, invert=True)
            patches.append(patch)
        return Pixels(tuple(patches))


def clusters(items: list[tuple[Box, BaseGeometry]]) -> list[tuple[Box, list[BaseGeometry]]]:
    """Group the polygons whose rectangles overlap; each group gets their union rectangle."""
    groups: list[tuple[Box, list[BaseGeometry]]] = []
    for box, part in items:
        members = [part]
        merged = True
        while merged:
            merged = False
            for i, (other, other_members) in enumerate(groups):
                if _meet(box, other):
                    box = (min(box[0], other[0]), min(box[1], other[1]),
                           max(box[2], other[2]), max(box[3], other[3]))
                    members += other_members
                    del groups[i]
                    merged = True
                    break
        groups.append((box, members))
    return groups


def box_pixels(boxes: list[Box]) -> int:
    return sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)


def _meet(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@cache
def transformer(source: str, target: str) -> Transformer:
    """A cached always-xy transformer (pyproj transformers are thread-safe since 3.1)."""
    return Transformer.from_crs(source, target, always_xy=True)
