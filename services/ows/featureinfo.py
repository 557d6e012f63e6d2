"""WMS GetFeatureInfo as GeoJSON (``application/json``) and HTML (``text/html``), which
MapServer 8.0 answers for raster layers only with OGR output formats or HTML templates: eoscope
asks MapServer for its GML and writes the other two from it, one feature per queried pixel
with the band values (``value_0`` …) as properties."""

from __future__ import annotations

import json
from html import escape

from lxml import etree

from services.ows.kvp import Params

GML = "application/vnd.ogc.gml"
FORMATS = {"application/json": "json", "application/geo+json": "json", "text/html": "html"}
_SKIPPED = {"boundedBy", "name", "red", "green", "blue"}  # geometry, title, symbol colour


def wanted(request: str, params: Params) -> str | None:
    """``json`` or ``html`` if a GetFeatureInfo asks for a format this module writes."""
    if request not in ("getfeatureinfo", "feature_info"):
        return None
    return FORMATS.get((params.get("INFO_FORMAT") or "").split(";")[0].strip().lower())


def as_gml(params: Params) -> Params:
    return params.replaced("INFO_FORMAT", GML)


def features(gml: bytes) -> list[dict]:
    """(layer, properties) of each feature of MapServer's ``msGMLOutput``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(gml, parser)
    found = []
    for layer in root:
        if not isinstance(layer.tag, str):
            continue
        name = etree.QName(layer).localname.removesuffix("_layer")
        for feature in layer:
            if not isinstance(feature.tag, str) or etree.QName(feature).localname == "name":
                continue
            properties: dict[str, object] = {"layer": name}
            for item in feature:
                key = etree.QName(item).localname
                if key not in _SKIPPED:
                    properties[key] = _value(item.text or "")
            found.append(properties)
    return found


def _value(text: str) -> object:
    try:
        return float(text) if text.strip() not in ("", "nan") else None
    except ValueError:
        return text.strip()


def render(kind: str, gml: bytes, crs: str) -> tuple[str, bytes]:
    """(media type, body) of the features in ``kind`` (json or html)."""
    found = features(gml)
    if kind == "json":
        document = {"type": "FeatureCollection", "crs": crs, "features": [
            {"type": "Feature", "properties": {k: v for k, v in f.items() if k not in ("x", "y")},
             "geometry": {"type": "Point", "coordinates": [f.get("x"), f.get("y")]}}
            for f in found]}
        return "application/json", json.dumps(document).encode("utf-8")
    rows = []
    for f in found:
        cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                        for k, v in f.items())
        rows.append(f"<table>{cells}</table>")
    body = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>GetFeatureInfo</title>'
            "</head><body>" + ("".join(rows) or "<p>No values here.</p>") + "</body></html>")
    return "text/html; charset=utf-8", body.encode("utf-8")
