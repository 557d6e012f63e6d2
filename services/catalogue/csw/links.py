"""Record links in pycsw's ``name,description,protocol,url`` form (joined by ``^``).

A collection record links to its layers' WMS, WCS and WMTS endpoints; a product record links to
the same endpoints (naming its date), a WMS preview of its footprint, a WCS coverage and its
files (``<base>/download/<path>``, as the catalogue's records). Commas separate the fields,
so URLs carry ``%2C``.
"""

from __future__ import annotations

from urllib.parse import quote

from services.registry import Collection

WMS, WCS, WMTS = "OGC:WMS", "OGC:WCS", "OGC:WMTS"
DOWNLOAD = "WWW:DOWNLOAD-1.0-http--download"
THUMBNAIL = "WWW:LINK-1.0-http--image-thumbnail"
# placeholders a product's row fills in SQL (see columns.py)
DATE, BBOX = "{date}", "{bbox}"


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
    """The links of a product record, with ``{date}`` and ``{bbox}`` (lon/lat,
    ``%2C``-separated) left for the product's row to fill: the layers' services at the
    product's date, a WMS preview of its footprint and a WCS GetCoverage of each coverage."""
    links = _services(collection, base, f" (TIME={DATE})")
    for layer in collection.layers:
        name = quote(layer.name)
        if "wms" in layer.services:
            links.append(_link(
                layer.name, f"WMS preview of {layer.name} on {DATE}", THUMBNAIL,
                f"{base}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={name}&STYLES="
                f"&CRS=CRS:84&BBOX={BBOX}&WIDTH=512&HEIGHT=512&FORMAT=image/png"
                f"&TRANSPARENT=TRUE&TIME={DATE}"))
        if "wcs" in layer.services:
            links.append(_link(
                layer.name, f"WCS 2.0.1 GetCoverage of {layer.name} on {DATE}", DOWNLOAD,
                f"{base}/wcs?SERVICE=WCS&VERSION=2.0.1&REQUEST=GetCoverage&COVERAGEID={name}"
                f"&SUBSET=time(%22{DATE}%22)&FORMAT=image/tiff"))
    return "^".join(links)


def file_link_sql(band: str, path: str, size: str, download: str, archive: str) -> str:
    """SQL for one file's download link from the ``files`` columns: ``<download>/<path in the
    archive>`` as :class:`services.catalogue.records.Hrefs` writes it (``archive`` ends with
    ``/``), or a ``file://`` URI for a file outside the archive."""
    relative = f"substr({path}, length({archive}) + 1)"
    encoded = "replace(replace(replace({}, '%', '%25'), ',', '%2C'), ' ', '%20')"
    href = (f"CASE WHEN substr({path}, 1, length({archive})) = {archive}"
            f" THEN {download} || '/' || {encoded.format(relative)}"
            f" ELSE 'file://' || {encoded.format(path)} END")
    return f"{band} || ',' || {band} || ' GeoTIFF (' || {size} || ' bytes),{DOWNLOAD},' || {href}"
