"""Generate the synthetic Sentinel-5P L3 daily archive (COGs, weights and metadata)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.demo.cog import write_cog
from services.demo.sentinel5p.fields import white_noise
from services.demo.sentinel5p.gases import GASES, Gas, Look, observe, true_column, weight
from services.demo.sentinel5p.grid import CRS, Window, window_for
from services.demo.sentinel5p.naming import (
    data_path,
    metadata_path,
    metadata_xml,
    product_folder,
    product_name,
    weight_path,
)
from services.demo.sentinel5p.orbits import Overpass, daylight, overpasses
from services.demo.sentinel5p.spec import DEFAULT_SPEC, Sentinel5pSpec
from services.demo.sentinel5p.weather import Weather, cloud_fraction, daily_weather, elevation

Progress = Callable[[int, int, str], None]
CLOUD_TIME_LATITUDE = 45.0  # clouds of an overpass are taken at the time it crosses this


def generate(root: Path, spec: Sentinel5pSpec = DEFAULT_SPEC,
             progress: Progress | None = None) -> list[Path]:
    """Write the archive under ``root``; return the product folders written.

    Day by day, gas by gas; ``progress(i, n, product_name)`` after each product (i from 1).
    Deterministic from ``spec``; existing files are overwritten."""
    window = window_for(spec.region)
    lons, lats = window.lons(), window.lats()
    terrain = elevation(spec.seed, lons, lats)
    total = spec.days * len(spec.gases)
    folders: list[Path] = []
    for offset in range(spec.days):
        day = spec.start + timedelta(days=offset)
        weather = daily_weather(spec.seed, day)
        orbits = overpasses(day)
        looks = [look for overpass in orbits
                 if (look := observe_overpass(spec.seed, weather, overpass, lons, lats))]
        sun = daylight(day, lats)
        for gas_name in spec.gases:
            gas = GASES[gas_name]
            truth = true_column(spec.seed, gas, weather, lons, lats, terrain)
            weights = weight(gas, looks, sun, window.shape)
            noise = white_noise(spec.seed, f"noise-{gas.name}", (day.toordinal(),), window)
            write_product(root, gas, day, window, observe(truth, weights, gas, noise), weights,
                          orbits)
            folders.append(product_folder(root, gas.name, day))
            if progress is not None:
                progress(len(folders), total, product_name(gas.name, day))
    return folders


def observe_overpass(seed: int, weather: Weather, overpass: Overpass, lons: NDArray,
                     lats: NDArray) -> Look | None:
    """What ``overpass`` sees of the window, or None if its swath misses it."""
    if not overpass.reaches(lons, lats):
        return None
    coverage, off_nadir = overpass.coverage(lons, lats)
    if not coverage.any():
        return None
    clouds = cloud_fraction(seed, weather, overpass.time_at(CLOUD_TIME_LATITUDE), lons, lats)
    return Look(coverage.astype(np.float32), off_nadir.astype(np.float32),
                clouds.astype(np.float32))


def write_product(root: Path, gas: Gas, day: date, window: Window, values: NDArray,
                  weights: NDArray, orbits: list[Overpass]) -> None:
    write_cog(data_path(root, gas.name, day), values, crs=CRS, transform=window.transform,
              dtype="float32", nodata=float("nan"), descriptions=(gas.variable,))
    write_cog(weight_path(root, gas.name, day), weights, crs=CRS, transform=window.transform,
              dtype="float32", nodata=None, descriptions=("weight",))
    metadata_path(root, gas.name, day).write_bytes(metadata_xml(gas, day, window, orbits))
