"""The truth for the processing tests: histograms computed here with numpy, from the files the
index names; and the environment of a gateway with a job store of its own."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio

from services.index.search import ProductQuery, ProductSearch
from services.registry import Registry
from services.settings import Settings

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


def own_job_store(settings: Settings, env: dict[str, str], root: Path, **extra: str
                  ) -> dict[str, str]:
    """The environment of a gateway serving the archive of ``settings`` with its own var
    folder under ``root`` (its own job store, runner, PyWPS folder and generated pygeoapi and
    PyWPS configuration), plus ``extra`` (EOSCOPE_… settings)."""
    generated = root / "generated"
    shutil.copytree(settings.generated_dir, generated)
    (root / "var").mkdir()
    return {**env, "EOSCOPE_VAR_DIR": str(root / "var"), "EOSCOPE_GENERATED_DIR": str(generated),
            "EOSCOPE_INDEX_PATH": str(settings.index), **extra}
