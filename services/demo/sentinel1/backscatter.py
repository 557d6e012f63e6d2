"""Sentinel-1 sigma0 (linear power) of the demo landscape on one pass, and speckle.

Each pixel mixes a water part and a land part by the landscape's sub-pixel water fraction,
and the land part mixes sealed surface and the rest by the sealed fraction:

* water: specular and dark; wind roughening lifts it by a few dB on windy passes;
* buildings (built-up land): double bounce, bright, with strong static point scatterers
  that depend on the viewing geometry (one pattern per relative orbit);
* roads outside towns: smooth asphalt, dark;
* forest: volume scattering, stable, with a little more VH in leaf;
* crops, grassland and gardens: a water-cloud model, sigma0 = t2 soil + (1 - t2) canopy,
  with two-way transmissivity t2 = exp(-(k g + k_d d) / cos(theta)) for the green cover g of
  the parcel's crop calendar and its dry cover d (straw, hay). The soil term follows the
  pass's soil moisture and the parcel's roughness: VV sees soil moisture early in the season
  and the canopy later; VH rises from about -24 dB (bare soil) to about -15 dB (full canopy).

Levels are dB at 38 deg incidence with a per-surface slope in dB per degree (brighter at low
incidence); the canopy also scales with cos(theta). Speckle multiplies by Gamma(ENL, 1/ENL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.demo.landscape import Cover, Landscape
from services.demo.phenology import Crop, forest_green, garden_green
from services.demo.randomness import generator, smooth_noise

Array = NDArray[np.float32]
REFERENCE_INCIDENCE_DEG = 38.0
ROUGHNESS_DB = 1.0  # standard deviation of the parcels' soil roughness term (VV)
URBAN_TEXTURE_DB = 2.0  # standard deviation of the static point-scatterer pattern
FOREST_TEXTURE_DB = 0.6


@dataclass(frozen=True)
class Polarisation:
    """Backscatter levels (dB at the reference incidence) and slopes (dB per degree)."""

    name: str
    water_db: float
    water_wind_db: float  # rise at full wind roughening
    water_slope: float
    building_db: float
    road_db: float
    urban_slope: float
    forest_db: float
    forest_leaf_db: float  # forest winter deficit (leafless minus full leaf)
    forest_slope: float
    soil_dry_db: float
    soil_wet_db: float
    soil_slope: float
    roughness_weight: float
    canopy_db: tuple[float, ...]  # full-canopy level per Crop code
    extinction: tuple[float, ...]  # k per unit green cover, per Crop code
    residue_db: float
    residue_extinction: float

    def __post_init__(self) -> None:
        if len(self.canopy_db) != len(Crop) or len(self.extinction) != len(Crop):
            raise ValueError(f"{self.name}: one canopy level and extinction per crop")


VV = Polarisation(
    "VV", water_db=-21.5, water_wind_db=5.0, water_slope=-0.30,
    building_db=4.0, road_db=-17.0, urban_slope=-0.15,
    forest_db=-8.0, forest_leaf_db=-0.3, forest_slope=-0.12,
    soil_dry_db=-15.5, soil_wet_db=-8.5, soil_slope=-0.25, roughness_weight=1.0,
    # wheat, maize, sugar beet, potato, grassland; wheat's upright stems attenuate VV
    canopy_db=(-13.0, -10.0, -8.5, -9.5, -11.0),
    extinction=(2.2, 1.6, 1.4, 1.3, 1.2), residue_db=-14.0, residue_extinction=0.6,
)
VH = Polarisation(
    "VH", water_db=-27.5, water_wind_db=4.0, water_slope=-0.20,
    building_db=-4.5, road_db=-26.0, urban_slope=-0.12,
    forest_db=-13.6, forest_leaf_db=-1.0, forest_slope=-0.08,
    soil_dry_db=-25.5, soil_wet_db=-22.0, soil_slope=-0.20, roughness_weight=0.8,
    canopy_db=(-16.5, -14.5, -14.5, -15.5, -17.5),
    extinction=(1.4, 1.6, 1.6, 1.5, 1.3), residue_db=-21.0, residue_extinction=0.6,
)
POLARISATIONS = (VV, VH)


@dataclass(frozen=True)
class Ground:
    """Static per-pixel inputs, computed once per archive."""

    landscape: Landscape
    town: NDArray[np.bool_]
    forest: NDArray[np.bool_]
    roughness_db: Array  # per parcel, +-2 dB (seedbed to ploughed)
    wetness: Array  # static offset of the moisture index (darker soils hold more water)
    forest_texture_db: Array


@dataclass(frozen=True)
class Conditions:
    """What changes from pass to pass."""

    day_of_year: float
    soil_moisture: float  # 0..1 regional topsoil moisture index
    water_roughness: float  # 0 calm .. 1 wind-roughened


def prepare_ground(landscape: Landscape, seed: int) -> Ground:
    count = landscape.parcels.crop.size
    rng = generator(seed, "s1-ground")
    roughness = np.clip(rng.normal(0.0, ROUGHNESS_DB, count), -2.0, 2.0).astype(np.float32)
    texture = smooth_noise(rng, landscape.grid.shape, [2.0, 0.7]) * FOREST_TEXTURE_DB
    return Ground(
        landscape=landscape,
        town=landscape.cover == Cover.BUILT_UP,
        forest=landscape.cover == Cover.FOREST,
        roughness_db=roughness[landscape.parcel],
        wetness=(0.25 * (1.0 - landscape.soil_brightness)).astype(np.float32),
        forest_texture_db=texture,
    )


def urban_texture(shape: tuple[int, int], seed: int, relative_orbit: int) -> Array:
    """Static point scatterers (dB) of buildings as seen from one relative orbit."""
    rng = generator(seed, "s1-urban", relative_orbit)
    return (rng.standard_normal(shape) * URBAN_TEXTURE_DB).astype(np.float32)


def power(db: NDArray) -> Array:
    return np.power(10.0, np.asarray(db, dtype=np.float32) / 10.0).astype(np.float32)


def sigma0(ground: Ground, conditions: Conditions, incidence_deg: Array,
           urban_db: Array) -> dict[str, Array]:
    """Noise-free linear sigma0 per polarisation (``VV``, ``VH``) on the landscape grid."""
    scene = ground.landscape
    crop, green, dry = vegetation(ground, conditions.day_of_year)
    offset = incidence_deg - REFERENCE_INCIDENCE_DEG
    cosine = np.cos(np.radians(incidence_deg))
    moisture = np.clip(conditions.soil_moisture + ground.wetness, 0.0, 1.0)
    results = {}
    for pol in POLARISATIONS:
        soil_db = (pol.soil_dry_db + (pol.soil_wet_db - pol.soil_dry_db) * moisture
                   + pol.roughness_weight * ground.roughness_db + pol.soil_slope * offset)
        fields = water_cloud(pol, crop, green, dry, power(soil_db), cosine)
        forest = power(pol.forest_db + ground.forest_texture_db + pol.forest_slope * offset
                       + pol.forest_leaf_db * (0.95 - forest_green(conditions.day_of_year)) / 0.5)
        building = power(pol.building_db + urban_db + pol.urban_slope * offset)
        sealed = np.where(ground.town, building, power(pol.road_db + pol.urban_slope * offset))
        land = np.where(ground.forest, forest, fields)
        land = scene.sealed_fraction * sealed + (1.0 - scene.sealed_fraction) * land
        water = power(pol.water_db + pol.water_wind_db * conditions.water_roughness
                      + pol.water_slope * offset)
        mixed = scene.water_fraction * water + (1.0 - scene.water_fraction) * land
        results[pol.name] = mixed.astype(np.float32)
    return results


def vegetation(ground: Ground, day_of_year: float) -> tuple[NDArray[np.int8], Array, Array]:
    """Crop code, green and dry cover per pixel; the unsealed part of towns is garden grass."""
    scene = ground.landscape
    green, dry = scene.parcels.cover(day_of_year)
    crop = np.where(ground.town, np.int8(Crop.GRASSLAND), scene.parcels.crop[scene.parcel])
    green_px = np.clip(green[scene.parcel] * scene.vigour, 0.0, 0.97)
    green_px = np.where(ground.town, garden_green(day_of_year), green_px)
    dry_px = np.where(ground.town, 0.0, dry[scene.parcel])
    return crop.astype(np.int8), green_px.astype(np.float32), dry_px.astype(np.float32)


def water_cloud(pol: Polarisation, crop: NDArray[np.int8], green: Array, dry: Array,
                soil: Array, cosine: Array) -> Array:
    """Soil attenuated by the canopy plus the canopy's own (volume) scattering."""
    k_green = np.asarray(pol.extinction, dtype=np.float32)[crop] * green
    k_dry = np.float32(pol.residue_extinction) * dry
    depth = k_green + k_dry
    transmissivity = np.exp(-depth / cosine)
    cos_factor = cosine / np.float32(np.cos(np.radians(REFERENCE_INCIDENCE_DEG)))
    canopy_green = power(np.asarray(pol.canopy_db, dtype=np.float32)[crop])
    canopy = (k_green * canopy_green + k_dry * power(pol.residue_db)) / np.maximum(depth, 1e-6)
    return (transmissivity * soil + (1.0 - transmissivity) * canopy * cos_factor).astype(
        np.float32
    )


def speckle(sigma: Array, rng: np.random.Generator, enl: float) -> Array:
    """Multilook speckle: ``sigma`` times independent Gamma(ENL, 1/ENL) noise (mean 1)."""
    noise = rng.gamma(shape=enl, scale=1.0 / enl, size=sigma.shape)
    return (sigma * noise).astype(np.float32)
