"""One Sentinel-2 date over a whole region (Benelux by default): many MGRS tiles, coarse pixels.

For measuring what a request over a large area costs, not for looking at fields: the tiles
have their real footprints (109.8 km squares on the MGRS grid, UTM zones 31 and 32, with the
9.8 km overlaps between neighbours and the overlap between the zones), but their pixels are
``pixel_m`` (300 m: 366 x 366 pixels a tile) instead of 10 m. File names stay those of the
10 m products (``..._NDVI_10M_V200.tif``: what the mission profile and the registry expect);
the GeoTIFFs say the true pixel size. Every file is a COG with internal overviews.

The scene (landscape, sky, reflectance, indicators) is simulated once on one UTM 31 grid
covering every tile, then resampled (nearest) onto each tile's own grid and CRS, so the
tiles agree where they overlap. Deterministic from the spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pyproj import Transformer
from rasterio.warp import Resampling, reproject

from services.demo.archive import Progress
from services.demo.geometry import CRS, Bounds, Grid, centre_lon_lat
from services.demo.landscape import build_landscape
from services.demo.layers import ALL_LAYERS, PRODUCTS
from services.demo.naming import layer_path, product_folder
from services.demo.scene import render_scene
from services.demo.schedule import Acquisition
from services.demo.writer import write_cog

TILE_SIDE_M = 109_800.0
TILE_ALIGNMENT_M = 60  # Sentinel-2 tile corners lie on the 60 m band grid
NAMING_RESOLUTION = 10  # the file names of the 10 m products
# MGRS 100 km squares: column letters by zone set, row letters (offset by 5 in even zones)
COLUMN_LETTERS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
BENELUX = (2.5, 49.4, 7.3, 53.6)  # lon/lat: Belgium, the Netherlands, Luxembourg
ZONE_EDGE_LON = 6.0  # zones 31 | 32; tiles of both zones reach across it (their overlap)


@dataclass(frozen=True)
class RegionSpec:
    """One date of Sentinel-2 products on every tile that touches ``region`` (lon/lat)."""

    seed: int = 2018
    region: tuple[float, float, float, float] = BENELUX
    pixel_m: int = 300
    sensing_time: datetime = datetime(2018, 6, 2, 10, 50, 31, tzinfo=UTC)
    cloud_cover: float = 0.1

    def __post_init__(self) -> None:
        if self.pixel_m < 20 or TILE_SIDE_M % self.pixel_m:
            raise ValueError("pixel_m must divide 109,800 m and be at least 20 m")


@dataclass(frozen=True)
class Tile:
    """A Sentinel-2 tile: MGRS name, UTM CRS and footprint in that CRS."""

    name: str
    crs: str
    bounds: Bounds


def tile(zone: int, square_west: float, square_south: float) -> Tile:
    """The Sentinel-2 tile of the MGRS 100 km square with that south-west corner (northern
    hemisphere, band U: 48-56 degrees north)."""
    column = COLUMN_LETTERS[(zone - 1) % 3][int(square_west // 100_000) - 1]
    row = ROW_LETTERS[(int(square_south // 100_000) + (5 if zone % 2 == 0 else 0)) % 20]
    left = math.floor(square_west / TILE_ALIGNMENT_M) * TILE_ALIGNMENT_M
    top = math.ceil((square_south + 100_000) / TILE_ALIGNMENT_M) * TILE_ALIGNMENT_M
    return Tile(f"{zone}U{column}{row}", f"EPSG:{32600 + zone}",
                Bounds(left, top - TILE_SIDE_M, left + TILE_SIDE_M, top))


def tiles_over(region: tuple[float, float, float, float]) -> list[Tile]:
    """Every tile whose 100 km square meets ``region``: zone 31 west of 6.5 degrees east,
    zone 32 east of 5.5 (both where they overlap, as the real grid has them)."""
    west, south, east, north = region
    found = []
    for zone, (low, high) in ((31, (west, min(east, ZONE_EDGE_LON + 0.5))),
                              (32, (max(west, ZONE_EDGE_LON - 0.5), east))):
        if low >= high:
            continue
        to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{32600 + zone}", always_xy=True)
        lons = np.linspace(low, high, 50)
        lats = np.linspace(south, north, 50)
        xs, ys = to_utm.transform(*np.meshgrid(lons, lats))
        for x0 in range(int(xs.min() // 100_000), int(xs.max() // 100_000) + 1):
            for y0 in range(int(ys.min() // 100_000), int(ys.max() // 100_000) + 1):
                found.append(tile(zone, x0 * 100_000.0, y0 * 100_000.0))
    return found


def tile_grid(item: Tile, pixel_m: float) -> Grid:
    side = round(TILE_SIDE_M / pixel_m)
    return Grid(item.bounds.left, item.bounds.top, float(pixel_m), side, side)


def scene_grid(items: list[Tile], pixel_m: float) -> Grid:
    """One UTM 31 grid covering every tile's footprint (the simulation's grid)."""
    xs, ys = [], []
    for item in items:
        to_scene = Transformer.from_crs(item.crs, CRS, always_xy=True)
        b = item.bounds
        x, y = to_scene.transform([b.left, b.right, b.left, b.right],
                                  [b.bottom, b.bottom, b.top, b.top])
        xs += list(x)
        ys += list(y)
    left = math.floor(min(xs) / pixel_m) * pixel_m
    top = math.ceil(max(ys) / pixel_m) * pixel_m
    width = math.ceil((max(xs) - left) / pixel_m)
    height = math.ceil((top - min(ys)) / pixel_m)
    return Grid(left, top, float(pixel_m), width, height)


def generate_region(root: Path, spec: RegionSpec = RegionSpec(),
                    progress: Progress | None = None) -> list[Path]:
    """Write the products of every tile of ``spec`` under ``root``; return their folders."""
    items = tiles_over(spec.region)
    grid = scene_grid(items, spec.pixel_m)
    landscape = build_landscape(grid, spec.seed)
    lon, lat = centre_lon_lat(grid.bounds)
    first = Acquisition(0, "S2A", spec.sensing_time, items[0].name, spec.cloud_cover)
    scene = render_scene(landscape, first, spec.seed, lon, lat)
    folders: list[Path] = []
    for number, item in enumerate(items, start=1):
        target = tile_grid(item, spec.pixel_m)
        for layer in ALL_LAYERS:
            data = np.full(target.shape, layer.nodata, dtype=layer.dtype)
            reproject(scene.layers[layer], data, src_transform=grid.transform, src_crs=CRS,
                      src_nodata=layer.nodata, dst_transform=target.transform,
                      dst_crs=item.crs, dst_nodata=layer.nodata, resampling=Resampling.nearest)
            path = layer_path(root, "S2A", spec.sensing_time, item.name, layer,
                              NAMING_RESOLUTION)
            write_cog(path, data, target, layer, crs=item.crs)
        folders += [product_folder(root, "S2A", spec.sensing_time, item.name, product)
                    for product in PRODUCTS]
        if progress is not None:
            progress(number, len(items), item.name)
    return folders
