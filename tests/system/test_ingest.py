"""Ingest: products found by the mission profiles, bad files skipped with the reason, re-ingest
is idempotent, and new dates are served without restarting the gateway."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import pytest
import requests
from lxml import etree

from services.demo import DemoSpec, generate, plan
from services.index import ProductIndex, ingest
from services.refresh import refresh
from services.registry import load
from tests.conftest import newest_held_back, settings_for

SPEC = DemoSpec(seed=11, size_km=1.0, dates=3, start=date(2018, 6, 1), end=date(2018, 6, 30))


@pytest.fixture
def archive(tmp_path):
    settings, env = settings_for(tmp_path)
    generate(settings.archive, SPEC)
    return settings, env


def rows(settings) -> list[tuple]:
    with sqlite3.connect(settings.index) as db:
        return db.execute("SELECT collection, name, time, cloud_cover, minx, miny, maxx, maxy"
                          " FROM products ORDER BY name").fetchall()


def test_products_are_recognised_with_their_metadata(archive):
    settings, _ = archive
    registry = load(settings.layers_dir)
    report = ingest(settings.archive, registry, ProductIndex(settings.index),
                    settings.derived_dir)
    acquisitions = plan(SPEC)
    assert len(report.products) == 5 * len(acquisitions)  # TOC, NDVI, FAPAR, LAI, FCOVER
    assert report.skipped == []
    indexed = rows(settings)
    first = acquisitions[0]
    ndvi = next(r for r in indexed if r[1] == first.product_name("NDVI"))
    assert ndvi[0] == "TERRASCOPE_S2_NDVI_V2"
    assert ndvi[2] == first.sensing_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 3.5 < ndvi[4] < ndvi[6] < 3.8 and 51.0 < ndvi[5] < ndvi[7] < 51.2  # near Ghent
    toc = next(r for r in indexed if r[1] == first.product_name("TOC"))
    assert 0.0 <= toc[3] <= 100.0


def test_bad_files_are_reported_and_skipped_the_rest_indexed(archive):
    settings, _ = archive
    (settings.archive / "README.tif").write_bytes(b"not a product")
    name = plan(SPEC)[0].product_name("NDVI")
    corrupt = next(settings.archive.rglob(f"{name}/*NDVI_10M*.tif"))
    corrupt.write_bytes(b"II*\x00garbage")
    report = ingest(settings.archive, load(settings.layers_dir), ProductIndex(settings.index),
                    settings.derived_dir)
    reasons = dict(report.skipped)
    assert reasons[str(settings.archive / "README.tif")] == (
        "not a product file of the profiles in use (probav, sentinel1, sentinel2, sentinel3, "
        "sentinel5p, spotvgt)")
    assert reasons[str(corrupt)].startswith("unreadable raster: ")
    assert str(settings.archive) not in reasons[str(corrupt)]  # no path in the reason
    assert name not in report.products
    assert len(report.products) == 5 * len(plan(SPEC)) - 1


def test_reingest_is_idempotent(archive):
    settings, _ = archive
    registry = load(settings.layers_dir)
    index = ProductIndex(settings.index)
    ingest(settings.archive, registry, index, settings.derived_dir)
    before = rows(settings)
    ingest(settings.archive, registry, index, settings.derived_dir)
    assert rows(settings) == before


def test_a_new_date_is_served_without_restart(tmp_path):
    with newest_held_back(tmp_path, SPEC) as (url, settings, registry, index, staging, newest):
        day = newest.sensing_time.date().isoformat()

        def dates() -> list[str]:
            response = requests.get(f"{url}/wms", params={
                "SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}, timeout=30)
            tree = etree.fromstring(response.content)
            return tree.xpath("//*[local-name()='Layer'][*[local-name()='Name']='CGS_S2_NDVI']"
                              "/*[local-name()='Dimension']/text()")[0].split(",")

        assert day not in dates()
        shutil.copytree(staging, settings.archive, dirs_exist_ok=True)
        refresh([settings.archive], registry, index, settings)
        assert dates()[-1] == day
        west, south, east, north = index.extent("TERRASCOPE_S2_NDVI_V2")
        response = requests.get(f"{url}/wms", params={
            "SERVICE": "WMS", "REQUEST": "GetMap", "VERSION": "1.3.0", "LAYERS": "CGS_S2_NDVI",
            "STYLES": "", "CRS": "CRS:84", "BBOX": f"{west},{south},{east},{north}",
            "WIDTH": 64, "HEIGHT": 64, "FORMAT": "image/png", "TIME": day}, timeout=30)
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
