"""Corrections to MapServer 8.0's answers where they break the standard or its clients."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from lxml import etree

from services.registry import Grid

GML = "http://www.opengis.net/gml"
GML32 = "http://www.opengis.net/gml/3.2"
WCS20 = "http://www.opengis.net/wcs/2.0"


def wcs10_origin_at_pixel_centre(document: bytes) -> bytes:
    """WCS 1.0.0 DescribeCoverage: MapServer gives ``gml:origin`` as the outer corner of the first
    pixel; GML's RectifiedGrid origin is the first grid point, the pixel centre (as MapServer's
    own WCS 2.0.1 description has it). Without this GDAL places coverages half a pixel off."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError:
        return document
    for grid in tree.iter(f"{{{GML}}}RectifiedGrid"):
        position = grid.find(f"{{{GML}}}origin/{{{GML}}}pos")
        vectors = [[float(v) for v in e.text.split()]
                   for e in grid.iterfind(f"{{{GML}}}offsetVector")]
        if position is None or len(vectors) != 2:
            continue
        origin = [float(v) for v in position.text.split()]
        centre = [origin[i] + (vectors[0][i] + vectors[1][i]) / 2 for i in range(2)]
        position.text = " ".join(f"{v:.12g}" for v in centre)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def wcs20_exact_grid(document: bytes, grids: Mapping[str, Grid]) -> bytes:
    """WCS 2.0.1 DescribeCoverage: MapServer 8.0 prints the grid's origin and offset vectors
    with six decimals, so a 1/112° or 1/336° grid drifts (0.008929 for 0.00892857…) and GDAL
    places pixels one off a few hundred pixels in. Each coverage whose registry grid is known
    gets its origin (a pixel centre) and offset vectors written exactly."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError:
        return document
    for description in tree.iter(f"{{{WCS20}}}CoverageDescription"):
        grid = grids.get(description.get(f"{{{GML32}}}id", ""))
        if grid is not None:
            for rectified in description.iter(f"{{{GML32}}}RectifiedGrid"):
                _exact(rectified, grid)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _exact(rectified: etree._Element, grid: Grid) -> None:
    vectors = rectified.findall(f"{{{GML32}}}offsetVector")
    position = rectified.find(f"{{{GML32}}}origin/{{{GML32}}}Point/{{{GML32}}}pos")
    if position is None or len(vectors) != 2:
        return
    step = grid.step
    origin = [float(v) for v in position.text.split()]
    exact = list(origin)
    for vector in vectors:
        values = [float(v) for v in vector.text.split()]
        axis = max(range(len(values)), key=lambda i: abs(values[i]))
        sign = 1.0 if values[axis] > 0 else -1.0
        values = [0.0] * len(values)
        values[axis] = sign * step
        vector.text = " ".join(repr(v) for v in values)
        start = grid.origin[0] if sign > 0 else grid.origin[1]  # north up: x grows, y falls
        cells = round((origin[axis] - float(start)) / step - sign * 0.5)
        exact[axis] = float(start + (cells + Fraction(int(sign), 2)) * grid.resolution)
    position.text = " ".join(repr(v) for v in exact)
