"""Record links in pycsw's ``name,description,protocol,url`` form (joined by ``^``).

A collection record links to its layers' WMS, WCS and WMTS endpoints; a product record links to
the same endpoints (naming its date), a WCS coverage, and — written by the catalogue's
:class:`services.catalogue.records.Hrefs`, as the OpenSearch records — a WMS preview of its
footprint and its files. Commas separate the fields, so URLs carry ``%2C``.
"""

from __future__ import annotations

from urllib.parse import quote

from services.catalogue.records import Hrefs
from services.registry import Collection

WMS, WCS, WMTS = "OGC:WMS", "OGC:WCS", "OGC:WMTS"
DOWNLOAD = "WWW:DOWNLOAD-1.0-http--download"
THUMBNAIL = "WWW:LINK-1.0-http--image-thumbnail"
# the placeholder a product's row fills in SQL (see columns.py)
DATE = "{date}"


def _link(name: str, description: str, protocol: str, url: str) -> str:
    for text in (name, description, protocol):
        if "," in text or "^" in text:
            raise ValueError(f"a link field may not hold ',' or '^': {text!r}")
    return ",".join((name, description, protocol, url.replace(",", "%2C").replace("^", "%5E")))


def _services(collection: Collection, base: str, when: str = "") -> list[str]:
    """Service endpoints, named by layer, as catalogue clients (QGIS MetaSearch) expect: the
    WMTS link first, so MetaSearch, which keeps the last WMS-or-WMTS link, offers WMS."""
    links = []
    for layer in collection.layers:
        if "wms" in layer.services:
            links.append(_link(layer.name, f"WMTS layer {layer.name}{when}", WMTS,
                               f"{base}/wmts/1.0.0/WMTSCapabilities.xml"))
            links.append(_link(layer.name, f"WMS layer {layer.name}{when}", WMS, f"{base}/wms"))
        if "wcs" in layer.services:
            links.append(_link(layer.name, f"WCS coverage {layer.name}{when}", WCS,
                               f"{base}/wcs"))
    return links


def collection_links(collection: Collection, base: str) -> str:
    """The service links of a collection record."""
    return "^".join(_services(collection, base))


def product_link_template(collection: Collection, base: str) -> str:
    """The service links of a product record, with ``{date}`` left for the product's row to
    fill: the layers' endpoints at the product's date and a WCS GetCoverage of each coverage."""
    links = _services(collection, base, f" (TIME={DATE})")
    for layer in collection.layers:
        if "wcs" in layer.services:
            links.append(_link(
                layer.name, f"WCS 2.0.1 GetCoverage of {layer.name} on {DATE}", DOWNLOAD,
                f"{base}/wcs?SERVICE=WCS&VERSION=2.0.1&REQUEST=GetCoverage"
                f"&COVERAGEID={quote(layer.name)}&SUBSET=time(%22{DATE}%22)&FORMAT=image/tiff"))
    return "^".join(links)


def preview_link(hrefs: Hrefs, layer: str | None, date: str, minx: float, miny: float,
                 maxx: float, maxy: float) -> str | None:
    """A product's WMS preview (SQL function ``csw_preview``)."""
    if layer is None:
        return None
    return _link(layer, f"WMS preview of {layer} on {date}", THUMBNAIL,
                 hrefs.wms_getmap(layer, date, (minx, miny, maxx, maxy)))


def file_link(hrefs: Hrefs, band: str, path: str, size: int) -> str:
    """A product file's download link (SQL function ``csw_file``)."""
    return _link(band, f"{band} GeoTIFF ({size} bytes)", DOWNLOAD, hrefs.file(path))
