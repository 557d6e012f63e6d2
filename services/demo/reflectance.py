"""Clear-sky surface reflectance (B02, B03, B04, B08) by linear mixing of endmember spectra.

Each pixel mixes green vegetation, dry vegetation (straw, hay) and soil by cover fraction;
sealed surfaces and water are mixed in on top by their sub-pixel fractions. Spectra are
typical Sentinel-2 L2A values for Flanders.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from services.demo.landscape import Cover, Landscape
from services.demo.phenology import Crop, forest_green, garden_green

Spectrum = tuple[float, float, float, float]  # B02, B03, B04, B08

GREEN_VEGETATION: dict[Crop, Spectrum] = {
    Crop.WINTER_WHEAT: (0.030, 0.060, 0.034, 0.42),
    Crop.MAIZE: (0.028, 0.064, 0.030, 0.48),
    Crop.SUGAR_BEET: (0.030, 0.070, 0.030, 0.52),
    Crop.POTATO: (0.030, 0.068, 0.032, 0.50),
    Crop.GRASSLAND: (0.032, 0.066, 0.038, 0.40),
}
FOREST_CANOPY: Spectrum = (0.022, 0.045, 0.025, 0.33)
FOREST_FLOOR: Spectrum = (0.045, 0.065, 0.080, 0.16)
DRY_VEGETATION: Spectrum = (0.090, 0.130, 0.170, 0.30)
SOIL: Spectrum = (0.080, 0.110, 0.150, 0.23)  # loam; scaled by soil brightness and moisture
SEALED: Spectrum = (0.090, 0.100, 0.115, 0.16)  # asphalt, roofs, pavement; textured
CLEAR_WATER: Spectrum = (0.045, 0.040, 0.022, 0.010)
TURBID_WATER: Spectrum = (0.065, 0.075, 0.055, 0.022)

BAND_COUNT = 4
RELATIVE_NOISE = 0.02
ABSOLUTE_NOISE = 0.002


def _column(spectra: dict[Crop, Spectrum], band: int) -> NDArray[np.float32]:
    return np.array([spectra[crop][band] for crop in Crop], dtype=np.float32)


def surface_reflectance(
    landscape: Landscape, day_of_year: float, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Reflectance (4, rows, cols) of the landscape on ``day_of_year`` under a clear sky."""
    parcel_green, parcel_dry = landscape.parcels.cover(day_of_year)
    green = np.clip(parcel_green.astype(np.float32)[landscape.parcel] * landscape.vigour, 0, 0.98)
    dry = np.minimum(parcel_dry.astype(np.float32)[landscape.parcel], 1.0 - green)
    crop_of_pixel = landscape.parcels.crop[landscape.parcel]
    moisture = np.float32(rng.uniform(0.85, 1.05))  # darker soil after rain
    cover = landscape.cover
    is_forest, is_built_up = cover == Cover.FOREST, cover == Cover.BUILT_UP
    forest_cover = np.clip(forest_green(day_of_year) * landscape.vigour, 0.0, 0.98)
    garden_cover = np.float32(garden_green(day_of_year))
    sealed, water = landscape.sealed_fraction, landscape.water_fraction
    turbidity = landscape.turbidity

    bands = np.empty((BAND_COUNT, *cover.shape), dtype=np.float32)
    for band in range(BAND_COUNT):
        soil = SOIL[band] * landscape.soil_brightness * moisture
        vegetation = _column(GREEN_VEGETATION, band)[crop_of_pixel]
        field = green * vegetation + dry * DRY_VEGETATION[band] + (1.0 - green - dry) * soil
        forest = forest_cover * FOREST_CANOPY[band] + (1.0 - forest_cover) * FOREST_FLOOR[band]
        garden = garden_cover * GREEN_VEGETATION[Crop.GRASSLAND][band] + (1 - garden_cover) * soil
        land = np.where(is_forest, forest, np.where(is_built_up, garden, field))
        land = (1.0 - sealed) * land + sealed * SEALED[band] * landscape.soil_brightness
        water_colour = (1.0 - turbidity) * CLEAR_WATER[band] + turbidity * TURBID_WATER[band]
        bands[band] = (1.0 - water) * land + water * water_colour

    bands *= 1.0 + RELATIVE_NOISE * rng.standard_normal(bands.shape, dtype=np.float32)
    bands += ABSOLUTE_NOISE * rng.standard_normal(bands.shape, dtype=np.float32)
    return np.clip(bands, 0.0005, 1.0, out=bands)
