"""Edits to MapProxy's WMTS capabilities: the exact GoogleMapsCompatible declaration the OGC
tests check, and Terrascope's ``EPSG:3857`` tile matrix set as an alias of it."""

from __future__ import annotations

import copy

from lxml import etree

WMTS = "http://www.opengis.net/wmts/1.0"
OWS = "http://www.opengis.net/ows/1.1"
NS = {"wmts": WMTS, "ows": OWS}
GOOGLE_CRS = "urn:ogc:def:crs:EPSG:6.18:3:3857"
GOOGLE_WKSS = "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"


def edit(document: bytes, source: str, alias: str, abstracts: dict[str, str],
         base_url: str) -> bytes:
    """Declare ``source`` as GoogleMapsCompatible, add ``alias`` with TileMatrix ids
    ``{alias}:{level}`` linked from every layer that links ``source``, give layers their
    abstracts (MapProxy's template leaves them empty), leave out layers with no date yet,
    point the KVP operations at ``/wmts`` (MapProxy names its own ``/service``) and drop
    GetFeatureInfo (no layer is queryable)."""
    tree = etree.fromstring(document)
    _fix_operations(tree, base_url)
    contents = tree.find("wmts:Contents", NS)
    if contents is None:
        return document
    for layer in list(contents.iterfind("wmts:Layer", NS)):
        if not layer.xpath("wmts:Dimension/wmts:Value", namespaces=NS):
            contents.remove(layer)  # no products yet: offered once it has a date
            continue
        abstract = layer.find("ows:Abstract", NS)
        if abstract is not None:
            abstract.text = abstracts.get(layer.findtext("ows:Identifier", namespaces=NS), "")
    matrix_set = _matrix_set(contents, source)
    if matrix_set is None:
        return document
    matrix_set.find("ows:SupportedCRS", NS).text = GOOGLE_CRS
    _set_well_known_scale_set(matrix_set)
    aliased = copy.deepcopy(matrix_set)
    aliased.find("ows:Identifier", NS).text = alias
    aliased.find("ows:SupportedCRS", NS).text = "urn:ogc:def:crs:EPSG::3857"
    aliased.remove(aliased.find("wmts:WellKnownScaleSet", NS))
    for identifier in aliased.iterfind("wmts:TileMatrix/ows:Identifier", NS):
        identifier.text = f"{alias}:{int(identifier.text)}"
    matrix_set.addnext(aliased)
    for link in contents.xpath("wmts:Layer/wmts:TileMatrixSetLink[wmts:TileMatrixSet=$name]",
                               namespaces=NS, name=source):
        twin = copy.deepcopy(link)
        twin.find("wmts:TileMatrixSet", NS).text = alias
        for limit in twin.iterfind(".//wmts:TileMatrix", NS):
            limit.text = f"{alias}:{int(limit.text)}"
        link.addnext(twin)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _matrix_set(contents: etree._Element, identifier: str) -> etree._Element | None:
    found = contents.xpath("wmts:TileMatrixSet[ows:Identifier=$id]", namespaces=NS, id=identifier)
    return found[0] if found else None


def _set_well_known_scale_set(matrix_set: etree._Element) -> None:
    existing = matrix_set.find("wmts:WellKnownScaleSet", NS)
    if existing is None:
        existing = etree.Element(f"{{{WMTS}}}WellKnownScaleSet")
        matrix_set.find("ows:SupportedCRS", NS).addnext(existing)
    existing.text = GOOGLE_WKSS


def keep_sections(document: bytes, sections: set[str]) -> bytes:
    """Only the capabilities sections a client asked for (GetCapabilities ``Sections``)."""
    tree = etree.fromstring(document)
    for child in list(tree):
        if etree.QName(child).localname not in sections:
            tree.remove(child)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _fix_operations(tree: etree._Element, base_url: str) -> None:
    for operation in tree.xpath("//ows:OperationsMetadata/ows:Operation[@name='GetFeatureInfo']",
                                namespaces=NS):
        operation.getparent().remove(operation)
    for get in tree.xpath("//ows:OperationsMetadata//ows:Get", namespaces=NS):
        get.set(XLINK_HREF, f"{base_url}/wmts?")
    for site in tree.xpath("//ows:ProviderSite", namespaces=NS):
        if not site.get(XLINK_HREF):
            site.set(XLINK_HREF, f"{base_url}/")
