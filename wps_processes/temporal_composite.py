"""``temporal-composite``: the maximum, median, mean or minimum of a layer's valid pixels over a
date range, on the collection's own grid over a bounding box, as a Cloud-Optimized GeoTIFF in
physical units (float32, NaN where no date had a valid pixel). Pixels are masked as the time
series service masks them (nodata, valid range, the collection's mask such as Sentinel-2's
scene classification); one Dask task per date reads that date's products.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from shapely.geometry import box

from services.demo.cog import BLOCK_SIZE, COMPRESSION, overview_count
from services.errors import InvalidParameterValue, OGCException, RequestTooLarge
from services.index.series import SeriesCatalog, SeriesQuery
from services.processing.context import Context, Output, bbox
from services.registry import load
from services.timeseries import params
from services.timeseries.layers import LayerTable, SeriesLayer
from wps_processes.inputs import BBOX, COG, COG_OUTPUT, LAYER, period

METHODS = {"max": np.nanmax, "median": np.nanmedian, "mean": np.nanmean, "min": np.nanmin}

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "temporal-composite",
    "title": {"en": "Temporal composite", "nl": "Temporele compositie",
              "fr": "Composite temporel"},
    "description": {
        "en": "The maximum, median, mean or minimum of a layer's valid (masked) pixels over a "
              "date range, on the collection's grid over a bounding box: a Cloud-Optimized "
              "GeoTIFF in physical units (float32, NaN where no date was valid).",
        "nl": "Het maximum, de mediaan, het gemiddelde of het minimum van de geldige "
              "(gemaskeerde) pixels van een laag over een periode, op het raster van de "
              "collectie binnen een begrenzingsvak: een Cloud-Optimized GeoTIFF in fysische "
              "eenheden.",
        "fr": "Le maximum, la médiane, la moyenne ou le minimum des pixels valides (masqués) "
              "d'une couche sur un intervalle de dates, sur la grille de la collection dans "
              "une emprise : un GeoTIFF optimisé pour le cloud en unités physiques."},
    "keywords": ["composite", "max-NDVI", "median", "COG"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "layer": LAYER,
        "bbox": BBOX,
        **period(),
        "method": {
            "title": {"en": "Method", "nl": "Methode", "fr": "Méthode"},
            "description": {"en": "How the dates are combined per pixel.",
                            "nl": "Hoe de datums per pixel gecombineerd worden.",
                            "fr": "Comment les dates sont combinées par pixel."},
            "schema": {"type": "string", "enum": list(METHODS), "default": "max"},
            "minOccurs": 0, "maxOccurs": 1},
    },
    "outputs": {
        "composite": {
            "title": {"en": "Composite", "nl": "Compositie", "fr": "Composite"},
            "description": {"en": "A COG, float32 physical values, NaN nodata; its tags name "
                                  "the layer, the method, the dates and the products.",
                            "nl": "Een COG met fysische waarden; de tags noemen de producten.",
                            "fr": "Un COG en valeurs physiques ; ses étiquettes nomment les "
                                  "produits."},
            "schema": COG_OUTPUT},
    },
    "example": {"inputs": {"layer": "CGS_S2_NDVI", "bbox": [4.70, 51.00, 4.72, 51.01],
                           "start": "2018-06-01", "end": "2018-08-31", "method": "max"}},
}


@dataclass(frozen=True)
class Plan:
    layer: str
    method: str
    crs: str
    transform: tuple[float, ...]
    width: int
    height: int
    dates: tuple[tuple[str, tuple[tuple[str, str, str | None], ...]], ...]  # day, sources
    layers_dir: str


def plan(inputs: dict, context: Context) -> Plan:
    layer = _layer(context, inputs["layer"])
    span = params.date_range({"startDate": inputs["start"], "endDate": inputs["end"]})
    area = bbox(inputs["bbox"])
    grid = layer.collection.grid
    west, south, east, north = grid.snap(transform_bounds("EPSG:4326", grid.crs, *area))
    width, height = round((east - west) / grid.step), round((north - south) / grid.step)
    limit = context.limits.max_coverage_pixels
    if width * height > limit:
        raise RequestTooLarge(f"the composite would be {width} × {height} pixels; at most "
                              f"{limit}", "bbox")
    query = SeriesQuery(layer.collection.id, layer.band.name,
                        layer.mask.collection if layer.mask else None,
                        layer.mask.band.name if layer.mask else None)
    by_date = SeriesCatalog(context.search.path).sources(query, span.start, span.end,
                                                         box(*area))
    held = width * height * len(by_date)
    if held > context.limits.max_composite_values:
        raise RequestTooLarge(f"{len(by_date)} dates × {width * height} pixels: more than "
                              f"{context.limits.max_composite_values}; narrow the dates or "
                              "the bounding box", "bbox")
    dates = tuple((day, tuple((s.name, s.path, s.mask_path) for s in sources))
                  for day, sources in sorted(by_date.items()))
    transform = Affine(grid.step, 0, west, 0, -grid.step, north)
    return Plan(layer.name, inputs.get("method", "max"), grid.crs, tuple(transform)[:6],
                width, height, dates, str(context.layers_dir))


BYTES_A_PIXEL = 32   # date_values: float64 values, the digital numbers, the mask, float32 out


def task_memory(work: Plan) -> int:
    """Bytes one date's task holds on a Dask worker (the composite itself is stacked in the
    job runner, bounded by max_composite_values)."""
    return work.width * work.height * BYTES_A_PIXEL


def run(work: Plan, context: Context) -> Output:
    tags = {"layer": work.layer, "method": work.method, "sources": ",".join(sources(work)),
            "dates": ",".join(day for day, _sources in work.dates)}
    return Output(COG, to_cog(composite(work, context), work.crs, Affine(*work.transform),
                              tags))


def composite(work: Plan, context: Context) -> np.ndarray:
    """The composite's values (float32, NaN where no date was valid): one task per date."""
    tasks = [(work.layers_dir, work.layer, work.crs, work.transform, work.width, work.height,
              day_sources) for _day, day_sources in work.dates]
    layers = context.map(date_values, tasks)
    if not layers:
        return np.full((work.height, work.width), np.nan, np.float32)
    with warnings.catch_warnings():   # an all-NaN pixel is NaN, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        return METHODS[work.method](np.stack(layers), axis=0).astype(np.float32)


def sources(work: Plan) -> list[str]:
    """The products the composite reads, oldest date first."""
    return [name for _day, day_sources in work.dates for name, _path, _mask in day_sources]


def date_values(task: tuple) -> np.ndarray:
    """One date's valid physical values on the output grid, NaN elsewhere; of several
    products of the date the first valid value wins (runs on a Dask worker)."""
    layers_dir, layer_name, crs, transform, width, height, sources = task
    layer = _table(layers_dir).resolve(layer_name)
    values = np.full((height, width), np.nan, dtype=np.float64)
    for _name, path, mask_path in sources:
        dn = warp(path, layer.band.index, crs, transform, width, height, layer.band.nodata)
        ok = layer.band.valid(dn) & np.isnan(values)
        if layer.mask is not None and mask_path is not None:
            scene = warp(mask_path, layer.mask.band.index, crs, transform, width, height, None)
            ok &= ~layer.mask.rule(scene)
        values[ok] = layer.band.to_physical(dn[ok])
    return values.astype(np.float32)


def warp(path: str, index: int, crs: str, transform: tuple, width: int, height: int,
          nodata: float | None) -> np.ndarray:
    with rasterio.open(path) as dataset:
        fill = nodata if nodata is not None else (np.nan if dataset.dtypes[0].startswith(
            "float") else 0)
        with WarpedVRT(dataset, crs=crs, transform=Affine(*transform), width=width,
                       height=height, resampling=Resampling.nearest, nodata=fill) as vrt:
            return vrt.read(index)


def to_cog(values: np.ndarray, crs: str, transform: Affine, tags: dict) -> bytes:
    """A COG as the demo archive writes them (services/demo/cog.py), with ``tags``."""
    height, width = values.shape
    profile = {"driver": "COG", "dtype": "float32", "count": 1, "width": width,
               "height": height, "crs": crs, "transform": transform, "nodata": float("nan"),
               "blocksize": BLOCK_SIZE, "compress": COMPRESSION, "predictor": 3,
               "overview_resampling": "average",
               "overview_count": overview_count(width, height)}
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(values, 1)
            dataset.update_tags(**tags)
        return memory.read()


def _layer(context: Context, name: str) -> SeriesLayer:
    if context.layers_dir is None:
        raise InvalidParameterValue("no layer registry folder to read on the workers", "layer")
    try:
        return LayerTable(context.registry).resolve(name)
    except OGCException as error:   # a bad input here, not a missing resource (404)
        raise InvalidParameterValue(error.message, "layer") from None


@cache
def _table(layers_dir: str) -> LayerTable:
    return LayerTable(load(Path(layers_dir)))

