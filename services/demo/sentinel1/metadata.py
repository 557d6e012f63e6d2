"""The small product metadata XML written next to each product's GeoTIFFs.

``<footprint>`` (GML 3.2, EPSG:4326 latitude-longitude order) and ``<footprintWKT>`` (WKT,
longitude-latitude) are the area the files cover: the demo area. ``<sliceFootprintWKT>`` is
the nominal footprint of the full IW slice the demo product is cut from.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pyproj import Transformer

from services.demo.geometry import CRS, Bounds
from services.demo.sentinel1.orbits import slice_corners
from services.demo.sentinel1.schedule import LAYERS, VERSION, Sentinel1Acquisition

GML = "http://www.opengis.net/gml/3.2"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
PLATFORM_NAMES = {"S1A": "Sentinel-1A", "S1B": "Sentinel-1B"}
ET.register_namespace("gml", GML)


@lru_cache(maxsize=1)
def _to_lon_lat() -> Transformer:
    return Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def lon_lat_ring(corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Closed ring of (lon, lat) from EPSG:32631 corners."""
    ring = [_to_lon_lat().transform(x, y) for x, y in corners]
    return [(float(lon), float(lat)) for lon, lat in ring + ring[:1]]


def area_corners(area: Bounds) -> list[tuple[float, float]]:
    """Counter-clockwise from the lower left."""
    return [(area.left, area.bottom), (area.right, area.bottom), (area.right, area.top),
            (area.left, area.top)]


def wkt(ring: list[tuple[float, float]]) -> str:
    return "POLYGON((" + ", ".join(f"{lon:.6f} {lat:.6f}" for lon, lat in ring) + "))"


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def metadata_xml(acquisition: Sentinel1Acquisition, area: Bounds,
                 incidence_range: tuple[float, float], enl: float | None) -> bytes:
    """The XML document; ``enl`` None for noise-free products."""
    name = acquisition.product_name()
    root = ET.Element("S1GRDSigma0Product")
    fields = {
        "identifier": name,
        "mission": "Sentinel-1",
        "platform": PLATFORM_NAMES[acquisition.platform],
        "platformShortName": acquisition.platform,
        "instrument": "C-SAR",
        "sensorMode": "IW",
        "productType": "GRD",
        "resolutionClass": "H",
        "product": "SIGMA0",
        "processingLevel": "L1",
        "version": VERSION,
        "polarisations": "VV VH",
        "orbitDirection": acquisition.direction,
        "relativeOrbit": str(acquisition.relative_orbit),
        "sensingStart": _iso(acquisition.sensing_time),
        "sensingStop": _iso(acquisition.sensing_stop),
        "productUniqueId": acquisition.unique_id,
        "crs": CRS,
        "pixelSize": "10",
        "units": "linear sigma0 (VV, VH); incidence angle in 0.01 degree (angle)",
        "equivalentNumberOfLooks": "none" if enl is None else f"{enl:g}",
    }
    for tag, text in fields.items():
        ET.SubElement(root, tag).text = text
    ET.SubElement(root, "incidenceAngle", unit="deg", min=f"{incidence_range[0]:.2f}",
                  max=f"{incidence_range[1]:.2f}")
    ring = lon_lat_ring(area_corners(area))
    _gml_polygon(ET.SubElement(root, "footprint"), ring, name)
    ET.SubElement(root, "footprintWKT", crs="OGC:CRS84").text = wkt(ring)
    full = lon_lat_ring(slice_corners(area, acquisition.orbit, acquisition.sensing_time))
    ET.SubElement(root, "sliceFootprintWKT", crs="OGC:CRS84").text = wkt(full)
    files = ET.SubElement(root, "files")
    for layer in LAYERS:
        ET.SubElement(files, "file", band=layer).text = f"{name}_{layer}.tif"
    ET.SubElement(root, "note").text = (
        "Synthetic eoscope demo product: the files cover the demo area only, clipped from a "
        "full IW slice (sliceFootprintWKT)."
    )
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _gml_polygon(parent: ET.Element, ring: list[tuple[float, float]], name: str) -> None:
    polygon = ET.SubElement(parent, f"{{{GML}}}Polygon", {f"{{{GML}}}id": f"footprint_{name}",
                                                           "srsName": EPSG_4326})
    exterior = ET.SubElement(ET.SubElement(polygon, f"{{{GML}}}exterior"),
                             f"{{{GML}}}LinearRing")
    positions = " ".join(f"{lat:.6f} {lon:.6f}" for lon, lat in ring)
    ET.SubElement(exterior, f"{{{GML}}}posList").text = positions


def write_metadata(path: Path, acquisition: Sentinel1Acquisition, area: Bounds,
                   incidence_range: tuple[float, float], enl: float | None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(metadata_xml(acquisition, area, incidence_range, enl))
    return path
