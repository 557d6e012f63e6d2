"""The stored document of a record (pycsw's ``xml`` column), made for the few records a
GetRepositoryItem or GetRecordById returns: a Dublin Core ``csw:Record``.

pycsw writes every other response from the view's columns; only GetRepositoryItem returns this
document as is. The index stores no metadata documents, so it is made from the same columns.
"""

from __future__ import annotations

from types import SimpleNamespace

from lxml import etree

NS = {"csw": "http://www.opengis.net/cat/csw/2.0.2", "dc": "http://purl.org/dc/elements/1.1/",
      "dct": "http://purl.org/dc/terms/", "ows": "http://www.opengis.net/ows"}


def _add(parent: etree._Element, name: str, text: object, **attributes: str) -> None:
    if text is None or text == "":
        return
    prefix, local = name.split(":")
    etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", attributes).text = str(text)


def dublin_core(row: SimpleNamespace) -> bytes:
    """A full ``csw:Record`` of one row of the records view."""
    record = etree.Element(f"{{{NS['csw']}}}Record", nsmap=NS)
    for name, value in (("dc:identifier", row.identifier), ("dc:title", row.title),
                        ("dc:type", row.type)):
        _add(record, name, value)
    for keyword in (row.keywords or "").split(","):
        _add(record, "dc:subject", keyword)
    for name, value in (("dc:format", row.format), ("dc:relation", row.relation),
                        ("dct:abstract", row.abstract), ("dc:date", row.date),
                        ("dct:modified", row.date_modified), ("dc:publisher", row.publisher),
                        ("dc:language", row.language)):
        _add(record, name, value)
    for link in (row.links or "").split("^"):
        fields = link.split(",")
        if len(fields) >= 4:
            _add(record, "dct:references", fields[-1], scheme=fields[2])
    if row.minx is not None:
        box = etree.SubElement(record, f"{{{NS['ows']}}}BoundingBox",
                               crs="urn:ogc:def:crs:EPSG::4326", dimensions="2")
        _add(box, "ows:LowerCorner", f"{row.miny} {row.minx}")
        _add(box, "ows:UpperCorner", f"{row.maxy} {row.maxx}")
    return etree.tostring(record, encoding="UTF-8")
