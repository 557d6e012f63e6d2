"""Sentinel-5P's daylight overpasses: sun-synchronous orbit, 13:30 ascending node, 2600 km swath.

The ground track is that of a circular orbit (inclination 98.74°, 227 orbits in 16 days) over a
rotating spherical Earth. Orbit numbers and times are synthetic but close to the real ones.
Between about 35° S and 35° N neighbouring swaths leave gaps; at high latitude they overlap
two or three times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from services.demo.sentinel5p.grid import KM_PER_DEGREE, PIXEL_SIZE

Array = NDArray[np.float64]

INCLINATION = math.radians(98.74)
PERIOD = timedelta(minutes=16 * 1440 / 227)
PERIOD_MINUTES = PERIOD / timedelta(minutes=1)
NODE_LOCAL_HOURS = 13.5  # local solar time of the ascending node
SWATH_HALF_WIDTH_KM = 1300.0
MAX_SOLAR_ZENITH = 80.0  # no useful retrieval in twilight / polar night
REFERENCE_ORBIT = 3272
REFERENCE_NODE = datetime(2018, 6, 1, 0, 43, 12)  # synthetic ascending node of that orbit


def wrap(degrees: Array | float) -> Array | float:
    """Longitude differences into [-180, 180)."""
    return (np.asarray(degrees) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class Overpass:
    """The daylight (ascending) half of one orbit."""

    orbit: int
    node_time: datetime

    @property
    def node_lon(self) -> float:
        hours = (self.node_time - datetime.combine(self.node_time.date(), time())) / timedelta(
            hours=1)
        return float(wrap(15.0 * (NODE_LOCAL_HOURS - hours)))

    @property
    def start(self) -> datetime:
        """Start of the L2 orbit file (about the southernmost point), to the second."""
        return (self.node_time - PERIOD / 4).replace(microsecond=0)

    @property
    def end(self) -> datetime:
        return (self.node_time - PERIOD / 4 + PERIOD).replace(microsecond=0)

    def time_at(self, lat: float) -> datetime:
        """When the satellite crosses latitude ``lat`` (degrees) northbound."""
        return self.node_time + PERIOD * (float(argument_of_latitude(np.array(lat))) / 360.0)

    def track_lon(self, lats: Array) -> Array:
        """Longitude of the ground track at ``lats`` (degrees)."""
        u = np.radians(argument_of_latitude(lats))
        inertial = np.degrees(np.arctan2(math.cos(INCLINATION) * np.sin(u), np.cos(u)))
        earth_turn = np.degrees(u) * PERIOD_MINUTES / 1440.0
        return self.node_lon + inertial - earth_turn

    def cross_track_km(self, lons: Array, lats: Array) -> tuple[Array, Array]:
        """Distance (lats x lons) across the track, km, and the cell width across it, km."""
        step = 0.005
        slope = (self.track_lon(lats + step) - self.track_lon(lats - step)) / (2 * step)
        cos_lat = np.cos(np.radians(lats))
        cos_tilt = 1.0 / np.sqrt(1.0 + (slope * cos_lat) ** 2)
        scale = (KM_PER_DEGREE * cos_lat * cos_tilt)[:, np.newaxis]
        offset = wrap(lons[np.newaxis, :] - self.track_lon(lats)[:, np.newaxis])
        return offset * scale, float(PIXEL_SIZE) * np.broadcast_to(scale, offset.shape)

    def reaches(self, lons: Array, lats: Array) -> bool:
        """Whether the swath can touch the window of these pixel centres (a cheap test)."""
        half_width = SWATH_HALF_WIDTH_KM / (KM_PER_DEGREE * np.cos(np.radians(lats))) + 1.0
        middle = 0.5 * (lons[0] + lons[-1])
        span = 0.5 * (lons[-1] - lons[0])
        gap = np.abs(wrap(self.track_lon(lats) - middle)) - span - half_width
        return bool((gap <= 0).any())

    def coverage(self, lons: Array, lats: Array) -> tuple[Array, Array]:
        """Fraction of each cell inside the swath, and |distance| / half swath width."""
        distance, cell = self.cross_track_km(lons, lats)
        inside = np.clip((SWATH_HALF_WIDTH_KM - np.abs(distance)) / cell + 0.5, 0.0, 1.0)
        return inside, np.minimum(np.abs(distance) / SWATH_HALF_WIDTH_KM, 1.0)


def argument_of_latitude(lats: Array) -> Array:
    """Degrees travelled from the ascending node to reach ``lats`` (clamped near the poles)."""
    ratio = np.clip(np.sin(np.radians(lats)) / math.sin(INCLINATION), -1.0, 1.0)
    return np.degrees(np.arcsin(ratio))


def overpasses(day: date) -> list[Overpass]:
    """The orbits whose ascending node falls on ``day`` (UTC), 14 or 15 of them."""
    midnight = datetime.combine(day, time())
    first = REFERENCE_ORBIT + math.ceil((midnight - REFERENCE_NODE) / PERIOD)
    found = []
    orbit = first
    while (node := REFERENCE_NODE + (orbit - REFERENCE_ORBIT) * PERIOD) < midnight + timedelta(
            days=1):
        found.append(Overpass(orbit, node))
        orbit += 1
    return found


def daylight(day: date, lats: Array) -> Array:
    """1 where the sun is higher than 10° at the 13:30 overpass, else 0 (per latitude)."""
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day.timetuple().tm_yday)
                                                 / 365)
    phi = np.radians(lats)
    hour_angle = math.radians(15.0 * (NODE_LOCAL_HOURS - 12.0))
    cos_zenith = (np.sin(phi) * math.sin(declination)
                  + np.cos(phi) * math.cos(declination) * math.cos(hour_angle))
    return (cos_zenith > math.cos(math.radians(MAX_SOLAR_ZENITH))).astype(np.float64)
