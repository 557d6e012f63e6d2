"""Ingest keeps tiles fresh without a restart: a new date appears in WMTS, and replacing a
product re-renders that date's tiles over its footprint while other dates stay cached."""

from __future__ import annotations

import math
import shutil
from datetime import date

import numpy as np
import pytest
import rasterio
import rasterio.shutil
import requests
from lxml import etree

from services.demo import DemoSpec, plan
from services.refresh import refresh
from tests.conftest import newest_held_back
from tests.helpers import read_image

SPEC = DemoSpec(seed=5, size_km=1.0, dates=3, start=date(2018, 6, 1), end=date(2018, 6, 30))
LAYER = "CGS_S2_NDVI"
Z = 16


@pytest.fixture
def served(tmp_path):
    with newest_held_back(tmp_path, SPEC) as served_archive:
        yield served_archive


def tile_url(url, index, day, z: int = Z) -> str:
    west, south, east, north = index.extent("TERRASCOPE_S2_NDVI_V2")
    lon, lat = (west + east) / 2, (south + north) / 2
    n = 2 ** z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{url}/wmts/{LAYER}/default/GoogleMapsCompatible/{day}/{z}/{row}/{col}.png"


def wmts_dates(url) -> list[str]:
    tree = etree.fromstring(requests.get(f"{url}/wmts/1.0.0/WMTSCapabilities.xml",
                                         timeout=30).content)
    return tree.xpath(f"//*[local-name()='Layer'][*[local-name()='Identifier']='{LAYER}']"
                      "/*[local-name()='Dimension']/*[local-name()='Value']/text()")


def cached_tiles(settings, day) -> dict[str, int]:
    root = settings.tile_cache_dir
    return {str(p.relative_to(root)): p.stat().st_mtime_ns
            for p in root.rglob("*.png") if f"time-{day}" in str(p)}


def test_new_date_appears_and_replaced_product_is_rerendered(served):
    url, settings, registry, index, staging, newest = served
    new_day = newest.sensing_time.date().isoformat()
    assert new_day not in wmts_dates(url)

    shutil.copytree(staging, settings.archive, dirs_exist_ok=True)
    refresh([settings.archive], registry, index, settings)
    assert wmts_dates(url)[-1] == new_day
    assert requests.get(tile_url(url, index, new_day), timeout=60).status_code == 200

    by_clearness = sorted((a for a in plan(SPEC) if a.sensing_time != newest.sensing_time),
                          key=lambda a: a.cloud_cover)
    first, second = (a.sensing_time.date().isoformat() for a in by_clearness[:2])
    before = {d: requests.get(tile_url(url, index, d), timeout=60).content
              for d in (first, second)}
    low_before = requests.get(tile_url(url, index, first, z=8), timeout=60).content
    kept = cached_tiles(settings, second)
    assert kept and cached_tiles(settings, first)

    # replace the first date's NDVI product: every valid pixel becomes bare soil (NDVI 0.12)
    name = next(a for a in plan(SPEC) if a.sensing_time.date().isoformat() == first)
    path = next(settings.archive.rglob(f"{name.product_name('NDVI')}/*_NDVI_10M_*.tif"))
    with rasterio.open(path) as dataset:
        profile, values = dataset.profile, dataset.read(1)
    with rasterio.MemoryFile() as memory:
        with memory.open(**{**profile, "driver": "GTiff"}) as draft:
            draft.write(np.where(values == 255, 255, 50).astype("uint8"), 1)
        # an archive replaces a product atomically, so a reader never sees half a file
        draft_path = path.with_name(f".{path.name}.part")
        rasterio.shutil.copy(memory.name, draft_path, driver="COG")
    draft_path.replace(path)
    report = refresh([settings.archive], registry, index, settings)
    assert report.tiles_invalidated > 0
    assert [p.name for r in report.ingested for p in r.changed] == [name.product_name("NDVI")]

    response = requests.get(tile_url(url, index, first), timeout=60)
    assert response.headers["Content-Type"] == "image/png", response.content[:400]
    after = response.content
    assert after != before[first]
    low = requests.get(tile_url(url, index, first, z=8), timeout=60).content
    assert low != low_before, "a level below 10 is invalidated too (its folder is '8')"
    colours = read_image(after)
    opaque = colours[3] > 0
    assert len(np.unique(colours[:3, opaque], axis=1).T) == 1, "one NDVI, one colour"
    assert cached_tiles(settings, second) == kept, "other dates are not touched"
    assert requests.get(tile_url(url, index, second), timeout=60).content == before[second]
