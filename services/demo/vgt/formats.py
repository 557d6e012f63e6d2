"""File formats of the VGT family: NDVI and radiometry DNs, status maps, COGs and metadata.

NDVI: uint8, physical = DN × 0.004 − 0.08 (DN 0..250), 255 = no data (the sea). RADIOMETRY
(PROBA-V): int16 RED, NIR, BLUE, SWIR, physical = DN × 0.0005, −1 = no data. NDVI is
computed from the RED and NIR DNs, so it agrees with the radiometry file to within its own
quantisation. Status maps (SM) are uint8 bit flags:

* PROBA-V: bits 0–2 000 clear, 001 shadow, 010 undefined, 011 cloud, 100 snow/ice; bit 3
  land; bits 4, 5, 6, 7 SWIR, NIR, RED, BLUE radiometry good.
* SPOT-VGT and SYN-VGT: bits 0–1 00 clear, 01 shadow, 10 uncertain, 11 cloud; bit 2 snow or
  ice; bit 3 land; bits 4, 5, 6, 7 MIR, B3, B2, B0 radiometry good (the same bands: SWIR,
  NIR, RED, BLUE).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.demo.cog import write_cog
from services.demo.vgt.grid import CRS, GeoGrid
from services.demo.vgt.scene import CLEAR, CLOUD, SHADOW, UNCERTAIN, Observation
from services.demo.vgt.surface import BANDS, ndvi

NDVI_SCALE, NDVI_OFFSET, NDVI_NODATA, NDVI_MAX_DN = 0.004, -0.08, 255, 250
RADIOMETRY_SCALE, RADIOMETRY_NODATA = 0.0005, -1
LAND_BIT = 3
GOOD_BITS = {"SWIR": 4, "NIR": 5, "RED": 6, "BLUE": 7}
PROBAV_SKY = {CLEAR: 0b000, SHADOW: 0b001, UNCERTAIN: 0b010, CLOUD: 0b011}
PROBAV_SNOW = 0b100
VGT_SKY = {CLEAR: 0b00, SHADOW: 0b01, UNCERTAIN: 0b10, CLOUD: 0b11}
VGT_SNOW_BIT = 2

UInt8 = NDArray[np.uint8]


def radiometry_dn(observation: Observation) -> NDArray[np.int16]:
    """(4, rows, cols) DNs in the order of :data:`BANDS` (never no data: the sensor saw all)."""
    return np.rint(observation.reflectance / RADIOMETRY_SCALE).astype(np.int16)


def ndvi_dn(radiometry: NDArray[np.int16], land: NDArray[np.bool_]) -> UInt8:
    """NDVI of the RED and NIR DNs, quantised; 255 off land."""
    red = radiometry[BANDS.index("RED")].astype(np.float64)
    nir = radiometry[BANDS.index("NIR")].astype(np.float64)
    dn = np.clip(np.rint((ndvi(red, nir) - NDVI_OFFSET) / NDVI_SCALE), 0, NDVI_MAX_DN)
    return np.where(land, dn, NDVI_NODATA).astype(np.uint8)


def _common_bits(observation: Observation) -> UInt8:
    bits = observation.land.astype(np.uint8) << LAND_BIT
    for band, bit in GOOD_BITS.items():
        bits |= observation.good[BANDS.index(band)].astype(np.uint8) << bit
    return bits


def _lookup(classes: UInt8, codes: dict[int, int]) -> UInt8:
    table = np.zeros(256, dtype=np.uint8)
    for sky_class, code in codes.items():
        table[sky_class] = code
    return table[classes]


def probav_sm(observation: Observation) -> UInt8:
    status = _lookup(observation.sky, PROBAV_SKY)
    status = np.where(observation.snow, PROBAV_SNOW, status).astype(np.uint8)
    return status | _common_bits(observation)


def vgt_sm(observation: Observation) -> UInt8:
    status = _lookup(observation.sky, VGT_SKY)
    status |= observation.snow.astype(np.uint8) << VGT_SNOW_BIT
    return status | _common_bits(observation)


def write_ndvi(path: Path, dn: UInt8, grid: GeoGrid) -> Path:
    return write_cog(path, dn, crs=CRS, transform=grid.transform, dtype="uint8",
                     nodata=NDVI_NODATA, scales=[NDVI_SCALE], offsets=[NDVI_OFFSET],
                     descriptions=["NDVI"])


def write_sm(path: Path, sm: UInt8, grid: GeoGrid) -> Path:
    return write_cog(path, sm, crs=CRS, transform=grid.transform, dtype="uint8", nodata=None,
                     descriptions=["SM"], resampling="nearest", continuous=False)


def write_radiometry(path: Path, dn: NDArray[np.int16], grid: GeoGrid) -> Path:
    return write_cog(path, dn, crs=CRS, transform=grid.transform, dtype="int16",
                     nodata=RADIOMETRY_NODATA, scales=[RADIOMETRY_SCALE] * len(BANDS),
                     offsets=[0.0] * len(BANDS), descriptions=BANDS)


def shares(observation: Observation) -> dict[str, float]:
    """Percentages for the metadata: land, cloud (thick or uncertain), snow."""
    cloudy = observation.sky >= UNCERTAIN
    return {
        "landPercent": 100.0 * float(observation.land.mean()),
        "cloudPercent": 100.0 * float(cloudy.mean()),
        "snowPercent": 100.0 * float(observation.snow.mean()),
    }


def write_metadata(path: Path, fields: dict[str, object], grid: GeoGrid,
                   files: dict[str, Path], statistics: dict[str, float]) -> Path:
    """A small XML description of one product (names and order are the demo's own)."""
    root = ET.Element("ProductMetadata", synthetic="true")
    for name, value in fields.items():
        ET.SubElement(root, name).text = str(value)
    ET.SubElement(root, "CRS").text = CRS
    resolution = grid.resolution
    ET.SubElement(root, "Resolution", unit="degree",
                  exact=f"{resolution.numerator}/{resolution.denominator}").text = repr(
        float(resolution))
    ET.SubElement(root, "Size", width=str(grid.width), height=str(grid.height))
    west, south, east, north = grid.bounds()
    ET.SubElement(root, "BoundingBox", west=repr(west), south=repr(south), east=repr(east),
                  north=repr(north))
    listing = ET.SubElement(root, "Files")
    for band, file in files.items():
        ET.SubElement(listing, "File", band=band).text = file.name
    quality = ET.SubElement(root, "Statistics")
    for name, value in statistics.items():
        ET.SubElement(quality, name).text = f"{value:.2f}"
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
