"""What the three missions share: one region's surface and weather, daily and dekadal scenes,
and the MEP "TIFFDERIVED" names of the tiled PROBA-V and SPOT-VGT products."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from services.demo.randomness import generator
from services.demo.vgt.grid import GeoGrid, Region, region_grid
from services.demo.vgt.scene import Observation, observe, view
from services.demo.vgt.sky import Resampler, Weather
from services.demo.vgt.specs import dekad_end
from services.demo.vgt.surface import build_surface

Progress = Callable[[int, int, str], None]


class Scenes:
    """Observations of one mission over ``region`` on its ``resolution`` grid."""

    def __init__(self, seed: int, region: Region, resolution: Fraction, mission: str,
                 overpass_hours: float) -> None:
        self.seed = seed
        self.mission = mission
        self.grid = region_grid(region, resolution)
        self.surface = build_surface(self.grid, seed)
        self.weather = Weather(seed, region, overpass_hours)
        self.resampler = Resampler(self.weather.grid, self.grid)

    def daily(self, day: date) -> Observation:
        """A one-day synthesis: that day's sky."""
        rng = generator(self.seed, f"vgt-noise-{self.mission}-S1", day.toordinal())
        return observe(self.surface, day, view(self.weather.day(day), self.resampler), rng)

    def dekadal(self, start: date) -> Observation:
        """A maximum-value composite of the dekad starting on ``start``; the surface is taken
        at mid-dekad."""
        end = dekad_end(start)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        sky = self.weather.composite(days)
        rng = generator(self.seed, f"vgt-noise-{self.mission}-S10", start.toordinal())
        middle = start + timedelta(days=(end - start).days // 2)
        return observe(self.surface, middle, view(sky, self.resampler), rng)


@dataclass(frozen=True)
class TiledProduct:
    """One tile of one synthesis, e.g. ``PROBAV_S10_TOC_X18Y02_20180501_333M_V101``."""

    mission: str  # PROBAV or SPOTVGT
    synthesis: str  # S1 or S10
    resolution: str  # 333M or 1KM
    version: str  # V101 or V001
    day: date  # first day of the synthesis
    tile: str

    @property
    def collection(self) -> str:
        return f"{self.mission}_L3_{self.synthesis}_TOC_{self.resolution}"

    @property
    def name(self) -> str:
        stamp = f"{self.day:%Y%m%d}"
        return f"{self.mission}_{self.synthesis}_TOC_{self.tile}_{stamp}_{self.resolution}" \
               f"_{self.version}"

    def folder(self, root: Path) -> Path:
        stamp = f"{self.day:%Y%m%d}"
        leaf = f"{self.mission}_{self.synthesis}_TOC_{stamp}_{self.resolution}_{self.version}"
        return Path(root) / "TIFFDERIVED" / self.collection / stamp / leaf

    def file(self, root: Path, layer: str) -> Path:
        return self.folder(root) / f"{self.name}_{layer}.tif"

    def metadata(self, root: Path) -> Path:
        return self.folder(root) / f"{self.name}.xml"


def coverage(tile_grid: GeoGrid, part: GeoGrid) -> str:
    if part == tile_grid:
        return "whole tile"
    return "tile clipped to the demo region (real tiles are whole)"


def unique(paths: list[Path]) -> list[Path]:
    """``paths`` without repeats, in order (tiles of one date share a folder)."""
    return list(dict.fromkeys(paths))
