"""Sun position (NOAA low-accuracy formulas, good to a fraction of a degree) and view angles."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

# Nominal Sentinel-2 MSI view geometry over the demo area per platform (the two orbits see
# Flanders from opposite sides of their swaths).
VIEW_ZENITH_DEG = {"S2A": 4.5, "S2B": 7.0}
VIEW_AZIMUTH_DEG = {"S2A": 106.0, "S2B": 287.0}


@dataclass(frozen=True)
class Angles:
    """Acquisition geometry in degrees; azimuths clockwise from north."""

    sun_zenith: float
    sun_azimuth: float
    view_zenith: float
    view_azimuth: float

    def network_cosines(self) -> tuple[float, float, float]:
        """cos(view zenith), cos(sun zenith), cos(sun azimuth - view azimuth)."""
        relative_azimuth = math.radians(self.sun_azimuth - self.view_azimuth)
        return (
            math.cos(math.radians(self.view_zenith)),
            math.cos(math.radians(self.sun_zenith)),
            math.cos(relative_azimuth),
        )


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """Sun zenith and azimuth (degrees) at UTC time ``when`` seen from ``lon``, ``lat``."""
    day_of_year = when.timetuple().tm_yday
    hours = when.hour + when.minute / 60 + when.second / 3600
    gamma = 2 * math.pi / 365 * (day_of_year - 1 + (hours - 12) / 24)
    equation_of_time_min = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hours * 60 + equation_of_time_min + 4 * lon
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    latitude = math.radians(lat)
    cos_zenith = math.sin(latitude) * math.sin(declination) + math.cos(latitude) * math.cos(
        declination
    ) * math.cos(hour_angle)
    zenith = math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))
    azimuth_from_south = math.atan2(
        math.sin(hour_angle),
        math.cos(hour_angle) * math.sin(latitude) - math.tan(declination) * math.cos(latitude),
    )
    azimuth = (math.degrees(azimuth_from_south) + 180.0) % 360.0
    return zenith, azimuth


def acquisition_angles(platform: str, when: datetime, lon: float, lat: float) -> Angles:
    sun_zenith, sun_azimuth = sun_position(when, lon, lat)
    return Angles(sun_zenith, sun_azimuth, VIEW_ZENITH_DEG[platform], VIEW_AZIMUTH_DEG[platform])
