"""What a time series request costs, estimated before any file is read: the pixels it may
read. Each product of each date is read over at most the part of the rectangles of the
geometries' pixels (one per polygon, or per cluster of a MultiPolygon's parts) that it covers,
once for the layer's band and once more for its scene mask; the reader stops early where a
date's first products already hold every pixel, so it reads no more
(tests/unit/test_process_and_series_estimates.py checks it against the pixels really read)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

from services.index.series import Source
from services.timeseries.grid import Box, Pixels, QueryGrid, transformer


def pixels_read(geometries: Sequence[Pixels], by_date: Mapping[str, Sequence[Source]],
                masked: bool, grid: QueryGrid | None = None) -> int:
    """The most pixels reading ``by_date``'s products onto ``geometries`` reads; ``masked``:
    the layer has a scene mask (read where a product's mask file is known). With the
    ``grid``, each product counts only the part of each rectangle its footprint's bounding
    box (and a pixel round it) covers, as the reader reads no pixel outside the product."""
    rectangles = [(p.row, p.col, p.row + p.shape[0], p.col + p.shape[1])
                  for pixels in geometries for p in pixels.patches]
    whole = sum(_area(r) for r in rectangles)
    total = 0
    for sources in by_date.values():
        for source in sources:
            if grid is None or source.bounds is None:
                pixels = whole
            else:
                covered = _grid_box(grid, source.bounds)
                pixels = sum(_area(_overlap(r, covered)) for r in rectangles)
            total += pixels * (1 + (masked and source.mask_path is not None))
    return total


def _area(box: Box) -> int:
    return max(box[2] - box[0], 0) * max(box[3] - box[1], 0)


def _overlap(a: Box, b: Box) -> Box:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


@lru_cache(maxsize=4096)
def _grid_box(grid: QueryGrid, bounds: tuple[float, float, float, float]) -> Box:
    """The grid rectangle round a lon/lat bounding box (its edges densified), a pixel wider
    all round (the footprint was made from the raster's edges, reprojected)."""
    west, south, east, north = transformer("EPSG:4326", grid.crs).transform_bounds(
        *bounds, densify_pts=21)
    r, (x0, y0) = grid.resolution, grid.origin
    return (math.floor((y0 - north) / r) - 1, math.floor((west - x0) / r) - 1,
            math.ceil((y0 - south) / r) + 1, math.ceil((east - x0) / r) + 1)
