"""What Sentinel-5P archive to generate: region, days and gases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.demo.sentinel5p.grid import EAST, NORTH, SOUTH, WEST, Region

SUPPORTED_GASES = ("NO2", "SO2", "CO")
EUROPE: Region = (-25.0, 34.0, 45.0, 72.0)
"""The seed's coverage: the hotspot table, fire zones and mountains are European."""


@dataclass(frozen=True)
class Sentinel5pSpec:
    """The parameters of a synthetic S5P L3 archive; the same spec always gives the same bytes.

    ``region`` is (west, south, east, north) in degrees, snapped outward to the 0.05° grid.
    A day's pixels do not depend on the region, the start date or the other days: a small
    region is an exact cut-out of a larger one."""

    seed: int = 2018
    region: Region = EUROPE
    start: date = date(2018, 6, 1)
    days: int = 7
    gases: tuple[str, ...] = SUPPORTED_GASES

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if len(self.region) != 4:
            raise ValueError("region must be (west, south, east, north)")
        west, south, east, north = self.region
        if not (WEST <= west < east <= EAST and SOUTH <= south < north <= NORTH):
            raise ValueError(f"region must satisfy {WEST} <= west < east <= {EAST} and "
                             f"{SOUTH} <= south < north <= {NORTH}")
        if not isinstance(self.start, date):
            raise ValueError("start must be a date")
        if not isinstance(self.days, int) or not 1 <= self.days <= 366:
            raise ValueError("days must be between 1 and 366")
        gases = tuple(self.gases)
        if not gases or len(set(gases)) != len(gases) or not set(gases) <= set(SUPPORTED_GASES):
            raise ValueError(f"gases must be distinct names from {SUPPORTED_GASES}")
        object.__setattr__(self, "gases", gases)
        object.__setattr__(self, "region", tuple(float(value) for value in self.region))


DEFAULT_SPEC = Sentinel5pSpec()
"""Europe at 0.05°, 1–7 June 2018, NO2, SO2 and CO."""
