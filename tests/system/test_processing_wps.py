"""WPS 1.0.0 at /wps through OWSLib's ``owslib.wps`` (and plain HTTP for RawDataOutput and KVP):
capabilities, descriptions derived from the same process modules, sync and async execution
equal to numpy on the files, and bad inputs as ExceptionReports."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
import rasterio
import requests
from lxml import etree
from owslib.wps import SYNC, ComplexDataInput, WebProcessingService

from tests.processing_truth import BBOX, PROBAV, numpy_histogram, window

OWS = "{http://www.opengis.net/ows/1.1}"
WPS = "{http://www.opengis.net/wps/1.0.0}"


@pytest.fixture(scope="module")
def wps_url(gateway):
    return f"{gateway.url}/wps"


@pytest.fixture(scope="module")
def wps(wps_url):
    return WebProcessingService(wps_url, version="1.0.0")


@pytest.fixture(scope="module")
def probav(gateway):
    return window(gateway.settings.index)


def inputs(probav, bins: int = 256) -> list:
    start, end, _products = probav
    return [("collection", f"urn:eop:VITO:{PROBAV}"),
            ("bbox", ComplexDataInput(json.dumps(BBOX), mimeType="application/json")),
            ("start", start), ("end", end), ("band", "NDVI"), ("bins", str(bins))]


def test_capabilities_list_the_same_processes(wps, gateway):
    assert wps.identification.type == "WPS"
    assert {p.identifier for p in wps.processes} >= {"histogram", "echo"}
    described = requests.get(f"{gateway.url}/ogcapi/processes/histogram", timeout=10).json()
    assert next(p for p in wps.processes if p.identifier == "histogram").title == \
        described["title"]


def test_describe_process(wps):
    process = wps.describeprocess("histogram")
    names = {i.identifier: i for i in process.dataInputs}
    assert set(names) == {"collection", "bbox", "start", "end", "band", "bins"}
    assert names["bins"].dataType.endswith("integer") and names["bins"].minOccurs == 0
    assert [o.identifier for o in process.processOutputs] == ["histogram"]
    assert process.storeSupported and process.statusSupported


def test_execute_sync_equals_numpy(wps, gateway, probav):
    execution = wps.execute("histogram", inputs(probav), output=[("histogram", False, None)],
                            mode=SYNC)
    assert execution.isSucceded(), [e.text for e in execution.errors]
    result = json.loads(execution.processOutputs[0].data[0])
    counts, names = numpy_histogram(gateway.registry, probav[2])
    assert result["counts"] == counts and result["sources"] == names


def test_execute_async_with_status(wps, gateway, probav):
    execution = wps.execute("histogram", inputs(probav, bins=8),
                            output=[("histogram", False, None)])
    assert execution.statusLocation.startswith(f"{gateway.url}/wps/outputs/")
    deadline = time.monotonic() + 60
    while not execution.isComplete():
        assert time.monotonic() < deadline, execution.status
        execution.checkStatus(sleepSecs=0.5)
    assert execution.isSucceded(), [e.text for e in execution.errors]
    result = json.loads(execution.processOutputs[0].data[0])
    assert result["counts"] == numpy_histogram(gateway.registry, probav[2], bins=8)[0]


def test_raw_data_output(wps_url, gateway, probav):
    start, end, products = probav
    data_inputs = (f"collection={PROBAV};bbox={json.dumps(BBOX)}@mimeType=application/json;"
                   f"start={start};end={end};band=NDVI;bins=4")
    response = requests.get(wps_url, params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "histogram",
        "DataInputs": data_inputs, "RawDataOutput": "histogram"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["counts"] == numpy_histogram(gateway.registry, products, bins=4)[0]


@pytest.mark.parametrize("bad, message", [
    (("collection", "NOPE"), "unknown collection"),
    (("bins", "0"), "bins"),
    (("start", "2019-01-01"), "start is after end"),
])
def test_bad_inputs_are_exception_reports(wps, probav, bad, message):
    given = [(k, v) for k, v in inputs(probav) if k != bad[0]] + [bad]
    execution = wps.execute("histogram", given, output=[("histogram", False, None)], mode=SYNC)
    assert not execution.isSucceded()
    assert any(message in (e.text or "") for e in execution.errors), \
        [e.text for e in execution.errors]


def test_unknown_process_and_operation(wps_url):
    for params in ({"service": "WPS", "version": "1.0.0", "request": "DescribeProcess",
                    "identifier": "nope"},
                   {"service": "WPS", "version": "1.0.0", "request": "Nope"}):
        response = requests.get(wps_url, params=params, timeout=10)
        assert response.status_code == 400
        report = etree.fromstring(response.content)
        assert report.tag == f"{OWS}ExceptionReport"


def test_composite_as_raw_cog_and_embedded_base64(wps, wps_url, gateway):
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    bbox = [west + (east - west) * 0.4, south + (north - south) * 0.4,
            west + (east - west) * 0.45, south + (north - south) * 0.45]
    data_inputs = (f"layer=CGS_S2_NDVI;bbox={json.dumps(bbox)}@mimeType=application/json;"
                   "start=2018-01-01;end=2018-12-31;method=max")
    response = requests.get(wps_url, params={
        "service": "WPS", "version": "1.0.0", "request": "Execute",
        "identifier": "temporal-composite", "DataInputs": data_inputs,
        "RawDataOutput": "composite"}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("image/tiff")
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        raw = dataset.read(1)
        assert dataset.tags()["method"] == "max"
    execution = wps.execute("temporal-composite", [
        ("layer", "CGS_S2_NDVI"),
        ("bbox", ComplexDataInput(json.dumps(bbox), mimeType="application/json")),
        ("start", "2018-01-01"), ("end", "2018-12-31")],
        output=[("composite", False, None)], mode=SYNC)
    assert execution.isSucceded(), [e.text for e in execution.errors]
    embedded = base64.b64decode(execution.processOutputs[0].data[0])
    with rasterio.MemoryFile(embedded) as memory, memory.open() as dataset:
        np.testing.assert_array_equal(dataset.read(1), raw)


def test_async_status_reports_the_jobs_progress(wps):
    execution = wps.execute("echo", [("message", "wps"), ("pause", "3")],
                            output=[("echo", False, None)])
    seen = set()
    deadline = time.monotonic() + 60
    while not execution.isComplete():
        assert time.monotonic() < deadline, execution.status
        execution.checkStatus(sleepSecs=0.3)
        seen.add(int(execution.percentCompleted or 0))
    assert execution.isSucceded()
    assert json.loads(execution.processOutputs[0].data[0])["echo"] == "wps"
    assert any(0 < percent < 100 for percent in seen), seen
