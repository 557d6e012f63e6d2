"""Terrascope product and file names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.index.naming import parse_file, parse_product, product_of


def test_product_name():
    product = parse_product("S2A_20180602T105031_31UES_NDVI_V200")
    assert product is not None
    assert (product.platform, product.tile, product.product_type, product.version) == (
        "S2A", "31UES", "NDVI", "200")
    assert product.time == datetime(2018, 6, 2, 10, 50, 31, tzinfo=UTC)


def test_file_names_give_the_band_token():
    assert parse_file("S2A_20180602T105031_31UES_NDVI_10M_V200.tif").token == "NDVI_10M"
    assert parse_file("S2B_20190307T105021_31UFS_TOC-B04_10M_V210.tif").token == "TOC-B04_10M"
    assert parse_file("S2A_20180602T105031_31UES_SCENECLASSIFICATION_20M_V200.tif").token == \
        "SCENECLASSIFICATION_20M"


def test_not_product_names():
    assert parse_product("S2A_20180602_31UES_NDVI_V200") is None
    assert parse_file("S2A_20180602T105031_31UES_NDVI_10M_V200.jp2") is None
    assert parse_file("README.tif") is None


def test_product_of_looks_through_resolution_folders():
    path = Path("/data/MTDA/TERRASCOPE_Sentinel2/FAPAR_V2/2019/03/07/"
                "S2A_20190307T105021_31UFS_FAPAR_V200/10M/"
                "S2A_20190307T105021_31UFS_FAPAR_10M_V200.tif")
    assert product_of(path).name == "S2A_20190307T105021_31UFS_FAPAR_V200"
    assert product_of(Path("/tmp/x/S2A_20190307T105021_31UFS_FAPAR_10M_V200.tif")) is None
