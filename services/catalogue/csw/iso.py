"""Fill the gaps of pycsw 2.6.2's ISO 19139 writer, so its records are valid against
``gmd.xsd``:

- it never writes ``gmd:parentIdentifier``: a product's identifier is ``<collection
  identifier>:<product title>``, so the parent follows from it, and the element goes where
  ISO 19139 puts it (after fileIdentifier, language and characterSet);
- its ``gmd:CI_ResponsibleParty`` has no ``gmd:role`` (mandatory): the contact gets
  ``pointOfContact``;
- it copies the identifier into ``MD_DataIdentification/@id``, an ``xs:ID``, which a URN
  (``urn:eop:…``) is not: the optional attribute is dropped then.
"""

from __future__ import annotations

import re

from lxml import etree

from services.catalogue.records import URN_PREFIX

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
ROLE_CODES = "http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml#CI_RoleCode"
_BEFORE = {f"{{{GMD}}}{name}" for name in ("fileIdentifier", "language", "characterSet")}
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def parent_of(identifier: str) -> str | None:
    """``urn:eop:VITO:<collection>:<product>`` → ``urn:eop:VITO:<collection>``."""
    if not identifier.startswith(URN_PREFIX):
        return None
    collection, _, product = identifier[len(URN_PREFIX):].partition(":")
    return URN_PREFIX + collection if collection and product else None


def complete_iso(body: bytes) -> bytes:
    """The response with each ``gmd:MD_Metadata`` completed (see the module's docstring)."""
    if b"MD_Metadata" not in body:
        return body
    try:
        tree = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return body
    for metadata in tree.iter(f"{{{GMD}}}MD_Metadata"):
        _add_parent(metadata)
        for party in metadata.iter(f"{{{GMD}}}CI_ResponsibleParty"):
            _add_role(party)
        for identification in metadata.iter(f"{{{GMD}}}MD_DataIdentification"):
            if not _NCNAME.match(identification.get("id", "x")):
                del identification.attrib["id"]
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _add_parent(metadata: etree._Element) -> None:
    identifier = metadata.findtext(f"{{{GMD}}}fileIdentifier/{{{GCO}}}CharacterString")
    parent = parent_of(identifier or "")
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
