"""Smooth fields defined on longitude and latitude, so every grid sees the same landscape.

The 333 m and 1 km products of one place (and a small test region cut from a large one) show
the same covers and coastline because these fields depend on the coordinates only, never on
the grid. Noise is a sum of plane waves of random direction, wavelength and phase (spectral
synthesis); on a plate-carrée grid each wave is separable in rows and columns, so the whole
sum is two matrix products.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.demo.vgt.grid import KM_PER_DEG, GeoGrid

Field = NDArray[np.float32]
REFERENCE_LAT = 51.0  # east-west km per degree are taken here, whatever the grid
KM_PER_DEG_LON = KM_PER_DEG * math.cos(math.radians(REFERENCE_LAT))
WAVES_PER_OCTAVE = 24
MIN_WAVES = 48


def km_coordinates(grid: GeoGrid) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Column x and row y of the pixel centres in km (x east, y north)."""
    return grid.lons() * KM_PER_DEG_LON, grid.lats() * KM_PER_DEG


def geo_noise(
    grid: GeoGrid,
    rng: np.random.Generator,
    wavelengths_km: tuple[float, float],
    slope: float = 1.0,
) -> Field:
    """Zero-mean, unit-variance noise with wavelengths between the two bounds; ``slope`` > 0
    gives the long waves more amplitude (amplitude ∝ wavelength ** slope)."""
    shortest, longest = wavelengths_km
    octaves = math.log2(longest / shortest)
    count = max(MIN_WAVES, math.ceil(WAVES_PER_OCTAVE * octaves))
    wavelength = shortest * 2.0 ** (octaves * rng.random(count))
    direction = rng.uniform(0.0, math.pi, count)
    phase = rng.uniform(0.0, 2 * math.pi, count)
    amplitude = (wavelength / longest) ** slope
    wavenumber = 2 * math.pi / wavelength
    x, y = km_coordinates(grid)
    along_x = np.outer(x, wavenumber * np.cos(direction)) + phase  # (cols, waves)
    along_y = np.outer(y, wavenumber * np.sin(direction))  # (rows, waves)
    # cos(a + b) = cos a cos b - sin a sin b, summed over the waves
    field = np.cos(along_y) @ (amplitude * np.cos(along_x)).T
    field -= np.sin(along_y) @ (amplitude * np.sin(along_x)).T
    field /= math.sqrt(float(np.sum(amplitude**2)) / 2)
    return field.astype(np.float32)


Bump = tuple[float, float, float, float]
"""lon, lat, radius in km (the Gaussian's standard deviation), amplitude."""


def bumps(grid: GeoGrid, places: Sequence[Bump]) -> Field:
    """A sum of round Gaussian bumps centred on ``places``."""
    x, y = km_coordinates(grid)
    total = np.zeros(grid.shape, dtype=np.float32)
    for lon, lat, radius, amplitude in places:
        across = np.exp(-0.5 * ((x - lon * KM_PER_DEG_LON) / radius) ** 2)
        down = np.exp(-0.5 * ((y - lat * KM_PER_DEG) / radius) ** 2)
        total += (amplitude * np.outer(down, across)).astype(np.float32)
    return total


def logistic(x: NDArray) -> NDArray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def ramp(grid: GeoGrid, lon_edge: float | None, lat_edge: float | None,
         width_deg: float) -> Field:
    """Soft step up towards the west of ``lon_edge`` and the north of ``lat_edge``."""
    across = np.ones(grid.width) if lon_edge is None else logistic(
        (lon_edge - grid.lons()) / width_deg)
    down = np.ones(grid.height) if lat_edge is None else logistic(
        (grid.lats() - lat_edge) / width_deg)
    return np.outer(down, across).astype(np.float32)


# Upland massifs (km above sea level, roughly): the Ardennes and the Rhenish Massif.
UPLANDS: tuple[Bump, ...] = (
    (5.45, 50.10, 45.0, 0.45),  # Ardennes
    (6.05, 50.48, 18.0, 0.25),  # Hautes Fagnes
    (6.70, 50.30, 35.0, 0.50),  # Eifel
    (7.20, 49.85, 30.0, 0.50),  # Hunsrück
    (7.95, 51.15, 35.0, 0.50),  # Sauerland
    (4.30, 49.95, 25.0, 0.25),  # Thiérache
)


def elevation_km(grid: GeoGrid, rng: np.random.Generator) -> Field:
    """A crude height above sea level: smooth upland bumps roughened by noise."""
    relief = bumps(grid, UPLANDS)
    roughness = geo_noise(grid, rng, (4.0, 40.0))
    return np.clip(relief * (1.0 + 0.25 * roughness) + 0.02 * roughness, 0.0, None)
