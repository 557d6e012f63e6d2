"""The land surface at 333 m to 1 km: cover fractions, a seasonal greenness cycle and
top-of-canopy reflectance in the VGT bands (RED, NIR, BLUE, SWIR).

Each pixel mixes four covers (cropland, grassland, forest, built-up) whose shares follow the
real regions crudely: polder grassland in the Netherlands, forest on the Ardennes, Eifel and
the sandy Veluwe and Campine, the loess cropland belt, the cities. Each cover has a green
vegetation fraction through the year, delayed northwards and uphill; reflectance mixes
background (soil, litter, pavement) and canopy spectra linearly, so NDVI follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import generator, smooth_noise
from services.demo.vgt.coast import land_mask
from services.demo.vgt.geofields import (
    Bump,
    Field,
    bumps,
    elevation_km,
    geo_noise,
    logistic,
    ramp,
)
from services.demo.vgt.grid import GeoGrid

BANDS = ("RED", "NIR", "BLUE", "SWIR")
CROP, GRASS, FOREST, URBAN = range(4)
COVERS = ("cropland", "grassland", "forest", "built-up")
# (background, canopy) reflectance per cover in the order of BANDS
SPECTRA = np.array([
    [(0.130, 0.210, 0.080, 0.300), (0.030, 0.460, 0.025, 0.160)],
    [(0.100, 0.200, 0.065, 0.260), (0.035, 0.420, 0.030, 0.180)],
    [(0.050, 0.200, 0.035, 0.160), (0.025, 0.360, 0.020, 0.120)],
    [(0.140, 0.180, 0.110, 0.220), (0.040, 0.380, 0.030, 0.180)],
], dtype=np.float32)
WATER = (0.025, 0.012, 0.050, 0.004)
LATITUDE_DELAY_DAYS = 3.0  # per degree north of 50.5° N (Hopkins' bioclimatic law, roughly)
ALTITUDE_DELAY_DAYS = 30.0  # per km
TEXTURE_SCALES_KM, TEXTURE_WEIGHTS = (2.0, 0.6, 0.3), (1.0, 0.8, 0.6)

CITIES: tuple[Bump, ...] = (
    (4.36, 50.85, 7.0, 1.0), (4.41, 51.22, 6.0, 1.0), (3.72, 51.05, 4.0, 0.9),  # BXL ANT GNT
    (3.22, 51.21, 2.5, 0.8), (5.57, 50.63, 5.0, 0.9), (4.44, 50.41, 5.0, 0.9),  # BRU LIE CRL
    (3.06, 50.63, 7.0, 1.0), (4.90, 52.37, 6.0, 1.0), (4.48, 51.92, 6.0, 1.0),  # LIL AMS RTM
    (4.30, 52.07, 5.0, 1.0), (5.12, 52.09, 4.0, 0.9), (5.48, 51.44, 4.0, 0.9),  # HAG UTR EIN
    (6.13, 49.61, 3.5, 0.9), (6.96, 50.94, 7.0, 1.0), (6.78, 51.23, 6.0, 1.0),  # LUX CGN DUS
    (7.10, 51.48, 14.0, 0.9), (6.08, 50.78, 3.5, 0.8), (5.69, 50.85, 2.5, 0.8),  # RUHR AAC MST
    (6.57, 53.22, 3.0, 0.8), (4.87, 50.47, 2.5, 0.7), (6.18, 49.12, 4.0, 0.9),  # GRO NAM METZ
    (8.80, 53.08, 6.0, 1.0), (7.10, 50.73, 4.0, 0.9), (7.60, 51.96, 4.0, 0.8),  # HB BN MS
)
FORESTS: tuple[Bump, ...] = (
    (5.85, 52.12, 15.0, 1.6), (5.30, 51.15, 20.0, 0.9), (4.42, 50.77, 4.0, 1.5),  # Veluwe..
    (2.60, 49.30, 12.0, 1.2), (3.40, 50.40, 6.0, 0.9), (6.40, 52.45, 12.0, 0.6),
)
LOESS: tuple[Bump, ...] = (
    (5.10, 50.65, 30.0, 0.9), (2.80, 50.30, 55.0, 0.8), (6.60, 50.85, 22.0, 0.8),
    (3.90, 50.55, 25.0, 0.7),
)
PASTURES: tuple[Bump, ...] = (
    (5.85, 50.68, 12.0, 1.3), (6.00, 53.05, 30.0, 0.9), (3.70, 49.95, 30.0, 0.8),
)


@dataclass(frozen=True)
class Surface:
    """What does not change from date to date, on one grid."""

    grid: GeoGrid
    land: NDArray[np.bool_]
    covers: NDArray[np.float32]  # (4, rows, cols), summing to 1 on land
    winter_share: Field  # of the cropland: winter cereals (the rest are summer crops)
    deciduous_share: Field  # of the forest
    delay_days: Field  # phenology later than the reference calendar
    soil: Field  # background brightness factor
    texture: Field  # small-scale relative variation of the green fraction
    elevation: Field


def build_surface(grid: GeoGrid, seed: int) -> Surface:
    def noise(purpose: str, wavelengths: tuple[float, float]) -> Field:
        return geo_noise(grid, generator(seed, f"vgt-{purpose}"), wavelengths)

    elevation = elevation_km(grid, generator(seed, "vgt-elevation"))
    polder = ramp(grid, 6.9, 51.75, 0.12)
    logits = np.stack([
        0.6 + bumps(grid, LOESS) + 0.7 * noise("crop", (3.0, 60.0)),
        -0.2 + 1.5 * polder + bumps(grid, PASTURES) + 0.8 * noise("grass", (3.0, 60.0)),
        -1.4 + 5.0 * elevation + bumps(grid, FORESTS) + 0.9 * noise("forest", (2.0, 40.0)),
        -2.8 + 6.0 * np.minimum(bumps(grid, CITIES), 1.2) + 0.6 * noise("urban", (1.5, 12.0)),
    ])
    weights = np.exp(2.2 * (logits - logits.max(axis=0)))
    covers = (weights / weights.sum(axis=0)).astype(np.float32)
    latitude = grid.lats()[:, np.newaxis].astype(np.float32)
    return Surface(
        grid=grid,
        land=land_mask(grid, generator(seed, "vgt-coast")),
        covers=covers,
        winter_share=np.clip(0.5 + 0.15 * noise("winter", (1.5, 25.0))
                             + 0.25 * _texture(grid, generator(seed, "vgt-parcels")), 0.05, 0.95),
        deciduous_share=np.clip(0.6 + 0.2 * noise("deciduous", (2.0, 30.0)), 0.15, 0.95),
        delay_days=(LATITUDE_DELAY_DAYS * (latitude - 50.5) + ALTITUDE_DELAY_DAYS * elevation
                    + 4.0 * noise("delay", (5.0, 60.0))).astype(np.float32),
        soil=np.clip(1.0 + 0.12 * noise("soil", (2.0, 40.0)), 0.7, 1.3),
        texture=0.12 * _texture(grid, generator(seed, "vgt-texture")),
        elevation=elevation,
    )


def _texture(grid: GeoGrid, rng: np.random.Generator) -> Field:
    """Fine mottling (a few km) in pixel space: plane waves would show as streaks."""
    dx_km, dy_km = grid.pixel_km()
    scales = [max(km / dy_km, 0.6) for km in TEXTURE_SCALES_KM]
    return smooth_noise(rng, grid.shape, scales, TEXTURE_WEIGHTS, stretch=dy_km / dx_km)


def _bell(t: NDArray, rise: float, rise_days: float, fall: float, fall_days: float) -> NDArray:
    return logistic((t - rise) / rise_days) * (1.0 - logistic((t - fall) / fall_days))


def green_fractions(surface: Surface, day: date) -> NDArray[np.float32]:
    """Green vegetation fraction of each cover (4, rows, cols) on ``day``."""
    t = day.timetuple().tm_yday - surface.delay_days
    winter = 0.15 + 0.75 * _bell(t, 100, 9, 188, 7) + 0.12 * logistic((t - 300) / 10)
    summer = 0.03 + 0.85 * _bell(t, 168, 9, 262, 10)
    crop = surface.winter_share * winter + (1 - surface.winter_share) * summer
    grass = (0.52 + 0.33 * logistic((t - 95) / 12) - 0.10 * np.exp(-(((t - 210) / 25) ** 2))
             - 0.30 * logistic((t - 305) / 15))
    deciduous = 0.08 + 0.82 * _bell(t, 122, 6, 292, 9)
    forest = surface.deciduous_share * deciduous + (1 - surface.deciduous_share) * 0.72
    urban = 0.10 + 0.12 * _bell(t, 110, 10, 290, 10)
    green = np.stack([crop, grass, forest, urban]) * (1.0 + surface.texture)
    return np.clip(green, 0.0, 0.97).astype(np.float32)


def reflectance(surface: Surface, day: date) -> NDArray[np.float32]:
    """Clear-sky top-of-canopy reflectance (4, rows, cols) in the order of :data:`BANDS`."""
    green = surface.covers * green_fractions(surface, day)  # canopy share of each cover
    rows, cols = surface.grid.shape
    flat = (len(COVERS), rows * cols)
    background = SPECTRA[:, 0, :].T @ (surface.covers - green).reshape(flat)
    canopy = SPECTRA[:, 1, :].T @ green.reshape(flat)
    bands = background.reshape(-1, rows, cols) * surface.soil + canopy.reshape(-1, rows, cols)
    water = np.array(WATER, dtype=np.float32)[:, np.newaxis, np.newaxis]
    return np.where(surface.land, bands, water).astype(np.float32)


def ndvi(red: NDArray, nir: NDArray) -> NDArray[np.float32]:
    total = nir + red
    safe = np.where(total > 0, total, 1)
    return np.where(total > 0, (nir - red) / safe, 0.0).astype(np.float32)
