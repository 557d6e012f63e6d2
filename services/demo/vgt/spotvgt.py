"""Synthetic SPOT-VGT S10 TOC 1 km syntheses (1998–2014) in MEP's layout.

``<root>/TIFFDERIVED/SPOTVGT_L3_S10_TOC_1KM/19990601/SPOTVGT_S10_TOC_19990601_1KM_V001/
SPOTVGT_S10_TOC_X18Y02_19990601_1KM_V001_{NDVI,SM}.tif`` plus ``…_V001.xml``. The platform
(VGT1 on SPOT-4 until 1 February 2003, then VGT2 on SPOT-5) is in the metadata only. Tiles are
clipped to the spec's region; real tiles are whole.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.demo.vgt.common import Progress, Scenes, TiledProduct, coverage, unique
from services.demo.vgt.formats import (
    ndvi_dn,
    radiometry_dn,
    shares,
    vgt_sm,
    write_metadata,
    write_ndvi,
    write_sm,
)
from services.demo.vgt.grid import VGT_RESOLUTION, GeoGrid, Tile, region_grid, tiles_for
from services.demo.vgt.scene import Observation
from services.demo.vgt.specs import SpotVgtSpec, dekad_end

MISSION = "SPOTVGT"
RESOLUTION = "1KM"
VERSION = "V001"
OVERPASS_HOURS = 10.5  # local solar time, descending node
VGT2_FROM = date(2003, 2, 1)
LAYERS = ("NDVI", "SM")
DEFAULT_SPOTVGT = SpotVgtSpec()


def platform(day: date) -> tuple[str, str]:
    """(platform, instrument) that made the synthesis starting on ``day``."""
    return ("SPOT-4", "VGT1") if day < VGT2_FROM else ("SPOT-5", "VGT2")


def product_names(spec: SpotVgtSpec) -> list[str]:
    """The names of the products :func:`generate_spotvgt` writes, in order."""
    tiles = tiles_for(region_grid(spec.region, VGT_RESOLUTION))
    return [TiledProduct(MISSION, "S10", RESOLUTION, VERSION, day, tile.name).name
            for day in spec.dekads for tile, _ in tiles]


def generate_spotvgt(root: Path, spec: SpotVgtSpec = DEFAULT_SPOTVGT,
                     progress: Progress | None = None) -> list[Path]:
    """Write the SPOT-VGT archive under ``root``; return the product folders written.

    Deterministic (same spec, same bytes); existing files are overwritten. A product is one
    tile of one dekad; ``progress(i, n, product_name)`` is called after each."""
    scenes = Scenes(spec.seed, spec.region, VGT_RESOLUTION, "spotvgt", OVERPASS_HOURS)
    tiles = tiles_for(scenes.grid)
    folders: list[Path] = []
    for i, day in enumerate(spec.dekads):
        observation = scenes.dekadal(day)
        for j, (tile, part) in enumerate(tiles):
            product = TiledProduct(MISSION, "S10", RESOLUTION, VERSION, day, tile.name)
            cut = observation.cut(scenes.grid.window(part))
            folders.append(write_product(Path(root), product, cut, part, tile, spec.seed))
            if progress is not None:
                progress(i * len(tiles) + j + 1, len(spec.dekads) * len(tiles), product.name)
    return unique(folders)


def write_product(root: Path, product: TiledProduct, observation: Observation,
                  grid: GeoGrid, tile: Tile, seed: int) -> Path:
    """Write NDVI, SM and the metadata of one tile; return its folder."""
    ndvi = ndvi_dn(radiometry_dn(observation), observation.land)
    files = {
        "NDVI": write_ndvi(product.file(root, "NDVI"), ndvi, grid),
        "SM": write_sm(product.file(root, "SM"), vgt_sm(observation), grid),
    }
    spacecraft, instrument = platform(product.day)
    fields = {
        "ProductName": product.name,
        "Mission": "SPOT-VGT",
        "Platform": spacecraft,
        "Instrument": instrument,
        "Collection": product.collection,
        "ProcessingLevel": "L3",
        "Synthesis": "S10",
        "CompositeStart": product.day.isoformat(),
        "CompositeEnd": dekad_end(product.day).isoformat(),
        "Tile": tile.name,
        "Coverage": coverage(tile.grid(grid.resolution), grid),
        "Seed": seed,
    }
    write_metadata(product.metadata(root), fields, grid, files, shares(observation))
    return product.folder(root)
