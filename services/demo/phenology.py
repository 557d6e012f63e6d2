"""Crop calendars: green and dry (senescent, straw, hay) cover fractions through the season.

Each parcel follows the calendar of its crop, shifted by a few days and with its own
harvest date and peak cover. Days are days of the year (1 = 1 January).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray


class Crop(IntEnum):
    WINTER_WHEAT = 0
    MAIZE = 1
    SUGAR_BEET = 2
    POTATO = 3
    GRASSLAND = 4


CROP_SHARES: dict[Crop, float] = {
    Crop.WINTER_WHEAT: 0.30,
    Crop.MAIZE: 0.22,
    Crop.SUGAR_BEET: 0.13,
    Crop.POTATO: 0.15,
    Crop.GRASSLAND: 0.20,
}


@dataclass(frozen=True)
class Calendar:
    """An arable crop: canopy grows logistically from ``base`` to ``peak`` around
    ``green_up``, turns brown around ``senescence`` and is harvested at ``harvest``."""

    base: float  # cover before green-up (winter cereals are already emerged)
    peak: float
    green_up: float  # day of half-way growth
    growth_days: float  # logistic time constant
    senescence: float  # day half the canopy is brown
    senescence_days: float
    harvest: float
    residue: float  # dry cover (stubble, straw) just after harvest
    catch_crop_share: float  # share of parcels sown with a green cover crop after harvest


CALENDARS: dict[Crop, Calendar] = {
    Crop.WINTER_WHEAT: Calendar(0.25, 0.92, 112, 9, 188, 7, 212, 0.40, 0.5),
    Crop.MAIZE: Calendar(0.0, 0.90, 172, 8, 262, 8, 280, 0.20, 0.0),
    Crop.SUGAR_BEET: Calendar(0.0, 0.95, 152, 9, 340, 10, 292, 0.05, 0.0),
    Crop.POTATO: Calendar(0.0, 0.92, 166, 7, 222, 6, 245, 0.10, 0.3),
}
CATCH_CROP_DELAY_DAYS = 35
CATCH_CROP_PEAK = 0.55

# Grassland: spring growth, then cut for silage/hay a few times; pastures are only grazed.
GRASS_SPRING = (0.50, 0.85, 100.0, 10.0)  # base, peak, half-way day, growth days
GRASS_CUT_DAYS = (138.0, 180.0, 224.0, 268.0)
GRASS_AFTER_CUT = 0.30
GRASS_REGROWTH_DAYS = 11.0
HAY_COVER, HAY_DAYS = 0.35, 4.0
MOWN_SHARE = 0.7


def logistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class Parcels:
    """Per-parcel crop and calendar perturbations (arrays indexed by parcel id)."""

    crop: NDArray[np.int8]
    shift_days: NDArray[np.float64]  # whole calendar earlier/later
    harvest_shift_days: NDArray[np.float64]
    peak_factor: NDArray[np.float64]
    catch_crop: NDArray[np.bool_]
    mown: NDArray[np.bool_]  # grassland: cut (True) or grazed pasture (False)

    @classmethod
    def random(cls, rng: np.random.Generator, crop: NDArray[np.int8]) -> Parcels:
        count = crop.size
        catch_share = _calendar_table("catch_crop_share")
        return cls(
            crop=crop,
            shift_days=rng.normal(0.0, 6.0, count),
            harvest_shift_days=rng.normal(0.0, 7.0, count),
            peak_factor=rng.uniform(0.88, 1.04, count),
            catch_crop=(rng.random(count) < catch_share[crop]) & (crop != Crop.GRASSLAND),
            mown=rng.random(count) < MOWN_SHARE,
        )

    def cover(self, day: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Green and dry cover fractions of every parcel on ``day``."""
        t = day - self.shift_days
        green, dry = _arable_cover(self, t)
        grass_green, grass_dry = _grassland_cover(self, t)
        is_grass = self.crop == Crop.GRASSLAND
        green = np.where(is_grass, grass_green, green) * self.peak_factor
        dry = np.where(is_grass, grass_dry, dry)
        green = np.clip(green, 0.0, 0.97)
        return green, np.clip(dry, 0.0, 1.0 - green)


def _calendar_table(field: str) -> NDArray[np.float64]:
    """One calendar field per crop code (grassland, with its own model, gets 1)."""
    return np.array([getattr(CALENDARS[c], field) if c in CALENDARS else 1.0 for c in Crop])


def _arable_cover(
    parcels: Parcels, t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    def param(field: str) -> NDArray[np.float64]:
        return _calendar_table(field)[parcels.crop]

    base, peak = param("base"), param("peak")
    canopy = base + (peak - base) * logistic((t - param("green_up")) / param("growth_days"))
    green = canopy * (1.0 - logistic((t - param("senescence")) / param("senescence_days")))
    dry = canopy - green
    harvest = param("harvest") + parcels.harvest_shift_days
    since_harvest = t - harvest
    harvested = since_harvest >= 0
    catch_crop = CATCH_CROP_PEAK * logistic((since_harvest - CATCH_CROP_DELAY_DAYS) / 7.0)
    green = np.where(harvested, np.where(parcels.catch_crop, catch_crop, 0.0), green)
    residue = param("residue") * np.exp(-np.maximum(since_harvest, 0.0) / 30.0)
    dry = np.where(harvested, residue, dry)
    return green, dry


def _grassland_cover(
    parcels: Parcels, t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    base, peak, half_day, growth_days = GRASS_SPRING
    spring = base + (peak - base) * logistic((t - half_day) / growth_days)
    cuts = np.array(GRASS_CUT_DAYS)
    passed = t[:, np.newaxis] >= cuts[np.newaxis, :]
    last_cut = np.max(np.where(passed, cuts, -np.inf), axis=1)
    since_cut = t - last_cut
    was_cut = parcels.mown & np.isfinite(last_cut)
    regrowth = GRASS_AFTER_CUT + (peak - GRASS_AFTER_CUT) * (
        1.0 - np.exp(-np.where(was_cut, since_cut, 0.0) / GRASS_REGROWTH_DAYS)
    )
    green = np.where(was_cut, regrowth, np.where(parcels.mown, spring, 0.92 * spring))
    hay = HAY_COVER * np.exp(-np.where(was_cut, since_cut, np.inf) / HAY_DAYS)
    return green, hay


def forest_green(day: float) -> float:
    """Mixed deciduous/conifer forest: conifers and understorey, leaf-out, autumn."""
    return 0.45 + 0.50 * _sigmoid((day - 118) / 6) - 0.25 * _sigmoid((day - 296) / 8)


def garden_green(day: float) -> float:
    """Green cover of the unsealed part of built-up land (gardens, parks, verges)."""
    return 0.45 + 0.25 * _sigmoid((day - 108) / 10) - 0.10 * _sigmoid((day - 290) / 10)


def _sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))
