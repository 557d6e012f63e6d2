"""Admission control over HTTP: a one-worker gateway with tiny limits sheds what it cannot
start with 503 or 429, ``Retry-After`` and the protocol's error shape, while /healthz and
/metrics still answer and nothing is a 500."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.conftest import Deployment, start_gateway, stop_gateway

LAYER = "CGS_S2_NDVI"
GETMAP = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
          "STYLES": "", "CRS": "EPSG:3857", "BBOX": "405000,6630000,410000,6637000",
          "WIDTH": "256", "HEIGHT": "256", "FORMAT": "image/png"}
OGC = "{http://www.opengis.net/ogc}"
LIMITS = {
    "EOSCOPE_THREADS": "12",
    "EOSCOPE_ADMISSION_RENDER": "[2,1]",       # two at work, one waiting
    "EOSCOPE_ADMISSION_TIMESERIES": "[0,0]",   # every time series shed: the JSON shape
    "EOSCOPE_ADMISSION_WAIT": "30",
    "EOSCOPE_ADMISSION_CLIENT_SHARE": "0.5",   # one of the three render places per client
    "EOSCOPE_ADMISSION_RETRY_AFTER": "3",
    "EOSCOPE_TRUSTED_PROXIES": '["127.0.0.1"]',
}
BODY = b"<GetMap/>"


@pytest.fixture(scope="module")
def small(gateway: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-worker gateway on the session archive with the limits above."""
    var = tmp_path_factory.mktemp("admission")
    env = {**gateway.env, **LIMITS, "EOSCOPE_VAR_DIR": str(var),
           "EOSCOPE_INDEX_PATH": str(gateway.settings.index)}
    process, url = start_gateway(env, workers=1)
    try:
        yield url
    finally:
        stop_gateway(process)


def in_flight(url: str) -> int:
    """Requests in progress, /metrics' own excluded."""
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    return int(float(re.search(r"^eoscope_requests_in_flight (\S+)$", metrics, re.M)[1])) - 1


@contextmanager
def slow_bodies(url: str, clients: list[str]) -> Iterator[list[socket.socket]]:
    """One render request per client whose body is not sent yet: each holds (or waits for) a
    render place without holding the worker's GIL, as a slow client does. The bodies are
    sent on leaving."""
    host, port = url.removeprefix("http://").split(":")
    held = []
    try:
        for client in clients:
            connection = socket.create_connection((host, int(port)), timeout=30)
            connection.sendall(
                f"POST /ows?SERVICE=WMS&REQUEST=GetMap HTTP/1.1\r\nHost: {host}\r\n"
                f"X-Forwarded-For: {client}\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode())
            held.append(connection)
            deadline = time.monotonic() + 20
            while in_flight(url) < len(held) and time.monotonic() < deadline:
                time.sleep(0.05)
        yield held
    finally:
        for connection in held:
            connection.sendall(BODY)
        for connection in held:
            status = connection.recv(64).split(b" ")[1]
            connection.close()
            assert status != b"500"


def getmap(url: str, client: str) -> requests.Response:
    return requests.get(f"{url}/ows", params=GETMAP, timeout=60,
                        headers={"X-Forwarded-For": client})


def assert_shed_report(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Retry-After"] == "3"
    assert response.headers["Content-Type"].startswith("text/xml")
    report = etree.fromstring(response.content)
    assert report.tag == f"{OGC}ServiceExceptionReport"
    assert report.find(f"{OGC}ServiceException").get("code") == "NoApplicableCode"


def test_overload_is_503_at_once_in_the_wms_shape_while_health_answers(small):
    with slow_bodies(small, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]):
        started = time.monotonic()
        shed = getmap(small, "198.51.100.4")
        took = time.monotonic() - started
        health = requests.get(f"{small}/healthz", timeout=10)
    assert_shed_report(shed, 503)
    assert "busy with render requests (2 in progress, 1 waiting)" in shed.text
    assert took < 5  # at once, not after the wait
    assert health.status_code == 200
    assert getmap(small, "198.51.100.4").status_code == 200  # places free again
    metrics = requests.get(f"{small}/metrics", timeout=10).text
    assert 'eoscope_requests_shed_total{reason="overload",service_class="render"}' in metrics


def test_one_client_over_its_share_is_429_while_another_passes(small):
    with ThreadPoolExecutor(1) as pool:
        with slow_bodies(small, ["203.0.113.7", "203.0.113.7"]):  # both places, one client
            greedy = getmap(small, "203.0.113.7")   # would wait: over its share of one
            polite = pool.submit(getmap, small, "203.0.113.8")  # waits for a place
            deadline = time.monotonic() + 20
            while in_flight(small) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        polite = polite.result()
    assert_shed_report(greedy, 429)
    assert "this client already has 2 render requests" in greedy.text
    assert polite.status_code == 200, polite.text[:300]
    assert polite.headers["Content-Type"] == "image/png"


def test_a_shed_http_api_request_is_problem_json(small):
    response = requests.get(f"{small}/timeseries/v1.0/ts/TERRASCOPE_S2_NDVI_V2/point",
                            params={"lon": "3.65", "lat": "51.08"}, timeout=30)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
    assert "timeseries" in problem["detail"]


def test_cheap_requests_are_never_shed(small):
    for path in ("/healthz", "/metrics", "/ows?SERVICE=WMS&REQUEST=GetCapabilities"):
        assert requests.get(small + path, timeout=30).status_code == 200, path


def test_admission_settings_are_documented():
    operators = (Path(__file__).parents[2] / "docs" / "operators.md").read_text()
    for name in ("EOSCOPE_ADMISSION_RENDER", "EOSCOPE_ADMISSION_WAIT",
                 "EOSCOPE_ADMISSION_CLIENT_SHARE", "EOSCOPE_TRUSTED_PROXIES",
                 "EOSCOPE_WORKER_MAX_RSS_MB", "PROMETHEUS_MULTIPROC_DIR"):
        assert name in operators, name
