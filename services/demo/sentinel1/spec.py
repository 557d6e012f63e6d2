"""What Sentinel-1 demo archive to generate: area size, season, revisit and speckle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

REPEAT_STEP_DAYS = 6
"""S1A and S1B together revisit a ground track every 6 days (each alone every 12)."""


@dataclass(frozen=True)
class Sentinel1Spec:
    """The parameters of a synthetic Sentinel-1 archive; the same spec gives the same bytes."""

    seed: int = 2018
    size_km: float = 5.0  # side of the square demo area (the Sentinel-2 area near Ghent)
    start: date = date(2018, 3, 15)
    end: date = date(2018, 10, 31)
    step_days: int = 6  # days between acquisition steps, a multiple of 6
    both_directions: bool = False  # an ascending and a descending pass on every step
    enl: float = 4.4  # equivalent number of looks of the speckle (GRD-H at 10 m)
    speckle: bool = True  # False writes the noise-free sigma0 (for checking algorithms)

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError("seed must not be negative")
        if not 0.2 <= self.size_km <= 60.0:
            raise ValueError("size_km must be between 0.2 and 60")
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.step_days < REPEAT_STEP_DAYS or self.step_days % REPEAT_STEP_DAYS:
            raise ValueError(f"step_days must be a positive multiple of {REPEAT_STEP_DAYS}")
        if not 1.0 <= self.enl <= 1000.0:
            raise ValueError("enl must be between 1 and 1000")


DEFAULT_SPEC = Sentinel1Spec()
"""5 x 5 km near Ghent, one pass every 6 days from mid-March to October 2018."""
