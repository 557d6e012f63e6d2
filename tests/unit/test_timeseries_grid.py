"""The pixel rule: a polygon covers the grid pixels whose centre is inside it, a point the pixel
containing it; a MultiPolygon's distant parts are read as separate patches, none twice."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from services.timeseries.grid import QueryGrid

GRID = QueryGrid("EPSG:32631", 10.0)


def covered(shape) -> set[tuple[float, float]]:
    """Centres (x, y) of the pixels the service counts for ``shape``."""
    result = set()
    for patch in GRID.pixels(shape).patches:
        xs, ys = GRID.centres(patch)
        xs, ys = np.broadcast_arrays(xs, ys)
        result |= set(zip(xs[patch.mask].tolist(), ys[patch.mask].tolist(), strict=True))
    return result


def centres_inside(shape, bounds) -> set[tuple[float, float]]:
    """Independent truth: every 10 m pixel centre in ``bounds`` that shapely finds inside."""
    minx, miny, maxx, maxy = bounds
    xs = np.arange(np.floor(minx / 10) * 10 + 5, maxx, 10)
    ys = np.arange(np.floor(miny / 10) * 10 + 5, maxy, 10)
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(shape, gx, gy)
    return set(zip(gx[inside].tolist(), gy[inside].tolist(), strict=True))


def test_an_aligned_square_covers_exactly_its_pixels():
    square = box(599900, 5659800, 600000, 5659900)  # 10 x 10 pixels
    pixels = GRID.pixels(square)
    assert pixels.total == 100
    assert covered(square) == centres_inside(square, square.bounds)


def test_a_pixel_counts_when_its_centre_is_inside():
    # 3.3 m past the centres on the west and south, 3.3 m short of them on the east and north
    shape = box(599901.7, 5659801.7, 599941.7, 5659841.7)
    assert covered(shape) == {(x, y) for x in (599905.0, 599915.0, 599925.0, 599935.0)
                              for y in (5659805.0, 5659815.0, 5659825.0, 5659835.0)}


def test_an_irregular_polygon_matches_shapely_on_the_centres():
    shape = Polygon([(599903.3, 5659601.1), (600391.7, 5659688.8), (600207.2, 5660123.4),
                     (599955.5, 5659941.9), (599903.3, 5659601.1)])
    expected = centres_inside(shape, shape.bounds)
    assert covered(shape) == expected
    assert GRID.pixels(shape).total == len(expected) > 1000


def test_a_polygon_between_centres_covers_nothing():
    assert GRID.pixels(box(599901, 5659801, 599904, 5659804)).total == 0


def test_a_point_is_the_pixel_containing_it_edges_go_east_and_south():
    assert covered(Point(599903.0, 5659807.0)) == {(599905.0, 5659805.0)}
    assert covered(Point(599910.0, 5659810.0)) == {(599915.0, 5659805.0)}


def test_distant_parts_are_separate_patches_and_near_ones_are_merged():
    west, east = box(500001.5, 5600001.5, 500101.5, 5600101.5), \
        box(530001.5, 5600001.5, 530101.5, 5600101.5)
    pixels = GRID.pixels(MultiPolygon([west, east]))
    assert len(pixels.patches) == 2
    assert max(p.mask.size for p in pixels.patches) <= 11 * 11  # not the 3 km between them
    assert pixels.total == 200
    ring = box(500001.5, 5600001.5, 500301.5, 5600301.5).difference(
        box(500101.5, 5600101.5, 500201.5, 5600201.5))
    inner = box(500121.5, 5600121.5, 500181.5, 5600181.5)
    nested = MultiPolygon([ring, inner])  # the inner part lies in the ring's hole
    pixels = GRID.pixels(nested)
    assert len(pixels.patches) == 1
    assert pixels.total == 900 - 100 + 36
    assert covered(nested) == centres_inside(nested, nested.bounds)


def test_projection_to_the_grid_crs():
    lonlat = Point(3.0, 51.0)  # the central meridian of UTM zone 31
    projected = GRID.project(lonlat)
    assert abs(projected.x - 500000.0) < 1e-6
    assert 5649000 < projected.y < 5651000
