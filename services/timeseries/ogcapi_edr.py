"""OGC API - EDR at ``/ogcapi/collections/{layer}/position`` and ``/area``: each time series
layer (a single-band raster layer) as an EDR collection, a pygeoapi ``edr`` provider that asks
the time series service (:meth:`TimeSeriesService.compute`: the same reads, masks, limits and
DN→value rule as ``/timeseries``) and answers CoverageJSON: a ``PointSeries`` for a position
(the pixel's value on each date) and a ``PolygonSeries`` for an area (the mean of its valid
pixels on each date; dates with no valid pixel are null).

:func:`resources` is the part of pygeoapi's configuration that declares them.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from pygeoapi.provider.base import ProviderInvalidQueryError, ProviderRequestEntityTooLargeError
from pygeoapi.provider.base_edr import BaseEDRProvider
from shapely.geometry import Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from services.catalogue.ogcapi_records import registry_at
from services.errors import OGCException, RequestTooLarge
from services.registry import Registry
from services.settings import Settings
from services.timeseries.layers import LayerTable, SeriesLayer
from services.timeseries.params import DateRange, parse_date
from services.timeseries.service import TimeSeriesService, _summary

PROVIDER = "services.timeseries.ogcapi_edr.LayerSeries"


def resources(registry: Registry, settings: Settings) -> dict:
    """pygeoapi resources: an EDR collection per time series layer."""
    found = {}
    for layer in LayerTable(registry).layers:
        definition = registry.layers[layer.name][1]
        found[layer.name] = {
            "type": "collection", "title": definition.title.en,
            "description": definition.abstract.en, "keywords": list(definition.keywords),
            "extents": {"spatial": {"bbox": list(layer.collection.extent),
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "edr", "name": PROVIDER, "data": str(settings.index),
                           "layer": layer.name, "layers_dir": str(settings.layers_dir)}]}
    return found


@cache
def _service(layers_dir: str, index: str) -> TimeSeriesService:
    return TimeSeriesService(registry_at(layers_dir), Path(index))


class LayerSeries(BaseEDRProvider):
    """One time series layer's values at a position or over an area."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        self.service = _service(provider_def["layers_dir"], provider_def["data"])
        self.layer: SeriesLayer = self.service.table.resolve(provider_def["layer"])
        self._fields = self.get_fields()

    def get_fields(self) -> dict:
        band = self.layer.band
        return {band.name: {"type": "number", "title": band.description or band.name,
                            "x-ogc-unit": band.unit}}

    def position(self, wkt: BaseGeometry | None = None, datetime_: str | None = None,
                 **kwargs) -> dict:
        if not isinstance(wkt, Point):
            raise ProviderInvalidQueryError(user_msg="coords is a POINT(lon lat)")
        return self._coverage(wkt, datetime_, "PointSeries")

    def area(self, wkt: BaseGeometry | None = None, datetime_: str | None = None,
             **kwargs) -> dict:
        if not isinstance(wkt, Polygon):
            raise ProviderInvalidQueryError(user_msg="coords is a POLYGON((lon lat, ...))")
        return self._coverage(wkt, datetime_, "PolygonSeries")

    def _coverage(self, shape: BaseGeometry, datetime_: str | None, kind: str) -> dict:
        try:
            shapes = [shape] if kind == "PointSeries" else self.service._bounded([shape])
            dates = self.service.compute(self.layer, shapes, _span(datetime_), _summary)
        except RequestTooLarge as error:
            raise ProviderRequestEntityTooLargeError(user_msg=error.message) from None
        except OGCException as error:
            raise ProviderInvalidQueryError(user_msg=error.message) from None
        values = [_mean(d.items[0]) for d in dates]
        return coverage(self.layer, shape, kind, [d.date for d in dates], values)


def coverage(layer: SeriesLayer, shape: BaseGeometry, kind: str, days: list[str],
             values: list[float | None]) -> dict:
    """A CoverageJSON Coverage of one parameter over the dates ``days``."""
    band = layer.band
    if kind == "PointSeries":
        axes = {"x": {"values": [shape.x]}, "y": {"values": [shape.y]}}
    else:
        axes = {"composite": {"dataType": "polygon", "coordinates": ["x", "y"],
                              "values": [mapping(shape)["coordinates"]]}}
    axes["t"] = {"values": [f"{d}T00:00:00Z" for d in days]}
    return {
        "type": "Coverage",
        "domain": {"type": "Domain", "domainType": kind, "axes": axes, "referencing": [
            {"coordinates": ["x", "y"], "system": {
                "type": "GeographicCRS", "id": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            {"coordinates": ["t"], "system": {"type": "TemporalRS", "calendar": "Gregorian"}}]},
        "parameters": {band.name: {
            "type": "Parameter", "description": {"en": band.description or band.name},
            "unit": {"symbol": band.unit},
            "observedProperty": {"id": band.name, "label": {"en": band.name}}}},
        "ranges": {band.name: {"type": "NdArray", "dataType": "float", "axisNames": ["t"],
                               "shape": [len(days)], "values": values}},
    }


def _mean(statistics: dict) -> float | None:
    """The average, or None (JSON null) where no pixel was valid."""
    value = float(statistics["average"])
    return None if value != value else value


def _span(datetime_: str | None) -> DateRange:
    """The dates of an EDR ``datetime`` (an instant or ``start/end``, ``..`` for open)."""
    text = datetime_ or "../.."
    start, _, end = text.partition("/")
    end = end or start
    return DateRange(date.min if start in ("", "..") else parse_date(start, "datetime"),
                     date.max if end in ("", "..") else parse_date(end, "datetime"))
