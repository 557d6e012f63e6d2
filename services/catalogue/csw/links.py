"""Record links in pycsw's ``name,description,protocol,url`` form (joined by ``^``).

A collection record links to its layers' WMS, WCS and WMTS services; a product record links to
the same layers at the product's date (a WMS preview of its footprint, a WCS coverage) and to
its files (``<base>/download/<path>``, as the catalogue's records). Commas separate the fields,
so URLs carry ``%2C``.
"""

from __future__ import annotations

from urllib.parse import quote

from services.registry import Collection

WMS, WCS, WMTS = "OGC:WMS", "OGC:WCS", "OGC:WMTS"
DOWNLOAD = "WWW:DOWNLOAD-1.0-http--download"
# placeholders a product's row fills in SQL (see columns.py)
DATE, BBOX = "{date}", "{bbox}"


def _link(name: str, description: str, protocol: str, url: str) -> str:
    for text in (name, description, protocol):
        if "," in text or "^" in text:
            raise ValueError(f"a link field may not hold ',' or '^': {text!r}")
    return ",".join((name, description, protocol, url.replace(",", "%2C").replace("^", "%5E")))


def collection_links(collection: Collection, base: str) -> str:
    """The service links of a collection record."""
    links = []
    for layer in collection.layers:
        if "wms" in layer.services:
            links.append(_link(layer.name, f"WMS layer {layer.name}", WMS,
                               f"{base}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"))
            links.append(_link(layer.name, f"WMTS layer {layer.name}", WMTS,
                               f"{base}/wmts/1.0.0/WMTSCapabilities.xml"))
        if "wcs" in layer.services:
            links.append(_link(layer.name, f"WCS coverage {layer.name}", WCS,
                               f"{base}/wcs?SERVICE=WCS&VERSION=2.0.1&REQUEST=DescribeCoverage"
                               f"&COVERAGEID={quote(layer.name)}"))
    return "^".join(links)


def product_link_template(collection: Collection, base: str) -> str:
    """The service links of a product record, with ``{date}`` and ``{bbox}`` (lon/lat,
    ``%2C``-separated) left for the product's row to fill."""
    links = []
    for layer in collection.layers:
        name = quote(layer.name)
        if "wms" in layer.services:
            links.append(_link(
                layer.name, f"WMS preview of {layer.name} on {DATE}", WMS,
                f"{base}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={name}&STYLES="
                f"&CRS=CRS:84&BBOX={BBOX}&WIDTH=512&HEIGHT=512&FORMAT=image/png"
                f"&TRANSPARENT=TRUE&TIME={DATE}"))
            links.append(_link(layer.name, f"WMTS layer {layer.name} (Time {DATE})", WMTS,
                               f"{base}/wmts/1.0.0/WMTSCapabilities.xml"))
        if "wcs" in layer.services:
            links.append(_link(
                layer.name, f"WCS coverage {layer.name} on {DATE}", WCS,
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
