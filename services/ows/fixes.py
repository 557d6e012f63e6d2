"""Corrections to MapServer 8.0's answers where they break the standard or its clients."""

from __future__ import annotations

from lxml import etree

GML = "http://www.opengis.net/gml"


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
