"""What VGT-family demo archives to generate: region, dates, seed (validated on creation)."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

from services.demo.vgt.grid import Region

BENELUX: Region = (2.0, 49.0, 8.0, 54.0)
MAX_REGION_SIDE_DEG = 12.0
PROBAV_LIFETIME = (date(2013, 10, 16), date(2020, 6, 30))  # MEP's 333 m L3 archive
SPOTVGT_LIFETIME = (date(1998, 4, 1), date(2014, 5, 31))
SENTINEL3_FIRST_DAY = date(2016, 3, 1)
PROBAV_LATITUDES = (-56.0, 75.0)  # the tiles Y00..Y13
SPOTVGT_DEFAULT_DEKADS = tuple(date(year, 6, day) for year in (1999, 2004, 2013)
                               for day in (1, 11))


def dekad_end(start: date) -> date:
    """Last day of the dekad starting on ``start`` (the 10th, the 20th or the month's end)."""
    check_dekad(start)
    if start.day == 21:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start + timedelta(days=9)


def next_dekad(start: date) -> date:
    return dekad_end(start) + timedelta(days=1)


def dekads_from(start: date, count: int) -> tuple[date, ...]:
    days = [start]
    while len(days) < count:
        days.append(next_dekad(days[-1]))
    return tuple(days[:count])


def check_dekad(day: date) -> None:
    if day.day not in (1, 11, 21):
        raise ValueError(f"{day} does not start a dekad (days 1, 11 and 21 do)")


def check_region(region: Region, latitudes: tuple[float, float] = (-90.0, 90.0)) -> Region:
    """``region`` as four floats, or ValueError."""
    if len(region) != 4:
        raise ValueError("region must be (west, south, east, north)")
    west, south, east, north = (float(value) for value in region)
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise ValueError("region must be finite")
    if not (-180.0 <= west < east <= 180.0):
        raise ValueError("region needs -180 <= west < east <= 180")
    if not (latitudes[0] <= south < north <= latitudes[1]):
        raise ValueError(f"region needs {latitudes[0]} <= south < north <= {latitudes[1]}")
    if max(east - west, north - south) > MAX_REGION_SIDE_DEG:
        raise ValueError(f"region sides must not exceed {MAX_REGION_SIDE_DEG}°")
    return west, south, east, north


def check_within(first: date, last: date, lifetime: tuple[date, date], mission: str) -> None:
    if first < lifetime[0] or last > lifetime[1]:
        raise ValueError(f"{mission} flew from {lifetime[0]} to {lifetime[1]}")


def _set_region(spec: object, region: Region, latitudes: tuple[float, float]) -> None:
    object.__setattr__(spec, "region", check_region(region, latitudes))


@dataclass(frozen=True)
class ProbaVSpec:
    """PROBA-V L3 TOC 333 m: ``s10_dekads`` dekadal syntheses from ``s10_start`` and
    ``s1_days`` daily ones from ``s1_start``, over ``region`` (clipped tile X18Y02 by default).
    """

    seed: int = 2018
    region: Region = BENELUX
    s10_start: date = date(2018, 5, 1)
    s10_dekads: int = 6
    s1_start: date = date(2018, 6, 1)
    s1_days: int = 8

    def __post_init__(self) -> None:
        _set_region(self, self.region, PROBAV_LATITUDES)
        check_dekad(self.s10_start)
        if self.s10_dekads < 0 or self.s1_days < 0 or self.s10_dekads + self.s1_days == 0:
            raise ValueError("s10_dekads and s1_days must be >= 0, not both 0")
        if self.s10_dekads:
            last = dekad_end(self.s10_dates[-1])
            check_within(self.s10_start, last, PROBAV_LIFETIME, "PROBA-V")
        if self.s1_days:
            check_within(self.s1_start, self.s1_dates[-1], PROBAV_LIFETIME, "PROBA-V")

    @property
    def s10_dates(self) -> tuple[date, ...]:
        return dekads_from(self.s10_start, self.s10_dekads)

    @property
    def s1_dates(self) -> tuple[date, ...]:
        return tuple(self.s1_start + timedelta(days=i) for i in range(self.s1_days))


@dataclass(frozen=True)
class SpotVgtSpec:
    """SPOT-VGT S10 TOC 1 km: one synthesis per dekad in ``dekads`` (first days)."""

    seed: int = 2018
    region: Region = BENELUX
    dekads: tuple[date, ...] = SPOTVGT_DEFAULT_DEKADS

    def __post_init__(self) -> None:
        _set_region(self, self.region, PROBAV_LATITUDES)
        object.__setattr__(self, "dekads", tuple(sorted(set(self.dekads))))
        if not self.dekads:
            raise ValueError("dekads must not be empty")
        for day in self.dekads:
            check_dekad(day)
        check_within(self.dekads[0], dekad_end(self.dekads[-1]), SPOTVGT_LIFETIME, "SPOT-VGT")


@dataclass(frozen=True)
class Sentinel3Spec:
    """Sentinel-3 SYN-VGT V10 1 km: ``dekads`` dekadal syntheses from ``start``."""

    seed: int = 2018
    region: Region = BENELUX
    start: date = date(2018, 5, 1)
    dekads: int = 6

    def __post_init__(self) -> None:
        _set_region(self, self.region, (-90.0, 90.0))
        check_dekad(self.start)
        if self.dekads < 1:
            raise ValueError("dekads must be at least 1")
        if self.start < SENTINEL3_FIRST_DAY:
            raise ValueError(f"Sentinel-3 syntheses start on {SENTINEL3_FIRST_DAY}")

    @property
    def dates(self) -> tuple[date, ...]:
        return dekads_from(self.start, self.dekads)
