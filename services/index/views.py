"""Derived views of a product: one GDAL VRT per layer, its bands in order, in physical units.

MapServer reads these views, so WMS GetFeatureInfo and WCS give physical values (float32) and
styles are written in the units users know. The view only references the archive's files;
nothing is copied.

Nodata in a view is -9999, not NaN: MapServer 8.0 aborts (a buffer overflow in
msGetClass_FloatRGB) when GetFeatureInfo meets a NaN pixel of a classified layer. WCS output
still marks missing values as NaN (the mapfile's NULLVALUE).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import rasterio

from services.atomic import write_validated
from services.registry import Band

NODATA = -9999.0


def write_view(target: Path, bands: list[tuple[Band, Path]]) -> None:
    """Write a float32 VRT whose band i is ``bands[i]`` scaled to physical values.

    The VRT grid is the first band's; a band at another resolution is resampled onto it."""
    with rasterio.open(bands[0][1]) as first:
        width, height, crs, transform = first.width, first.height, first.crs, first.transform
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    ET.SubElement(root, "SRS").text = crs.to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(v) for v in transform.to_gdal())
    for number, (band, path) in enumerate(bands, start=1):
        root.append(_band_element(number, band, path, transform))
    ET.indent(root)
    write_validated(target, ET.tostring(root))  # readers never see a half-written view


def _band_element(number: int, band: Band, path: Path, grid) -> ET.Element:
    with rasterio.open(path) as source:
        width, height, transform = source.width, source.height, source.transform
    element = ET.Element("VRTRasterBand", dataType="Float32", band=str(number))
    ET.SubElement(element, "NoDataValue").text = repr(NODATA)
    ET.SubElement(element, "Description").text = band.name
    if band.unit and band.unit != "1":
        ET.SubElement(element, "UnitType").text = band.unit
    source = ET.SubElement(element, "ComplexSource")
    ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(path.resolve())
    ET.SubElement(source, "SourceBand").text = "1"
    ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=str(width), ySize=str(height))
    x_off = (transform.c - grid.c) / grid.a
    y_off = (transform.f - grid.f) / grid.e
    ET.SubElement(source, "DstRect", xOff=repr(x_off), yOff=repr(y_off),
                  xSize=repr(width * transform.a / grid.a),
                  ySize=repr(height * transform.e / grid.e))
    if band.nodata is not None:
        ET.SubElement(source, "NODATA").text = repr(band.nodata)
    if band.scale != 1.0 or band.offset != 0.0:
        ET.SubElement(source, "ScaleOffset").text = repr(band.offset)
        ET.SubElement(source, "ScaleRatio").text = repr(band.scale)
    return element
