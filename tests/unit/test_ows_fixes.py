"""Corrections to MapServer 8.0's WCS descriptions."""

from __future__ import annotations

from lxml import etree

from services.ows.fixes import wcs20_exact_grid
from services.registry import Grid

DESCRIPTION = b"""<wcs:CoverageDescriptions xmlns:wcs="http://www.opengis.net/wcs/2.0"
 xmlns:gml="http://www.opengis.net/gml/3.2"><wcs:CoverageDescription gml:id="VGT">
<gml:domainSet><gml:RectifiedGrid dimension="2" gml:id="g"><gml:origin><gml:Point gml:id="p">
<gml:pos>51.196429 3.500000</gml:pos></gml:Point></gml:origin>
<gml:offsetVector>0 0.008929</gml:offsetVector><gml:offsetVector>-0.008929 0</gml:offsetVector>
</gml:RectifiedGrid></gml:domainSet></wcs:CoverageDescription></wcs:CoverageDescriptions>"""
GRID = Grid(crs="EPSG:4326", resolution="1/112", origin=("-1/224", "1/224"))


def test_wcs20_grid_origin_and_offsets_are_written_exactly():
    tree = etree.fromstring(wcs20_exact_grid(DESCRIPTION, {"VGT": GRID}))
    ns = {"gml": "http://www.opengis.net/gml/3.2"}
    lat, lon = (float(v) for v in tree.findtext(".//gml:pos", namespaces=ns).split())
    assert (lon * 112, lat * 112) == (392, 5734)   # pixel centres on multiples of 1/112°
    vectors = [v.text for v in tree.iterfind(".//gml:offsetVector", ns)]
    assert vectors == [f"0.0 {1 / 112!r}", f"{-1 / 112!r} 0.0"]


def test_other_coverages_and_broken_documents_are_left_alone():
    assert b"0.008929" in wcs20_exact_grid(DESCRIPTION, {"OTHER": GRID})
    assert wcs20_exact_grid(b"<not xml", {"VGT": GRID}) == b"<not xml"
