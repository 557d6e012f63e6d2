"""The truth for the processing tests: histograms computed here with numpy, from the files the
index names."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import rasterio

from services.index.search import ProductQuery, ProductSearch
from services.registry import Registry

PROBAV = "PROBAV_L3_S1_TOC_333M"
BBOX = [2.5, 49.5, 6.5, 51.5]


def window(index_path) -> tuple[str, str, list]:
    """(first date, last date, products) of the PROBA-V S1 collection in BBOX."""
    _total, products = ProductSearch(index_path).search(ProductQuery(
        collections=(PROBAV,), start=datetime(1990, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC), bbox=tuple(BBOX), limit=1000))
    assert products, "the tiny archive has PROBA-V S1 products"
    return products[0].date, products[-1].date, products


def numpy_histogram(registry: Registry, products: list, band_name: str = "NDVI",
                    bins: int = 256) -> tuple[list[int], list[str]]:
    band = registry.collections[PROBAV].band(band_name)
    total = np.zeros(bins, dtype=np.int64)
    for product in products:
        with rasterio.open(product.paths()[band_name]) as dataset:
            total += np.histogram(dataset.read(band.index), bins=bins, range=(0, 256))[0]
    return total.tolist(), [p.name for p in products]
