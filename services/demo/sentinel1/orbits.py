"""Sentinel-1 viewing geometry over the demo area: relative orbits, pass times, incidence.

The IW swath is modelled on a spherical Earth from the orbit height: the incidence angle
grows from 29.1 deg at the near edge to 46 deg at the far edge, about 274 km further across
track. Each relative orbit sees the demo area at a fixed place in its swath. The radar looks
to the right of the flight direction, so the angle grows towards the east-north-east on
ascending passes and towards the west-south-west on descending ones. Neighbouring tracks of
one direction (88 and 161, 37 and 110) lie about 141 km apart across track, so the area is in
the near range of one and the far range of the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from services.demo.geometry import Bounds, Grid

Direction = Literal["ASCENDING", "DESCENDING"]

EARTH_RADIUS_KM = 6371.0
ORBIT_HEIGHT_KM = 693.0
NEAR_INCIDENCE_DEG, FAR_INCIDENCE_DEG = 29.1, 46.0
GROUND_SPEED_KM_S = 6.77  # of the sub-satellite point
SLICE_SECONDS = 30  # sensing duration of one product (about 200 km along track)


@dataclass(frozen=True)
class Orbit:
    """One relative orbit as seen from the demo area."""

    relative_orbit: int
    direction: Direction
    nominal_start: time  # UTC start of the slice that holds the demo area (area mid-slice)
    heading_deg: float  # flight direction, clockwise from grid north
    cross_track_km: float  # demo area centre, ground distance from the near edge of the swath

    @property
    def look_deg(self) -> float:
        return (self.heading_deg + 90.0) % 360.0


ORBITS: dict[int, Orbit] = {
    88: Orbit(88, "ASCENDING", time(17, 25, 37), 345.0, 60.0),
    161: Orbit(161, "ASCENDING", time(17, 33, 52), 345.0, 201.0),
    37: Orbit(37, "DESCENDING", time(5, 42, 19), 195.0, 196.0),
    110: Orbit(110, "DESCENDING", time(5, 50, 33), 195.0, 55.0),
}


def incidence_at(ground_range_km: NDArray[np.float64]) -> NDArray[np.float64]:
    """Incidence angle (degrees) on a sphere at a ground range from the sub-satellite point."""
    central = np.asarray(ground_range_km) / EARTH_RADIUS_KM
    orbit_radius = EARTH_RADIUS_KM + ORBIT_HEIGHT_KM
    return np.degrees(
        np.arctan2(orbit_radius * np.sin(central), orbit_radius * np.cos(central) - EARTH_RADIUS_KM)
    )


_RANGE_TABLE_KM = np.linspace(0.0, 900.0, 1801)
_INCIDENCE_TABLE = incidence_at(_RANGE_TABLE_KM)
NEAR_RANGE_KM = float(np.interp(NEAR_INCIDENCE_DEG, _INCIDENCE_TABLE, _RANGE_TABLE_KM))
SWATH_KM = float(np.interp(FAR_INCIDENCE_DEG, _INCIDENCE_TABLE, _RANGE_TABLE_KM)) - NEAR_RANGE_KM


def _centre(bounds: Bounds) -> tuple[float, float]:
    return (bounds.left + bounds.right) / 2, (bounds.bottom + bounds.top) / 2


def incidence_grid(grid: Grid, orbit: Orbit) -> NDArray[np.float32]:
    """Incidence angle (degrees) of every pixel of ``grid`` from its position in the swath."""
    x_centre, y_centre = _centre(grid.bounds)
    x = grid.left + (np.arange(grid.width) + 0.5) * grid.resolution - x_centre
    y = grid.top - (np.arange(grid.height) + 0.5) * grid.resolution - y_centre
    look = np.radians(orbit.look_deg)
    across_m = x[np.newaxis, :] * np.sin(look) + y[:, np.newaxis] * np.cos(look)
    ground_range = NEAR_RANGE_KM + orbit.cross_track_km + across_m / 1000.0
    return incidence_at(ground_range).astype(np.float32)


def nominal_start(orbit: Orbit, when: datetime) -> datetime:
    """The orbit's nominal slice start on the (UTC) day of ``when``."""
    return datetime.combine(when.date(), orbit.nominal_start, tzinfo=UTC)


def slice_corners(area: Bounds, orbit: Orbit, start: datetime) -> list[tuple[float, float]]:
    """Corners (EPSG:32631 metres) of the full slice, in flight order: first near, first far,
    last far, last near. A later start than nominal puts the area nearer the slice start."""
    x_centre, y_centre = _centre(area)
    heading, look = np.radians(orbit.heading_deg), np.radians(orbit.look_deg)
    delay_s = (start - nominal_start(orbit, start)).total_seconds()
    length_km = SLICE_SECONDS * GROUND_SPEED_KM_S
    along_from = -(length_km / 2 - delay_s * GROUND_SPEED_KM_S)
    across_from = -orbit.cross_track_km
    corners = []
    for along, across in (
        (along_from, across_from),
        (along_from, across_from + SWATH_KM),
        (along_from + length_km, across_from + SWATH_KM),
        (along_from + length_km, across_from),
    ):
        x = x_centre + 1000.0 * (along * np.sin(heading) + across * np.sin(look))
        y = y_centre + 1000.0 * (along * np.cos(heading) + across * np.cos(look))
        corners.append((float(x), float(y)))
    return corners
