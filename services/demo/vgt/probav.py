"""Synthetic PROBA-V L3 TOC 333 m syntheses, S10 (dekadal) and S1 (daily), in MEP's layout.

``<root>/TIFFDERIVED/PROBAV_L3_S10_TOC_333M/20180501/PROBAV_S10_TOC_20180501_333M_V101/
PROBAV_S10_TOC_X18Y02_20180501_333M_V101_{RADIOMETRY,NDVI,SM}.tif`` (S1 alike), plus
``PROBAV_S10_TOC_X18Y02_20180501_333M_V101.xml``. Each tile is written only where it overlaps
the spec's region (snapped outward to the 1/336° grid); real tiles are whole 10° squares.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.demo.vgt.common import Progress, Scenes, TiledProduct, coverage, unique
from services.demo.vgt.formats import (
    ndvi_dn,
    probav_sm,
    radiometry_dn,
    shares,
    write_metadata,
    write_ndvi,
    write_radiometry,
    write_sm,
)
from services.demo.vgt.grid import PROBAV_RESOLUTION, GeoGrid, Tile, region_grid, tiles_for
from services.demo.vgt.scene import Observation
from services.demo.vgt.specs import ProbaVSpec, dekad_end

MISSION = "PROBAV"
RESOLUTION = "333M"
VERSION = "V101"
OVERPASS_HOURS = 10.75  # local solar time at launch (the orbit drifted later)
LAYERS = ("RADIOMETRY", "NDVI", "SM")
DEFAULT_PROBAV = ProbaVSpec()


def syntheses(spec: ProbaVSpec) -> list[tuple[str, date]]:
    """(synthesis, first day) of every product date: the S10 dekads, then the S1 days."""
    return [("S10", day) for day in spec.s10_dates] + [("S1", day) for day in spec.s1_dates]


def product_names(spec: ProbaVSpec) -> list[str]:
    """The names of the products :func:`generate_probav` writes, in order."""
    tiles = tiles_for(region_grid(spec.region, PROBAV_RESOLUTION))
    return [TiledProduct(MISSION, synthesis, RESOLUTION, VERSION, day, tile.name).name
            for synthesis, day in syntheses(spec) for tile, _ in tiles]


def generate_probav(root: Path, spec: ProbaVSpec = DEFAULT_PROBAV,
                    progress: Progress | None = None) -> list[Path]:
    """Write the PROBA-V archive under ``root``; return the product folders written.

    Deterministic (same spec, same bytes); existing files are overwritten. A product is one
    tile of one synthesis; ``progress(i, n, product_name)`` is called after each."""
    scenes = Scenes(spec.seed, spec.region, PROBAV_RESOLUTION, "probav", OVERPASS_HOURS)
    tiles = tiles_for(scenes.grid)
    plan = syntheses(spec)
    folders: list[Path] = []
    for i, (synthesis, day) in enumerate(plan):
        observation = scenes.dekadal(day) if synthesis == "S10" else scenes.daily(day)
        for j, (tile, part) in enumerate(tiles):
            product = TiledProduct(MISSION, synthesis, RESOLUTION, VERSION, day, tile.name)
            cut = observation.cut(scenes.grid.window(part))
            folders.append(write_product(Path(root), product, cut, part, tile, spec.seed))
            if progress is not None:
                progress(i * len(tiles) + j + 1, len(plan) * len(tiles), product.name)
    return unique(folders)


def write_product(root: Path, product: TiledProduct, observation: Observation,
                  grid: GeoGrid, tile: Tile, seed: int) -> Path:
    """Write the three files and the metadata of one tile; return its folder."""
    radiometry = radiometry_dn(observation)
    files = {
        "RADIOMETRY": write_radiometry(product.file(root, "RADIOMETRY"), radiometry, grid),
        "NDVI": write_ndvi(product.file(root, "NDVI"), ndvi_dn(radiometry, observation.land),
                           grid),
        "SM": write_sm(product.file(root, "SM"), probav_sm(observation), grid),
    }
    end = dekad_end(product.day) if product.synthesis == "S10" else product.day
    fields = {
        "ProductName": product.name,
        "Mission": "PROBA-V",
        "Platform": "PROBA-V",
        "Instrument": "VEGETATION",
        "Collection": product.collection,
        "ProcessingLevel": "L3",
        "Synthesis": product.synthesis,
        "CompositeStart": product.day.isoformat(),
        "CompositeEnd": end.isoformat(),
        "Tile": tile.name,
        "Coverage": coverage(tile.grid(grid.resolution), grid),
        "Seed": seed,
    }
    write_metadata(product.metadata(root), fields, grid, files, shares(observation))
    return product.folder(root)
