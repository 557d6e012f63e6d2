"""Emission sources (the hotspot table, wildfires) and their plumes.

A plume is a steady line of puffs carried downwind: each puff spreads sideways as it travels
and decays with the gas's lifetime, so windy days give long, faint plumes and calm days
compact, strong ones (turbulent mixing keeps calm-day peaks within reason). A source's
strength is its peak column enhancement (mol/m²) at the reference wind speed, before
day-to-day variability and the weekly cycle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import generator
from services.demo.sentinel5p.grid import KM_PER_DEGREE
from services.demo.sentinel5p.weather import Weather

Array = NDArray[np.float64]

REFERENCE_SPEED = 5.0  # m/s at which a source's plume peaks at its strength
MIN_SPEED = 1.5
MIXING_SPEED = 4.0  # m/s of turbulent mixing that dilutes the plume even on calm days
SPREAD = 0.25  # km sideways per km downwind
PUFF_STEP = 0.7  # puff spacing in puff widths
REACH = 4.0  # plume length in e-folding lengths, puff extent in sigmas


@dataclass(frozen=True)
class Hotspot:
    """A city, industrial area, power plant or volcano; strengths in mol/m² per gas."""

    name: str
    lon: float
    lat: float
    size_km: float  # Gaussian sigma of the source area
    kind: str  # "city", "industry", "power" or "volcano" (weekly cycle, variability)
    no2: float = 0.0
    so2: float = 0.0
    co: float = 0.0

    def strength(self, gas: str) -> float:
        return {"NO2": self.no2, "SO2": self.so2, "CO": self.co}[gas]


HOTSPOTS: tuple[Hotspot, ...] = (
    Hotspot("Antwerp", 4.40, 51.23, 12, "industry", no2=1.3e-4, so2=4e-5, co=8e-4),
    Hotspot("Rotterdam", 4.30, 51.90, 13, "industry", no2=1.4e-4, so2=3e-5, co=8e-4),
    Hotspot("Ruhr", 7.00, 51.47, 25, "industry", no2=1.5e-4, so2=5e-5, co=1.5e-3),
    Hotspot("Paris", 2.35, 48.86, 17, "city", no2=1.5e-4, co=1.2e-3),
    Hotspot("London", -0.12, 51.51, 17, "city", no2=1.3e-4, co=1.0e-3),
    Hotspot("Milan", 9.19, 45.46, 20, "city", no2=1.5e-4, co=2.0e-3),
    Hotspot("Po valley", 10.9, 45.25, 40, "industry", no2=9e-5, co=1.5e-3),
    Hotspot("Turin", 7.68, 45.07, 12, "city", no2=8e-5, co=6e-4),
    Hotspot("Madrid", -3.70, 40.42, 15, "city", no2=1.4e-4, co=8e-4),
    Hotspot("Barcelona", 2.17, 41.39, 12, "city", no2=1.1e-4, co=6e-4),
    Hotspot("Brussels", 4.35, 50.85, 10, "city", no2=8e-5, co=5e-4),
    Hotspot("Amsterdam", 4.90, 52.37, 10, "city", no2=8e-5, co=4e-4),
    Hotspot("Frankfurt", 8.68, 50.11, 12, "city", no2=9e-5, co=5e-4),
    Hotspot("Stuttgart", 9.18, 48.78, 10, "city", no2=7e-5, co=4e-4),
    Hotspot("Munich", 11.58, 48.14, 11, "city", no2=7e-5, co=4e-4),
    Hotspot("Berlin", 13.40, 52.52, 14, "city", no2=1.0e-4, co=6e-4),
    Hotspot("Hamburg", 9.99, 53.55, 11, "city", no2=8e-5, co=4e-4),
    Hotspot("Manchester", -2.24, 53.48, 15, "city", no2=9e-5, co=5e-4),
    Hotspot("Upper Silesia", 19.02, 50.26, 20, "industry", no2=1.2e-4, so2=1.5e-4, co=2.0e-3),
    Hotspot("Belchatow", 19.33, 51.27, 8, "power", no2=8e-5, so2=3.5e-4),
    Hotspot("Prague", 14.42, 50.09, 10, "city", no2=7e-5, co=4e-4),
    Hotspot("Vienna", 16.37, 48.21, 10, "city", no2=7e-5, co=4e-4),
    Hotspot("Budapest", 19.04, 47.50, 10, "city", no2=8e-5, co=5e-4),
    Hotspot("Lyon", 4.84, 45.76, 10, "city", no2=7e-5, co=4e-4),
    Hotspot("Fos-Marseille", 4.95, 43.40, 12, "industry", no2=7e-5, so2=1.2e-4, co=6e-4),
    Hotspot("Rome", 12.50, 41.90, 12, "city", no2=8e-5, co=5e-4),
    Hotspot("Naples", 14.27, 40.85, 11, "city", no2=7e-5, co=4e-4),
    Hotspot("Taranto", 17.20, 40.48, 8, "industry", no2=4e-5, so2=8e-5, co=1.5e-3),
    Hotspot("Athens", 23.73, 37.98, 12, "city", no2=9e-5, co=5e-4),
    Hotspot("Istanbul", 28.98, 41.02, 18, "city", no2=1.4e-4, co=1.8e-3),
    Hotspot("Lisbon", -9.14, 38.72, 10, "city", no2=6e-5, co=3e-4),
    Hotspot("Kyiv", 30.52, 50.45, 12, "city", no2=8e-5, co=6e-4),
    Hotspot("Moscow", 37.62, 55.76, 22, "city", no2=1.4e-4, co=2.0e-3),
    Hotspot("Donbas", 37.80, 48.00, 30, "industry", no2=1.0e-4, so2=2.0e-4, co=2.0e-3),
    Hotspot("Maritsa Iztok", 25.90, 42.15, 8, "power", no2=4e-5, so2=4.5e-4),
    Hotspot("Obrenovac", 20.20, 44.65, 7, "power", no2=3e-5, so2=2.5e-4),
    Hotspot("Ugljevik-Tuzla", 18.85, 44.60, 8, "power", no2=2e-5, so2=2.0e-4),
    Hotspot("Kosovo B", 21.05, 42.70, 6, "power", no2=2e-5, so2=2.0e-4),
    Hotspot("Afsin-Elbistan", 36.95, 38.35, 7, "power", no2=3e-5, so2=3.0e-4),
    Hotspot("Nikel", 30.22, 69.41, 6, "industry", so2=3.0e-4),
    Hotspot("Etna", 15.00, 37.75, 7, "volcano", so2=5.0e-4),
)
"""The sources of the seed's coverage (Europe). Strengths are illustrative, not inventories."""

WEEKLY_CYCLE = {  # emission factor on (Saturday, Sunday)
    "city": (0.85, 0.7), "industry": (0.9, 0.8), "power": (0.95, 0.9), "volcano": (1.0, 1.0),
}
VARIABILITY = {"city": 0.12, "industry": 0.15, "power": 0.2, "volcano": 0.7}  # log-sd per day

# name, west, south, east, north, expected new fires per day
FIRE_ZONES = (
    ("Iberia", -9.0, 37.0, -1.0, 42.5, 0.5),
    ("Southern Italy", 13.0, 37.5, 17.0, 41.0, 0.3),
    ("Greece", 20.5, 37.0, 26.0, 41.0, 0.4),
    ("Western Anatolia", 26.5, 36.5, 32.0, 40.0, 0.3),
    ("Pontic steppe", 30.0, 45.0, 45.0, 52.0, 0.8),
)
MAX_FIRE_DAYS = 3
FIRE_CO_RANGE = (2e-3, 8e-3)  # peak CO enhancement, mol/m²
FIRE_NO2_PER_CO = 0.012
FIRE_SIZE_KM = 6.0


@dataclass(frozen=True)
class Emission:
    """One source on one day: where, how wide, how strong and which way its plume goes."""

    lon: float
    lat: float
    size_km: float
    peak: float  # mol/m² at the reference wind speed
    toward_deg: float
    speed: float


def hotspot_emissions(seed: int, weather: Weather, gas: str) -> Iterator[Emission]:
    """Today's emission of every hotspot that emits ``gas``."""
    weekday = weather.day.weekday()
    for index, spot in enumerate(HOTSPOTS):
        if spot.strength(gas) <= 0:
            continue
        rng = generator(seed, "hotspot", weather.day.toordinal(), index)
        turn, gust, factor = rng.normal(0.0, 15.0), rng.lognormal(0.0, 0.15), rng.normal()
        weekly = WEEKLY_CYCLE[spot.kind][weekday - 5] if weekday >= 5 else 1.0
        peak = spot.strength(gas) * weekly * math.exp(VARIABILITY[spot.kind] * factor)
        yield Emission(spot.lon, spot.lat, spot.size_km, peak, weather.toward_deg + turn,
                       weather.speed * gust)


def fire_emissions(seed: int, weather: Weather, gas: str) -> Iterator[Emission]:
    """Wildfires burning today (each lasts 1 to MAX_FIRE_DAYS days); CO and some NO2."""
    share = {"CO": 1.0, "NO2": FIRE_NO2_PER_CO}.get(gas, 0.0)
    if share == 0.0:
        return
    for age in range(MAX_FIRE_DAYS):
        started = weather.day - timedelta(days=age)
        for index, (_, west, south, east, north, rate) in enumerate(FIRE_ZONES):
            yield from zone_fires(seed, started, index, (west, south, east, north), rate, age,
                                  weather, share)


def zone_fires(seed: int, started: date, zone: int, box: tuple[float, float, float, float],
               rate: float, age: int, weather: Weather, share: float) -> Iterator[Emission]:
    rng = generator(seed, "fires", started.toordinal(), zone)
    for _ in range(rng.poisson(rate)):
        lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        duration = int(rng.integers(1, MAX_FIRE_DAYS + 1))
        co = math.exp(rng.uniform(*np.log(FIRE_CO_RANGE)))
        if age < duration:
            yield Emission(lon, lat, FIRE_SIZE_KM, co * share, weather.toward_deg,
                           weather.speed)


def puffs(size_km: float, speed: float, lifetime_h: float) -> list[tuple[float, float, float]]:
    """(distance downwind km, sigma km, relative column) of the puffs making up a plume."""
    speed = max(speed, MIN_SPEED)
    length = speed * 3.6 * lifetime_h  # e-folding distance
    dilution = math.hypot(speed, MIXING_SPEED)
    found: list[tuple[float, float, float]] = []
    x = 0.0
    while x <= REACH * length:
        sigma = math.hypot(size_km, SPREAD * x)
        step = PUFF_STEP * sigma
        found.append((x, sigma, math.exp(-x / length) * step / (dilution * sigma**2)))
        x += step
    return found


def add_plume(field: Array, lons: Array, lats: Array, emission: Emission,
              lifetime_h: float) -> None:
    """Add ``emission``'s plume to ``field`` (lats x lons), in place."""
    reference = puffs(emission.size_km, REFERENCE_SPEED, lifetime_h)
    scale = emission.peak / sum(w * math.exp(-0.5 * (x / s) ** 2) for x, s, w in reference)
    heading = math.radians(emission.toward_deg)
    for x, sigma, weight in puffs(emission.size_km, emission.speed, lifetime_h):
        lat = emission.lat + x * math.cos(heading) / KM_PER_DEGREE
        km_per_lon = KM_PER_DEGREE * math.cos(math.radians(lat))
        lon = emission.lon + x * math.sin(heading) / km_per_lon
        dy = (lats - lat) * KM_PER_DEGREE
        dx = (lons - lon) * km_per_lon
        rows = np.nonzero(np.abs(dy) <= REACH * sigma)[0]
        cols = np.nonzero(np.abs(dx) <= REACH * sigma)[0]
        if rows.size == 0 or cols.size == 0:
            continue
        rows_slice = slice(rows[0], rows[-1] + 1)
        cols_slice = slice(cols[0], cols[-1] + 1)
        across = np.exp(-0.5 * (dy[rows_slice] / sigma) ** 2)
        along = np.exp(-0.5 * (dx[cols_slice] / sigma) ** 2)
        field[rows_slice, cols_slice] += scale * weight * np.outer(across, along)
