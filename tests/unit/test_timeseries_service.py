"""The framework-free service on a small ingested demo archive, without HTTP: layer names and
aliases, the scene classification mask, limits (413), malformed input (400), formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import rowcol, xy
from shapely.geometry import box, mapping

from services.demo import DemoSpec
from services.index import ingest
from services.timeseries import Request, TimeSeriesLimits, TimeSeriesService
from tests.helpers import ingested

SPEC = DemoSpec(seed=11, size_km=1.0, dates=3, start=date(2018, 7, 1), end=date(2018, 7, 31))
TO_LONLAT = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
ALL = {"startDate": "2018-01-01", "endDate": "2018-12-31"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return ingested(tmp_path_factory.mktemp("ts-service"), SPEC)


@pytest.fixture(scope="module")
def service(archive):
    registry, index = archive
    service = TimeSeriesService(registry, index.path, TimeSeriesLimits(max_area_km2=0.5))
    yield service
    service.close()


def ask(service, operation, layer=None, args=None, body=None, accept=None):
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    response = service.handle(Request(operation, layer, {**ALL, **(args or {})},
                                      payload or b"", accept))
    return response.status, response.content_type, response.body


def utm_box(index, west, south, east, north):
    """A box given in metres from the archive's south-west corner, as lon/lat GeoJSON."""
    x0, y0, _, _ = area_utm(index)
    shape = box(x0 + west, y0 + south, x0 + east, y0 + north)
    lonlat = shapely.transform(shape, lambda c: np.column_stack(TO_LONLAT.transform(*c.T)))
    return mapping(lonlat), shape


def area_utm(index):
    minx, miny, maxx, maxy = index.extent("TERRASCOPE_S2_NDVI_V2")
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    x0, y0 = to_utm.transform(minx, miny)
    x1, y1 = to_utm.transform(maxx, maxy)
    return np.ceil(x0 / 20) * 20, np.ceil(y0 / 20) * 20, x1, y1


def test_the_layer_list_has_every_name_with_dates_and_bounds(service, archive):
    _, index = archive
    status, media, body = ask(service, "layers")
    layers = {entry["name"]: entry for entry in json.loads(body)["layers"]}
    assert status == 200 and media == "application/json"
    assert {"CGS_S2_NDVI", "TERRASCOPE_S2_NDVI_V2", "S2_NDVI", "CGS_S2_FAPAR", "S2_FAPAR",
            "S2_FAPAR_FILE", "TERRASCOPE_S2_FCOVER_V2", "S2_LAI"} <= set(layers)
    assert not {"CGS_S2_RADIOMETRY", "CGS_S2_REFLECTANCE"} & set(layers)
    expected = [f"{d}T00:00:00Z" for d in index.dates("TERRASCOPE_S2_NDVI_V2")]
    assert layers["S2_NDVI"]["dates"] == layers["CGS_S2_NDVI"]["dates"] == expected
    bounds = layers["S2_NDVI"]["bounds"]
    assert list(bounds.values()) == pytest.approx(index.extent("TERRASCOPE_S2_NDVI_V2"))


def test_aliases_answer_like_the_layer(service, archive):
    geometry, _ = utm_box(archive[1], 103.3, 103.3, 403.3, 303.3)
    answers = {name: ask(service, "geometry", name, body=geometry)[2]
               for name in ("CGS_S2_FAPAR", "TERRASCOPE_S2_FAPAR_V2", "S2_FAPAR")}
    assert len(set(answers.values())) == 1
    assert len(json.loads(answers["S2_FAPAR"])["results"]) == SPEC.dates


def test_an_unknown_layer_is_404_with_the_known_names(service):
    status, media, body = ask(service, "point", "S2_NDVI_V9", {"lon": "4", "lat": "51"})
    problem = json.loads(body)
    assert (status, media, problem["status"], problem["code"]) == (
        404, "application/problem+json", 404, "LayerNotDefined")
    assert problem["detail"].startswith("no time series layer 'S2_NDVI_V9' (known: CGS_S1_")
    assert "CGS_S2_NDVI" in problem["detail"]


def test_the_scene_classification_masks_pixels_the_indicator_left_valid(archive, tmp_path):
    """The demo's NDVI already has clouds as nodata: mark clear pixels cloudy in the SCL only
    (the product reprocessed and ingested again), and the service must drop them too."""
    registry, index = archive
    day = index.dates("TERRASCOPE_S2_NDVI_V2")[-1]
    [(_, _, scl_path)] = [f for f in index.files("TERRASCOPE_S2_TOC_V2", day) if f[1] == "SCL"]
    [(_, _, ndvi_path)] = index.files("TERRASCOPE_S2_NDVI_V2", day)
    geometry, shape = utm_box(index, 101.7, 101.7, 601.7, 401.7)
    service = TimeSeriesService(registry, index.path)
    try:
        before = json.loads(ask(service, "geometry", "CGS_S2_NDVI", {"startDate": day,
                                "endDate": day}, geometry)[2])["results"][0]["result"]
        with rasterio.open(scl_path) as dataset:
            profile, scene = dataset.profile, dataset.read(1)
        scene[:, : scene.shape[1] // 2] = 9  # the west half: cloud, high probability
        profile.update(driver="GTiff")
        with rasterio.open(scl_path, "w", **profile) as dataset:
            dataset.write(scene, 1)
        ingest(index.path.parent / "archive", registry, index, index.path.parent / "derived")
        after = json.loads(ask(service, "geometry", "CGS_S2_NDVI", {"startDate": day,
                               "endDate": day}, geometry)[2])["results"][0]["result"]
    finally:
        service.close()
    with rasterio.open(ndvi_path) as ndvi, rasterio.open(scl_path) as scl:
        values = ndvi.read(1)
        rows, cols = np.indices(values.shape)
        xs, ys = (np.array(v) for v in xy(ndvi.transform, rows.ravel(), cols.ravel()))
        inside = shapely.contains_xy(shape, xs, ys).reshape(values.shape)
        scl_rows, scl_cols = rowcol(scl.transform, xs, ys)
        classes = scl.read(1)[scl_rows, scl_cols].reshape(values.shape)
    valid = inside & (values <= 250) & ~np.isin(classes, (3, 8, 9, 10))
    assert before["totalCount"] == after["totalCount"] == inside.sum()
    assert after["validCount"] == valid.sum() < before["validCount"]
    assert after["average"] == pytest.approx(
        float(np.mean(values[valid] * 0.004 - 0.08)), abs=1e-9)


@pytest.mark.parametrize(("operation", "body", "args", "detail"), [
    ("geometry", "big", {}, "the polygon covers"),
    ("geometries", "many", {}, "3 geometries; at most 2 per request"),
    ("geometries", "total", {}, "together; at most 0.8 km² per request"),
    ("geometry", "diagonal", {}, "bounding boxes cover"),
    ("geometry", "inside", {}, "at most 1 per request: ask for fewer dates"),
])
def test_limits_are_413_before_any_work(archive, operation, body, args, detail):
    registry, index = archive
    limits = TimeSeriesLimits(max_area_km2=0.5, max_total_area_km2=0.8, max_geometries=2,
                              max_extent_km2=2.0, max_pixel_dates=1)
    service = TimeSeriesService(registry, index.path, limits)
    square = {"type": "Polygon", "coordinates": [[[4.4, 51.0], [4.406, 51.0], [4.406, 51.004],
                                                   [4.4, 51.004], [4.4, 51.0]]]}  # 0.19 km²
    bodies = {
        "big": {"type": "Polygon", "coordinates": [[[4.4, 51.0], [4.42, 51.0], [4.42, 51.01],
                                                    [4.4, 51.01], [4.4, 51.0]]]},
        "many": {"type": "GeometryCollection", "geometries": [square] * 3},
        "total": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "coordinates": [[[4.4, 51.0], [4.41, 51.0], [4.41, 51.006],
                                                 [4.4, 51.006], [4.4, 51.0]]]}] * 2},
        "inside": utm_box(index, 0, 0, 100, 100)[0],
        "diagonal": {"type": "Polygon", "coordinates": [[[4.4, 51.0], [4.45, 51.03],
                                                         [4.4501, 51.03], [4.4, 51.0]]]},
    }
    try:
        status, media, answer = ask(service, operation, "CGS_S2_NDVI", args, bodies.get(body))
    finally:
        service.close()
    assert (status, media) == (413, "application/problem+json")
    assert detail in json.loads(answer)["detail"]


@pytest.mark.parametrize("body", [
    b"", b"null", b"{}", b'"Polygon"', b"[]", b'{"type": null}', b'{"type": "Polygon",'
    b' "coordinates": 5}', b'{"type": "Polygon", "coordinates": [[5]]}',
    b'{"type": "Polygon", "coordinates": [[[1, 2, 3, 4], [1, 2], [1, 3], [1, 2]]]}',
    b'{"type": "Polygon", "coordinates": [[[1e999, 2], [1, 2], [1, 3], [1e999, 2]]]}',
    b'{"type": "MultiPolygon", "coordinates": [[]]}', b'{"type": "Feature"}',
    b'{"type": "Feature", "geometry": []}', b'{"type": "GeometryCollection"}',
    b'{"type": "Polygon", "coordinates": [[[0,0],[0,0],[0,0],[0,0]]]}',
])
@pytest.mark.parametrize("operation", ["geometry", "geometries", "histogram"])
def test_malformed_bodies_are_400(service, operation, body):
    status, media, answer = ask(service, operation, "CGS_S2_NDVI", body=body)
    assert (status, media) == (400, "application/problem+json"), answer
    assert json.loads(answer)["status"] == 400


def test_csv_has_a_row_per_date_and_geometry(service, archive):
    geometry, _ = utm_box(archive[1], 103.3, 103.3, 303.3, 303.3)
    collection = {"type": "GeometryCollection", "geometries": [geometry, geometry]}
    status, media, body = ask(service, "geometries", "CGS_S2_LAI", {"format": "csv"},
                              collection)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert (status, media) == (200, "text/csv; charset=utf-8")
    assert len(rows) == 2 * SPEC.dates
    assert rows[0].keys() == {"date", "geometry", "average", "median", "stdDev", "min", "max",
                              "totalCount", "validCount"}
    assert [r["geometry"] for r in rows[:2]] == ["0", "1"]
    status, media, body = ask(service, "point", "CGS_S2_LAI", {"lon": "4.425", "lat": "51.07"},
                              accept="csv")
    assert media.startswith("text/csv") and body.startswith(b"date,average,median,stdDev")
    status, media, body = ask(service, "histogram", "CGS_S2_LAI", {"format": "csv"},
                              collection)
    assert body.startswith(b"date,geometry,value,count\r\n")


def test_provenance_names_the_products(service, archive):
    geometry, _ = utm_box(archive[1], 103.3, 103.3, 303.3, 303.3)
    document = json.loads(ask(service, "geometry", "CGS_S2_FCOVER", {"provenance": "true"},
                              geometry)[2])
    assert set(document["products"]) == {r["date"] for r in document["results"]}
    assert all(len(names) == 1 and "_FCOVER_V200" in names[0]
               for names in document["products"].values())
    assert "products" not in json.loads(ask(service, "geometry", "CGS_S2_FCOVER",
                                            body=geometry)[2])


def test_a_geometry_outside_the_archive_has_no_dates(service):
    far = {"type": "Polygon", "coordinates": [[[5.0, 50.0], [5.001, 50.0], [5.001, 50.001],
                                               [5.0, 50.001], [5.0, 50.0]]]}
    assert json.loads(ask(service, "geometry", "CGS_S2_NDVI", body=far)[2]) == {"results": []}
