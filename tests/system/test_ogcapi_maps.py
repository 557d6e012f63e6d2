"""OGC API - Maps at /ogcapi/collections/{layer}/map over HTTP: every WMS layer has a map, drawn
by the gateway's own WMS (the same MapServer styles, dates and limits): the image is the
WMS GetMap's, byte for byte; WMS exceptions become 400 problems."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import read_image


def wms(gateway, layer: str, bbox: str, day: str) -> bytes:
    return requests.get(f"{gateway.url}/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer,
        "STYLES": "", "CRS": "CRS:84", "BBOX": bbox, "WIDTH": 120, "HEIGHT": 90,
        "FORMAT": "image/png", "TRANSPARENT": "TRUE", "TIME": day}, timeout=60).content


@pytest.mark.parametrize("layer, collection", [
    ("CGS_S2_NDVI", "TERRASCOPE_S2_NDVI_V2"),
    ("PROBAV_S10_TOC_333M_COLOR", "PROBAV_L3_S10_TOC_333M"),
])
def test_a_map_is_the_wms_getmap(gateway, layer, collection):
    west, south, east, north = gateway.index.extent(collection)
    bbox = f"{west},{south},{(west + east) / 2},{(south + north) / 2}"
    day = gateway.index.dates(collection)[-1]
    answer = requests.get(f"{gateway.url}/ogcapi/collections/{layer}/map", params={
        "bbox": bbox, "width": 120, "height": 90, "datetime": day}, timeout=120)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert answer.content == wms(gateway, layer, bbox, day)
    assert read_image(answer.content)[-1].any(), "something was drawn"


def test_every_wms_layer_has_a_map_link(gateway):
    collections = requests.get(f"{gateway.url}/ogcapi/collections", params={"f": "json"},
                               timeout=120).json()["collections"]
    with_maps = {c["id"] for c in collections if any(
        link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/map" for link in c["links"])}
    assert with_maps == {name for name, (_c, layer) in gateway.registry.layers.items()
                         if "wms" in layer.services}


@pytest.mark.parametrize("params", [{"datetime": "1999-01-01"}, {"width": "100000"},
                                    {"f": "gif"}])
def test_bad_maps_are_400_problems(gateway, params):
    answer = requests.get(f"{gateway.url}/ogcapi/collections/CGS_S2_NDVI/map",
                          params=params, timeout=120)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
