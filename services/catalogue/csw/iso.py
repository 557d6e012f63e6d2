"""Fill a gap of pycsw 2.6.2's ISO 19139 writer: it never writes ``gmd:parentIdentifier``.

A product's identifier is ``<collection identifier>:<product title>``, so its parent follows
from the identifier; the element goes where ISO 19139 puts it (after fileIdentifier, language
and characterSet).
"""

from __future__ import annotations

from lxml import etree

from services.catalogue.records import URN_PREFIX

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
_BEFORE = {f"{{{GMD}}}{name}" for name in ("fileIdentifier", "language", "characterSet")}


def parent_of(identifier: str) -> str | None:
    """``urn:eop:VITO:<collection>:<product>`` → ``urn:eop:VITO:<collection>``."""
    if not identifier.startswith(URN_PREFIX):
        return None
    collection, _, product = identifier[len(URN_PREFIX):].partition(":")
    return URN_PREFIX + collection if collection and product else None


def add_parent_identifiers(body: bytes) -> bytes:
    """The response with ``gmd:parentIdentifier`` in each product's ``gmd:MD_Metadata``."""
    if b"MD_Metadata" not in body:
        return body
    try:
        tree = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return body
    changed = False
    for metadata in tree.iter(f"{{{GMD}}}MD_Metadata"):
        identifier = metadata.findtext(f"{{{GMD}}}fileIdentifier/{{{GCO}}}CharacterString")
        parent = parent_of(identifier or "")
        if parent is None or metadata.find(f"{{{GMD}}}parentIdentifier") is not None:
            continue
        element = etree.Element(f"{{{GMD}}}parentIdentifier")
        etree.SubElement(element, f"{{{GCO}}}CharacterString").text = parent
        position = sum(1 for child in metadata if child.tag in _BEFORE)
        metadata.insert(position, element)
        changed = True
    if not changed:
        return body
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
