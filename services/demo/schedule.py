"""Which acquisitions the demo archive holds: dates, platforms, times, tiles, cloud cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from services.demo.geometry import tiles_for
from services.demo.naming import product_folder, product_name
from services.demo.randomness import generator
from services.demo.spec import DEFAULT_SPEC, DemoSpec

Platform = Literal["S2A", "S2B"]

# Datatake start times of the two orbits over Flanders; S2A and S2B alternate.
NOMINAL_TIME: dict[Platform, time] = {"S2A": time(10, 50, 31), "S2B": time(10, 40, 21)}
TIME_JITTER_S = 15

FULLY_CLOUDY = 1.0
CLEAR = 0.0
PARTLY_CLOUDY_RANGE = (0.05, 0.70)
CLEAR_SHARE = 0.2


@dataclass(frozen=True)
class Acquisition:
    """One product on one tile; the tiles of one datatake share ``datatake`` and time."""

    datatake: int  # 0-based index of the datatake (date) in the archive
    platform: Platform
    sensing_time: datetime  # UTC
    tile: str
    cloud_cover: float  # target fraction of cloudy (SCL 8/9) pixels over the demo area

    def product_name(self, product: str = "TOC") -> str:
        """E.g. ``S2A_20180602T105031_31UES_TOC_V200``."""
        return product_name(self.platform, self.sensing_time, self.tile, product)

    def product_folder(self, root: Path, product: str = "TOC") -> Path:
        """The folder of ``product`` for this acquisition under the archive ``root``."""
        return product_folder(root, self.platform, self.sensing_time, self.tile, product)


def acquisition_days(spec: DemoSpec) -> list[int]:
    """Day offsets from ``spec.start``, evenly spread over the season, first and last included."""
    span = (spec.end - spec.start).days
    offsets = np.rint(np.linspace(0, span, spec.dates)).astype(int)
    return [int(day) for day in offsets]


def cloud_cover_targets(spec: DemoSpec) -> list[float]:
    """Per datatake: some clear, one fully cloudy (when there are 5 or more), the rest partly."""
    rng = generator(spec.seed, "cloud-cover")
    count = spec.dates
    fully = 1 if count >= 5 else 0
    clear = max(1, round(CLEAR_SHARE * count)) if count >= 2 else 0
    partly = rng.uniform(*PARTLY_CLOUDY_RANGE, size=count - fully - clear)
    targets = np.concatenate([np.full(fully, FULLY_CLOUDY), np.full(clear, CLEAR), partly])
    return [round(float(value), 3) for value in rng.permutation(targets)]


def plan(spec: DemoSpec = DEFAULT_SPEC) -> list[Acquisition]:
    """The products :func:`services.demo.generate` writes, in writing order, without writing."""
    rng = generator(spec.seed, "sensing-time")
    jitter = rng.integers(-TIME_JITTER_S, TIME_JITTER_S + 1, size=spec.dates)
    covers = cloud_cover_targets(spec)
    tiles = list(tiles_for(spec))
    acquisitions = []
    for index, day in enumerate(acquisition_days(spec)):
        platform: Platform = "S2A" if index % 2 == 0 else "S2B"
        start_of_day = datetime.combine(spec.start + timedelta(days=day), NOMINAL_TIME[platform])
        sensing_time = start_of_day.replace(tzinfo=UTC) + timedelta(seconds=int(jitter[index]))
        for tile in tiles:
            acquisitions.append(Acquisition(index, platform, sensing_time, tile, covers[index]))
    return acquisitions
