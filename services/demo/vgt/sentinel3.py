"""Synthetic Sentinel-3 SYN-VGT V10 (10-day, VGT-like) 1 km syntheses in Terrascope's layout.

``<root>/TERRASCOPE_Sentinel3/SY_2_V10_V1/2018/05/01/S3_SY_2_V10_20180501_V100/
S3_SY_2_V10_20180501_{NDVI,SM}_V100.tif`` plus ``S3_SY_2_V10_20180501_V100.xml``, on the 1/112°
grid over the spec's region (SYN-VGT products are not tiled). SM has the SPOT-VGT layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.demo.vgt.common import Progress, Scenes
from services.demo.vgt.formats import (
    ndvi_dn,
    radiometry_dn,
    shares,
    vgt_sm,
    write_metadata,
    write_ndvi,
    write_sm,
)
from services.demo.vgt.grid import VGT_RESOLUTION, GeoGrid
from services.demo.vgt.scene import Observation
from services.demo.vgt.specs import Sentinel3Spec, dekad_end

COLLECTION = "SY_2_V10_V1"
VERSION = "V100"
OVERPASS_HOURS = 10.0  # local solar time, descending node
LAYERS = ("NDVI", "SM")
DEFAULT_SENTINEL3 = Sentinel3Spec()


@dataclass(frozen=True)
class Synthesis:
    """One 10-day synthesis, e.g. ``S3_SY_2_V10_20180501_V100``."""

    day: date

    @property
    def name(self) -> str:
        return f"S3_SY_2_V10_{self.day:%Y%m%d}_{VERSION}"

    def folder(self, root: Path) -> Path:
        return (Path(root) / "TERRASCOPE_Sentinel3" / COLLECTION / f"{self.day:%Y/%m/%d}"
                / self.name)

    def file(self, root: Path, layer: str) -> Path:
        return self.folder(root) / f"S3_SY_2_V10_{self.day:%Y%m%d}_{layer}_{VERSION}.tif"

    def metadata(self, root: Path) -> Path:
        return self.folder(root) / f"{self.name}.xml"


def product_names(spec: Sentinel3Spec) -> list[str]:
    return [Synthesis(day).name for day in spec.dates]


def generate_sentinel3(root: Path, spec: Sentinel3Spec = DEFAULT_SENTINEL3,
                       progress: Progress | None = None) -> list[Path]:
    """Write the SYN-VGT archive under ``root``; return the product folders written.

    Deterministic (same spec, same bytes); existing files are overwritten.
    ``progress(i, n, product_name)`` is called after each synthesis."""
    scenes = Scenes(spec.seed, spec.region, VGT_RESOLUTION, "sentinel3", OVERPASS_HOURS)
    folders: list[Path] = []
    for i, day in enumerate(spec.dates, start=1):
        synthesis = Synthesis(day)
        folders.append(write_product(Path(root), synthesis, scenes.dekadal(day), scenes.grid,
                                     spec))
        if progress is not None:
            progress(i, len(spec.dates), synthesis.name)
    return folders


def write_product(root: Path, synthesis: Synthesis, observation: Observation, grid: GeoGrid,
                  spec: Sentinel3Spec) -> Path:
    ndvi = ndvi_dn(radiometry_dn(observation), observation.land)
    files = {
        "NDVI": write_ndvi(synthesis.file(root, "NDVI"), ndvi, grid),
        "SM": write_sm(synthesis.file(root, "SM"), vgt_sm(observation), grid),
    }
    west, south, east, north = spec.region
    fields = {
        "ProductName": synthesis.name,
        "Mission": "Sentinel-3",
        "Platform": "Sentinel-3A",
        "Instrument": "OLCI, SLSTR (SYN VGT-like)",
        "Collection": COLLECTION,
        "ProcessingLevel": "L2",
        "Synthesis": "V10",
        "CompositeStart": synthesis.day.isoformat(),
        "CompositeEnd": dekad_end(synthesis.day).isoformat(),
        "Region": f"{west} {south} {east} {north}",
        "Seed": spec.seed,
    }
    write_metadata(synthesis.metadata(root), fields, grid, files, shares(observation))
    return synthesis.folder(root)
