"""What demo archive to generate: area size, pixel size, number and span of acquisitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SUPPORTED_RESOLUTIONS = (10, 20)
"""Pixel size of the reflectance, NDVI and biophysical layers (the "10M" products)."""


@dataclass(frozen=True)
class DemoSpec:
    """The parameters of a synthetic archive; the same spec always gives the same bytes."""

    seed: int = 2018
    size_km: float = 10.0  # side of the square demo area
    resolution: int = 10  # metres; 20 gives "20M" files (still the 10 m network), for previews
    dates: int = 24  # number of acquisitions (datatakes)
    start: date = date(2018, 3, 15)
    end: date = date(2018, 10, 31)
    overlap: bool = False  # straddle 31UES/31UFS: every datatake gives a product on each tile

    def __post_init__(self) -> None:
        if self.resolution not in SUPPORTED_RESOLUTIONS:
            raise ValueError(f"resolution must be one of {SUPPORTED_RESOLUTIONS} m")
        if not 0.2 <= self.size_km <= 60.0:
            raise ValueError("size_km must be between 0.2 and 60")
        if self.dates < 1:
            raise ValueError("dates must be at least 1")
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.dates > (self.end - self.start).days + 1:
            raise ValueError("more dates than days between start and end")


DEFAULT_SPEC = DemoSpec()
"""The default archive: 10 x 10 km near Ghent at 10 m, 24 dates from March to October 2018."""
