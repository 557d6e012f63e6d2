"""The viewer's configuration, generated from the layer registry and the settings.

One JSON document (``/viewer/config.json``) tells the viewer every layer it can show, grouped by
source platform, with titles, descriptions and legend URLs in each language, and where the
services are. Nothing in the viewer lists layers by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from services.registry import Registry
from services.settings import Settings

LANGUAGES = ("en", "nl", "fr")
ENDPOINTS = {
    "wms": "/ows",
    "wcs": "/ows",
    "wmts": "/wmts/1.0.0/WMTSCapabilities.xml",
    "tiles": "/tiles/{layer}/{date}/{z}/{x}/{y}.png",
    "catalogue": "/catalogue/products",
    "timeseries": "/timeseries/v1.0/ts",
}
DEMO_OVERLAY = "/viewer/overlay.geojson"


def text(value: Any, language: str) -> str:
    """One language of a registry text (the one place that knows how texts are stored:
    an object with ``.en``/``.nl``/``.fr`` today, a language mapping tomorrow); English when
    the language is missing."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get(language) or value.get("en") or ""
    getter = getattr(value, "get", None)
    if callable(getter):
        found = getter(language)
        if found:
            return found
    return getattr(value, language, None) or getattr(value, "en", "") or ""


def texts(value: Any) -> dict[str, str]:
    return {language: text(value, language) for language in LANGUAGES}


def legend_url(layer: str, language: str) -> str:
    query = urlencode({"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
                       "LAYER": layer, "FORMAT": "image/png", "SLD_VERSION": "1.1.0",
                       "LANGUAGE": language})
    return f"{ENDPOINTS['wms']}?{query}"


def _unit(collection: Any, layer: Any) -> str:
    """The layer's unit when all its bands share one (``1`` for ratios), else empty."""
    units = {band.unit for band in collection.bands if band.name in layer.bands}
    return units.pop() if len(units) == 1 else ""


def _layer_entry(collection: Any, layer: Any, attribution: str) -> dict[str, Any]:
    style = layer.styles[0] if layer.styles else None
    return {
        "name": layer.name,
        "attribution": getattr(collection, "attribution", None) or attribution,
        "collection": collection.id,
        "group": collection.platform,
        "title": texts(layer.title),
        "abstract": texts(layer.abstract),
        "unit": _unit(collection, layer),
        "bands": list(layer.bands),
        "style": getattr(style, "type", None),
        "wcs": "wcs" in layer.services,
        "legend": {language: legend_url(layer.name, language) for language in LANGUAGES},
    }


def viewer_config(registry: Registry, settings: Settings) -> dict[str, Any]:
    """The whole configuration: layers (every WMS layer of the registry), groups (one per
    platform, in registry order), endpoints, base map, overlay and attribution."""
    layers, groups = [], {}
    for collection, layer in registry.layers.values():
        if "wms" not in layer.services:
            continue
        entry = _layer_entry(collection, layer, settings.viewer_attribution)
        layers.append(entry)
        groups.setdefault(collection.platform, []).append(layer.name)
    return {
        "languages": list(LANGUAGES),
        "layers": layers,
        "groups": [{"id": group, "layers": names} for group, names in groups.items()],
        "endpoints": dict(ENDPOINTS),
        "base": {"url": settings.viewer_base_url,
                 "attribution": settings.viewer_base_attribution},
        "overlay": {"url": settings.viewer_overlay_url or DEMO_OVERLAY,
                    "attribution": settings.viewer_overlay_attribution},
        "attribution": settings.viewer_attribution,
    }
