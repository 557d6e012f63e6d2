"""WMTS (KVP and REST) and XYZ/TMS tiles through the gateway (checks after the OGC WMTS suite)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import requests
from lxml import etree

from tests.helpers import MAPPROXY_SCHEMAS, assert_valid, read_image, same_up_to_resampling

WMTS_CAPS = MAPPROXY_SCHEMAS / "wmts" / "1.0" / "wmtsGetCapabilities_response.xsd"
OWS_11_EXCEPTIONS = MAPPROXY_SCHEMAS / "ows" / "1.1.0" / "owsExceptionReport.xsd"
NS = {"wmts": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
LAYER = "CGS_S2_NDVI"
ZOOM = 15


def kvp(gateway, **params) -> requests.Response:
    return requests.get(f"{gateway.url}/wmts", params={"SERVICE": "WMTS", "VERSION": "1.0.0",
                                                       **params}, timeout=60)


def centre_tile(gateway, z=ZOOM) -> tuple[int, int]:
    """(col, row) of the Web Mercator tile at the centre of the layer."""
    west, south, east, north = gateway.index.extent(gateway.registry.layer(LAYER)[0].id)
    lon, lat = (west + east) / 2, (south + north) / 2
    n = 2 ** z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return col, row


def rest_tile(gateway, date, z=ZOOM, matrix_set="GoogleMapsCompatible", matrix=None, tile=None):
    col, row = tile or centre_tile(gateway, z)
    url = f"{gateway.url}/wmts/{LAYER}/default/{matrix_set}/{date}/{matrix or z}/{row}/{col}.png"
    return requests.get(url, timeout=60)




def exception(response: requests.Response) -> tuple[str, str | None]:
    element = etree.fromstring(response.content).find(".//{*}Exception")
    return element.get("exceptionCode"), element.get("locator")


@pytest.mark.parametrize("how", ["kvp", "rest"])
def test_capabilities_are_schema_valid(gateway, how):
    response = kvp(gateway, REQUEST="GetCapabilities") if how == "kvp" else requests.get(
        f"{gateway.url}/wmts/1.0.0/WMTSCapabilities.xml", timeout=30)
    assert response.status_code == 200
    tree = assert_valid(response.content, WMTS_CAPS)
    layers = tree.xpath("//wmts:Contents/wmts:Layer/ows:Identifier/text()", namespaces=NS)
    assert {"CGS_S2_NDVI", "CGS_S2_RADIOMETRY", "CGS_S2_NIR"} <= set(layers)
    assert "CGS_S2_REFLECTANCE" not in layers


def test_time_dimension_and_matrix_sets(gateway):
    tree = etree.fromstring(kvp(gateway, REQUEST="GetCapabilities").content)
    layer = tree.xpath(f"//wmts:Layer[ows:Identifier='{LAYER}']", namespaces=NS)[0]
    dimension = layer.find("wmts:Dimension", NS)
    dates = gateway.index.layer_dates(LAYER)
    assert dimension.findtext("ows:Identifier", namespaces=NS) == "Time"
    assert [v.text for v in dimension.iterfind("wmts:Value", NS)] == dates
    assert dimension.findtext("wmts:Default", namespaces=NS) == dates[-1]
    links = layer.xpath("wmts:TileMatrixSetLink/wmts:TileMatrixSet/text()", namespaces=NS)
    assert links == ["GoogleMapsCompatible", "EPSG:3857", "EPSG:4326"]
    assert layer.findtext("ows:Abstract", namespaces=NS)


def test_google_maps_compatible_is_declared_as_the_ogc_tests_require(gateway):
    tree = etree.fromstring(kvp(gateway, REQUEST="GetCapabilities").content)
    google = tree.xpath("//wmts:Contents/wmts:TileMatrixSet[ows:Identifier="
                        "'GoogleMapsCompatible']", namespaces=NS)[0]
    assert google.findtext("ows:SupportedCRS", namespaces=NS) == \
        "urn:ogc:def:crs:EPSG:6.18:3:3857"
    assert google.findtext("wmts:WellKnownScaleSet", namespaces=NS) == \
        "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
    scales = [float(s) for s in google.xpath("wmts:TileMatrix/wmts:ScaleDenominator/text()",
                                             namespaces=NS)]
    expected = [559082264.0287178 / 2 ** z for z in range(len(scales))]
    assert scales == pytest.approx(expected, rel=1e-9)


def test_terrascope_matrix_set_ids(gateway):
    tree = etree.fromstring(kvp(gateway, REQUEST="GetCapabilities").content)
    alias = tree.xpath("//wmts:Contents/wmts:TileMatrixSet[ows:Identifier='EPSG:3857']",
                       namespaces=NS)[0]
    ids = alias.xpath("wmts:TileMatrix/ows:Identifier/text()", namespaces=NS)
    assert ids[:3] == ["EPSG:3857:0", "EPSG:3857:1", "EPSG:3857:2"]
    tile = rest_tile(gateway, gateway.index.layer_dates(LAYER)[0], z=2, matrix_set="EPSG:3857",
                     matrix="EPSG:3857:2", tile=(2, 1))
    assert tile.status_code == 200


def test_two_dates_give_different_tiles_equal_to_wms(gateway):
    dates = gateway.index.layer_dates(LAYER)
    tiles = {}
    for date in (dates[0], dates[-1]):
        response = rest_tile(gateway, date)
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        tiles[date] = read_image(response.content)
        assert tiles[date].shape == (4, 256, 256)
        # the tile is a quarter-by-quarter of the GetMap of its 4 x 4 block
        col, row = centre_tile(gateway)
        meta_col, meta_row = col // 4 * 4, row // 4 * 4
        size = 2 * math.pi * 6378137 / 2 ** ZOOM
        x0, y1 = -math.pi * 6378137 + meta_col * size, math.pi * 6378137 - meta_row * size
        pixel = size / 256  # one pixel of margin all round, for the neighbourhood comparison
        wms = read_image(requests.get(f"{gateway.url}/wms", params={
            "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
            "STYLES": "", "CRS": "EPSG:3857",
            "BBOX": f"{x0 - pixel},{y1 - 4 * size - pixel},{x0 + 4 * size + pixel},{y1 + pixel}",
            "WIDTH": 1026, "HEIGHT": 1026, "FORMAT": "image/png", "TRANSPARENT": "TRUE",
            "TIME": date}, timeout=60).content)
        i, j = (row - meta_row) * 256, (col - meta_col) * 256
        agree = same_up_to_resampling(tiles[date], wms[:, i:i + 258, j:j + 258])
        assert agree > 0.995, f"tile and WMS agree on {agree:.1%} of pixels"
    assert not np.array_equal(tiles[dates[0]], tiles[dates[-1]])


def test_a_tile_asked_for_is_drawn_alone(gateway):
    """A cold tile is one GetMap of that tile (MapProxy stores MapServer's PNG as it is), not a
    4 x 4 metatile whose 16 tiles are re-encoded (bench/README.md, "WMTS tiles")."""
    date, z = gateway.index.layer_dates(LAYER)[1], ZOOM + 1
    folder = (gateway.settings.tile_cache_dir / f"{LAYER}_cache_EPSG3857" / f"time-{date}"
              / f"{z:02d}")
    shutil.rmtree(folder, ignore_errors=True)  # another module may have asked for its tiles
    response = rest_tile(gateway, date, z=z)
    assert response.status_code == 200 and read_image(response.content).shape == (4, 256, 256)
    assert [p.read_bytes() for p in folder.rglob("*.png")] == [response.content]


def test_every_address_of_a_tile_gives_the_same_image(gateway):
    date = gateway.index.layer_dates(LAYER)[1]
    col, row = centre_tile(gateway)
    reference = rest_tile(gateway, date).content
    addresses = [
        kvp(gateway, REQUEST="GetTile", LAYER=LAYER, STYLE="default", FORMAT="image/png",
            TILEMATRIXSET="GoogleMapsCompatible", TILEMATRIX=ZOOM, TILEROW=row, TILECOL=col,
            TIME=date),
        kvp(gateway, REQUEST="GetTile", LAYER=LAYER, STYLE="", FORMAT="image/png",
            TILEMATRIXSET="EPSG:3857", TILEMATRIX=f"EPSG:3857:{ZOOM}", TILEROW=row,
            TILECOL=col, TIME=date),
        rest_tile(gateway, date, matrix_set="EPSG:3857", matrix=f"EPSG:3857:{ZOOM}"),
        requests.get(f"{gateway.url}/tiles/{LAYER}/{date}/{ZOOM}/{col}/{row}.png", timeout=60),
        requests.get(f"{gateway.url}/tiles/tms/{LAYER}/{date}/{ZOOM}/{col}/"
                     f"{2 ** ZOOM - 1 - row}.png", timeout=60),
    ]
    for response in addresses:
        assert response.status_code == 200, response.url
        assert response.content == reference, response.url


def test_default_and_current_time_are_the_latest_date(gateway):
    dates = gateway.index.layer_dates(LAYER)
    col, row = centre_tile(gateway)
    latest = rest_tile(gateway, dates[-1]).content
    for value in ("default", "current"):
        assert rest_tile(gateway, value).content == latest
    omitted = kvp(gateway, REQUEST="GetTile", LAYER=LAYER, STYLE="default", FORMAT="image/png",
                  TILEMATRIXSET="GoogleMapsCompatible", TILEMATRIX=ZOOM, TILEROW=row,
                  TILECOL=col)
    assert omitted.content == latest


def test_geodetic_tiles(gateway):
    west, south, east, north = gateway.index.extent(gateway.registry.layer(LAYER)[0].id)
    z = 14
    resolution = 0.703125 / 2 ** z
    col = int(((west + east) / 2 + 180) / (256 * resolution))
    row = int((90 - (south + north) / 2) / (256 * resolution))
    date = gateway.index.layer_dates(LAYER)[-1]
    response = rest_tile(gateway, date, z=z, matrix_set="EPSG:4326", tile=(col, row))
    assert response.status_code == 200
    assert (read_image(response.content)[3] > 0).mean() > 0.1


@pytest.mark.parametrize(("params", "code", "locator"), [
    ({"SERVICE": "BOGUS", "REQUEST": "GetCapabilities"}, "InvalidParameterValue", "service"),
    ({"SERVICE": None, "REQUEST": "GetCapabilities"}, "MissingParameterValue", "service"),
    ({"REQUEST": "GetBOGUS"}, "InvalidParameterValue", "request"),
    ({"REQUEST": "GetCapabilities", "AcceptVersions": "9.9.9"}, "VersionNegotiationFailed",
     None),
    ({"REQUEST": "GetCapabilities", "Sections": ""}, "MissingParameterValue", "sections"),
    ({"REQUEST": "GetCapabilities", "Sections": "Bogus"}, "InvalidParameterValue", "sections"),
    ({"LAYER": "Bogus"}, "InvalidParameterValue", "layer"),
    ({"STYLE": "Bogus"}, "InvalidParameterValue", "Style"),
    ({"FORMAT": "image/bogus"}, "InvalidParameterValue", "format"),
    ({"TILEMATRIXSET": "Bogus"}, "InvalidParameterValue", "TileMatrixSet"),
    ({"TILEMATRIX": "99"}, "InvalidParameterValue", "TileMatrix"),
    ({"TILEROW": 10 ** 6}, "TileOutOfRange", "TileRow"),
    ({"TILECOL": 10 ** 6}, "TileOutOfRange", "TileCol"),
    ({"TIME": "1999-01-01"}, "InvalidParameterValue", "Time"),
    ({"TILECOL": None}, "MissingParameterValue", "TileCol"),
])
def test_kvp_errors_have_the_codes_and_locators_of_the_ogc_tests(gateway, params, code, locator):
    col, row = centre_tile(gateway)
    query = {"SERVICE": "WMTS", "VERSION": "1.0.0", "REQUEST": "GetTile", "LAYER": LAYER,
             "STYLE": "default", "FORMAT": "image/png", "TILEMATRIXSET": "GoogleMapsCompatible",
             "TILEMATRIX": ZOOM, "TILEROW": row, "TILECOL": col, **params}
    response = requests.get(f"{gateway.url}/wmts",
                            params={k: v for k, v in query.items() if v is not None}, timeout=30)
    assert response.status_code == 400
    assert exception(response) == (code, locator)
    assert_valid(response.content, OWS_11_EXCEPTIONS)


def test_sections(gateway):
    tree = etree.fromstring(kvp(gateway, REQUEST="GetCapabilities", Sections="Contents").content)
    assert [etree.QName(c).localname for c in tree] == ["Contents"]


def test_rest_errors_are_404_with_an_exception_report(gateway):
    date = gateway.index.layer_dates(LAYER)[0]
    for url in (f"/wmts/Bogus/default/GoogleMapsCompatible/{date}/3/0/0.png",
                f"/wmts/{LAYER}/default/Bogus/{date}/3/0/0.png",
                f"/wmts/{LAYER}/default/GoogleMapsCompatible/1999-01-01/3/0/0.png",
                f"/wmts/{LAYER}/default/GoogleMapsCompatible/{date}/3/99/0.png",
                "/wmts/1.0.0/WMTSCapabilities.xml/Bogus"):
        response = requests.get(gateway.url + url, timeout=30)
        assert response.status_code == 404, url
        assert b"ExceptionReport" in response.content, url


def test_rest_capabilities_content_negotiation(gateway):
    url = f"{gateway.url}/wmts/1.0.0/WMTSCapabilities.xml"
    assert requests.get(url, headers={"Accept": "example/unknown"}, timeout=30).status_code == 406
    assert requests.get(url, headers={"Accept": "application/xml"}, timeout=30).status_code == 200


def test_kvp_operations_are_advertised_where_they_are_served(gateway):
    tree = etree.fromstring(kvp(gateway, REQUEST="GetCapabilities").content)
    operations = tree.xpath("//ows:OperationsMetadata/ows:Operation/@name", namespaces=NS)
    assert operations == ["GetCapabilities", "GetTile"]
    hrefs = tree.xpath("//ows:OperationsMetadata//ows:Get/@xlink:href",
                       namespaces={**NS, "xlink": "http://www.w3.org/1999/xlink"})
    assert set(hrefs) == {f"{gateway.url}/wmts?"}
    response = kvp(gateway, REQUEST="GetFeatureInfo", LAYER=LAYER)
    assert response.status_code == 501
    assert exception(response) == ("OperationNotSupported", "GetFeatureInfo")
