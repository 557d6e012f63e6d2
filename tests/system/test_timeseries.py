"""The time series service over HTTP, against values computed here straight from the product
files with rasterio: points, polygons, a polygon across the 31UES/31UFS tile edge (one date,
two products), partly cloudy dates and a date with no valid pixel."""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import numpy as np
import pytest
import rasterio
import requests
import shapely
from pyproj import Transformer
from rasterio.transform import rowcol, xy
from shapely.geometry import Polygon, mapping

from services.demo import DemoSpec
from tests.conftest import served

OVERLAP = DemoSpec(seed=3, size_km=2.0, dates=6, start=date(2018, 5, 1), end=date(2018, 7, 31),
                   overlap=True)
TILE_EDGE_X = 599980.0  # west edge of 31UFS; 31UES goes on to 609780
CLOUDS = (3, 8, 9, 10)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
SEASON = {"startDate": "2018-01-01", "endDate": "2018-12-31"}
STATISTICS = ("average", "median", "stdDev", "min", "max")


@pytest.fixture(scope="module")
def overlap(tmp_path_factory):
    with served(tmp_path_factory.mktemp("ts-overlap"), OVERLAP) as deployment:
        yield deployment


# -- the truth, from the files -------------------------------------------------------------


def truth(registry, index, layer, day, shape):
    """(valid physical values, pixels covered) of ``shape`` (EPSG:32631) on ``day``: every
    product of the date, in name order; a ground pixel (keyed by its centre) counted once, with
    the first valid value; valid = not nodata, DN in the valid range, SCL not cloud/shadow."""
    collection, definition = registry.layer(layer)
    band = collection.band(definition.bands[0])
    scl = {name.replace("_TOC_", f"_{collection.product_type}_"): path
           for name, b, path in index.files("TERRASCOPE_S2_TOC_V2", day) if b == "SCL"}
    seen: dict[tuple[float, float], float | None] = {}
    for name, file_band, path in sorted(index.files(collection.id, day)):
        if file_band != band.name:
            continue
        with rasterio.open(path) as dataset:
            dn = dataset.read(1)
            rows, cols = np.indices(dn.shape)
            xs, ys = (np.asarray(v) for v in xy(dataset.transform, rows.ravel(), cols.ravel()))
        valid = (dn != band.nodata) & (dn >= band.valid_range[0]) & (dn <= band.valid_range[1])
        with rasterio.open(scl[name]) as classes:
            r, c = rowcol(classes.transform, xs, ys)
            valid &= ~np.isin(classes.read(1)[np.asarray(r), np.asarray(c)], CLOUDS).reshape(
                dn.shape)
        inside = shapely.contains_xy(shape, xs, ys)
        for x, y, value, ok in zip(xs[inside], ys[inside], dn.ravel()[inside],
                                   valid.ravel()[inside], strict=True):
            key = (round(float(x), 3), round(float(y), 3))
            if seen.get(key) is None:
                seen[key] = band.physical(float(value)) if ok else None
    return [v for v in seen.values() if v is not None], len(seen)


def truth_at(registry, index, layer, day, x, y):
    """The valid values (none or one) of the pixel containing (x, y) on ``day``: the first
    product in name order that has a valid value there (rasterio's ``index`` finds the pixel)."""
    collection, definition = registry.layer(layer)
    band = collection.band(definition.bands[0])
    scl = {name.replace("_TOC_", f"_{collection.product_type}_"): path
           for name, b, path in index.files("TERRASCOPE_S2_TOC_V2", day) if b == "SCL"}
    for name, file_band, path in sorted(index.files(collection.id, day)):
        if file_band != band.name:
            continue
        with rasterio.open(path) as dataset, rasterio.open(scl[name]) as classes:
            row, col = dataset.index(x, y)
            if not (0 <= row < dataset.height and 0 <= col < dataset.width):
                continue
            dn = int(dataset.read(1)[row, col])
            scene = int(classes.read(1)[classes.index(x, y)])
        if dn != band.nodata and band.valid_range[0] <= dn <= band.valid_range[1] and \
                scene not in CLOUDS:
            return [band.physical(dn)]
    return []


def assert_matches(result, values, total):
    assert (result["totalCount"], result["validCount"]) == (total, len(values))
    if not values:
        assert all(result[k] == "NaN" for k in STATISTICS), result
        return
    expected = {"average": np.mean(values), "median": np.median(values),
                "stdDev": np.std(values), "min": min(values), "max": max(values)}
    for key, value in expected.items():
        assert result[key] == pytest.approx(float(value), rel=1e-9, abs=1e-9), key


def area_origin(index):
    """South-west corner of the demo area in EPSG:32631, on the 20 m lattice."""
    minx, miny, maxx, maxy = index.extent("TERRASCOPE_S2_NDVI_V2")
    x, y = TO_UTM.transform(minx, miny)
    return math.ceil(x / 20) * 20, math.ceil(y / 20) * 20


def lonlat(shape):
    return mapping(shapely.transform(shape, lambda c: np.column_stack(TO_LONLAT.transform(*c.T))))


def series(url, layer, kind, **kwargs):
    response = requests.request("GET" if kind == "point" else "POST",
                                f"{url}/timeseries/v1.0/ts/{layer}/{kind}", timeout=60,
                                **kwargs)
    assert response.status_code == 200, response.text
    return response


# -- the tiny archive (one tile) -----------------------------------------------------------


def test_the_layer_list(gateway):
    layers = {e["name"]: e for e in requests.get(f"{gateway.url}/timeseries/v1.0/ts",
                                                 timeout=30).json()["layers"]}
    dates = [f"{d}T00:00:00Z" for d in gateway.index.dates("TERRASCOPE_S2_NDVI_V2")]
    for name in ("CGS_S2_NDVI", "TERRASCOPE_S2_NDVI_V2", "S2_NDVI"):
        assert layers[name]["dates"] == dates
    assert {"CGS_S2_FAPAR", "TERRASCOPE_S2_FAPAR_V2", "S2_FAPAR", "CGS_S2_LAI", "S2_LAI",
            "CGS_S2_FCOVER", "S2_FCOVER"} <= set(layers)
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    assert layers["S2_NDVI"]["bounds"] == pytest.approx(
        {"xmin": west, "ymin": south, "xmax": east, "ymax": north})


def test_a_point_series_the_notebook_way(gateway):
    x0, y0 = area_origin(gateway.index)
    x, y = x0 + 1012.5, y0 + 987.5  # well inside a pixel
    lon, lat = TO_LONLAT.transform(x, y)
    url = (f"{gateway.url}/timeseries/v1.0/ts/TERRASCOPE_S2_NDVI_V2/point?lon={lon}&lat={lat}"
           f"&startDate=2018-01-01&endDate=2018-12-31")
    results = requests.get(url, timeout=30).json()["results"]
    days = gateway.index.dates("TERRASCOPE_S2_NDVI_V2")
    assert [r["date"] for r in results] == days
    for entry in results:
        values = truth_at(gateway.registry, gateway.index, "CGS_S2_NDVI", entry["date"], x, y)
        assert_matches(entry["result"], values, 1)
    averages = [r["result"]["average"] for r in results]
    assert "NaN" in averages and any(isinstance(a, float) for a in averages)


@pytest.mark.parametrize(("layer", "canonical"), [
    ("CGS_S2_NDVI", "CGS_S2_NDVI"), ("S2_FAPAR", "CGS_S2_FAPAR"),
    ("TERRASCOPE_S2_LAI_V2", "CGS_S2_LAI"), ("CGS_S2_FCOVER", "CGS_S2_FCOVER")])
def test_a_polygon_series_matches_the_files(gateway, layer, canonical):
    x0, y0 = area_origin(gateway.index)
    shape = Polygon([(x0 + 203.3, y0 + 311.1), (x0 + 1391.7, y0 + 188.8),
                     (x0 + 1607.2, y0 + 1123.4), (x0 + 955.5, y0 + 1641.9),
                     (x0 + 203.3, y0 + 311.1)])
    results = series(gateway.url, layer, "geometry", params=SEASON,
                     json=lonlat(shape)).json()["results"]
    assert [r["date"] for r in results] == gateway.index.dates("TERRASCOPE_S2_NDVI_V2")
    for entry in results:
        values, total = truth(gateway.registry, gateway.index, canonical, entry["date"], shape)
        assert_matches(entry["result"], values, total)
    valid = [r["result"]["validCount"] for r in results]
    assert 0 in valid and any(0 < v < results[0]["result"]["totalCount"] for v in valid)


def test_a_date_with_no_valid_pixel_is_nan(gateway):
    x0, y0 = area_origin(gateway.index)
    shape = Polygon([(x0 + 101.5, y0 + 101.5), (x0 + 901.5, y0 + 101.5),
                     (x0 + 901.5, y0 + 701.5), (x0 + 101.5, y0 + 701.5), (x0 + 101.5, y0 + 101.5)])
    results = series(gateway.url, "CGS_S2_NDVI", "geometry",
                     params={"startDate": "2018-06-25", "endDate": "2018-06-25"},
                     json={"type": "Feature", "properties": {}, "geometry": lonlat(shape)}
                     ).json()["results"]
    assert results == [{"date": "2018-06-25", "result": {
        "average": "NaN", "median": "NaN", "stdDev": "NaN", "min": "NaN", "max": "NaN",
        "totalCount": 80 * 60, "validCount": 0}}]


def test_geometries_in_input_order_and_their_histograms(gateway):
    x0, y0 = area_origin(gateway.index)
    shapes = [Polygon([(x0 + a, y0 + b), (x0 + a + 301.5, y0 + b), (x0 + a + 301.5, y0 + b +
                      201.5), (x0 + a, y0 + b), ]) for a, b in ((101.7, 101.7), (1201.7, 901.7),
                                                                 (601.7, 1501.7))]
    collection = {"type": "GeometryCollection", "geometries": [lonlat(s) for s in shapes]}
    means = series(gateway.url, "CGS_S2_NDVI", "geometries", params=SEASON,
                   json=collection).json()["results"]
    histograms = series(gateway.url, "CGS_S2_NDVI", "geometries/histogram", params=SEASON,
                        json=collection).json()["results"]
    assert list(means) == list(histograms) == gateway.index.dates("TERRASCOPE_S2_NDVI_V2")
    for day, per_geometry in means.items():
        assert len(per_geometry) == 3
        for shape, result, bins in zip(shapes, per_geometry, histograms[day], strict=True):
            values, total = truth(gateway.registry, gateway.index, "CGS_S2_NDVI", day, shape)
            assert_matches(result, values, total)
            assert sum(b["count"] for b in bins) == len(values)
            levels, counts = np.unique(np.round(values, 9), return_counts=True)
            assert [b["value"] for b in bins] == pytest.approx(levels.tolist())
            assert [b["count"] for b in bins] == counts.tolist()


def test_csv_by_accept_header_or_format(gateway):
    x0, y0 = area_origin(gateway.index)
    lon, lat = TO_LONLAT.transform(x0 + 502.5, y0 + 502.5)
    query = {"lon": lon, "lat": lat, **SEASON}
    as_json = series(gateway.url, "S2_NDVI", "point", params=query).json()["results"]
    by_header = series(gateway.url, "S2_NDVI", "point", params=query,
                       headers={"Accept": "text/csv"})
    by_format = series(gateway.url, "S2_NDVI", "point", params={**query, "format": "csv"})
    assert by_header.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert by_header.text == by_format.text
    rows = list(csv.DictReader(io.StringIO(by_header.text)))
    assert [r["date"] for r in rows] == [r["date"] for r in as_json]
    for row, entry in zip(rows, as_json, strict=True):
        average = entry["result"]["average"]
        assert row["average"] == "NaN" if average == "NaN" else float(row["average"]) == average


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "S2_NDVI/point", {"params": {"lon": "4.4", "startDate": "2018-01-01",
                                         "endDate": "2018-02-01"}}, 400),
    ("GET", "S2_NDVI/point", {"params": {"lon": "4.4", "lat": "51", "startDate": "2018-13-01",
                                         "endDate": "2018-02-01"}}, 400),
    ("POST", "S2_NDVI/geometry", {"params": SEASON, "data": b"{not json"}, 400),
    ("POST", "S2_NDVI/geometry", {"params": SEASON, "json": {"type": "Polygon",
                                                             "coordinates": [[[4, 51]]]}}, 400),
    ("POST", "S2_NDVI/geometry", {"params": SEASON, "json": {"type": "Polygon", "coordinates": [
        [[4.0, 51.0], [4.2, 51.0], [4.2, 51.1], [4.0, 51.1], [4.0, 51.0]]]}}, 413),
    ("POST", "S2_NDVI/geometries", {"params": SEASON, "json": {
        "type": "GeometryCollection", "geometries": [{"type": "Point",
                                                      "coordinates": [4.4, 51.07]}] * 501}}, 413),
    ("POST", "S2_NDVI/geometries", {"params": SEASON, "data": b"x" * (1 << 21)}, 413),
    ("GET", "NO_SUCH_LAYER/point", {"params": {"lon": "4.4", "lat": "51", **SEASON}}, 404),
    ("GET", "S2_NDVI/geometry", {}, 405),
    ("GET", "S2_NDVI/bogus", {}, 404),
])
def test_client_errors_are_problem_documents(gateway, method, path, kwargs, status):
    response = requests.request(method, f"{gateway.url}/timeseries/v1.0/ts/{path}",
                                timeout=30, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"]


# -- two tiles on every date ---------------------------------------------------------------


def test_a_polygon_across_the_tile_edge_counts_each_pixel_once(overlap):
    url, registry, index = overlap
    _, y0 = area_origin(index)
    shape = Polygon([(TILE_EDGE_X - 603.3, y0 + 201.1), (TILE_EDGE_X + 507.7, y0 + 251.1),
                     (TILE_EDGE_X + 391.7, y0 + 1391.7), (TILE_EDGE_X - 488.8, y0 + 1201.7),
                     (TILE_EDGE_X - 603.3, y0 + 201.1)])
    document = series(url, "CGS_S2_NDVI", "geometry", params={**SEASON, "provenance": "true"},
                      json=lonlat(shape)).json()
    days = index.dates("TERRASCOPE_S2_NDVI_V2")
    assert [r["date"] for r in document["results"]] == days
    for entry in document["results"]:
        values, total = truth(registry, index, "CGS_S2_NDVI", entry["date"], shape)
        assert_matches(entry["result"], values, total)
        assert [n.split("_")[2] for n in document["products"][entry["date"]]][:1] == ["31UES"]
    centres = np.meshgrid(np.arange(TILE_EDGE_X - 1005, TILE_EDGE_X + 1000, 10),
                          np.arange(y0 + 5, y0 + 2000, 10))
    assert document["results"][0]["result"]["totalCount"] == \
        shapely.contains_xy(shape, *centres).sum()
    assert "NaN" == document["results"][days.index("2018-06-25")]["result"]["average"]


def test_a_point_where_the_tiles_overlap(overlap):
    url, registry, index = overlap
    _, y0 = area_origin(index)
    x, y = TILE_EDGE_X + 302.5, y0 + 1102.5
    lon, lat = TO_LONLAT.transform(x, y)
    results = series(url, "S2_NDVI", "point", params={"lon": lon, "lat": lat, **SEASON}
                     ).json()["results"]
    assert len(results) == len(index.dates("TERRASCOPE_S2_NDVI_V2"))
    for entry in results:
        assert_matches(entry["result"], truth_at(registry, index, "CGS_S2_NDVI", entry["date"],
                                                 x, y), 1)
