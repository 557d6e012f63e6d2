"""The weather the radar sees: regional topsoil moisture (rain events) and wind over water.

Rain falls on a day with probability 0.45, exponentially distributed (mean 5 mm): about
800 mm a year, as in Flanders. The top 5 cm of soil (what C-band senses) gains rain / 50 mm
of volumetric moisture and dries exponentially towards a residual, faster in summer. Both
are drawn per calendar day (and the wind per pass), independent of the archive's span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from services.demo.randomness import generator

RAIN_PROBABILITY = 0.45
MEAN_RAIN_MM = 5.0
TOPSOIL_MM = 50.0  # water column of the 5 cm topsoil per unit volumetric moisture
RESIDUAL, SATURATED = 0.08, 0.42  # volumetric moisture
WIND_SCALE_M_S = 4.5  # Weibull (shape 2) scale of the 10 m wind
CALM_M_S, ROUGH_M_S = 4.0, 10.0  # open water roughens between these wind speeds


def rain_mm(seed: int, day: date) -> float:
    rng = generator(seed, "s1-rain", day.toordinal())
    wet = rng.random() < RAIN_PROBABILITY
    return float(rng.exponential(MEAN_RAIN_MM)) if wet else 0.0


def drying_days(day: date) -> float:
    """E-folding time of topsoil drying: about 3.5 days in June, 8.5 in December."""
    season = math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.25)
    return 6.0 - 2.5 * season


def soil_moisture(seed: int, times: Sequence[datetime]) -> list[float]:
    """A 0 (residual) .. 1 (saturated) topsoil moisture index at each of ``times``.

    The water balance runs daily from 1 November of the year before the earliest time; a
    morning pass sees the soil before that day's rain, an afternoon pass after it."""
    if not times:
        return []
    anchor = date(min(times).year - 1, 11, 1)
    last = max(times).date()
    moisture, after_day = 0.3, []
    for offset in range((last - anchor).days + 1):
        day = anchor + timedelta(days=offset)
        moisture = RESIDUAL + (moisture - RESIDUAL) * math.exp(-1.0 / drying_days(day))
        moisture = min(SATURATED, moisture + rain_mm(seed, day) / TOPSOIL_MM)
        after_day.append(moisture)
    index = []
    for when in times:
        offset = (when.date() - anchor).days - (1 if when.hour < 12 else 0)
        index.append((after_day[offset] - RESIDUAL) / (SATURATED - RESIDUAL))
    return index


def water_roughness(seed: int, when: datetime, relative_orbit: int) -> float:
    """0 (calm, specular) .. 1 (wind-roughened) for open water on this pass."""
    rng = generator(seed, "s1-wind", when.date().toordinal(), relative_orbit)
    wind = WIND_SCALE_M_S * float(rng.weibull(2.0))
    return float(np.clip((wind - CALM_M_S) / (ROUGH_M_S - CALM_M_S), 0.0, 1.0))
