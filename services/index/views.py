"""Derived views of a product: one GDAL VRT per layer, its bands in order, in physical units.

MapServer reads these views, so WMS GetFeatureInfo and WCS give physical values (float32) and
styles are written in the units users know. The view only references the archive's files;
nothing is copied. A layer drawn from band expressions (``db(VV) / db(VH)``) gets a view whose
bands are those expressions, computed by GDAL's pixel functions (``log10``, ``sum``, ``diff``,
``mul``, ``div``) in small VRTs beside it.

Nodata in a view is -9999, not NaN: MapServer 8.0 aborts (a buffer overflow in
msGetClass_FloatRGB) when GetFeatureInfo meets a NaN pixel of a classified layer. WCS output
still marks missing values as NaN (the mapfile's NULLVALUE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import rasterio

from services.atomic import write_validated
from services.registry import Band, Collection, Layer, RgbStyle
from services.registry.expressions import Band as BandNode
from services.registry.expressions import Call, Node, Number, Operation, parse_expression

NODATA = -9999.0
VIEW_FORMAT = 2  # one more when the views written change: the next ingest rewrites them all
PIXEL_FUNCTIONS = {"+": "sum", "-": "diff", "*": "mul", "/": "div"}


@dataclass(frozen=True)
class _Grid:
    width: int
    height: int
    crs_wkt: str
    transform: object


@dataclass(frozen=True)
class Source:
    """A band of a dataset, scaled: ``value = read × scale + offset``."""

    path: str
    band: int
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    dst: tuple[float, float, float, float] | None = None  # placement on the view's grid
    size: tuple[int, int] | None = None  # the dataset's width and height (None: the view's)

    def scaled(self, scale: float, offset: float = 0.0) -> Source:
        return Source(self.path, self.band, self.scale * scale, self.offset * scale + offset,
                      self.nodata, self.dst, self.size)


def write_layer_view(target: Path, collection: Collection, layer: Layer,
                     files: Mapping[str, Path]) -> None:
    """The layer's view: its bands, or the default style's expressions over them."""
    style = layer.default_style
    if isinstance(style, RgbStyle) and style.expressions is not None:
        write_expression_view(target, [(collection.band(b), files[b]) for b in layer.bands],
                              style.expressions)
    else:
        write_view(target, [(collection.band(b), files[b]) for b in layer.bands])


def write_view(target: Path, bands: list[tuple[Band, Path]]) -> None:
    """Write a float32 VRT whose band i is ``bands[i]`` scaled to physical values.

    The VRT grid is the first band's; a band at another resolution is resampled onto it."""
    grid = _grid_of(bands[0][1])
    sources = [_band_source(band, path, grid) for band, path in bands]
    descriptions = [band.name for band, _ in bands]
    units = [band.unit for band, _ in bands]
    _write(target, grid, sources, descriptions, units)


def write_expression_view(target: Path, bands: list[tuple[Band, Path]],
                          expressions: tuple[str, ...]) -> None:
    """Write a float32 VRT whose band i is ``expressions[i]`` over ``bands`` (physical)."""
    grid = _grid_of(bands[0][1])
    by_name = {band.name: _band_source(band, path, grid) for band, path in bands}
    compiler = _Compiler(target, grid, by_name)
    sources = [compiler.source(parse_expression(text).root) for text in expressions]
    _write(target, grid, sources, list(expressions), ["1"] * len(expressions))


class _Compiler:
    """Expression tree → sources; each function or operation of two bands is one small
    derived VRT next to the view (``<view>.<n>.vrt``)."""

    def __init__(self, target: Path, grid: _Grid, bands: Mapping[str, Source]):
        self.target, self.grid, self.bands = target, grid, bands
        self.count = 0

    def source(self, node: Node) -> Source:
        if isinstance(node, BandNode):
            return self.bands[node.name]
        if isinstance(node, Call):
            logarithm = self._derived("log10", [self.source(node.argument)])
            return logarithm.scaled(10.0) if node.function == "db" else logarithm
        if isinstance(node, Operation):
            return self._operation(node)
        raise ValueError(f"a constant alone is not a band: {node}")

    def _operation(self, node: Operation) -> Source:
        left, right = node.left, node.right
        if isinstance(right, Number) and not isinstance(left, Number):
            return _with_constant(self.source(left), node.operator, right.value)
        if isinstance(left, Number) and node.operator in "+*":
            return _with_constant(self.source(right), node.operator, left.value)
        if isinstance(left, Number) and node.operator == "-":
            return self.source(right).scaled(-1.0, left.value)
        if isinstance(left, Number):
            raise ValueError("a constant divided by a band is not supported")
        return self._derived(PIXEL_FUNCTIONS[node.operator],
                             [self.source(left), self.source(right)])

    def _derived(self, function: str, sources: list[Source]) -> Source:
        self.count += 1
        path = self.target.with_suffix(f".{self.count}.vrt")
        root = _dataset(self.grid)
        band = ET.SubElement(root, "VRTRasterBand", dataType="Float32", band="1",
                             subClass="VRTDerivedRasterBand")
        ET.SubElement(band, "PixelFunctionType").text = function
        ET.SubElement(band, "NoDataValue").text = "nan"
        for source in sources:
            band.append(_source_element(source, self.grid))
        _save(path, root)
        return Source(str(path), 1)


def _with_constant(source: Source, operator: str, value: float) -> Source:
    if operator == "+":
        return source.scaled(1.0, value)
    if operator == "-":
        return source.scaled(1.0, -value)
    if operator == "*":
        return source.scaled(value)
    return source.scaled(1.0 / value)


def _grid_of(path: Path) -> _Grid:
    with rasterio.open(path) as first:
        return _Grid(first.width, first.height, first.crs.to_wkt(), first.transform)


def _band_source(band: Band, path: Path, grid: _Grid) -> Source:
    with rasterio.open(path) as source:
        width, height, transform = source.width, source.height, source.transform
    g = grid.transform
    dst = ((transform.c - g.c) / g.a, (transform.f - g.f) / g.e,
           width * transform.a / g.a, height * transform.e / g.e)
    return Source(str(path.resolve()), band.index, band.scale, band.offset, band.nodata,
                  dst if (width, height) != (grid.width, grid.height) or dst[:2] != (0, 0)
                  else None, (width, height))


def _dataset(grid: _Grid) -> ET.Element:
    root = ET.Element("VRTDataset", rasterXSize=str(grid.width), rasterYSize=str(grid.height))
    ET.SubElement(root, "SRS").text = grid.crs_wkt
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(v) for v in
                                                        grid.transform.to_gdal())
    return root


def _source_element(source: Source, grid: _Grid) -> ET.Element:
    """A ComplexSource with both rectangles, as gdalbuildvrt writes them: GDAL 3.6 (Debian
    12's, MapServer's) returns nodata for the first band of a multi-band read decimated
    beyond the sources' overviews when a source has no SrcRect (every low web zoom)."""
    element = ET.Element("ComplexSource")
    ET.SubElement(element, "SourceFilename", relativeToVRT="0").text = source.path
    ET.SubElement(element, "SourceBand").text = str(source.band)
    width, height = source.size or (grid.width, grid.height)
    ET.SubElement(element, "SrcRect", xOff="0", yOff="0", xSize=str(width), ySize=str(height))
    x, y, width, height = source.dst or (0, 0, grid.width, grid.height)
    ET.SubElement(element, "DstRect", xOff=repr(x), yOff=repr(y), xSize=repr(width),
                  ySize=repr(height))
    if source.nodata is not None:
        ET.SubElement(element, "NODATA").text = repr(source.nodata)
    if source.scale != 1.0 or source.offset != 0.0:
        ET.SubElement(element, "ScaleOffset").text = repr(source.offset)
        ET.SubElement(element, "ScaleRatio").text = repr(source.scale)
    return element


def _write(target: Path, grid: _Grid, sources: list[Source], descriptions: list[str],
           units: list[str]) -> None:
    root = _dataset(grid)
    for number, (source, description, unit) in enumerate(
            zip(sources, descriptions, units, strict=True), start=1):
        element = ET.SubElement(root, "VRTRasterBand", dataType="Float32", band=str(number))
        ET.SubElement(element, "NoDataValue").text = repr(NODATA)
        ET.SubElement(element, "Description").text = description
        if unit and unit != "1":
            ET.SubElement(element, "UnitType").text = unit
        element.append(_source_element(source, grid))
    _save(target, root)


def _save(path: Path, root: ET.Element) -> None:
    ET.indent(root)
    write_validated(path, ET.tostring(root))  # readers never see a half-written view
