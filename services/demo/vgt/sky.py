"""Daily clouds, their shadows and snow over a region, and their maximum-value composites.

The sky is simulated on a 1/112° grid around the region whatever the product's grid (a
1/336° grid samples it bilinearly), so every mission sees the same weather on the same day.
Each field is an "excess": positive where there is cloud, a shadow-casting cloud towards the
sun, or snow. Clouds are smooth noise, part persistent through the dekad (weather regimes)
and part daily, thresholded at the quantile that gives the day's cloud cover; shadows are the
cloud field seen from the ground towards the sun. A composite keeps, per pixel, a clear day
if there is one (without snow, then without shadow, if possible), else the least cloudy day —
what maximum-value NDVI compositing does — so S10 syntheses are mostly clear while daily
products are often cloudy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import generator, smooth_noise
from services.demo.solar import sun_position
from services.demo.vgt.geofields import Field, elevation_km, geo_noise
from services.demo.vgt.grid import VGT_RESOLUTION, GeoGrid, Region, padded, region_grid

SKY_RESOLUTION = VGT_RESOLUTION
SKY_MARGIN_PX = 12  # room for shadows cast from outside the region (up to 10 px)
NONE = -10.0  # excess of "nothing here"
CACHED_DAYS, CACHED_DEKADS = 11, 2  # a dekad's skies: daily products reuse the composites'
CLOUD_SCALES_KM, CLOUD_WEIGHTS = (30.0, 10.0, 3.5, 1.5), (1.0, 0.5, 0.25, 0.12)
PERSISTENT_SCALES_KM, PERSISTENT_WEIGHTS = (45.0, 15.0), (1.0, 0.4)
PERSISTENCE = 0.45  # share of the cloud field's variance that lasts the whole dekad
COVER_BETA = (1.3, 1.0)  # daily cloud cover: mean 0.57, as over the Low Countries
CLEAR_BELOW = 0.005
CLOUD_HEIGHT_KM = (1.0, 6.0)  # cloud tops
MAX_SHADOW_KM = 6.0
SNOW_SEASON = ((11, 25), (3, 10))  # (month, day) from and to
SNOW_CHANCE = 0.15  # of a day in the snow season
SNOWLINE_KM = (0.0, 0.8)  # lowland snow on about a quarter of the snow days


@dataclass(frozen=True)
class Sky:
    cloud: Field
    shadow: Field
    snow: Field


def dekad_start(day: date) -> date:
    return day.replace(day=1 if day.day <= 10 else 11 if day.day <= 20 else 21)


def in_snow_season(day: date) -> bool:
    (from_month, from_day), (to_month, to_day) = SNOW_SEASON
    return (day.month, day.day) >= (from_month, from_day) or (day.month, day.day) <= (
        to_month, to_day)


class Weather:
    """The daily skies over ``region`` (cached), for a sensor passing at ``overpass_hours``
    local solar time. The sky grid depends on the region only, so all missions over one
    region see the same clouds (their shadows differ with the sun at their overpass)."""

    def __init__(self, seed: int, region: Region, overpass_hours: float) -> None:
        self.seed = seed
        self.grid = padded(region_grid(region, SKY_RESOLUTION), SKY_MARGIN_PX)
        self.overpass_hours = overpass_hours
        self.lon, self.lat = self.grid.centre()
        dx_km, dy_km = self.grid.pixel_km()
        self._pixel_km = (dx_km, dy_km)
        self._elevation = elevation_km(self.grid, generator(seed, "vgt-elevation"))
        self._snow_noise = geo_noise(self.grid, generator(seed, "vgt-snow"), (3.0, 40.0))
        self._days: dict[date, Sky] = {}
        self._persistent: dict[date, Field] = {}

    def noise(self, rng: np.random.Generator, scales_km: Sequence[float],
              weights: Sequence[float]) -> Field:
        dx_km, dy_km = self._pixel_km
        return smooth_noise(rng, self.grid.shape, [km / dy_km for km in scales_km], weights,
                            stretch=dy_km / dx_km)

    def day(self, day: date) -> Sky:
        if day not in self._days:
            if len(self._days) >= CACHED_DAYS:
                del self._days[next(iter(self._days))]  # the oldest
            self._days[day] = self._simulate(day)
        return self._days[day]

    def composite(self, days: Sequence[date]) -> Sky:
        """Per pixel the sky of the day a maximum-value composite would pick."""
        skies = [self.day(day) for day in days]
        cloud = np.stack([sky.cloud for sky in skies])
        shadow = np.stack([sky.shadow for sky in skies])
        snow = np.stack([sky.snow for sky in skies])
        # any clear day beats every cloudy one; among clear days, no snow, then no shadow
        score = np.where(cloud > 0, 2.0 + cloud, (snow > 0) + 0.5 * (shadow > 0))
        best = np.argmin(score, axis=0)[np.newaxis]
        chosen = [np.take_along_axis(stack, best, axis=0)[0] for stack in (cloud, shadow, snow)]
        return Sky(*chosen)

    def _simulate(self, day: date) -> Sky:
        rng = generator(self.seed, "vgt-sky", day.toordinal())
        cover = float(rng.beta(*COVER_BETA))
        height_km = float(rng.uniform(*CLOUD_HEIGHT_KM))
        snow = self._snow(day, rng)
        if cover < CLEAR_BELOW:
            nothing = np.full(self.grid.shape, NONE, dtype=np.float32)
            return Sky(nothing, nothing, snow)
        daily = self.noise(generator(self.seed, "vgt-cloud-day", day.toordinal()),
                           CLOUD_SCALES_KM, CLOUD_WEIGHTS)
        field = math.sqrt(PERSISTENCE) * self._persistent_field(dekad_start(day))
        field += math.sqrt(1 - PERSISTENCE) * daily
        cloud = (field - np.quantile(field, 1.0 - cover)).astype(np.float32)
        rows, cols = self._towards_sun(day, height_km)
        return Sky(cloud, shift(cloud, rows, cols), snow)

    def _persistent_field(self, dekad: date) -> Field:
        if dekad not in self._persistent:
            if len(self._persistent) >= CACHED_DEKADS:
                del self._persistent[next(iter(self._persistent))]
            rng = generator(self.seed, "vgt-cloud-dekad", dekad.toordinal())
            self._persistent[dekad] = self.noise(rng, PERSISTENT_SCALES_KM, PERSISTENT_WEIGHTS)
        return self._persistent[dekad]

    def _towards_sun(self, day: date, height_km: float) -> tuple[int, int]:
        """(rows, cols) from a shadowed pixel to the cloud that casts it."""
        utc = datetime(day.year, day.month, day.day) + timedelta(
            hours=self.overpass_hours - self.lon / 15)
        zenith, azimuth = sun_position(utc, self.lon, self.lat)
        length = min(height_km * math.tan(math.radians(min(zenith, 80.0))), MAX_SHADOW_KM)
        dx_km, dy_km = self._pixel_km
        rows = round(-length * math.cos(math.radians(azimuth)) / dy_km)
        cols = round(length * math.sin(math.radians(azimuth)) / dx_km)
        return rows, cols

    def _snow(self, day: date, rng: np.random.Generator) -> Field:
        """Rare snow days in winter, snow lying above a snowline (on the uplands mostly)."""
        chance, snowline = rng.random(), float(rng.uniform(*SNOWLINE_KM))
        if not in_snow_season(day) or chance >= SNOW_CHANCE:
            return np.full(self.grid.shape, NONE, dtype=np.float32)
        return (self._elevation + 0.12 * self._snow_noise - snowline).astype(np.float32)


def shift(field: Field, rows: int, cols: int) -> Field:
    """``field`` seen from ``rows``, ``cols`` pixels away (edges repeated)."""
    pad = max(abs(rows), abs(cols))
    if pad == 0:
        return field.copy()
    padded = np.pad(field, pad, mode="edge")
    height, width = field.shape
    return padded[pad + rows:pad + rows + height, pad + cols:pad + cols + width].copy()


@dataclass(frozen=True)
class Resampler:
    """Bilinear sampling of a field on ``source`` at the pixel centres of ``target`` (whose
    resolution the source's need not divide)."""

    source: GeoGrid
    target: GeoGrid

    def __call__(self, field: Field) -> Field:
        source, target = self.source, self.target
        ratio = target.resolution / source.resolution
        rows, row_weight = _positions(source.row0 - target.row0 * ratio, ratio, target.height,
                                      source.height)
        cols, col_weight = _positions(target.col0 * ratio - source.col0, ratio, target.width,
                                      source.width)
        down = field[rows] * (1 - row_weight[:, None]) + field[rows + 1] * row_weight[:, None]
        across = down[:, cols] * (1 - col_weight) + down[:, cols + 1] * col_weight
        return across.astype(np.float32)


def _positions(offset: Fraction, ratio: Fraction, count: int,
               size: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Source index and the weight of the next source pixel for target pixels at source
    positions ``offset + k * ratio`` (k < ``count``), exactly."""
    exact = [offset + k * ratio for k in range(count)]
    if exact[0] < 0 or exact[-1] > size - 1:
        raise ValueError("target grid outside the source grid")
    index = np.array([math.floor(value) for value in exact], dtype=np.int64)
    weight = np.array([float(value - math.floor(value)) for value in exact])
    last = index > size - 2  # on the last source centre: weight 1 on it instead
    index[last] -= 1
    weight[last] += 1.0
    return index, weight.astype(np.float32)
