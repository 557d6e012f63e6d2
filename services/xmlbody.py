"""POST bodies in XML, checked before an engine parses them: no DOCTYPE (so no entity is
expanded or fetched: XXE, "billion laughs"), and well-formed."""

from __future__ import annotations

from lxml import etree


def has_doctype(body: bytes) -> bool:
    return b"<!DOCTYPE" in body.upper()


def plain_xml(body: bytes) -> bool:
    """Whether ``body`` is well-formed XML without a DOCTYPE."""
    if has_doctype(body):
        return False
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return False
    return True
