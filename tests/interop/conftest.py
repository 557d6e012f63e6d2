"""Interop-only fixtures: the native grid of the test layer, the dates worth comparing, a
pixel-by-pixel comparison of a client's coverage with the source files, and a clean environment
for Debian's own GDAL and QGIS (so the venv's rasterio/PROJ settings never leak into them)."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from tests.helpers import source_value

LAYER = "CGS_S2_NDVI"
# Variables that point Debian's GDAL/PROJ/Python at the venv's copies; never passed on.
_LEAKY = ("GDAL_DATA", "PROJ_DATA", "PROJ_LIB", "GDAL_DRIVER_PATH", "PYTHONPATH", "PYTHONHOME",
          "VIRTUAL_ENV", "CPL_DEBUG", "GDAL_HTTP_PROXY", "HTTP_PROXY", "http_proxy")


def client_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a third-party client subprocess, with its own HOME (GDAL's WCS
    cache, QGIS's profile) under the test's tmp_path."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    env.update(HOME=str(home), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               **extra)
    return env


@dataclass(frozen=True)
class Grid:
    """The native grid of a layer's source files."""

    crs: str
    left: float
    top: float
    resolution: float
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.left, self.top - self.height * self.resolution,
                self.left + self.width * self.resolution, self.top)

    def window(self, col: int, row: int, width: int, height: int
               ) -> tuple[float, float, float, float]:
        """minx, miny, maxx, maxy of a block of whole pixels."""
        r = self.resolution
        return (self.left + col * r, self.top - (row + height) * r,
                self.left + (col + width) * r, self.top - row * r)


@pytest.fixture(scope="session")
def grid(gateway) -> Grid:
    collection, definition = gateway.registry.layer(LAYER)
    date = gateway.index.layer_dates(LAYER)[-1]
    path = gateway.index.files(collection.id, date)[0][2]
    with rasterio.open(path) as dataset:
        assert dataset.res[0] == dataset.res[1]
        return Grid(f"EPSG:{dataset.crs.to_epsg()}", dataset.bounds.left, dataset.bounds.top,
                    dataset.res[0], dataset.width, dataset.height)


def _valid_fraction(gateway, date: str) -> float:
    collection, definition = gateway.registry.layer(LAYER)
    band = collection.band(definition.bands[0])
    for _name, file_band, path in gateway.index.files(collection.id, date):
        if file_band == band.name:
            with rasterio.open(path) as dataset:
                return float((dataset.read(1) != band.nodata).mean())
    return 0.0


@pytest.fixture(scope="session")
def two_dates(gateway) -> tuple[str, str]:
    """Two dates of the test layer with mostly valid (cloud-free) pixels, oldest first: what a
    client fetches for each must match that date's source, and the two must differ."""
    dates = gateway.index.layer_dates(LAYER)
    clear = sorted(dates, key=lambda d: _valid_fraction(gateway, d), reverse=True)[:2]
    assert len(clear) == 2 and _valid_fraction(gateway, clear[1]) > 0.3, clear
    return min(clear), max(clear)


@dataclass
class Comparison:
    """A client's coverage compared with the source files, pixel by pixel (sampled)."""

    crs: str | None
    shape: tuple[int, ...]
    matched: int = 0        # valid pixels equal to the source value
    nodata: int = 0         # NaN in the coverage where the source is nodata
    mismatches: list[str] = field(default_factory=list)
    values: np.ndarray | None = None

    def assert_exact(self, min_valid: int = 10) -> None:
        assert not self.mismatches, (
            f"{len(self.mismatches)} of {self.matched + len(self.mismatches)} compared pixels"
            f" differ from the source file, e.g. {self.mismatches[:5]}")
        assert self.matched >= min_valid, (
            f"only {self.matched} valid pixels compared ({self.nodata} nodata)")


def compare(gateway, raster: bytes | Path, date: str, layer: str = LAYER, step: int = 5
            ) -> Comparison:
    """Compare band 1 of a GeoTIFF with ``source_value`` at every ``step``-th pixel centre,
    located through the GeoTIFF's own georeferencing. NaN must be NaN; values within 1e-6."""
    source = io.BytesIO(raster) if isinstance(raster, bytes) else raster
    with rasterio.open(source) as dataset:
        values = dataset.read(1)
        transform, crs = dataset.transform, dataset.crs
        result = Comparison(crs=f"EPSG:{crs.to_epsg()}" if crs else None, shape=values.shape,
                            values=values)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    for row in range(step // 2, values.shape[0], step):
        for col in range(step // 2, values.shape[1], step):
            lon, lat = to_lonlat.transform(*(transform * (col + 0.5, row + 0.5)))
            expected = source_value(gateway.registry, gateway.index, layer, date, lon, lat)
            got = float(values[row, col])
            if math.isnan(expected) and math.isnan(got):
                result.nodata += 1
            elif not math.isnan(expected) and abs(got - expected) <= 1e-6:
                result.matched += 1
            else:
                result.mismatches.append(f"pixel ({col},{row}): got {got}, source {expected}")
    return result


@pytest.fixture
def against_source(gateway) -> Callable[..., Comparison]:
    """``against_source(tiff_bytes_or_path, date)`` → :class:`Comparison`."""
    return lambda raster, date, layer=LAYER, step=5: compare(gateway, raster, date, layer, step)
