"""Terrascope's Sentinel-5P L3 names, folders and the per-product metadata XML.

``<root>/TERRASCOPE_Sentinel5P/L3_NO2_TD_V1/2018/06/01/S5P_OFFL_L3_NO2_TD_20180601_V100/`` holds
``S5P_NO2_TD_20180601_NO2_V100.tif`` (the column), ``S5P_NO2_TD_20180601_WEIGHT_V100.tif`` (the
weight) and ``S5P_OFFL_L3_NO2_TD_20180601_V100.xml`` (this demo's metadata: the window written
and the L2 orbits the global product is made from, Terrascope's
``additionalAttributes.sourceData``). TD means daily.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

from services.demo.sentinel5p.gases import Gas
from services.demo.sentinel5p.grid import CRS, PIXEL_SIZE, Window
from services.demo.sentinel5p.orbits import Overpass

COLLECTION_ROOT = "TERRASCOPE_Sentinel5P"
VERSION = "V100"
COLLECTION_VERSION = "V1"
UNITS = "mol/m2"
L2_COLLECTION = "01"
L2_LATENCY = timedelta(days=5, hours=3)  # OFFL products appear days after sensing


def stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def collection_id(gas: str) -> str:
    return f"urn:eop:VITO:TERRASCOPE_S5P_L3_{gas}_TD_{COLLECTION_VERSION}"


def product_name(gas: str, day: date) -> str:
    return f"S5P_OFFL_L3_{gas}_TD_{stamp(day)}_{VERSION}"


def product_folder(root: Path, gas: str, day: date) -> Path:
    collection = Path(root) / COLLECTION_ROOT / f"L3_{gas}_TD_{COLLECTION_VERSION}"
    return collection / day.strftime("%Y/%m/%d") / product_name(gas, day)


def data_path(root: Path, gas: str, day: date) -> Path:
    return product_folder(root, gas, day) / f"S5P_{gas}_TD_{stamp(day)}_{gas}_{VERSION}.tif"


def weight_path(root: Path, gas: str, day: date) -> Path:
    return product_folder(root, gas, day) / f"S5P_{gas}_TD_{stamp(day)}_WEIGHT_{VERSION}.tif"


def metadata_path(root: Path, gas: str, day: date) -> Path:
    return product_folder(root, gas, day) / f"{product_name(gas, day)}.xml"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def l2_name(gas: Gas, overpass: Overpass) -> str:
    """``S5P_OFFL_L2__NO2____<start>_<end>_<orbit>_01_<processor>_<production>`` (no .nc)."""
    produced = overpass.end + L2_LATENCY
    parts = ("S5P", "OFFL", gas.l2_type, overpass.start.strftime("%Y%m%dT%H%M%S"),
             overpass.end.strftime("%Y%m%dT%H%M%S"), f"{overpass.orbit:05d}", L2_COLLECTION,
             gas.processor, produced.strftime("%Y%m%dT%H%M%S"))
    return "_".join(parts)


def metadata_xml(gas: Gas, day: date, window: Window, sources: list[Overpass]) -> bytes:
    """The product's metadata document (UTF-8, deterministic)."""
    product = ET.Element("product", {"identifier": product_name(gas.name, day)})
    ET.SubElement(product, "collection").text = collection_id(gas.name)
    ET.SubElement(product, "parameter", {"units": UNITS}).text = gas.variable
    ET.SubElement(product, "temporalResolution").text = "daily"
    ET.SubElement(product, "beginPosition").text = f"{day.isoformat()}T00:00:00Z"
    ET.SubElement(product, "endPosition").text = f"{day.isoformat()}T23:59:59Z"
    west, south, east, north = window.bounds()
    height, width = window.shape
    ET.SubElement(product, "grid", {
        "crs": CRS, "pixelSize": str(float(PIXEL_SIZE)), "west": repr(west), "south": repr(south),
        "east": repr(east), "north": repr(north), "width": str(width), "height": str(height),
        "note": "demo window of the global grid (-180, -89, 180, 89)",
    })
    files = ET.SubElement(product, "files")
    ET.SubElement(files, "file", {"role": "data", "nodata": "nan"}).text = data_path(
        Path(), gas.name, day).name
    ET.SubElement(files, "file", {"role": "weight"}).text = weight_path(
        Path(), gas.name, day).name
    attributes = ET.SubElement(product, "additionalAttributes")
    source_data = ET.SubElement(attributes, "sourceData")
    for overpass in sources:
        ET.SubElement(source_data, "source", {
            "orbit": str(overpass.orbit), "start": iso(overpass.start), "end": iso(overpass.end),
        }).text = l2_name(gas, overpass)
    ET.indent(product)
    return ET.tostring(product, encoding="utf-8", xml_declaration=True) + b"\n"
