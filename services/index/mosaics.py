"""One file per layer and date for maps at low zooms: the date's sources merged at a coarse
pixel size, a Cloud-Optimized GeoTIFF with overviews.

A map over a whole country at a low web zoom touches every source of the date (36 Sentinel-2
tiles for Benelux): MapServer opens, reads and resamples each, so its cost grows with the
area, even when every read takes an overview. Where a date has ``MIN_SOURCES`` or more sources
ingest writes their mosaic, and the mapfile's SCALETOKEN points the layer's tile index at
``layer_areas`` (the mosaic, or the sources of a date without one) above the scale where the
mosaic is fine enough (:func:`switch_scale`): one file a request, whatever the area.

The mosaic is in physical units (float32, nodata -9999, as the views), on the layer's grid
CRS, at ``FACTOR`` grid steps a pixel (or the sources' own pixel if coarser), a tiled,
uncompressed GeoTIFF (read on every low-zoom map: DEFLATE cost 5 x the read) with overviews.
Each source is read decimated (GDAL takes its overviews), then resampled (nearest) onto its
window of the mosaic in drawing order, later sources over earlier ones, as MapServer draws
them: the memory of one source at a time. A mosaic is rebuilt when its
sources' signature changes and dropped when its date has too few sources left.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform
from rasterio.windows import Window, from_bounds
from shapely.geometry import box

from services.demo.cog import BLOCK_SIZE as BLOCK
from services.demo.cog import overview_count
from services.index.store import ProductIndex
from services.index.views import NODATA
from services.registry import Collection, Registry

MIN_SOURCES = 4
FACTOR = 6
MAX_PIXELS = 40_000 ** 2  # 6.4 GB a band: a mosaic larger than this is not written
MOSAIC_FORMAT = 1  # one more when mosaics are written differently: the next ingest rewrites them
METRES_PER_DEGREE = 111_320.0
INCHES_PER_METRE = 39.3701
MAP_DPI = 72  # MapServer's default RESOLUTION, from which it computes scale denominators
SWITCH_MARGIN = 2.0  # use the mosaic from map pixels twice its pixel size (3857 stretch ≤ 2)


def mosaic_step(collection: Collection) -> float:
    """The least pixel size of the layer's mosaics, in grid units."""
    return collection.grid.step * FACTOR


def switch_scale(collection: Collection) -> float:
    """The scale denominator from which maps of the collection's layers draw mosaics."""
    metres = mosaic_step(collection) * (METRES_PER_DEGREE if collection.grid.geographic else 1)
    return round(SWITCH_MARGIN * metres * INCHES_PER_METRE * MAP_DPI)


def sync_mosaics(registry: Registry, index: ProductIndex, derived: Path) -> int:
    """Write, rewrite or drop the mosaics so they match the index; returns how many were
    written."""
    existing = index.mosaics()
    written = 0
    for (layer, date), sources in index.mosaic_inputs().items():
        if layer not in registry.layers:
            continue
        known = existing.pop((layer, date), None)
        if len(sources) < MIN_SOURCES:
            _drop(index, layer, date, known)
            continue
        signature = hashlib.sha256(f"{MOSAIC_FORMAT}\n".encode() + "\n".join(
            f"{loc}\0{sig}" for loc, sig, _ in sources).encode()).hexdigest()
        if known is not None and known[1] == signature:
            continue
        collection = registry.layer(layer)[0]
        target = derived / "mosaics" / layer / f"{date}-{signature[:12]}.tif"
        bounds = write_mosaic(target, collection, sources)
        if bounds is None:  # too large: the sources it is
            _drop(index, layer, date, known)
            continue
        index.put_mosaic(layer, date, str(target), collection.grid.crs, signature,
                         box(*bounds).wkb)
        if known is not None and known[0] != str(target):
            Path(known[0]).unlink(missing_ok=True)
        written += 1
    for (layer, date), known in existing.items():  # dates without sources any more
        _drop(index, layer, date, known)
    return written


def _drop(index: ProductIndex, layer: str, date: str, known: tuple[str, str] | None) -> None:
    if known is not None:
        index.drop_mosaic(layer, date)
        Path(known[0]).unlink(missing_ok=True)


def write_mosaic(target: Path, collection: Collection,
                 sources: list[tuple[str, str, tuple[float, ...]]]) -> tuple[float, ...] | None:
    """Merge ``sources`` (location, signature, grid-CRS bounds) into one tiled GeoTIFF with
    overviews at ``target`` (written beside it, then moved in place), a source at a time (the
    memory of one source's window); returns its bounds, or None if it would be larger than
    ``MAX_PIXELS`` (then maps keep drawing the sources)."""
    crs = collection.grid.crs
    west = min(b[0] for *_, b in sources)
    south = min(b[1] for *_, b in sources)
    east = max(b[2] for *_, b in sources)
    north = max(b[3] for *_, b in sources)
    with rasterio.open(sources[0][0]) as first:
        count, descriptions = first.count, first.descriptions
        native = _pixel_size(first, crs)
        lattice = (first.transform.c, first.transform.f) if first.crs == crs else (west, north)
    step = max(mosaic_step(collection), native)
    # on the first source's pixel lattice: sources on a common grid keep their pixel edges
    west = lattice[0] + math.floor((west - lattice[0]) / step) * step
    north = lattice[1] + math.ceil((north - lattice[1]) / step) * step
    width, height = math.ceil((east - west) / step), math.ceil((north - south) / step)
    if width * height > MAX_PIXELS:
        return None
    grid = Affine(step, 0, west, 0, -step, north)
    partial = target.with_name(f".{target.name}.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(partial, "w+", driver="GTiff", width=width, height=height, count=count,
                       dtype="float32", crs=crs, transform=grid, nodata=NODATA, tiled=True,
                       blockxsize=BLOCK, blockysize=BLOCK, compress="NONE",
                       sparse_ok=True) as mosaic:
        for location, _, bounds in sources:
            _paint(mosaic, location, bounds, step)
        for i, description in enumerate(descriptions, start=1):
            mosaic.set_band_description(i, description or "")
        levels = overview_count(width, height)  # down to about a block, as the demo's COGs
        mosaic.build_overviews([2 ** k for k in range(1, levels + 1)], Resampling.nearest)
    os.replace(partial, target)
    return (west, north - height * step, west + width * step, north)


def _paint(mosaic, location: str, bounds: tuple[float, ...], step: float) -> None:
    """Draw one source over the mosaic (its valid pixels over what is there), in the window
    of its bounds only."""
    window = from_bounds(*bounds, transform=mosaic.transform).round_offsets().round_lengths()
    window = window.intersection(Window(0, 0, mosaic.width, mosaic.height))
    here = mosaic.read(window=window)
    placed_grid = mosaic.window_transform(window)
    with rasterio.open(location) as view:
        factor = max(1, int(step / _pixel_size(view, mosaic.crs)))
        rows, cols = math.ceil(view.height / factor), math.ceil(view.width / factor)
        data = view.read(out_shape=(view.count, rows, cols), resampling=Resampling.nearest)
        placed = view.transform * Affine.scale(view.width / cols, view.height / rows)
        reproject(data, here, src_transform=placed, src_crs=view.crs, src_nodata=NODATA,
                  dst_transform=placed_grid, dst_crs=mosaic.crs, dst_nodata=NODATA,
                  init_dest_nodata=False, resampling=Resampling.nearest)
    mosaic.write(here, window=window)


def _pixel_size(dataset, crs: str) -> float:
    """The width of ``dataset``'s central pixel measured in ``crs`` units."""
    x, y = dataset.xy(dataset.height // 2, dataset.width // 2)
    xs, ys = transform(dataset.crs, crs, [x, x + dataset.res[0]], [y, y])
    return math.hypot(xs[1] - xs[0], ys[1] - ys[0])
