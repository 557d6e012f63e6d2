"""Which Sentinel-1 acquisitions the demo archive holds: dates, platforms, orbits, names.

Belgium is seen from relative orbits 88 and 161 (ascending, evening) and 37 and 110
(descending, morning). S1A and S1B each repeat their ground tracks every 12 days, 6 days
apart. The demo makes one acquisition every ``step_days`` (6) from ``start`` to ``end``:
S1A and ascending on even steps, S1B and descending on odd ones, so every (platform,
relative orbit) comes back after 12 days. With ``both_directions`` each step also gets the
same platform's pass in the other direction (S1A: 88 and 110; S1B: 161 and 37), so all four
orbits appear, each still on a 12-day repeat. Steps fall on exact dates: the few days
between the real tracks' passes are not modelled.

Product names follow Terrascope::

    CGS_S1/CGS_S1_GRD_SIGMA0_L1/2018/06/02/
        S1A_IW_GRDH_SIGMA0_DV_20180602T172537_ASCENDING_88_A1B2_V110/

with the sensing start (UTC), the relative orbit as a plain integer and 4 hex digits that
stand for ESA's product unique id (drawn from the seed, the day and the orbit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from services.demo.randomness import generator
from services.demo.sentinel1.orbits import ORBITS, SLICE_SECONDS, Direction, Orbit
from services.demo.sentinel1.spec import DEFAULT_SPEC, Sentinel1Spec

Platform = Literal["S1A", "S1B"]

PLATFORMS: tuple[Platform, Platform] = ("S1A", "S1B")
DIRECTIONS: tuple[Direction, Direction] = ("ASCENDING", "DESCENDING")
TRACKS: dict[tuple[Platform, Direction], int] = {
    ("S1A", "ASCENDING"): 88,
    ("S1A", "DESCENDING"): 110,
    ("S1B", "ASCENDING"): 161,
    ("S1B", "DESCENDING"): 37,
}
TIME_JITTER_S = 4
COLLECTION = Path("CGS_S1") / "CGS_S1_GRD_SIGMA0_L1"
VERSION = "V110"
LAYERS = ("VV", "VH", "angle")


@dataclass(frozen=True)
class Sentinel1Acquisition:
    """One GRD sigma0 product (clipped to the demo area)."""

    step: int  # 0-based index of the acquisition step
    platform: Platform
    sensing_time: datetime  # UTC start of the slice
    direction: Direction
    relative_orbit: int
    unique_id: str  # 4 upper-case hex digits, standing for ESA's product unique id

    @property
    def orbit(self) -> Orbit:
        return ORBITS[self.relative_orbit]

    @property
    def sensing_stop(self) -> datetime:
        return self.sensing_time + timedelta(seconds=SLICE_SECONDS)

    def product_name(self) -> str:
        stamp = self.sensing_time.strftime("%Y%m%dT%H%M%S")
        return (
            f"{self.platform}_IW_GRDH_SIGMA0_DV_{stamp}_{self.direction}_"
            f"{self.relative_orbit}_{self.unique_id}_{VERSION}"
        )

    def folder(self, root: Path) -> Path:
        day = self.sensing_time.strftime("%Y/%m/%d")
        return Path(root) / COLLECTION / day / self.product_name()

    def file_path(self, root: Path, layer: str) -> Path:
        """The GeoTIFF of ``layer`` (``VV``, ``VH`` or ``angle``)."""
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}; expected one of {LAYERS}")
        return self.folder(root) / f"{self.product_name()}_{layer}.tif"

    def metadata_path(self, root: Path) -> Path:
        return self.folder(root) / f"{self.product_name()}.xml"


def step_dates(spec: Sentinel1Spec) -> list[date]:
    span = (spec.end - spec.start).days
    return [spec.start + timedelta(days=day) for day in range(0, span + 1, spec.step_days)]


def plan(spec: Sentinel1Spec = DEFAULT_SPEC) -> list[Sentinel1Acquisition]:
    """The products :func:`generate` writes, in time order, without writing anything."""
    acquisitions = []
    for step, day in enumerate(step_dates(spec)):
        platform = PLATFORMS[step % 2]
        directions = DIRECTIONS if spec.both_directions else (DIRECTIONS[step % 2],)
        orbits = sorted((ORBITS[TRACKS[platform, d]] for d in directions),
                        key=lambda orbit: orbit.nominal_start)
        acquisitions += [_acquisition(spec.seed, step, day, platform, o) for o in orbits]
    return acquisitions


def _acquisition(
    seed: int, step: int, day: date, platform: Platform, orbit: Orbit
) -> Sentinel1Acquisition:
    """Time jitter and unique id are keyed on the calendar day and orbit, not on the step."""
    key = (day.toordinal(), orbit.relative_orbit)
    jitter = generator(seed, "s1-sensing-time", *key).integers(-TIME_JITTER_S, TIME_JITTER_S + 1)
    start = datetime.combine(day, orbit.nominal_start, tzinfo=UTC)
    unique_id = int(generator(seed, "s1-product-id", *key).integers(0, 0x10000))
    return Sentinel1Acquisition(
        step=step,
        platform=platform,
        sensing_time=start + timedelta(seconds=int(jitter)),
        direction=orbit.direction,
        relative_orbit=orbit.relative_orbit,
        unique_id=f"{unique_id:04X}",
    )
