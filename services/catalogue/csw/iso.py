"""Fill the gaps of pycsw 2.6.2's ISO 19139 writer, so its records are valid against
``gmd.xsd``:

- it never writes ``gmd:parentIdentifier``: a product's identifier is ``<collection
  identifier>:<product title>``, so the parent follows from it, and the element goes where
  ISO 19139 puts it (after fileIdentifier, language and characterSet);
- its ``gmd:CI_ResponsibleParty`` has no ``gmd:role`` (mandatory): the contact gets
  ``pointOfContact``;
- it copies the identifier into ``MD_DataIdentification/@id``, an ``xs:ID``, which a URN
  (``urn:eop:…``) is not: the optional attribute is dropped then;
- it writes no temporal extent: the acquisition time (a collection: first to last product)
  of the records the repository returned becomes a ``gmd:temporalElement``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from services.catalogue.records import URN_PREFIX

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
GML = "http://www.opengis.net/gml"  # the GML of the ISO 19139 (2006) schemas pycsw writes
ROLE_CODES = "http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml#CI_RoleCode"
_BEFORE = {f"{{{GMD}}}{name}" for name in ("fileIdentifier", "language", "characterSet")}
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def parent_of(identifier: str) -> str | None:
    """``urn:eop:VITO:<collection>:<product>`` → ``urn:eop:VITO:<collection>``."""
    if not identifier.startswith(URN_PREFIX):
        return None
    collection, _, product = identifier[len(URN_PREFIX):].partition(":")
    return URN_PREFIX + collection if collection and product else None


def complete_iso(body: bytes, times: Mapping[str, tuple[str | None, str | None]]) -> bytes:
    """The response with each ``gmd:MD_Metadata`` completed (see the module's docstring);
    ``times`` gives the (begin, end) of each returned record by identifier."""
    if b"MD_Metadata" not in body:
        return body
    try:
        tree = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return body
    for number, metadata in enumerate(tree.iter(f"{{{GMD}}}MD_Metadata")):
        identifier = metadata.findtext(f"{{{GMD}}}fileIdentifier/{{{GCO}}}CharacterString")
        _add_parent(metadata, identifier or "")
        _add_time(metadata, times.get(identifier or ""), f"extent-{number}")
        for party in metadata.iter(f"{{{GMD}}}CI_ResponsibleParty"):
            _add_role(party)
        for identification in metadata.iter(f"{{{GMD}}}MD_DataIdentification"):
            if not _NCNAME.match(identification.get("id", "x")):
                del identification.attrib["id"]
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _add_parent(metadata: etree._Element, identifier: str) -> None:
    parent = parent_of(identifier)
    if parent is None or metadata.find(f"{{{GMD}}}parentIdentifier") is not None:
        return
    element = etree.Element(f"{{{GMD}}}parentIdentifier")
    etree.SubElement(element, f"{{{GCO}}}CharacterString").text = parent
    metadata.insert(sum(1 for child in metadata if child.tag in _BEFORE), element)


def _add_role(party: etree._Element) -> None:
    if party.find(f"{{{GMD}}}role") is not None:
        return
    role = etree.SubElement(party, f"{{{GMD}}}role")
    etree.SubElement(role, f"{{{GMD}}}CI_RoleCode", codeList=ROLE_CODES,
                     codeListValue="pointOfContact").text = "pointOfContact"


def _add_time(metadata: etree._Element, time: tuple[str | None, str | None] | None,
              gml_id: str) -> None:
    """A ``gmd:temporalElement`` after the geographic elements of the first extent."""
    if not time or not all(time):
        return
    extent = metadata.find(f"{{{GMD}}}identificationInfo/*/{{{GMD}}}extent/{{{GMD}}}EX_Extent")
    if extent is None or extent.find(f"{{{GMD}}}temporalElement") is not None:
        return
    element = etree.Element(f"{{{GMD}}}temporalElement")
    period = etree.SubElement(etree.SubElement(etree.SubElement(
        element, f"{{{GMD}}}EX_TemporalExtent"), f"{{{GMD}}}extent"),
        f"{{{GML}}}TimePeriod", {f"{{{GML}}}id": gml_id})
    etree.SubElement(period, f"{{{GML}}}beginPosition").text = time[0]
    etree.SubElement(period, f"{{{GML}}}endPosition").text = time[1]
    before = {f"{{{GMD}}}description", f"{{{GMD}}}geographicElement"}
    extent.insert(sum(1 for child in extent if child.tag in before), element)
