"""OGC API - Maps at ``/ogcapi/collections/{layer}/map``: each WMS layer as a map, a pygeoapi
``map`` provider that hands a WMS 1.3.0 GetMap (CRS:84, the layer's default style or
``styles``, ``datetime`` as TIME) to the gateway's own renderer (the render pool, or
:class:`OwsService` in process): the same MapServer styles, dates, limits and checks as
``/wms``. A WMS exception becomes a 400.

:func:`resources` is the part of pygeoapi's configuration that declares them;
:func:`remember_ows` is how the gateway hands its OWS service to the providers (pygeoapi
builds providers per request, from their definitions only).
"""

from __future__ import annotations

from pygeoapi.provider.base import BaseProvider, ProviderInvalidQueryError

from services.ows.kvp import Params
from services.ows.service import Renderer
from services.registry import Registry
from services.settings import Settings

PROVIDER = "services.ows.ogcapi_maps.LayerMap"
FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
_OWS: list[Renderer] = []


def remember_ows(ows: Renderer) -> None:
    _OWS[:] = [ows]


def resources(registry: Registry, settings: Settings) -> dict:
    """pygeoapi resources: a map collection per WMS layer."""
    return {name: {
        "type": "collection", "title": layer.title.en, "description": layer.abstract.en,
        "keywords": list(layer.keywords),
        "extents": {"spatial": {"bbox": list(collection.extent),
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [{"type": "map", "name": PROVIDER, "data": name,
                       "format": {"name": "png", "mimetype": "image/png"}}]}
        for name, (collection, layer) in registry.layers.items() if "wms" in layer.services}


class LayerMap(BaseProvider):
    """One WMS layer drawn by the gateway's MapServer."""

    def query(self, style: str | None = None, bbox: list | None = None, width: int = 500,
              height: int = 300, crs=None, datetime_: str | None = None,
              transparent: bool | str = True, bbox_crs=None, format_: str = "png",
              **kwargs) -> bytes:
        if not _OWS:
            raise ProviderInvalidQueryError(user_msg="maps are drawn by the gateway only")
        if format_ not in FORMATS:
            raise ProviderInvalidQueryError(user_msg=f"f is one of {', '.join(FORMATS)}")
        west, south, east, north = bbox or (-180, -90, 180, 90)
        clear = str(transparent).lower() not in ("false", "0", "no")
        pairs = [("SERVICE", "WMS"), ("VERSION", "1.3.0"), ("REQUEST", "GetMap"),
                 ("LAYERS", self.data), ("STYLES", style or ""), ("CRS", "CRS:84"),
                 ("BBOX", f"{west},{south},{east},{north}"), ("WIDTH", str(width)),
                 ("HEIGHT", str(height)), ("FORMAT", FORMATS[format_]),
                 ("TRANSPARENT", "TRUE" if clear else "FALSE")]
        if datetime_:
            pairs.append(("TIME", datetime_))
        answer = _OWS[0].handle(Params.from_pairs(pairs), "WMS")
        if answer.status != 200 or not answer.content_type.startswith("image/"):
            raise ProviderInvalidQueryError(user_msg=_exception_text(answer.body))
        return answer.body


def _exception_text(body: bytes) -> str:
    """The ServiceException's text of a WMS exception report."""
    from lxml import etree

    try:
        texts = etree.fromstring(body).xpath("//*[local-name()='ServiceException']/text()")
    except etree.XMLSyntaxError:
        texts = []
    return " ".join(t.strip() for t in texts) or "the map could not be drawn"
