"""A collection added by a YAML file alone (for a profile that exists) and ingested with
`eoscope ingest` while the gateway runs is live in every service: ingest sees the registry
changed, regenerates the configurations and reloads the running gateway gracefully (gunicorn's
HUP), then indexes the new products. No restart, no other step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date

import requests
from lxml import etree

from services.demo.archive import generate as generate_sentinel2
from services.demo.spec import DemoSpec
from services.demo.vgt import Sentinel3Spec, generate_sentinel3
from services.generate import generate_all
from services.index import ProductIndex, ingest
from services.registry import load
from services.settings import PROJECT_ROOT
from tests.conftest import settings_for, start_gateway, stop_gateway

ADDED = "s3_syn_v10.yaml"
COLLECTION, LAYER = "TERRASCOPE_S3_SY_2_V10_V1", "CGS_S3_SY_2_V10_NDVI"


def health(url: str) -> dict:
    return requests.get(f"{url}/healthz", timeout=30).json()


def test_a_collection_added_by_yaml_is_live_everywhere_after_ingest(tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(PROJECT_ROOT / "layers", layers)
    (layers / ADDED).unlink()
    base, env = settings_for(tmp_path)
    settings = base.model_copy(update={"layers_dir": layers})
    env = {**env, "EOSCOPE_LAYERS_DIR": str(layers)}
    generate_sentinel2(settings.archive, DemoSpec(seed=3, size_km=1.0, dates=2,
                                                  start=date(2018, 6, 1), end=date(2018, 6, 20)))
    generate_sentinel3(settings.archive, Sentinel3Spec(seed=3, region=(3.6, 51.0, 3.9, 51.2),
                                                       dekads=2))
    registry = load(layers)
    report = ingest(settings.archive, registry, ProductIndex(settings.index),
                    settings.derived_dir)
    assert any("SY_2_V10" in path for path, _why in report.skipped)  # no profile in use
    generate_all(registry, settings)
    process, url = start_gateway(env, workers=2)
    try:
        before = health(url)["checks"]
        shutil.copy(PROJECT_ROOT / "layers" / ADDED, layers / ADDED)
        with requests_meanwhile(url) as answers:
            done = subprocess.run([sys.executable, "-m", "services.cli", "ingest"],
                                  cwd=PROJECT_ROOT, env={**os.environ, **env},
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            assert "the running gateway was told to reload" in done.stderr
            fingerprint = load(layers).fingerprint
            deadline = time.monotonic() + 60
            while health(url)["checks"]["registry_fingerprint"] != fingerprint:
                assert time.monotonic() < deadline, "the gateway did not reload"
                time.sleep(0.5)
        assert answers and set(answers) == {200}, f"requests lost during the reload: {answers}"
        assert_live_everywhere(url, before)
    finally:
        stop_gateway(process)


class requests_meanwhile:
    """Ask for a map over and over while the block runs; the statuses are collected."""

    def __init__(self, url: str):
        self.url, self.statuses, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self._ask, daemon=True)

    def _ask(self) -> None:
        params = {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
        while not self.stop.is_set():
            try:
                self.statuses.append(requests.get(f"{self.url}/wms", params=params,
                                                  timeout=30).status_code)
            except requests.RequestException as error:
                self.statuses.append(type(error).__name__)

    def __enter__(self) -> list:
        self.thread.start()
        return self.statuses

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def assert_live_everywhere(url: str, before: dict) -> None:
    checks = health(url)["checks"]
    assert checks["registry"] == before["registry"] + 1
    assert checks["layers_with_products"] == before["layers_with_products"] + 1
    ows = {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    tree = etree.fromstring(requests.get(f"{url}/wms", params=ows, timeout=60).content)
    dates = tree.xpath(f"//*[local-name()='Layer'][*[local-name()='Name']='{LAYER}']"
                       "/*[local-name()='Dimension']/text()")[0].split(",")
    assert dates == ["2018-05-01", "2018-05-11"]
    coverage = requests.get(f"{url}/wcs", params={
        "SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "DescribeCoverage",
        "COVERAGEID": LAYER}, timeout=60)
    assert coverage.status_code == 200 and LAYER.encode() in coverage.content
    wmts = requests.get(f"{url}/wmts/1.0.0/WMTSCapabilities.xml", timeout=60).content
    assert f"<ows:Identifier>{LAYER}</ows:Identifier>".encode() in wmts
    products = requests.get(f"{url}/catalogue/products", params={
        "collection": f"urn:eop:VITO:{COLLECTION}"}, timeout=60).json()
    assert products["totalResults"] == 2
    record = requests.get(f"{url}/csw", params={
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById",
        "id": products["features"][0]["id"]}, timeout=60)
    assert products["features"][0]["id"].encode() in record.content
    series = requests.get(f"{url}/timeseries/v1.0/ts", timeout=60).json()
    assert LAYER in {entry["name"] for entry in series["layers"]}
    assert LAYER in requests.get(f"{url}/", timeout=60).text
