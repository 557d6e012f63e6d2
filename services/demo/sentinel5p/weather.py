"""The day's weather (wind, clouds) and the terrain that thins the total columns.

Clouds are two smooth multi-scale fields: a synoptic one drifting east day after day and a fresh
one per day that moves with the day's wind between overpasses. Summer skies are clearer to the
south. Cloud fraction is a logistic function of the summed field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import generator
from services.demo.sentinel5p.fields import lattice_noise
from services.demo.sentinel5p.grid import KM_PER_DEGREE

Array = NDArray[np.float64]

EPOCH = datetime(2018, 1, 1)
PREVAILING_FROM = 250.0  # degrees: west-south-westerlies
SPEED_RANGE = (2.5, 11.0)  # m/s
CLOUD_SPACINGS = (3.0, 1.0, 0.35, 0.12)  # degrees
CLOUD_WEIGHTS = (1.0, 0.6, 0.35, 0.2)
SYNOPTIC_DRIFT = (7.0, 0.5)  # degrees per day east, north
SYNOPTIC_SHARE = 0.6  # of the cloud field's variance that persists from day to day
CLEAR_SOUTH_PER_DEGREE = 0.05  # cloud field offset per degree of latitude north of 48° N
CLOUD_THRESHOLD = 0.35  # field value at cloud fraction 0.5
CLOUD_SOFTNESS = 0.25
SCALE_HEIGHT_M = 8000.0

# name, lon, lat, sigma along the axis km, sigma across km, axis azimuth degrees, height m
MOUNTAINS = (
    ("Western Alps", 6.9, 45.3, 110, 45, 10, 1700),
    ("Central Alps", 9.6, 46.5, 150, 55, 75, 1900),
    ("Eastern Alps", 13.2, 47.2, 160, 55, 80, 1400),
    ("Pyrenees", 0.5, 42.7, 170, 35, 100, 1400),
    ("Massif Central", 3.0, 45.2, 90, 75, 0, 700),
    ("Iberian Meseta", -3.8, 40.2, 280, 230, 20, 650),
    ("Atlas", -4.8, 33.2, 380, 80, 65, 1600),
    ("Apennines", 13.6, 42.4, 330, 40, 135, 900),
    ("Dinaric Alps", 18.2, 43.6, 260, 60, 130, 1000),
    ("Balkan Mountains", 24.5, 42.5, 220, 60, 90, 1100),
    ("Carpathians", 24.2, 47.3, 230, 45, 140, 900),
    ("Southern Carpathians", 23.8, 45.5, 160, 35, 80, 1100),
    ("Anatolian Plateau", 33.5, 38.8, 550, 200, 90, 1100),
    ("Caucasus", 43.5, 42.8, 380, 50, 115, 2100),
    ("Scandinavian Mountains", 13.0, 63.5, 600, 90, 30, 900),
    ("Scottish Highlands", -4.5, 57.0, 120, 60, 40, 450),
    ("Iceland", -18.8, 64.9, 180, 100, 90, 700),
)


@dataclass(frozen=True)
class Weather:
    """What the day is like over the whole demo area."""

    day: date
    toward_deg: float  # where the wind blows to, clockwise from north
    speed: float  # m/s
    cloudiness: float  # offset of the cloud field: > 0 a cloudier day

    def drift_deg(self, hours: float) -> tuple[float, float]:
        """(east, north) degrees the air moves in ``hours`` (at 50° N)."""
        km = self.speed * 3.6 * hours
        heading = math.radians(self.toward_deg)
        east = km * math.sin(heading) / (KM_PER_DEGREE * math.cos(math.radians(50.0)))
        return east, km * math.cos(heading) / KM_PER_DEGREE


def daily_weather(seed: int, day: date) -> Weather:
    rng = generator(seed, "weather", day.toordinal())
    from_deg = PREVAILING_FROM + math.degrees(rng.vonmises(0.0, 1.2))
    speed = float(np.clip(rng.gamma(6.0, 1.0), *SPEED_RANGE))
    cloudiness = float(rng.normal(0.0, 0.3))
    return Weather(day, (from_deg + 180.0) % 360.0, speed, cloudiness)


def synoptic_shift(when: datetime) -> tuple[float, float]:
    """(east, north) degrees the weather systems have moved since the epoch."""
    days = (when - EPOCH) / timedelta(days=1)
    return SYNOPTIC_DRIFT[0] * days, SYNOPTIC_DRIFT[1] * days


def cloud_fraction(seed: int, weather: Weather, when: datetime, lons: Array,
                   lats: Array) -> Array:
    """Effective cloud fraction (lats x lons) in [0, 1] seen at ``when``."""
    east, north = synoptic_shift(when)
    synoptic = lattice_noise(seed, "clouds-synoptic", (), lons - east, lats - north,
                             CLOUD_SPACINGS, CLOUD_WEIGHTS)
    noon = datetime.combine(weather.day, time(12))
    east, north = weather.drift_deg((when - noon) / timedelta(hours=1))
    fresh = lattice_noise(seed, "clouds", (weather.day.toordinal(),), lons - east, lats - north,
                          CLOUD_SPACINGS, CLOUD_WEIGHTS)
    field = math.sqrt(SYNOPTIC_SHARE) * synoptic + math.sqrt(1 - SYNOPTIC_SHARE) * fresh
    field += climate_offset(lats)[:, np.newaxis] + weather.cloudiness
    return 1.0 / (1.0 + np.exp(-(field - CLOUD_THRESHOLD) / CLOUD_SOFTNESS))


def climate_offset(lats: Array) -> Array:
    """Summer cloudiness by latitude: clearer towards the Mediterranean, cloudier up north."""
    return CLEAR_SOUTH_PER_DEGREE * np.clip(lats - 48.0, -16.0, 20.0)


def elevation(seed: int, lons: Array, lats: Array) -> Array:
    """A rough surface height (lats x lons) in metres: Gaussian ranges with rugged tops."""
    height = np.zeros((len(lats), len(lons)))
    for _, lon, lat, along, across, azimuth, top in MOUNTAINS:
        reach = 3.0 * max(along, across)
        rows = np.nonzero(np.abs(lats - lat) * KM_PER_DEGREE <= reach)[0]
        cos_lat = np.cos(np.radians(lats[rows]))[:, np.newaxis]
        dx = (lons - lon)[np.newaxis, :] * KM_PER_DEGREE * cos_lat
        dy = (lats[rows] - lat)[:, np.newaxis] * KM_PER_DEGREE
        heading = math.radians(azimuth)
        a = dx * math.sin(heading) + dy * math.cos(heading)
        c = dx * math.cos(heading) - dy * math.sin(heading)
        ridge = top * np.exp(-0.5 * ((a / along) ** 2 + (c / across) ** 2))
        ridge[np.hypot(a, c) > reach] = 0.0
        height[rows] = np.maximum(height[rows], ridge)
    rugged = lattice_noise(seed, "terrain", (), lons, lats, (0.6, 0.2), (1.0, 0.6))
    return np.clip(height * (1.0 + 0.3 * rugged), 0.0, None)


def pressure_factor(height_m: Array) -> Array:
    """Share of the sea-level air column above ground at ``height_m``."""
    return np.exp(-height_m / SCALE_HEIGHT_M)
