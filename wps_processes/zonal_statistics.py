"""``zonal-statistics``: per feature of a GeoJSON FeatureCollection and per date, statistics of
a layer's valid pixels in physical units — the time series service's pixel rule, masks and
statistics (:mod:`services.timeseries`), plus the 10th and 90th percentiles; one Dask task per
feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np

from services.errors import InvalidParameterValue, OGCException, RequestTooLarge
from services.processing.context import Context
from services.timeseries import geojson, params, stats
from services.timeseries.layers import LayerTable, SeriesLayer
from services.timeseries.limits import TimeSeriesLimits
from wps_processes.inputs import LAYER, period

STATISTICS = ("average", "median", "stdDev", "min", "max", "p10", "p90", "totalCount",
              "validCount")

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "zonal-statistics",
    "title": {"en": "Zonal statistics", "nl": "Zonale statistieken",
              "fr": "Statistiques zonales"},
    "description": {
        "en": "For every feature of a GeoJSON FeatureCollection and every date in a range: "
              "mean, median, standard deviation, minimum, maximum, 10th and 90th percentiles "
              "of a layer's valid pixels in physical units, with valid and total pixel counts "
              "(the time series service's pixel rule and masks).",
        "nl": "Voor elk object van een GeoJSON FeatureCollection en elke datum in een periode: "
              "gemiddelde, mediaan, standaardafwijking, minimum, maximum, 10de en 90ste "
              "percentiel van de geldige pixels van een laag in fysische eenheden, met het "
              "aantal geldige en alle pixels.",
        "fr": "Pour chaque entité d'une FeatureCollection GeoJSON et chaque date d'un "
              "intervalle : moyenne, médiane, écart type, minimum, maximum, 10e et 90e "
              "centiles des pixels valides d'une couche en unités physiques, avec le nombre "
              "de pixels valides et total."},
    "keywords": ["zonal statistics", "time series", "aggregate_spatial"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "layer": LAYER,
        "features": {
            "title": {"en": "Features", "nl": "Objecten", "fr": "Entités"},
            "description": {"en": "A GeoJSON FeatureCollection (or GeometryCollection) of "
                                  "polygons or points in lon/lat; at most 500, each at most "
                                  "100 km².",
                            "nl": "Een GeoJSON FeatureCollection van polygonen of punten.",
                            "fr": "Une FeatureCollection GeoJSON de polygones ou de points."},
            "schema": {"type": "object", "required": ["type"],
                       "contentMediaType": "application/geo+json",
                       "properties": {"type": {"enum": ["FeatureCollection",
                                                        "GeometryCollection"]}}},
            "minOccurs": 1, "maxOccurs": 1},
        **period(),
    },
    "outputs": {
        "statistics": {
            "title": {"en": "Statistics per feature and date",
                      "nl": "Statistieken per object en datum",
                      "fr": "Statistiques par entité et date"},
            "description": {"en": "features[i].results[date] = {average, median, stdDev, "
                                  "min, max, p10, p90, totalCount, validCount}; "
                                  "features[i].products[date] = the products read.",
                            "nl": "per object en datum de statistieken en de gelezen "
                                  "producten.",
                            "fr": "par entité et date les statistiques et les produits lus."},
            "schema": {"type": "object", "contentMediaType": "application/json",
                       "required": ["features"]}},
    },
    "example": {"inputs": {
        "layer": "CGS_S2_NDVI", "start": "2018-06-01", "end": "2018-06-30",
        "features": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": "field-1", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[
                [4.70, 51.00], [4.71, 51.00], [4.71, 51.01], [4.70, 51.01],
                [4.70, 51.00]]]}}]}}},
}


@dataclass(frozen=True)
class Plan:
    layer: str
    features: tuple[tuple[str, dict], ...]   # (id, GeoJSON geometry)
    start: str
    end: str
    layers_dir: str
    index: str
    pixels_read: int = 0   # estimated, all features' tasks (services/timeseries/cost.py)


def plan(inputs: dict, context: Context) -> Plan:
    limits = TimeSeriesLimits()
    try:
        layer = _table(context).resolve(inputs["layer"])
    except OGCException as error:   # a bad input here, not a missing resource (404)
        raise InvalidParameterValue(error.message, "layer") from None
    span = params.date_range({"startDate": inputs["start"], "endDate": inputs["end"]})
    shapes = geojson.geometries(inputs["features"], limits.max_geometries)
    areas = [geojson.area_km2(shape) for shape in shapes]
    if max(areas) > limits.max_area_km2 or sum(areas) > limits.max_total_area_km2:
        raise RequestTooLarge(f"the features cover up to {max(areas):.1f} km² each and "
                              f"{sum(areas):.1f} km² together; at most "
                              f"{limits.max_area_km2:g} and {limits.max_total_area_km2:g}",
                              "features")
    members = inputs["features"].get("features") or inputs["features"].get("geometries")
    features = tuple((_identifier(member, i), _geometry(member))
                     for i, member in enumerate(members))
    if context.layers_dir is None:
        raise InvalidParameterValue("no layer registry folder to read on the workers", "layer")
    # each feature's task within the time series' cost limit: refused now, not as a failed job
    series = _service(str(context.layers_dir), str(context.search.path))
    pixels_read = sum(series.plan(layer, [shape], span).estimate for shape in shapes)
    return Plan(layer.name, features, span.start.isoformat(), span.end.isoformat(),
                str(context.layers_dir), str(context.search.path), pixels_read)


def run(work: Plan, context: Context) -> dict:
    tasks = [(work.layers_dir, work.index, work.layer, geometry, work.start, work.end)
             for _id, geometry in work.features]
    parts = context.map(feature_statistics, tasks)
    return {"layer": work.layer, "start": work.start, "end": work.end,
            "features": [{"id": feature_id, **part}
                         for (feature_id, _geometry), part in zip(work.features, parts,
                                                                  strict=True)],
            "sources": sorted({name for part in parts for names in part["products"].values()
                               for name in names})}


def feature_statistics(task: tuple[str, str, str, dict, str, str]) -> dict:
    """One feature's statistics per date (runs on a Dask worker)."""
    layers_dir, index, layer_name, geometry, start, end = task
    service = _service(layers_dir, index)
    layer = service.table.resolve(layer_name)
    span = params.DateRange(date.fromisoformat(start), date.fromisoformat(end))
    dates = service.compute(layer, [geojson.geometry(geometry)], span, _statistics)
    return {"results": {d.date: d.items[0] for d in dates},
            "products": {d.date: d.products for d in dates}}


def _statistics(layer: SeriesLayer, values: np.ndarray, total: int) -> dict:
    result = stats.summary(layer.band, values, total)
    if values.size:
        physical = stats.physical(layer.band, values)
        p10, p90 = np.percentile(physical, [10, 90])
        result.update(p10=stats.tidy(p10), p90=stats.tidy(p90))
    else:
        result.update(p10=stats.NAN, p90=stats.NAN)
    return {key: result[key] for key in STATISTICS}


@cache
def _service(layers_dir: str, index: str):
    from services.registry import load
    from services.timeseries import TimeSeriesService

    return TimeSeriesService(load(Path(layers_dir)), Path(index))


def _table(context: Context) -> LayerTable:
    return LayerTable(context.registry)


def _identifier(member: dict, position: int) -> str:
    value = member.get("id") if isinstance(member, dict) else None
    return str(value) if value is not None else str(position)


def _geometry(member: dict) -> dict:
    return member.get("geometry", member) if member.get("type") == "Feature" else member
