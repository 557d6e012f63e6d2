"""Two products on one date (Sentinel-2 tiles 31UES and 31UFS overlap): ingest indexes both and
WMS/WCS mosaic them into one seamless layer."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
import requests
from pyproj import Transformer

from services.demo import DemoSpec
from tests.conftest import served
from tests.helpers import read_image, source_value

SPEC = DemoSpec(seed=3, size_km=2.0, dates=2, start=date(2018, 6, 1), end=date(2018, 6, 30),
                overlap=True)
LAYER = "CGS_S2_NDVI"


@pytest.fixture(scope="module")
def overlap_gateway(tmp_path_factory):
    with served(tmp_path_factory.mktemp("overlap"), SPEC) as deployment:
        yield deployment


def test_one_date_has_two_products_with_their_tiles(overlap_gateway):
    _, _, index = overlap_gateway
    day = index.layer_dates(LAYER)[0]
    names = sorted({name for name, _, _ in index.files("TERRASCOPE_S2_NDVI_V2", day)})
    assert [n.split("_")[2] for n in names] == ["31UES", "31UFS"]


def test_wms_and_wcs_cover_the_seam_without_gaps(overlap_gateway):
    url, registry, index = overlap_gateway
    day = index.layer_dates(LAYER)[0]
    # 600 m either side of the west edge of 31UFS (x = 599980), in the middle of the area
    west, south, east, north = index.extent("TERRASCOPE_S2_NDVI_V2")
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    _, middle = to_utm.transform((west + east) / 2, (south + north) / 2)
    x0, x1 = 599380, 600580
    y0 = math.floor(middle / 10) * 10
    y1 = y0 + 400
    response = requests.get(f"{url}/wcs", params=[
        ("SERVICE", "WCS"), ("VERSION", "2.0.1"), ("REQUEST", "GetCoverage"),
        ("COVERAGEID", LAYER), ("FORMAT", "image/tiff"), ("SUBSET", f"x({x0},{x1})"),
        ("SUBSET", f"y({y0},{y1})"), ("SUBSET", f'time("{day}")')], timeout=60)
    assert response.status_code == 200, response.text[:300]
    values = read_image(response.content)[0]
    assert values.shape == (40, 120)
    to_lonlat = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    for col in (5, 59, 60, 61, 62, 115):  # 31UFS starts at column 60
        lon, lat = to_lonlat.transform(x0 + (col + 0.5) * 10, y1 - 20 * 10 - 5)
        expected = source_value(registry, index, LAYER, day, lon, lat)
        got = values[20, col]
        assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)
    west, south = to_lonlat.transform(x0, y0)
    east, north = to_lonlat.transform(x1, y1)
    image = read_image(requests.get(f"{url}/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
        "STYLES": "", "CRS": "CRS:84", "BBOX": f"{west},{south},{east},{north}",
        "WIDTH": 120, "HEIGHT": 40, "FORMAT": "image/png", "TIME": day}, timeout=60).content)
    opaque_per_column = (image[3] > 0).sum(axis=0)
    valid_per_column = (~np.isnan(values)).sum(axis=0)
    seam = slice(55, 66)
    assert (opaque_per_column[seam] >= 0.8 * valid_per_column[seam]).all(), "a gap at the seam"
