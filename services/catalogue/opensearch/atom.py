"""OpenSearch Atom responses (``httpAccept=application/atom+xml``): the feed carries
os:totalResults, os:startIndex, os:itemsPerPage and os:Query; each entry its id, title, dates,
footprint (georss:polygon), enclosure (data files), icon (preview) and content."""

from __future__ import annotations

from lxml import etree

from services.catalogue.opensearch.geojson import now
from services.catalogue.records import CollectionRecord, ProductRecord

NS = {"atom": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/",
      "georss": "http://www.georss.org/georss", "dc": "http://purl.org/dc/elements/1.1/",
      "eo": "http://a9.com/-/opensearch/extensions/eo/1.0/",
      "time": "http://a9.com/-/opensearch/extensions/time/1.0/"}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: etree._Element, prefix: str, name: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(prefix, name), attributes)
    if text is not None:
        element.text = text
    return element


def feed(page: dict, entries: list[etree._Element], title: str) -> bytes:
    root = etree.Element(_q("atom", "feed"), nsmap={None: NS["atom"], **{
        k: v for k, v in NS.items() if k != "atom"}})
    _sub(root, "atom", "id", page["id"])
    _sub(root, "atom", "title", title)
    _sub(root, "atom", "updated", now())
    _sub(_sub(root, "atom", "author"), "atom", "name", "eoscope")
    _sub(root, "os", "totalResults", str(page["totalResults"]))
    _sub(root, "os", "startIndex", str(page["startIndex"]))
    _sub(root, "os", "itemsPerPage", str(len(entries)))
    query = _sub(root, "os", "Query", role="request")
    for name, value in page["echo"].items():
        if name not in ("httpAccept",) and name.isalnum():
            query.set(name, value)
    for rel, links in page["links"].items():
        if rel in ("first", "last", "next", "previous"):
            href = links[0]["href"]
            href = href if "httpAccept=" in href else href + "&httpAccept=application%2Fatom%2Bxml"
            _sub(root, "atom", "link", rel=rel, href=href, type="application/atom+xml")
    root.extend(entries)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _polygon(geometry: dict) -> str:
    """georss:polygon: lat lon pairs of the outer ring."""
    ring = geometry["coordinates"][0]
    return " ".join(f"{lat:.6f} {lon:.6f}" for lon, lat in ring)


def product_entry(record: ProductRecord) -> etree._Element:
    entry = etree.Element(_q("atom", "entry"))
    _sub(entry, "atom", "id", record.identifier)
    _sub(entry, "atom", "title", record.title)
    _sub(entry, "atom", "updated", record.published)
    _sub(entry, "dc", "identifier", record.identifier)
    _sub(entry, "dc", "date", f"{record.begin}/{record.end}")
    _sub(entry, "eo", "parentIdentifier", record.parent_identifier)
    if record.cloud_cover is not None:
        _sub(entry, "eo", "cloudCover", str(record.cloud_cover))
    _sub(entry, "georss", "polygon", _polygon(record.geometry))
    for link in record.links["data"] + record.links["related"]:
        _sub(entry, "atom", "link", rel="enclosure", href=link.href, type=link.type,
             title=link.title or "", length=str(link.length or 0))
    for link in record.links["previews"]:
        _sub(entry, "atom", "link", rel="icon", href=link.href, type=link.type)
    for link in record.links["alternates"]:
        _sub(entry, "atom", "link", rel="alternate", href=link.href, type=link.type)
    _sub(entry, "atom", "content", f"{record.title}: {record.product_type} of"
         f" {record.platform_serial}, tile {record.tile}, {record.begin}", type="text")
    return entry


def collection_entry(record: CollectionRecord) -> etree._Element:
    entry = etree.Element(_q("atom", "entry"))
    _sub(entry, "atom", "id", record.identifier)
    _sub(entry, "atom", "title", record.title["en"])
    _sub(entry, "atom", "updated", record.updated or now())
    _sub(entry, "dc", "identifier", record.identifier)
    if record.begin:
        _sub(entry, "dc", "date", f"{record.begin}/{record.end}")
    if record.geometry:
        _sub(entry, "georss", "polygon", _polygon(record.geometry))
    for role in ("search", "previews", "alternates"):
        for link in record.links.get(role, []):
            rel = {"search": "search", "previews": "icon", "alternates": "alternate"}[role]
            _sub(entry, "atom", "link", rel=rel, href=link.href, type=link.type)
    _sub(entry, "atom", "content", record.abstract["en"], type="text")
    return entry
