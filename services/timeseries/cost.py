"""What a time series request costs, estimated before any file is read: the pixels it may
read. Each product of each date is read over at most the part of the rectangles of the
geometries' pixels (one per polygon, or per cluster of a MultiPolygon's parts) that it covers,
once for the layer's band and once more for its scene mask; the reader stops early where a
date's first products already hold every pixel, so it reads no more
(tests/unit/test_process_and_series_estimates.py checks it against the pixels really read)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

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
    sources = [source for day in by_date.values() for source in day]
    covered = _grid_boxes(grid, {s.bounds for s in sources if s.bounds}) if grid else {}
    total = 0
    for source in sources:
        box = covered.get(source.bounds) if source.bounds else None
        pixels = whole if box is None else sum(_area(_overlap(r, box)) for r in rectangles)
        total += pixels * (1 + (masked and source.mask_path is not None))
    return total


def _area(box: Box) -> int:
    return max(box[2] - box[0], 0) * max(box[3] - box[1], 0)


def _overlap(a: Box, b: Box) -> Box:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


_EDGE = np.linspace(0.0, 1.0, 9)   # points an edge: a parallel bends < 4 m between them


def _grid_boxes(grid: QueryGrid, bounds: set[tuple[float, float, float, float]]
                ) -> dict[tuple[float, float, float, float], Box]:
    """The grid rectangle round each lon/lat bounding box (its edges densified, all boxes
    projected in one call), a pixel wider all round (a footprint is the raster's edges,
    reprojected; a box whose projection fails is left out: its product counts whole)."""
    if not bounds:
        return {}
    keys = list(bounds)
    west, south, east, north = (np.array(v)[:, np.newaxis] for v in zip(*keys, strict=True))
    ones = np.ones_like(_EDGE)
    xs = np.hstack([west + (east - west) * _EDGE, east * ones, east + (west - east) * _EDGE,
                    west * ones])
    ys = np.hstack([south * ones, south + (north - south) * _EDGE, north * ones,
                    north + (south - north) * _EDGE])
    gx, gy = transformer("EPSG:4326", grid.crs).transform(xs.ravel(), ys.ravel())
    gx, gy = np.reshape(gx, xs.shape), np.reshape(gy, ys.shape)
    r, (x0, y0) = grid.resolution, grid.origin
    boxes = np.column_stack([np.floor((y0 - gy.max(axis=1)) / r) - 1,
                             np.floor((gx.min(axis=1) - x0) / r) - 1,
                             np.ceil((y0 - gy.min(axis=1)) / r) + 1,
                             np.ceil((gx.max(axis=1) - x0) / r) + 1])
    finite = np.isfinite(boxes).all(axis=1)
    return {key: tuple(int(v) for v in box) for key, box, ok in
            zip(keys, boxes.tolist(), finite.tolist(), strict=True) if ok}
