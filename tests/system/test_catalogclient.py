"""The MEP notebooks' catalog API through the shipped ``catalogclient`` package, against the
/catalogue/mep/v2/ facade of a running gateway."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests

from catalogclient import catalog
from services.demo import plan
from tests.conftest import TINY

PLAN = sorted(plan(TINY), key=lambda a: a.sensing_time)


@pytest.fixture(scope="module")
def cat(gateway) -> catalog.Catalog:
    return catalog.Catalog(f"{gateway.url}/catalogue/mep/v2/")


def test_product_types(cat):
    types = cat.get_producttypes()
    assert {"CGS_S2_NDVI", "CGS_S2_RADIOMETRY", "TERRASCOPE_S2_NDVI_V2"} <= set(types)


def test_products_with_a_file_per_band(cat):
    products = cat.get_products("CGS_S2_RADIOMETRY", startdate="2018-05-01",
                                enddate=dt.date(2018, 7, 31), min_lon=3.0, max_lon=4.0,
                                min_lat=50.5, max_lat=51.5)
    assert [p.timestamp for p in products] == [a.sensing_time.replace(tzinfo=None) for a in PLAN]
    first = products[0]
    assert (first.tilex, first.tiley) == (-1, -1)
    for band in ("TOC-B04", "B04", "SCENECLASSIFICATION", "SCL"):
        path = first.file(band)
        assert path.startswith("file:/") and Path(path[5:]).is_file()
    with pytest.raises(RuntimeError):
        first.file("NOPE")
    assert str(first).startswith("CGS_S2_RADIOMETRY_-1_-1_2018-05-01")


def test_dates_are_whole_days_and_the_box_filters(cat):
    day = PLAN[1].sensing_time.date()
    assert len(cat.get_products("CGS_S2_NDVI", startdate=day, enddate=day)) == 1
    assert cat.get_products("CGS_S2_NDVI", min_lon=10, max_lon=11, min_lat=40,
                            max_lat=41) == []
    assert len(cat.get_products_for_year("TERRASCOPE_S2_NDVI_V2", 2018)) == len(PLAN)


def test_times(cat):
    assert cat.get_times("CGS_S2_NDVI") == [a.sensing_time.replace(tzinfo=None) for a in PLAN]


def test_errors(cat, gateway):
    with pytest.raises(requests.HTTPError):
        cat.get_products("NOPE")
    with pytest.raises(requests.HTTPError):
        cat.get_products("CGS_S2_NDVI", startdate="2018-13-45")
    response = requests.get(f"{gateway.url}/catalogue/mep/v2/CGS_S2_NDVI",
                            params={"minLon": "500000"}, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
