"""OGC API - Processes at /ogcapi over HTTP (the checks of the OGC API Processes ETS, see
reference ogc-conformance-checks §7), the histogram against numpy on the files, async jobs,
dismissal, a web worker killed while its job runs, and bad inputs of every kind."""

from __future__ import annotations

import os
import signal
import time
import uuid

import numpy as np
import pytest
import rasterio
import requests
from pyproj import Transformer

from tests.processing_truth import BBOX, PROBAV, numpy_histogram, window

CONF_CORE = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"
EXC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
STATUSES = {"accepted", "running", "successful", "failed", "dismissed"}


@pytest.fixture(scope="module")
def api(gateway):
    return f"{gateway.url}/ogcapi"


@pytest.fixture(scope="module")
def probav(gateway):
    return window(gateway.settings.index)


def histogram_inputs(probav, **extra) -> dict:
    start, end, _products = probav
    return {"collection": f"urn:eop:VITO:{PROBAV}", "bbox": BBOX, "start": start, "end": end,
            "band": "NDVI", **extra}


def wait_for(url: str, statuses: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    info: dict = {}
    while time.monotonic() < deadline:
        try:
            info = requests.get(url, timeout=30).json()
        except requests.ConnectionError:  # workers just killed and booting again
            time.sleep(0.5)
            continue
        assert info["status"] in STATUSES
        if info["status"] in statuses:
            return info
        time.sleep(0.2)
    raise AssertionError(f"{url} not {statuses} within {timeout} s: {info}")


def assert_problem(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    document = response.json()
    assert document["type"] and document["status"] == status and document["detail"]
    if code:
        assert document["code"] == code, document
    return document


# -- landing, conformance, OpenAPI, process list and descriptions (PR-01 … PR-09) ----------


def test_landing_links(api):
    response = requests.get(api, headers={"Accept": "application/json"}, timeout=10)
    assert response.status_code == 200
    rels = {link["rel"] for link in response.json()["links"]}
    assert rels & {"service-desc", "service-doc"}
    assert rels & {"conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance"}
    assert rels & {"processes", "http://www.opengis.net/def/rel/ogc/1.0/processes"}
    for link in response.json()["links"]:   # links carry the host the client used
        assert link["href"].startswith(api), link


def test_conformance_and_openapi(api):
    conformance = requests.get(f"{api}/conformance", timeout=10).json()["conformsTo"]
    assert CONF_CORE in conformance and all(isinstance(c, str) for c in conformance)
    openapi = requests.get(f"{api}/openapi", params={"f": "json"}, timeout=10)
    assert openapi.status_code == 200
    assert "/processes/histogram/execution" in openapi.json()["paths"]


def test_process_list_and_limit(api):
    listed = requests.get(f"{api}/processes", timeout=10).json()
    ids = {p["id"] for p in listed["processes"]}
    assert {"histogram", "echo"} <= ids and isinstance(listed["links"], list)
    one = requests.get(f"{api}/processes", params={"limit": 1}, timeout=10).json()
    assert len(one["processes"]) == 1


@pytest.mark.parametrize("language, title", [("en", "Histogram of digital numbers"),
                                             ("nl", "Histogram van digitale waarden"),
                                             ("fr", "Histogramme des valeurs numériques")])
def test_description_in_three_languages(api, language, title):
    described = requests.get(f"{api}/processes/histogram", params={"lang": language},
                             timeout=10).json()
    assert described["title"] == title
    assert set(described["inputs"]) == {"collection", "bbox", "start", "end", "band", "bins"}
    for port in [*described["inputs"].values(), *described["outputs"].values()]:
        assert "schema" in port
    assert described["inputs"]["bins"]["schema"]["maximum"] == 65536
    assert "async-execute" in described["jobControlOptions"]


def test_unknown_process_and_job(api):
    assert_problem(requests.get(f"{api}/processes/invalid-process-{uuid.uuid4()}",
                                timeout=10), 404)
    missing = f"{api}/jobs/invalid-job-{uuid.uuid4()}"
    assert assert_problem(requests.get(missing, timeout=10), 404)["type"] == EXC + "no-such-job"
    assert_problem(requests.get(f"{missing}/results", timeout=10), 404)
    assert_problem(requests.delete(missing, timeout=10), 404)
    body = {"inputs": {"message": "x"}}
    assert assert_problem(requests.post(f"{api}/processes/nope/execution", json=body,
                                        timeout=10), 404)["type"] == EXC + "no-such-process"


# -- the histogram, sync and async, against numpy on the files ------------------------------


def test_histogram_sync_equals_numpy(gateway, api, probav):
    started = time.monotonic()
    response = requests.post(f"{api}/processes/histogram/execution",
                             json={"inputs": histogram_inputs(probav)}, timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    result = response.json()
    counts, names = numpy_histogram(gateway.registry, probav[2])
    assert result["counts"] == counts
    assert result["products"] == len(names) and result["sources"] == names
    assert result["edges"][0] == 0 and result["edges"][-1] == 256 and len(result["edges"]) == 257
    assert result["collection"] == f"urn:eop:VITO:{PROBAV}"
    print(f"sync histogram over /ogcapi: {elapsed:.2f} s for {len(names)} products")


def test_histogram_async_job(gateway, api, probav):
    response = requests.post(f"{api}/processes/histogram/execution",
                             json={"inputs": histogram_inputs(probav, bins=16)},
                             headers={"Prefer": "respond-async"}, timeout=30)
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert location.startswith(f"{api}/jobs/")
    info = wait_for(location, {"successful", "failed"})
    assert info["status"] == "successful" and info["progress"] == 100, info
    assert {"jobID", "status", "type"} <= set(info)
    result = requests.get(f"{location}/results", timeout=10).json()
    counts, _names = numpy_histogram(gateway.registry, probav[2], bins=16)
    assert result["counts"] == counts
    jobs = requests.get(f"{api}/jobs", timeout=10).json()["jobs"]
    assert info["jobID"] in {job["jobID"] for job in jobs}


def test_results_not_ready_then_dismiss_stops_the_work(api):
    response = requests.post(f"{api}/processes/echo/execution",
                             json={"inputs": {"message": "slow", "pause": 20}},
                             headers={"Prefer": "respond-async"}, timeout=30)
    location = response.headers["Location"]
    wait_for(location, {"running"})
    not_ready = assert_problem(requests.get(f"{location}/results", timeout=10), 404)
    assert not_ready["type"] == EXC + "result-not-ready"
    dismissed = requests.delete(location, timeout=10)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    time.sleep(1.5)  # the runner cancels within a second; the job never becomes successful
    assert requests.get(location, timeout=10).json()["status"] == "dismissed"


def test_job_survives_a_killed_web_worker(gateway, api):
    response = requests.post(f"{api}/processes/echo/execution",
                             json={"inputs": {"message": "still here", "pause": 3}},
                             headers={"Prefer": "respond-async"}, timeout=30)
    location = response.headers["Location"]
    wait_for(location, {"running"})
    master = int((gateway.settings.var_dir / "gateway.pid").read_text())
    for worker in _web_workers(master):
        os.kill(worker, signal.SIGKILL)
    info = wait_for(location, {"successful", "failed"}, timeout=60)
    assert info["status"] == "successful", info
    assert requests.get(f"{location}/results", timeout=10).json()["echo"] == "still here"


def _web_workers(master: int) -> list[int]:
    """The gunicorn workers: the master's children that run gunicorn (not the supervisors of
    the job runner and the render pool)."""
    children = open(f"/proc/{master}/task/{master}/children").read().split()
    workers = []
    for pid in map(int, children):
        command = open(f"/proc/{pid}/cmdline", "rb").read()
        if b"services.supervise" not in command:
            workers.append(pid)
    assert workers
    return workers


# -- bad inputs, each a problem document ------------------------------------------------------


@pytest.mark.parametrize("change, status, code", [
    ({"collection": "urn:eop:VITO:NOPE"}, 400, "InvalidParameterValue"),
    ({"collection": None}, 400, "InvalidParameterValue"),
    ({"bbox": [1, 2, 3]}, 400, "InvalidParameterValue"),
    ({"bbox": [6.5, 49.5, 2.5, 51.5]}, 400, "InvalidParameterValue"),
    ({"bbox": "2.5,49.5,6.5,51.5"}, 400, "InvalidParameterValue"),
    ({"start": "yesterday"}, 400, "InvalidParameterValue"),
    ({"start": "2018-02-30"}, 400, "InvalidParameterValue"),
    ({"start": "2019-01-01", "end": "2018-01-01"}, 400, "InvalidParameterValue"),
    ({"band": "NOPE"}, 400, "InvalidParameterValue"),
    ({"bins": 0}, 400, "InvalidParameterValue"),
    ({"bins": 1e9}, 400, "InvalidParameterValue"),
    ({"bins": "many"}, 400, "InvalidParameterValue"),
    ({"colour": "red"}, 400, "InvalidParameterValue"),
])
def test_bad_inputs(api, probav, change, status, code):
    inputs = {k: v for k, v in {**histogram_inputs(probav), **change}.items() if v is not None}
    if change.get("collection", "") is None:
        inputs.pop("collection", None)
        code = "MissingParameterValue"
    response = requests.post(f"{api}/processes/histogram/execution", json={"inputs": inputs},
                             timeout=30)
    assert_problem(response, status, code)


def test_malformed_bodies(api):
    url = f"{api}/processes/histogram/execution"
    assert_problem(requests.post(url, data=b"{not json", timeout=10), 400)
    assert_problem(requests.post(url, json={"inputs": []}, timeout=10), 400)


# -- zonal statistics: the time series service's statistics, plus percentiles ----------------


def _square(west: float, south: float, side: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [west + side, south],
                                                [west + side, south + side],
                                                [west, south + side], [west, south]]]}


def test_zonal_statistics_equal_the_time_series_service(gateway, api):
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    side = (east - west) / 5
    shapes = [_square(west + side, south + side, side), _square(west + 3 * side,
                                                                south + 2 * side, side)]
    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f"field-{i}", "properties": {}, "geometry": shape}
        for i, shape in enumerate(shapes)]}
    inputs = {"layer": "CGS_S2_NDVI", "features": features, "start": "2018-01-01",
              "end": "2018-12-31"}
    response = requests.post(f"{api}/processes/zonal-statistics/execution",
                             json={"inputs": inputs}, timeout=60)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [f["id"] for f in result["features"]] == ["field-0", "field-1"]
    reference = requests.post(
        f"{gateway.url}/timeseries/v1.0/ts/CGS_S2_NDVI/geometries",
        params={"startDate": "2018-01-01", "endDate": "2018-12-31"},
        json={"type": "GeometryCollection", "geometries": shapes}, timeout=60).json()["results"]
    assert reference and result["sources"]
    for i, feature in enumerate(result["features"]):
        assert list(feature["results"]) == list(reference)
        for day, statistics in feature["results"].items():
            expected = reference[day][i]
            assert {k: statistics[k] for k in expected} == expected
            if statistics["validCount"]:
                assert statistics["min"] <= statistics["p10"] <= statistics["median"] <= \
                    statistics["p90"] <= statistics["max"]


@pytest.mark.parametrize("change, code", [
    ({"layer": "NOPE"}, "InvalidParameterValue"),
    ({"features": {"type": "Polygon", "coordinates": []}}, "InvalidParameterValue"),
    ({"features": {"type": "FeatureCollection", "features": []}}, "InvalidParameterValue"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": _square(4.0, 50.0, 1.0)}]}}, "InvalidParameterValue"),
    ({"start": "2019-01-01"}, "InvalidParameterValue"),
])
def test_zonal_statistics_bad_inputs(api, change, code):
    inputs = {"layer": "CGS_S2_NDVI", "start": "2018-01-01", "end": "2018-12-31",
              "features": {"type": "FeatureCollection", "features": [
                  {"type": "Feature", "geometry": _square(4.7, 51.0, 0.001)}]}, **change}
    response = requests.post(f"{api}/processes/zonal-statistics/execution",
                             json={"inputs": inputs}, timeout=60)
    status = 413 if change.get("features", {}).get("features") else 400
    assert_problem(response, status, code)


# -- temporal composite: a COG in physical units, checked against point time series ----------


def _composite(api, bbox, method):
    inputs = {"layer": "CGS_S2_NDVI", "bbox": bbox, "start": "2018-01-01",
              "end": "2018-12-31", "method": method}
    response = requests.post(f"{api}/processes/temporal-composite/execution",
                             json={"inputs": inputs}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("image/tiff")
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        return dataset.read(1), dataset.transform, dataset.crs, dataset.tags(), \
            dataset.profile


def test_temporal_composite_max_equals_the_point_series(gateway, api):
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    bbox = [west + (east - west) * 0.4, south + (north - south) * 0.4,
            west + (east - west) * 0.5, south + (north - south) * 0.5]
    values, transform, crs, tags, profile = _composite(api, bbox, "max")
    assert crs.to_string() == "EPSG:32631" and transform.a == 10
    assert profile["dtype"] == "float32" and profile["tiled"]
    assert tags["method"] == "max" and tags["sources"].count("_NDVI_") >= 1
    finite = values[np.isfinite(values)]
    assert finite.size and -0.08 <= finite.min() and finite.max() <= 0.92
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    rows, cols = values.shape
    for row, col in ((1, 1), (rows // 2, cols // 2), (rows - 2, cols - 2)):
        lon, lat = to_lonlat.transform(*(transform * (col + 0.5, row + 0.5)))
        series = requests.get(
            f"{gateway.url}/timeseries/v1.0/ts/CGS_S2_NDVI/point",
            params={"lon": lon, "lat": lat, "startDate": "2018-01-01",
                    "endDate": "2018-12-31"}, timeout=60).json()["results"]
        valid = [r["result"]["average"] for r in series
                 if r["result"]["average"] != "NaN"]
        if valid:
            assert values[row, col] == pytest.approx(max(valid), abs=1e-6)
        else:
            assert np.isnan(values[row, col])
    median = _composite(api, bbox, "median")[0]
    both = np.isfinite(median) & np.isfinite(values)
    assert both.any() and np.all(median[both] <= values[both] + 1e-6)


def test_change_is_the_difference_of_two_composites(gateway, api):
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    bbox = [west + (east - west) * 0.4, south + (north - south) * 0.4,
            west + (east - west) * 0.5, south + (north - south) * 0.5]
    dates = gateway.index.dates("TERRASCOPE_S2_NDVI_V2")
    half = len(dates) // 2
    periods = {"before_start": dates[0], "before_end": dates[half - 1],
               "after_start": dates[half], "after_end": dates[-1]}
    response = requests.post(f"{api}/processes/change/execution", json={"inputs": {
        "layer": "CGS_S2_NDVI", "bbox": bbox, **periods}}, timeout=60)
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        change, tags = dataset.read(1), dataset.tags()
    parts = []
    for period in ("before", "after"):
        inputs = {"layer": "CGS_S2_NDVI", "bbox": bbox, "start": periods[f"{period}_start"],
                  "end": periods[f"{period}_end"], "method": "mean"}
        answer = requests.post(f"{api}/processes/temporal-composite/execution",
                               json={"inputs": inputs}, timeout=60)
        with rasterio.MemoryFile(answer.content) as memory, memory.open() as dataset:
            parts.append(dataset.read(1))
    np.testing.assert_array_equal(change, parts[1] - parts[0])
    assert tags["before_sources"] and tags["after_sources"]
    reversed_periods = {**periods, "before_end": dates[-1]}
    assert_problem(requests.post(f"{api}/processes/change/execution", json={"inputs": {
        "layer": "CGS_S2_NDVI", "bbox": bbox, **reversed_periods}}, timeout=60), 400,
        "InvalidParameterValue")


def test_extract_is_the_date_as_the_files_hold_it(gateway, api):
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    bbox = [west + (east - west) * 0.4, south + (north - south) * 0.4,
            west + (east - west) * 0.5, south + (north - south) * 0.5]
    day = gateway.index.dates("TERRASCOPE_S2_NDVI_V2")[0]
    response = requests.post(f"{api}/processes/extract/execution", json={"inputs": {
        "layer": "CGS_S2_NDVI", "bbox": bbox, "date": day}}, timeout=60)
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        values, transform, tags = dataset.read(1), dataset.transform, dataset.tags()
    single = requests.post(f"{api}/processes/temporal-composite/execution", json={"inputs": {
        "layer": "CGS_S2_NDVI", "bbox": bbox, "start": day, "end": day}}, timeout=60)
    with rasterio.MemoryFile(single.content) as memory, memory.open() as dataset:
        np.testing.assert_array_equal(values, dataset.read(1))
    band = gateway.registry.collections["TERRASCOPE_S2_NDVI_V2"].band("NDVI")
    (name, path), = [(n, p) for n, b, p in gateway.index.files("TERRASCOPE_S2_NDVI_V2", day)
                     if b == "NDVI"]
    assert tags["sources"] == name
    with rasterio.open(path) as source:   # the same grid: pixels are the file's own
        x, y = transform * (0.5, 0.5)
        row, col = source.index(x, y)
        dn = source.read(1, window=((row, row + 1), (col, col + 1)))[0, 0]
    if np.isfinite(values[0, 0]):
        assert values[0, 0] == pytest.approx(band.physical(float(dn)), abs=1e-6)
    assert_problem(requests.post(f"{api}/processes/extract/execution", json={"inputs": {
        "layer": "CGS_S2_NDVI", "bbox": bbox, "date": "1999-01-01"}}, timeout=60), 400,
        "InvalidParameterValue")


def test_biophysical_lai_equals_the_archives_lai(gateway, api):
    from services.demo import plan
    from services.demo.geometry import area_bounds, centre_lon_lat
    from services.demo.solar import acquisition_angles
    from tests.conftest import TINY

    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_TOC_V2")
    bbox = [west + (east - west) * 0.3, south + (north - south) * 0.3,
            west + (east - west) * 0.6, south + (north - south) * 0.6]
    acquisition = min(plan(TINY), key=lambda a: a.cloud_cover)   # the clearest date
    angles = acquisition_angles(acquisition.platform, acquisition.sensing_time,
                                *centre_lon_lat(area_bounds(TINY)))
    day = acquisition.sensing_time.date().isoformat()
    response = requests.post(f"{api}/processes/biophysical/execution", json={"inputs": {
        "bbox": bbox, "date": day, "variable": "LAI", "sun_zenith": angles.sun_zenith,
        "sun_azimuth": angles.sun_azimuth, "view_zenith": angles.view_zenith,
        "view_azimuth": angles.view_azimuth}}, timeout=60)
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        ours, tags = dataset.read(1), dataset.tags()
    assert tags["variable"] == "LAI" and "_TOC_" in tags["sources"]
    archive = requests.post(f"{api}/processes/extract/execution", json={"inputs": {
        "layer": "CGS_S2_LAI", "bbox": bbox, "date": day}}, timeout=60)
    with rasterio.MemoryFile(archive.content) as memory, memory.open() as dataset:
        theirs = dataset.read(1)
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert both.mean() > 0.5, both.mean()
    assert np.array_equal(np.isfinite(ours), np.isfinite(theirs))   # the same mask
    step = gateway.registry.collections["TERRASCOPE_S2_LAI_V2"].band("LAI").scale
    assert np.abs(ours[both] - theirs[both]).max() <= step / 2 + 1e-6
    assert_problem(requests.post(f"{api}/processes/biophysical/execution", json={"inputs": {
        "bbox": bbox, "date": "1999-01-01"}}, timeout=60), 400, "InvalidParameterValue")
    assert_problem(requests.post(f"{api}/processes/biophysical/execution", json={"inputs": {
        "bbox": bbox, "date": day, "variable": "NDVI"}}, timeout=60), 400,
        "InvalidParameterValue")
