"""Work on the tile cache through MapProxy's own cache objects: invalidate the tiles of a date
over a footprint (after ingest), and seed tiles for dates, levels and an area (resumable)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mapproxy.cache.tile import Tile
from mapproxy.config.loader import ProxyConfiguration, load_configuration, load_configuration_file
from mapproxy.srs import SRS

from services.ows.service import Renderer
from services.tiles.config import SEED_META_SIZE, WEBMERCATOR
from services.tiles.source import register_source_type

DIMENSION = "time"  # MapProxy's key for the Time dimension in caches
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Change:
    """A product added or replaced: its layer, date and lon/lat bounding box."""

    layer: str
    date: str
    bbox: tuple[float, float, float, float]


def _configuration(config: Path, renderer: Renderer | None = None,
                   meta_size: tuple[int, int] | None = None):
    """MapProxy's configuration; with ``meta_size``, its caches drawn in metatiles that size
    (the cache files are the same whatever the size)."""
    register_source_type(renderer)
    if meta_size is None:
        return load_configuration(str(config))
    conf = load_configuration_file([config.name], str(config.parent.resolve()))
    conf.setdefault("globals", {}).setdefault("cache", {})["meta_size"] = list(meta_size)
    return ProxyConfiguration(conf, conf_base_dir=str(config.parent.resolve()), seed=True)


def _tile_managers(configuration, layer: str):
    cache = configuration.caches.get(f"{layer}_cache")
    return [] if cache is None else cache.caches()


def _affected(grid, bbox: tuple[float, ...], level: int) -> Iterator[tuple[int, int, int]]:
    box = SRS(4326).transform_bbox_to(grid.srs, bbox)
    try:
        _, _, coords = grid.get_affected_level_tiles(box, level)
    except Exception:  # noqa: BLE001 — MapProxy raises for an area outside the grid
        return
    yield from (c for c in coords if c is not None)


def _level_folder(cache, level: int, dimensions: dict) -> str:
    """The folder of a level's tiles. MapProxy 7.0's ``level_location`` pads the level to two
    digits whatever the layout, but the ``tms`` layout writes it unpadded: the level is given
    as text, which ``level_location`` keeps as it is."""
    return cache.level_location(str(level), dimensions=dimensions)


def invalidate(config: Path, changes: list[Change]) -> int:
    """Remove the cached tiles of each change's date that intersect its footprint, at every
    level of every grid; other dates and places are left alone. Returns tiles removed."""
    if not changes:
        return 0
    removed = 0
    configuration = _configuration(config)  # once for all changes
    managers = {layer: _tile_managers(configuration, layer) for layer in
                {c.layer for c in changes}}
    for change in changes:
        dimensions = {DIMENSION: change.date}
        for grid, _extent, manager in managers[change.layer]:
            for level in range(grid.levels):
                if not os.path.isdir(_level_folder(manager.cache, level, dimensions)):
                    continue
                for coord in _affected(grid, change.bbox, level):
                    tile = Tile(coord)
                    if manager.cache.is_cached(tile, dimensions=dimensions):
                        manager.cache.remove_tile(tile, dimensions=dimensions)
                        removed += 1
    return removed


@dataclass(frozen=True)
class SeedTask:
    layer: str
    dates: tuple[str, ...]
    levels: tuple[int, ...]
    bbox: tuple[float, float, float, float]   # lon/lat
    grid: str = WEBMERCATOR


def seed(config: Path, renderer: Renderer, task: SeedTask, state: Path,
         progress: Progress | None = None) -> int:
    """Render the task's tiles into the cache, 4 x 4 metatile by metatile. Progress is recorded in
    ``state`` after each (date, level), so an interrupted seed resumes where it stopped;
    tiles already cached are not rendered again. Returns tiles seeded in this run."""
    done = set(json.loads(state.read_text())) if state.exists() else set()
    managers = [(g, m) for g, _e, m in
                _tile_managers(_configuration(config, renderer, SEED_META_SIZE), task.layer)
                if g.name == task.grid]
    if not managers:
        raise ValueError(f"layer {task.layer} has no cache on grid {task.grid}")
    grid, manager = managers[0]
    steps = [(d, z) for d in task.dates for z in task.levels]
    seeded = 0
    for i, (date, level) in enumerate(steps, start=1):
        key = f"{date}/{level}"
        if key not in done:
            coords = list(_affected(grid, task.bbox, level))
            for start in range(0, len(coords), 16):
                manager.load_tile_coords(coords[start:start + 16], dimensions={DIMENSION: date})
            seeded += len(coords)
            done.add(key)
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps(sorted(done)))
        if progress:
            progress(i, len(steps), f"{task.layer} {key}")
    return seeded


def changes_for(registry, products) -> list[Change]:
    """The tile changes ingested products cause: each WMS layer of their collection, on their
    date, over their footprint."""
    return [Change(layer.name, product.date, product.bbox)
            for product in products
            for layer in registry.collections[product.collection].layers
            if "wms" in layer.services]
