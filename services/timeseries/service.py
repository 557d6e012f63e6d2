"""The time series service, framework-free: a :class:`Request` in, a :class:`Response` out.

Operations (Terrascope's ``/v1.0/ts`` API): ``layers`` (the layer list), ``layer`` (one
entry of it), ``point``, ``geometry``, ``geometries`` and ``histogram``. Every client error
comes back as a problem document (400, 404 or 413), never as an exception.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from services.errors import OGCException, RequestTooLarge
from services.index.series import SeriesCatalog, SeriesQuery, Source
from services.registry import Registry
from services.timeseries import cost, geojson, output, params, stats
from services.timeseries.errors import problem
from services.timeseries.grid import Pixels, QueryGrid
from services.timeseries.handles import DatasetPool
from services.timeseries.layers import LayerTable, SeriesLayer
from services.timeseries.limits import TimeSeriesLimits
from services.timeseries.output import DateResult
from services.timeseries.params import DateRange
from services.timeseries.reader import Reader

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Request:
    """What a client asked: the operation, the layer name, query arguments, the body, and the
    output format its Accept header prefers (``json``, ``csv`` or None)."""

    operation: str
    layer: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    accept: str | None = None


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


Reduce = Callable[[SeriesLayer, np.ndarray, int], object]
LOG = logging.getLogger("eoscope.timeseries")


@dataclass(frozen=True)
class SeriesPlan:
    """A request's pixels on the layer's grid, its products by date, the index version they
    come from, and the pixels it may read (:func:`services.timeseries.cost.pixels_read`)."""

    grid: QueryGrid
    pixels: list[Pixels]
    by_date: dict[str, list[Source]]
    version: tuple[int, int, int]
    estimate: int


class TimeSeriesService:
    """Built once by the gateway from the registry and the index path; thread-safe."""

    def __init__(self, registry: Registry, index_path: Path,
                 limits: TimeSeriesLimits | None = None):
        self.limits = limits or TimeSeriesLimits()
        self.table = LayerTable(registry)
        self.catalog = SeriesCatalog(index_path)
        self.pool = DatasetPool(self.limits.open_files)
        self.executor = ThreadPoolExecutor(self.limits.read_threads,
                                           thread_name_prefix="timeseries")
        self.operations: dict[str, Callable[[Request], Response]] = {
            "layers": self._layers, "layer": self._layer, "point": self._point,
            "geometry": self._geometry, "geometries": self._geometries,
            "histogram": self._histogram}

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.pool.close()

    def handle(self, request: Request) -> Response:
        operation = self.operations[request.operation]  # KeyError: a bug of the adapter
        try:
            return operation(request)
        except OGCException as error:
            status, body = problem(error)
            return Response(status, PROBLEM, body)

    # -- operations ------------------------------------------------------------------------

    def _layers(self, request: Request) -> Response:
        summaries: dict[str, tuple] = {}
        entries = []
        for name, layer in self.table.names():
            if layer.collection.id not in summaries:
                summaries[layer.collection.id] = self.catalog.summary(layer.collection.id)
            entries.append(output.layer_entry(name, *summaries[layer.collection.id]))
        return Response(200, JSON, output.layers_json(entries))

    def _layer(self, request: Request) -> Response:
        layer = self.table.resolve(request.layer or "")
        entry = output.layer_entry(request.layer, *self.catalog.summary(layer.collection.id))
        return Response(200, JSON, output.dump(entry))

    def _point(self, request: Request) -> Response:
        layer, span, form, provenance = self._common(request)
        lon, lat = params.lon_lat(request.args)
        return self._series(layer, [Point(lon, lat)], span, form, provenance)

    def _geometry(self, request: Request) -> Response:
        layer, span, form, provenance = self._common(request)
        shape = geojson.geometry(geojson.parse_json(request.body))
        return self._series(layer, self._bounded([shape]), span, form, provenance)

    def _geometries(self, request: Request) -> Response:
        return self._per_geometry(request, _summary, output.per_geometry_csv)

    def _histogram(self, request: Request) -> Response:
        return self._per_geometry(request, _histogram, output.histogram_csv)

    def _per_geometry(self, request: Request, summarise, to_csv) -> Response:
        """A GeometryCollection's results per date, one entry per geometry in input order."""
        layer, span, form, provenance = self._common(request)
        shapes = self._bounded(geojson.geometries(geojson.parse_json(request.body),
                                                  self.limits.max_geometries))
        dates = self.compute(layer, shapes, span, summarise)
        if form == "csv":
            return Response(200, CSV, to_csv(dates))
        return Response(200, JSON, output.per_geometry_json(dates, provenance))

    # -- the work --------------------------------------------------------------------------

    def plan(self, layer: SeriesLayer, shapes: list[BaseGeometry], span: DateRange
             ) -> SeriesPlan:
        """What a request will read, and its estimated cost (:mod:`services.timeseries.cost`),
        before any file is read; over a limit, RequestTooLarge."""
        g = layer.collection.grid
        grid = QueryGrid(g.crs, g.step, (float(g.origin[0]), float(g.origin[1])), g.geographic)
        projected = [grid.project(shape) for shape in shapes]
        extent_km2 = sum(grid.area_km2(box) for p in projected for box in grid.boxes(p))
        if extent_km2 > self.limits.max_extent_km2:
            raise RequestTooLarge(f"the geometries' bounding boxes cover {extent_km2:.1f} km²;"
                                  f" at most {self.limits.max_extent_km2:g} km² per request",
                                  "body")
        pixels = [grid.pixels(p) for p in projected]
        mask = layer.mask
        query = SeriesQuery(layer.collection.id, layer.band.name,
                            mask.collection if mask else None, mask.band.name if mask else None)
        by_date = self.catalog.sources(query, span.start, span.end, shapely.union_all(shapes))
        work = SeriesPlan(grid, pixels, by_date, self.catalog.version(),
                          cost.pixels_read(pixels, by_date, mask is not None, grid))
        self._check_cost(work)
        return work

    def compute(self, layer: SeriesLayer, shapes: list[BaseGeometry], span: DateRange,
                reduce: Reduce) -> list[DateResult]:
        """``reduce(layer, valid digital numbers, total pixels)`` of each geometry on each date
        that has a product meeting one of the geometries, oldest first."""
        work = self.plan(layer, shapes, span)
        pixels, by_date = work.pixels, work.by_date
        totals = [px.total for px in pixels]
        reader = Reader(self.pool, work.grid, layer, work.version)

        def dates(days: list[str]) -> list[DateResult]:
            reads = reader.read_dates([by_date[day] for day in days], pixels)
            return [DateResult(day, [reduce(layer, values, total) for values, total in
                                     zip(read.values, totals, strict=True)], read.products,
                               read.pixels_read)
                    for day, read in zip(days, reads, strict=True)]

        days = sorted(by_date)
        if self.limits.read_threads == 1:  # in the request's own thread: no queue shared
            results = dates(days)          # with the worker's other requests
        else:
            size = max(1, math.ceil(len(days) / self.limits.read_threads))  # a batch a thread
            batches = [days[i:i + size] for i in range(0, len(days), size)]
            results = [r for batch in self.executor.map(dates, batches) for r in batch]
        LOG.debug("time series %s: %d pixels read on %d dates, estimated %d", layer.name,
                  sum(r.pixels_read for r in results), len(results), work.estimate)
        return results

    def _check_cost(self, work: SeriesPlan) -> None:
        """The pixels a request may read within :attr:`TimeSeriesLimits.max_pixel_dates`."""
        most = self.limits.max_pixel_dates
        if work.estimate > most:
            raise RequestTooLarge(
                f"{sum(px.total for px in work.pixels)} pixels on {len(work.by_date)} dates "
                f"read up to {work.estimate} pixels (their rectangles × the products of each "
                f"date × the bands and masks); at most {most} per request: ask for fewer "
                "dates or a smaller area", "endDate")

    def _common(self, request: Request) -> tuple[SeriesLayer, DateRange, str, bool]:
        """The layer, the dates, the output format and whether to name the products."""
        layer = self.table.resolve(request.layer or "")
        span = params.date_range(request.args)
        return layer, span, params.output_format(request.args, request.accept), \
            params.flag(request.args, "provenance")

    def _series(self, layer: SeriesLayer, shapes: list[BaseGeometry], span: DateRange,
                form: str, provenance: bool) -> Response:
        dates = self.compute(layer, shapes, span, _summary)
        if form == "csv":
            return Response(200, CSV, output.series_csv(dates))
        return Response(200, JSON, output.series_json(dates, provenance))

    def _bounded(self, shapes: list[BaseGeometry]) -> list[BaseGeometry]:
        """The shapes, if each and all together are within the area limits."""
        total = 0.0
        for i, shape in enumerate(shapes):
            area = geojson.area_km2(shape)
            if area > self.limits.max_area_km2:
                which = "the polygon" if len(shapes) == 1 else f"geometry {i}"
                raise RequestTooLarge(f"{which} covers {area:.1f} km²; at most "
                                      f"{self.limits.max_area_km2:g} km² per polygon", "body")
            total += area
        if total > self.limits.max_total_area_km2:
            raise RequestTooLarge(f"the geometries cover {total:.1f} km² together; at most "
                                  f"{self.limits.max_total_area_km2:g} km² per request", "body")
        return shapes


def _summary(layer: SeriesLayer, values: np.ndarray, total: int) -> dict:
    return stats.summary(layer.band, values, total)


def _histogram(layer: SeriesLayer, values: np.ndarray, total: int) -> list:
    return stats.histogram(layer.band, values)
