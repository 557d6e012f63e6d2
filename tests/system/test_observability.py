"""What operators see: Prometheus /metrics summed over gunicorn's workers, one JSON access log
line per request with its request id, and the per-worker memory ceiling recycling a worker."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import requests

from tests.conftest import Deployment, start_gateway, stop_gateway

SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$", re.M)
NDVI = "TERRASCOPE_S2_NDVI_V2"


def samples(url: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = {}
    for match in SAMPLE.finditer(response.text):
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        found[match["name"], labels] = float(match["value"])
    return found


def access_lines(deployment_env: dict[str, str]) -> list[dict]:
    """The JSON access lines of a gateway's log (which holds its other messages too)."""
    log = Path(deployment_env["EOSCOPE_VAR_DIR"]) / "gateway.log"
    lines = []
    for line in log.read_text(errors="replace").split("\n"):  # JSON Lines: \n only
        if line.startswith('{"time"'):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise AssertionError(f"an access line that is not JSON: {line[:300]}") from error
    return lines


def counted(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_metrics_add_up_every_worker(gateway: Deployment):
    key = {"service_class": "catalogue", "status": "200"}
    before = counted(samples(gateway.url), "eoscope_requests_total", **key)
    sent, pids = 0, set()
    while sent < 12 or (len(pids) < 2 and sent < 200):  # until both workers answered some
        with requests.Session() as session:  # a new connection each
            assert session.get(f"{gateway.url}/catalogue/collections", timeout=30,
                               headers={"X-Request-Id": "metrics-probe"}).status_code == 200
        sent += 1
        if sent >= 12:
            time.sleep(0.05)
            pids = {line["pid"] for line in access_lines(gateway.env)
                    if line["request_id"] == "metrics-probe"}
    assert len(pids) == 2, pids  # so the sum below is over two processes
    deadline = time.monotonic() + 10  # a request is counted once its last byte is sent
    while time.monotonic() < deadline:
        found = samples(gateway.url)
        if counted(found, "eoscope_requests_total", **key) - before >= sent:
            break
        time.sleep(0.1)
    assert counted(found, "eoscope_requests_total", **key) - before == sent
    assert counted(found, "eoscope_request_duration_seconds_count",
                   service_class="catalogue") >= sent
    assert ("eoscope_request_duration_seconds_bucket",
            frozenset({("service_class", "catalogue"), ("le", "0.05")})) in found
    assert counted(found, "eoscope_requests_in_flight") >= 1  # this scrape
    products = gateway.index.product_counts()
    assert counted(found, "eoscope_index_products", collection=NDVI) == products[NDVI]
    assert counted(found, "eoscope_index_version") == gateway.index.version()
    assert ("eoscope_jobs", frozenset()) not in found  # jobs are labelled by status
    # the users' usage collector (services/users/metrics.py) is scraped beside them
    assert ("eoscope_users_registered", frozenset()) in found
    assert ("eoscope_anonymous_viewers_today", frozenset()) in found


def test_each_request_is_one_json_access_line_with_its_request_id(gateway: Deployment):
    response = requests.get(f"{gateway.url}/ows", timeout=30, headers={
        "X-Request-Id": "client-chosen.id:42", "Accept-Encoding": "identity"},
        params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "client-chosen.id:42"
    insane = requests.get(f"{gateway.url}/healthz", timeout=30,
                          headers={"X-Request-Id": "no spaces or\u00e9 accents" + "x" * 200})
    generated = insane.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = {line["request_id"]: line for line in access_lines(gateway.env)}
        if "client-chosen.id:42" in lines and generated in lines:
            break
        time.sleep(0.1)
    line = lines["client-chosen.id:42"]
    assert line["method"] == "GET" and line["path"] == "/ows" and line["status"] == 200
    assert line["bytes"] == len(response.content)
    assert line["client"] == "127.0.0.1" and line["service_class"] == "cheap"
    assert 0 < line["duration_ms"] < 30_000
    assert lines[generated]["path"] == "/healthz"


def test_a_worker_above_the_memory_ceiling_is_recycled(gateway: Deployment, tmp_path):
    env = {**gateway.env, "EOSCOPE_VAR_DIR": str(tmp_path),
           "EOSCOPE_INDEX_PATH": str(gateway.settings.index), "EOSCOPE_WORKER_MAX_RSS_MB": "1"}
    process, url = start_gateway(env, workers=1)  # its first /healthz already recycles it
    try:
        answers = []
        deadline = time.monotonic() + 60
        while not answers or (len({line["pid"] for line in access_lines(env)}) < 2
                              and time.monotonic() < deadline):
            try:
                answers.append(requests.get(f"{url}/healthz", timeout=30).status_code)
            except requests.ConnectionError:  # between a worker's exit and the next's boot
                time.sleep(0.2)
        log = (tmp_path / "gateway.log").read_text()
    finally:
        stop_gateway(process)
    assert len({line["pid"] for line in access_lines(env)}) >= 2  # a fresh worker answered
    assert "above EOSCOPE_WORKER_MAX_RSS_MB=1: recycling it" in log
    assert set(answers) == {200}
