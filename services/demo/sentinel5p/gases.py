"""What each gas looks like: the true column field, the retrieval's cloud limits and its noise.

NO2 (tropospheric column) and SO2 need a clear sky (L2 pixels with cloud fraction > 0.5 are
rejected); CO, retrieved in the SWIR, survives most clouds. The L3 weight of a cell is the sum,
over the day's overpasses, of the share of the cell covered by accepted L2 pixels; the noise of
the L3 value falls with the square root of that weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import numpy as np
from numpy.typing import NDArray

from services.demo.sentinel5p.fields import lattice_noise
from services.demo.sentinel5p.sources import (
    Emission,
    add_plume,
    fire_emissions,
    hotspot_emissions,
)
from services.demo.sentinel5p.weather import Weather, pressure_factor, synoptic_shift

Array = NDArray[np.float64]

MIN_WEIGHT = 0.02  # below this a cell counts as unobserved
NOISE_FLOOR_WEIGHT = 0.25  # noise stops growing below this weight


@dataclass(frozen=True)
class Gas:
    name: str
    variable: str  # the L2 variable (band description)
    l2_type: str  # product type field of the L2 file names
    processor: str  # L2 processor version (synthetic)
    lifetime_h: float  # plume e-folding time
    noise: float  # mol/m² of one fully covered overpass
    cloud_limit: float  # L2 pixels above this cloud fraction are rejected
    cloud_taper: float  # the weight falls to 0 over this much cloud fraction below the limit
    edge_penalty: float  # weight lost at the swath edges (large, slanted pixels)


GASES: dict[str, Gas] = {
    "NO2": Gas("NO2", "tropospheric_NO2_column_number_density", "L2__NO2___", "010102",
               4.0, 7e-6, 0.5, 0.3, 0.1),
    "SO2": Gas("SO2", "SO2_column_number_density", "L2__SO2___", "010101",
               10.0, 4.5e-5, 0.5, 0.25, 0.2),
    "CO": Gas("CO", "CO_column_number_density", "L2__CO____", "010102",
              8.0, 3e-4, 0.97, 0.4, 0.05),
}


@dataclass(frozen=True)
class Look:
    """One overpass over the window: swath coverage, distance from nadir, cloud fraction."""

    coverage: NDArray[np.float32]
    off_nadir: NDArray[np.float32]  # |distance| / half swath, 0..1
    clouds: NDArray[np.float32]


def weight(gas: Gas, looks: list[Look], daylight: Array,
           shape: tuple[int, int]) -> NDArray[np.float32]:
    """Summed L2 pixel weights per cell (float32, 0 where nothing was accepted)."""
    total = np.zeros(shape)
    for look in looks:
        accepted = np.clip((gas.cloud_limit - look.clouds) / gas.cloud_taper, 0.0, 1.0)
        total += look.coverage * accepted * (1.0 - gas.edge_penalty * look.off_nadir**2)
    total *= daylight[:, np.newaxis]
    total[total < MIN_WEIGHT] = 0.0
    return total.astype(np.float32)


def background(seed: int, gas: Gas, weather: Weather, lons: Array, lats: Array,
               terrain: Array) -> Array:
    """The gas's column without the plumes (lats x lons), mol/m²."""
    smooth = lattice_noise(seed, f"background-{gas.name}", (weather.day.toordinal(),), lons,
                           lats, (4.0, 1.5), (1.0, 0.5))
    if gas.name == "NO2":
        return 1.2e-5 + 2.5e-6 * smooth
    if gas.name == "SO2":
        return 8e-6 * smooth
    east, north = synoptic_shift(datetime.combine(weather.day, time(12)))
    drifting = lattice_noise(seed, "background-CO-synoptic", (), lons - 0.5 * east,
                             lats - 0.5 * north, (8.0, 3.0), (1.0, 0.4))
    gradient = (0.0295 + 0.0025 * (lons[np.newaxis, :] - 10.0) / 35.0
                - 0.002 * (lats[:, np.newaxis] - 50.0) / 20.0)
    return (gradient + 6e-4 * drifting + 2e-4 * smooth) * pressure_factor(terrain)


def emissions(seed: int, gas: Gas, weather: Weather) -> list[Emission]:
    """Today's sources of the gas; NO2 sources also get a wide haze of aged pollution."""
    found = [*hotspot_emissions(seed, weather, gas.name), *fire_emissions(seed, weather,
                                                                          gas.name)]
    if gas.name == "NO2":
        found += [Emission(e.lon, e.lat, 4 * e.size_km + 40.0, 0.1 * e.peak, e.toward_deg,
                           e.speed) for e in found]
    return found


def true_column(seed: int, gas: Gas, weather: Weather, lons: Array, lats: Array,
                terrain: Array) -> Array:
    """The noise-free column field of ``gas`` today (lats x lons), mol/m²."""
    field = background(seed, gas, weather, lons, lats, terrain)
    for emission in emissions(seed, gas, weather):
        add_plume(field, lons, lats, emission, gas.lifetime_h)
    return field


def observe(truth: Array, weights: NDArray[np.float32], gas: Gas,
            noise: Array) -> NDArray[np.float32]:
    """The L3 value: truth plus retrieval noise, NaN exactly where the weight is 0."""
    spread = gas.noise / np.sqrt(np.maximum(weights, NOISE_FLOOR_WEIGHT))
    values = (truth + spread * noise).astype(np.float32)
    values[weights == 0] = np.nan
    return values
