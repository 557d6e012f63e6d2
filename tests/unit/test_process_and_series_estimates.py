"""The estimates made before work starts against the work really done, without HTTP: the time
series' pixels read (services/timeseries/cost.py) and each process's plan() — tasks, pixels,
and the memory of a task (measured with tracemalloc) — on the tiny demo archive the gateway
serves. An estimate below the work is a defect (a request the limits should refuse gets
through); the factors above it are the ones docs/operators.md states."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date

import pytest
import rasterio
import shapely
from shapely.geometry import Point, Polygon, box

from services.demo import DemoSpec
from services.index import ProductIndex
from services.index.search import ProductSearch
from services.processing import catalog
from services.processing.context import Context, Output
from services.registry import load
from services.settings import Limits
from services.timeseries import TimeSeriesLimits, TimeSeriesService
from services.timeseries.params import DateRange
from services.timeseries.service import _summary
from tests.helpers import ingested

ALL_TIME = DateRange(date(1970, 1, 1), date(2099, 12, 31))
OVERLAP = DemoSpec(seed=3, size_km=2.0, dates=3, start=date(2018, 5, 1), end=date(2018, 7, 31),
                   overlap=True)
SERIES_LAYERS = ("CGS_S2_NDVI", "CGS_S1_GRD_SIGMA0_VV", "PROBAV_S1_TOC_333M_NDVI",
                 "CGS_S3_SY_2_V10_NDVI", "CGS_S5P_NO2")
SERIES_FACTOR = 3.0      # estimate / pixels read, for geometries inside the archive
MEMORY_FACTOR = 2.5      # task memory estimate / traced peak


@pytest.fixture(scope="module")
def series(tiny_archive):
    settings, _env = tiny_archive
    # the area limits widened: S5P's archive is 260 000 km² (the cost is what is checked)
    service = TimeSeriesService(load(settings.layers_dir), settings.index,
                                TimeSeriesLimits(max_extent_km2=1e6))
    yield service, ProductIndex(settings.index)
    service.close()


def shapes_in(extent: tuple[float, float, float, float]) -> dict[str, list]:
    """A spread of geometries inside a lon/lat extent: a point, a box, a thin diagonal strip
    (its rectangle much larger than its pixels), two far-apart boxes (two rectangles)."""
    x0, y0, x1, y1 = extent
    w, h = x1 - x0, y1 - y0
    return {
        "point": [Point(x0 + w / 2, y0 + h / 2)],
        "box": [box(x0 + w / 4, y0 + h / 4, x0 + w * 3 / 4, y0 + h * 3 / 4)],
        "diagonal": [Polygon([(x0 + w * .3, y0 + h * .3), (x0 + w * .32, y0 + h * .3),
                              (x0 + w * .7, y0 + h * .68), (x0 + w * .68, y0 + h * .7)])],
        "two parts": [box(x0 + w * .1, y0 + h * .1, x0 + w * .2, y0 + h * .2),
                      box(x0 + w * .7, y0 + h * .7, x0 + w * .8, y0 + h * .8)],
    }


@pytest.mark.parametrize("name", SERIES_LAYERS)
def test_time_series_estimate_bounds_the_pixels_read(series, name):
    service, index = series
    layer = service.table.resolve(name)
    for kind, shapes in shapes_in(index.extent(layer.collection.id)).items():
        plan = service.plan(layer, shapes, ALL_TIME)
        results = service.compute(layer, shapes, ALL_TIME, _summary)
        read = sum(r.pixels_read for r in results)
        assert [r.date for r in results] == sorted(plan.by_date), kind   # every date counted
        assert read > 0, kind
        assert within(plan.estimate, read, SERIES_FACTOR, f"time series {name} {kind}"), \
            (kind, plan.estimate, read)


def test_time_series_estimate_leaves_out_what_no_product_covers(series):
    """A polygon 3 × 3 the archive: only the part of its rectangle each product's footprint
    meets is counted for that product."""
    service, index = series
    layer = service.table.resolve("CGS_S2_NDVI")
    x0, y0, x1, y1 = index.extent(layer.collection.id)
    shapes = [box(x0 - (x1 - x0), y0 - (y1 - y0), x1 + (x1 - x0), y1 + (y1 - y0))]
    plan = service.plan(layer, shapes, ALL_TIME)
    read = sum(r.pixels_read for r in service.compute(layer, shapes, ALL_TIME, _summary))
    assert within(plan.estimate, read, SERIES_FACTOR, "time series, a polygon 3 × 3 the archive")


@pytest.fixture(scope="module")
def overlapping(tmp_path_factory):
    """Two Sentinel-2 tiles that overlap (31UES and 31UFS): two products a date."""
    registry, index = ingested(tmp_path_factory.mktemp("overlap-estimates"), OVERLAP)
    service = TimeSeriesService(registry, index.path)
    yield service, index
    service.close()


def test_time_series_estimate_bounds_reads_where_tiles_overlap(overlapping):
    service, index = overlapping
    layer = service.table.resolve("CGS_S2_NDVI")
    x0, y0, x1, y1 = extent = index.extent(layer.collection.id)
    shapes = {**shapes_in(extent), "across the tiles' edge": [
        box(x0 + (x1 - x0) * .4, y0 + (y1 - y0) * .3, x0 + (x1 - x0) * .6,
            y0 + (y1 - y0) * .7)]}
    for kind, geometries in shapes.items():
        plan = service.plan(layer, geometries, ALL_TIME)
        read = sum(r.pixels_read for r in service.compute(layer, geometries, ALL_TIME,
                                                          _summary))
        assert max(len(s) for s in plan.by_date.values()) == 2
        assert within(plan.estimate, read, SERIES_FACTOR, f"time series, overlap, {kind}")


# -- processes -----------------------------------------------------------------------------


class Meter:
    """A ``Context.map`` that runs tasks here and measures them: how many, and the largest
    traced peak of one (each task run once before, so caches filled on a first call — the
    registry, the network's weights — are not counted as the task's memory)."""

    def __init__(self) -> None:
        self.tasks = 0
        self.peak = 0

    def __call__(self, function: Callable, items: Sequence) -> list:
        results = []
        for item in items:
            function(item)
            tracemalloc.start()
            try:
                results.append(function(item))
                self.peak = max(self.peak, tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            self.tasks += 1
        return results


@pytest.fixture(scope="module")
def processes(tiny_archive):
    settings, _env = tiny_archive
    registry, index = load(settings.layers_dir), ProductIndex(settings.index)

    def run(process_id: str, inputs: dict):
        meter = Meter()
        context = Context(registry, ProductSearch(settings.index), Limits(),
                          layers_dir=settings.layers_dir, mapper=meter)
        process = catalog.load().get(process_id)
        work = process.plan(process.check(inputs), context)
        return work, process.task_memory(work), process.run(work, context), meter
    return run, index


def size_of(result: Output) -> tuple[int, int]:
    with rasterio.MemoryFile(result.data) as memory, memory.open() as dataset:
        return dataset.width, dataset.height


def within(estimate: float, work: float, factor: float, kind: str = "") -> bool:
    """``work`` ≤ ``estimate`` ≤ ``factor`` × ``work``; the factor printed (``pytest -s``)."""
    print(f"estimate ÷ work, {kind}: {estimate / work:.3f}")
    return work <= estimate <= factor * work


SMALL = [3.64, 51.07, 3.66, 51.08]
LARGE = [3.6, 51.0, 3.7, 51.1]


@pytest.mark.parametrize("bbox", [SMALL, LARGE])
def test_composite_and_extract_plans_are_their_runs(processes, bbox):
    run, index = processes
    last = index.dates("TERRASCOPE_S2_NDVI_V2")[-1]
    for process_id, inputs in (
            ("temporal-composite", {"start": "2018-01-01", "end": "2018-12-31",
                                    "method": "median"}),
            ("extract", {"date": last})):
        work, memory, result, meter = run(process_id, {"layer": "CGS_S2_NDVI", "bbox": bbox,
                                                       **inputs})
        assert size_of(result) == (work.width, work.height), process_id
        assert meter.tasks == len(work.dates), process_id       # one task a date
        # the composite the runner stacks: dates × pixels, max_composite_values' estimate
        assert work.width * work.height * len(work.dates) == \
            meter.tasks * work.width * work.height
        assert within(memory, meter.peak, MEMORY_FACTOR, f"{process_id} {bbox} task memory")


def test_change_plan_is_its_run(processes):
    run, _index = processes
    work, memory, result, meter = run("change", {
        "layer": "CGS_S2_NDVI", "bbox": SMALL, "before_start": "2018-01-01",
        "before_end": "2018-06-15", "after_start": "2018-06-16", "after_end": "2018-12-31"})
    assert size_of(result) == (work.after.width, work.after.height)
    assert meter.tasks == len(work.before.dates) + len(work.after.dates)
    assert within(memory, meter.peak, MEMORY_FACTOR, "change task memory")


@pytest.mark.parametrize("bbox", [SMALL, LARGE])
def test_biophysical_plan_is_its_run(processes, bbox):
    run, index = processes
    work, memory, result, meter = run("biophysical", {
        "bbox": bbox, "date": index.dates("TERRASCOPE_S2_TOC_V2")[-1]})
    assert size_of(result) == (work.width, work.height)
    assert meter.tasks == 1
    assert within(memory, meter.peak, 1.5, f"biophysical {bbox} task memory")


@pytest.mark.parametrize("collection, band", [("TERRASCOPE_S2_NDVI_V2", "NDVI"),
                                              ("PROBAV_L3_S1_TOC_333M", "NDVI")])
def test_histogram_plan_is_its_run(processes, collection, band):
    """Byte data: every pixel read falls in a bin, so the counts are the pixels read."""
    run, _index = processes
    work, memory, result, meter = run("histogram", {
        "collection": collection, "bbox": LARGE, "start": "2018-01-01", "end": "2018-12-31",
        "band": band})
    planned = sum(rasterio.open(path).width * rasterio.open(path).height
                  for _name, path, _index in work.files)
    assert meter.tasks == result["products"] == len(work.files) > 0
    assert sum(result["counts"]) == planned   # the max_process_pixels estimate, exactly
    assert within(memory, meter.peak, 1.5, f"histogram {collection} task memory")


def test_zonal_statistics_plan_bounds_what_its_tasks_read(processes, series):
    run, index = processes
    service, _index = series
    extent = index.extent("TERRASCOPE_S2_NDVI_V2")
    shapes = [s for group in shapes_in(extent).values() for s in group]
    features = {"type": "GeometryCollection",
                "geometries": [json.loads(shapely.to_geojson(s)) for s in shapes]}
    work, _memory, result, meter = run("zonal-statistics", {
        "layer": "CGS_S2_NDVI", "features": features, "start": "1970-01-01",
        "end": "2099-12-31"})
    assert meter.tasks == len(result["features"]) == len(shapes)   # one task a feature
    layer = service.table.resolve("CGS_S2_NDVI")
    read = sum(r.pixels_read for shape in shapes
               for r in service.compute(layer, [shape], ALL_TIME, _summary))
    assert within(work.pixels_read, read, SERIES_FACTOR, "zonal-statistics pixels read")
