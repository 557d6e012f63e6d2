"""Generate a synthetic Terrascope Sentinel-2 archive (TOC, NDVI, FAPAR, LAI, FCOVER)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from services.demo.geometry import Grid, area_bounds, area_grid, centre_lon_lat, tiles_for
from services.demo.landscape import Landscape, build_landscape
from services.demo.layers import ALL_LAYERS, PRODUCTS
from services.demo.naming import layer_path
from services.demo.scene import Scene, render_scene
from services.demo.schedule import Acquisition, plan
from services.demo.spec import DEFAULT_SPEC, DemoSpec
from services.demo.writer import write_cog

Progress = Callable[[int, int, str], None]


def generate(
    root: Path, spec: DemoSpec = DEFAULT_SPEC, progress: Progress | None = None
) -> list[Path]:
    """Write the archive under ``root``; return the product folders written.

    Deterministic from ``spec`` (same bytes for the same spec); existing files are
    overwritten. ``progress(i, n, product_name)`` is called after each acquisition (one
    tile of one datatake), with i counting from 1 and the TOC product name.
    """
    root = Path(root)
    acquisitions = plan(spec)
    grid = area_grid(spec)
    landscape = build_landscape(grid, spec.seed)
    lon, lat = centre_lon_lat(area_bounds(spec))
    tiles = tiles_for(spec)
    folders: list[Path] = []
    done = 0
    for _, datatake in groupby(acquisitions, key=lambda acquisition: acquisition.datatake):
        members = list(datatake)
        scene = render_scene(landscape, members[0], spec.seed, lon, lat)
        for acquisition in members:
            tile_grid = grid.subgrid(tiles[acquisition.tile])
            folders += write_acquisition(root, acquisition, scene, landscape, tile_grid)
            done += 1
            if progress is not None:
                progress(done, len(acquisitions), acquisition.product_name("TOC"))
    return folders


def write_acquisition(
    root: Path, acquisition: Acquisition, scene: Scene, landscape: Landscape, tile_grid: Grid
) -> list[Path]:
    """Write every layer of ``scene`` cut to ``tile_grid``; return the product folders."""
    area = landscape.grid
    coarse_area = area.coarsened(scene.coarse_factor)
    coarse_tile = tile_grid.coarsened(scene.coarse_factor)
    for layer in ALL_LAYERS:
        source_grid, target_grid = (coarse_area, coarse_tile) if layer.coarse else (area, tile_grid)
        rows, cols = source_grid.window(target_grid.bounds)
        path = layer_path(
            root,
            acquisition.platform,
            acquisition.sensing_time,
            acquisition.tile,
            layer,
            round(area.resolution),
        )
        write_cog(path, scene.layers[layer][rows, cols], target_grid, layer)
    return [acquisition.product_folder(root, product) for product in PRODUCTS]
