"""``biophysical``: LAI, FAPAR or FCOVER from Sentinel-2 10 m surface reflectance (B03, B04,
B08 of Terrascope's TOC products) with the S2 10 m neural network (:mod:`services.biophysical`),
on one date over a bounding box, masked by the scene classification, as a Cloud-Optimized
GeoTIFF in physical units. The network also takes the acquisition geometry: the sun angles
default to the sun's position at the product's sensing time over the box's centre (NOAA
formulas), the view angles to nadir; give them when you know better (the product metadata).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.warp import transform_bounds

from services.biophysical import VARIABLES, Network
from services.demo.solar import sun_position
from services.errors import InvalidParameterValue, RequestTooLarge
from services.index.search import ProductQuery
from services.missions import PROFILES
from services.processing.context import Context, Output, bbox, instant
from services.registry import Collection, load
from wps_processes import temporal_composite as composite
from wps_processes.inputs import BBOX, COG_OUTPUT, DAY

TOC = "TERRASCOPE_S2_TOC_V2"
BANDS = ("B03", "B04", "B08")


def _angle(name: str, what: dict, maximum: float) -> dict:
    return {"title": {"en": name, "nl": name, "fr": name},
            "description": what, "schema": {"type": "number", "minimum": 0,
                                            "maximum": maximum},
            "minOccurs": 0, "maxOccurs": 1}


PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "biophysical",
    "title": {"en": "Biophysical variable (LAI, FAPAR, FCOVER)",
              "nl": "Biofysische variabele (LAI, FAPAR, FCOVER)",
              "fr": "Variable biophysique (LAI, FAPAR, FCOVER)"},
    "description": {
        "en": "LAI, FAPAR or FCOVER from Sentinel-2 10 m surface reflectance (B03, B04, B08) "
              "with the S2 10 m neural network, on one date over a bounding box, masked by "
              "the scene classification: a Cloud-Optimized GeoTIFF in physical units.",
        "nl": "LAI, FAPAR of FCOVER uit Sentinel-2-reflectantie op 10 m (B03, B04, B08) met "
              "het neurale netwerk van S2 op 10 m, op één datum binnen een begrenzingsvak: "
              "een Cloud-Optimized GeoTIFF in fysische eenheden.",
        "fr": "LAI, FAPAR ou FCOVER à partir des réflectances Sentinel-2 à 10 m (B03, B04, "
              "B08) avec le réseau de neurones S2 10 m, à une date dans une emprise : un "
              "GeoTIFF optimisé pour le cloud en unités physiques."},
    "keywords": ["LAI", "FAPAR", "FCOVER", "neural network", "Sentinel-2"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "bbox": BBOX,
        "date": DAY,
        "variable": {
            "title": {"en": "Variable", "nl": "Variabele", "fr": "Variable"},
            "description": {"en": "LAI (m²/m²), FAPAR or FCOVER (fractions).",
                            "nl": "LAI (m²/m²), FAPAR of FCOVER (fracties).",
                            "fr": "LAI (m²/m²), FAPAR ou FCOVER (fractions)."},
            "schema": {"type": "string", "enum": list(VARIABLES), "default": "LAI"},
            "minOccurs": 0, "maxOccurs": 1},
        "sun_zenith": _angle("sun_zenith", {"en": "Degrees; default: from time and place.",
                                            "nl": "Graden.", "fr": "Degrés."}, 90),
        "sun_azimuth": _angle("sun_azimuth", {"en": "Degrees from north, clockwise.",
                                              "nl": "Graden.", "fr": "Degrés."}, 360),
        "view_zenith": _angle("view_zenith", {"en": "Degrees; default 0 (nadir).",
                                              "nl": "Graden.", "fr": "Degrés."}, 90),
        "view_azimuth": _angle("view_azimuth", {"en": "Degrees from north; default 0.",
                                                "nl": "Graden.", "fr": "Degrés."}, 360),
    },
    "outputs": {
        "variable": {
            "title": {"en": "Variable", "nl": "Variabele", "fr": "Variable"},
            "description": {"en": "A COG, float32 physical values, NaN where masked or "
                                  "outside the network's domain; its tags name the products "
                                  "and the angles used.",
                            "nl": "Een COG met fysische waarden; de tags noemen de producten.",
                            "fr": "Un COG en valeurs physiques ; ses étiquettes nomment les "
                                  "produits."},
            "schema": COG_OUTPUT},
    },
    "example": {"inputs": {"bbox": [4.70, 51.00, 4.72, 51.01], "date": "2018-06-02",
                           "variable": "LAI"}},
}


@dataclass(frozen=True)
class Plan:
    variable: str
    crs: str
    transform: tuple[float, ...]
    width: int
    height: int
    products: tuple[tuple[str, tuple[str, ...], str | None], ...]  # name, band paths, SCL
    angles: tuple[float, float, float, float]   # sun zenith, sun azimuth, view z., view az.
    layers_dir: str


def plan(inputs: dict, context: Context) -> Plan:
    collection = context.registry.collections[TOC]
    area = bbox(inputs["bbox"])
    grid = collection.grid
    west, south, east, north = grid.snap(transform_bounds("EPSG:4326", grid.crs, *area))
    width, height = round((east - west) / grid.step), round((north - south) / grid.step)
    if width * height > context.limits.max_coverage_pixels:
        raise RequestTooLarge(f"the output would be {width} × {height} pixels; at most "
                              f"{context.limits.max_coverage_pixels}", "bbox")
    _total, products = context.search.search(ProductQuery(
        collections=(TOC,), start=instant(inputs["date"], "date", end=False),
        end=instant(inputs["date"], "date", end=True), bbox=area, limit=20))
    if not products:
        raise InvalidParameterValue(f"no {TOC} product meets the bounding box on "
                                    f"{inputs['date']}", "date")
    when = datetime.fromisoformat(products[0].time.replace("Z", "+00:00")).astimezone(UTC)
    sun = sun_position(when, (area[0] + area[2]) / 2, (area[1] + area[3]) / 2)
    angles = (float(inputs.get("sun_zenith", sun[0])), float(inputs.get("sun_azimuth", sun[1])),
              float(inputs.get("view_zenith", 0.0)), float(inputs.get("view_azimuth", 0.0)))
    files = tuple((p.name, tuple(p.paths()[b] for b in BANDS), p.paths().get("SCL"))
                  for p in products)
    transform = Affine(grid.step, 0, west, 0, -grid.step, north)
    return Plan(inputs.get("variable", "LAI"), grid.crs, tuple(transform)[:6], width, height,
                files, angles, str(context.layers_dir))


# float64: the reflectances (3), the network's inputs (6), its scaled inputs, hidden layer and
# output, the domain test, NaN masks and the float32 result: 209 bytes a pixel measured
# (tests/unit/test_process_and_series_estimates.py); counted as 32 float64 values
BYTES_A_PIXEL = 8 * 32


def task_memory(work: Plan) -> int:
    """Bytes the network's task holds on a Dask worker."""
    return work.width * work.height * BYTES_A_PIXEL


def run(work: Plan, context: Context) -> Output:
    values, = context.map(variable_values, [work])
    sun_zenith, sun_azimuth, view_zenith, view_azimuth = work.angles
    tags = {"variable": work.variable, "sources": ",".join(n for n, _b, _s in work.products),
            "sun_zenith": f"{sun_zenith:.3f}", "sun_azimuth": f"{sun_azimuth:.3f}",
            "view_zenith": f"{view_zenith:.3f}", "view_azimuth": f"{view_azimuth:.3f}"}
    return Output(composite.COG, composite.to_cog(values, work.crs, Affine(*work.transform),
                                                  tags))


def variable_values(work: Plan) -> np.ndarray:
    """The network over the date's valid reflectances, first product first (on a worker)."""
    collection = _toc(work.layers_dir)
    rule = PROFILES[collection.profile].rule(collection.masks[0].rule)
    bands = [collection.band(b) for b in BANDS]
    reflectance = np.full((work.height, work.width, 3), np.nan)
    for _name, paths, scl in work.products:
        layers = [composite.warp(path, band.index, work.crs, work.transform, work.width,
                                 work.height, band.nodata) for path, band in zip(paths, bands,
                                                                                 strict=True)]
        ok = np.all([band.valid(dn) for band, dn in zip(bands, layers, strict=True)], axis=0)
        ok &= np.isnan(reflectance[..., 0])
        if scl is not None:
            scene = composite.warp(scl, collection.band("SCL").index, work.crs, work.transform,
                                   work.width, work.height, None)
            ok &= ~rule(scene)
        for i, (band, dn) in enumerate(zip(bands, layers, strict=True)):
            reflectance[..., i][ok] = band.to_physical(dn[ok])
    sun_zenith, sun_azimuth, view_zenith, view_azimuth = work.angles
    cosines = (math.cos(math.radians(view_zenith)), math.cos(math.radians(sun_zenith)),
               math.cos(math.radians(sun_azimuth - view_azimuth)))
    inputs = np.concatenate([reflectance, np.broadcast_to(cosines, reflectance.shape)], axis=-1)
    network = Network.load(work.variable)
    values = np.where(network.in_domain(inputs), network.predict(inputs), np.nan)
    return values.astype(np.float32)


@cache
def _toc(layers_dir: str) -> Collection:
    return load(Path(layers_dir)).collections[TOC]
