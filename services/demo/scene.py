"""One datatake over the whole demo area: every layer of every product, as arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.demo.classification import masked_pixels, scene_classification
from services.demo.clouds import apply_sky, simulate_sky, sky_rank
from services.demo.landscape import Landscape
from services.demo.layers import (
    BIOPHYSICAL,
    NDVI,
    REFLECTANCE,
    SCENE_CLASSIFICATION,
    SCL_CLOUD_HIGH,
    SCL_CLOUD_MEDIUM,
    Layer,
)
from services.demo.products import biophysical_dn, ndvi_dn, reflectance_to_dn
from services.demo.randomness import generator
from services.demo.reflectance import surface_reflectance
from services.demo.schedule import Acquisition
from services.demo.solar import Angles, acquisition_angles

CLASSIFICATION_RESOLUTION_M = 20


@dataclass(frozen=True)
class Scene:
    """All layers of one datatake on the demo area grid (SCL on the coarse grid)."""

    angles: Angles
    layers: dict[Layer, NDArray]
    coarse_factor: int  # SCL pixel size / band pixel size


def render_scene(
    landscape: Landscape, acquisition: Acquisition, seed: int, lon: float, lat: float
) -> Scene:
    """Simulate the datatake of ``acquisition`` (its tile does not matter: the whole area)."""
    grid = landscape.grid
    factor = max(1, round(CLASSIFICATION_RESOLUTION_M / grid.resolution))
    when = acquisition.sensing_time
    angles = acquisition_angles(acquisition.platform, when, lon, lat)
    day_of_year = when.timetuple().tm_yday + when.hour / 24

    surface = surface_reflectance(
        landscape, day_of_year, generator(seed, "surface", acquisition.datatake)
    )
    sky = simulate_sky(
        grid.shape,
        grid.resolution,
        acquisition.cloud_cover,
        angles.sun_zenith,
        angles.sun_azimuth,
        generator(seed, "sky", acquisition.datatake),
    )
    observed = apply_sky(surface, sky)
    blue, green, red, nir = reflectance_to_dn(observed)
    scl = scene_classification(
        observed[2], observed[3], landscape.water_fraction, sky_rank(sky), factor
    )
    invalid = masked_pixels(scl, factor)

    layers: dict[Layer, NDArray] = {
        REFLECTANCE["B02"]: blue,
        REFLECTANCE["B03"]: green,
        REFLECTANCE["B04"]: red,
        REFLECTANCE["B08"]: nir,
        SCENE_CLASSIFICATION: scl,
        NDVI: ndvi_dn(red, nir, invalid),
    }
    for variable, values in biophysical_dn(green, red, nir, angles, invalid).items():
        layers[BIOPHYSICAL[variable]] = values
    return Scene(angles=angles, layers=layers, coarse_factor=factor)


def cloud_fraction(scene: Scene) -> float:
    """Share of SCL pixels that are cloud (medium or high probability)."""
    scl = scene.layers[SCENE_CLASSIFICATION]
    return float(np.isin(scl, (SCL_CLOUD_MEDIUM, SCL_CLOUD_HIGH)).mean())
