"""Cached tiles through real clients: OWSLib 0.35 (WMTS REST and KVP), GDAL 3.6's WMTS driver,
headless QGIS 3.22 (WMTS REST, WMTS KVP and XYZ layers) and plain XYZ/TMS URLs as Leaflet and
OpenLayers build them.

Every client fetches a 2 x 2 block of zoom-15 Web Mercator tiles at the centre of the layer, for
two (cloud-free) dates. What it shows must be, pixel for pixel, the gateway's own REST tiles of
that date, which are checked once against a WMS GetMap of the same metatile (MapProxy renders
4 x 4 metatiles; nearest-neighbour jitter allowed), and the two dates must differ.

GDAL's WMTS driver has no way to choose a dimension value (GDAL 3.6, and still in GDAL's main
branch: no open option, no service-description element; it puts the capabilities' ``<Default>``
into the tile URLs). A second date is reached the way a GDAL user can: a local copy of the
capabilities whose ``<Default>`` is that date, opened through a ``<GDAL_WMTS>`` file.

Tests whose docstring names a gateway bug fail until it is fixed: the KVP capabilities give
``<gateway>/service?`` (a 404) as the URL of every operation, so OWSLib, GDAL and QGIS clients
of the KVP capabilities get no tiles; and GetFeatureInfo is advertised but refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import numpy as np
import pytest
import requests
from lxml import etree
from owslib.wmts import WebMapTileService

from tests.helpers import read_image, same_up_to_resampling
from tests.interop.conftest import LAYER
from tests.interop.test_gdal import gdal, write
from tests.interop.test_qgis import image, run_qgis

pytestmark = pytest.mark.interop

ZOOM = 15
GOOGLE = "GoogleMapsCompatible"
ALIAS = "EPSG:3857"        # Terrascope's tile matrix set, TileMatrix ids EPSG:3857:{z}
GEODETIC = "EPSG:4326"
HALF = math.pi * 6378137   # half the width of the Web Mercator world, metres
META = 4                   # tiles a side of the WMS map a tile is compared with
NS = {"wmts": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}


# -- where and what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """``n`` x ``n`` Web Mercator tiles of one zoom level, from (col, row) at the top left."""

    z: int
    col: int
    row: int
    n: int = 2

    @property
    def side(self) -> float:
        return 2 * HALF / 2 ** self.z

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """minx, miny, maxx, maxy in EPSG:3857."""
        x0, y1 = -HALF + self.col * self.side, HALF - self.row * self.side
        return x0, y1 - self.n * self.side, x0 + self.n * self.side, y1

    def tiles(self):
        """(col, row, i, j): each tile and its pixel offset in the block's image."""
        for dr in range(self.n):
            for dc in range(self.n):
                yield self.col + dc, self.row + dr, dr * 256, dc * 256


def layer_centre(gateway) -> tuple[float, float]:
    west, south, east, north = gateway.index.extent(gateway.registry.layer(LAYER)[0].id)
    return (west + east) / 2, (south + north) / 2


@pytest.fixture(scope="module")
def block(gateway) -> Block:
    """The 2 x 2 block of zoom-15 tiles centred on the layer."""
    lon, lat = layer_centre(gateway)
    n = 2 ** ZOOM
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return Block(ZOOM, round(x) - 1, round(y) - 1)


def caps_url(gateway) -> str:
    return f"{gateway.url}/wmts/1.0.0/WMTSCapabilities.xml"


def kvp_caps_url(gateway) -> str:
    return f"{gateway.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"


def rest_url(gateway, date: str, z: int, col: int, row: int, matrix_set: str = GOOGLE,
             matrix: str | None = None) -> str:
    return (f"{gateway.url}/wmts/{LAYER}/default/{matrix_set}/{date}/{matrix or z}/{row}/"
            f"{col}.png")


def get_png(url: str, **kwargs) -> requests.Response:
    response = requests.get(url, timeout=60, **kwargs)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    assert response.headers["Content-Type"] == "image/png", url
    return response


def mosaic(gateway, block: Block, date: str) -> np.ndarray:
    """The block as the gateway's REST tiles draw it (4 bands, 256 n x 256 n)."""
    out = np.zeros((4, 256 * block.n, 256 * block.n), dtype=np.uint8)
    for col, row, i, j in block.tiles():
        out[:, i:i + 256, j:j + 256] = read_image(
            get_png(rest_url(gateway, date, block.z, col, row)).content)
    return out


@pytest.fixture(scope="module")
def reference(gateway, block, two_dates) -> dict[str, np.ndarray]:
    """The gateway's REST tiles of the block for each of the two dates."""
    return {date: mosaic(gateway, block, date) for date in two_dates}


def assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert got.shape == expected.shape, f"{what}: {got.shape} instead of {expected.shape}"
    differ = np.any(got != expected, axis=0)
    assert not differ.any(), (f"{what}: {differ.mean():.1%} of the pixels differ from the "
                              f"gateway's REST tiles, e.g. at (row, col) "
                              f"{tuple(int(v) for v in np.argwhere(differ)[0])}")


def assert_two_dates(images: dict[str, np.ndarray], reference: dict[str, np.ndarray],
                     what: str) -> None:
    for date, got in images.items():
        assert_same(got, reference[date], f"{what} on {date}")
    first, second = images.values()
    assert not np.array_equal(first, second), f"{what}: the two dates give the same image"


# -- the reference: REST tiles equal to WMS ------------------------------------------------




def wms_metatile(gateway, date: str, bbox: tuple[float, float, float, float], srs: str
                 ) -> np.ndarray:
    """WMS 1.1.1 GetMap (x/y axis order in every CRS) of a 4 x 4 metatile plus one pixel all
    round: (4, 1026, 1026)."""
    minx, miny, maxx, maxy = bbox
    pixel = (maxx - minx) / (META * 256)
    response = get_png(f"{gateway.url}/wms", params={
        "SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetMap", "LAYERS": LAYER,
        "STYLES": "", "SRS": srs,
        "BBOX": f"{minx - pixel},{miny - pixel},{maxx + pixel},{maxy + pixel}",
        "WIDTH": META * 256 + 2, "HEIGHT": META * 256 + 2, "FORMAT": "image/png",
        "TRANSPARENT": "TRUE", "TIME": date})
    return read_image(response.content)


def assert_tile_is_the_wms_map(gateway, date: str, tile: np.ndarray, col: int, row: int,
                               side: float, left: float, top: float, srs: str) -> None:
    """``tile`` (col, row of a north-west-origin grid with tiles ``side`` wide) agrees with
    a WMS GetMap of its metatile."""
    meta_col, meta_row = col // META * META, row // META * META
    x0, y1 = left + meta_col * side, top - meta_row * side
    wms = wms_metatile(gateway, date, (x0, y1 - META * side, x0 + META * side, y1), srs)
    i, j = (row - meta_row) * 256, (col - meta_col) * 256
    agree = same_up_to_resampling(tile, wms[:, i:i + 258, j:j + 258])
    assert agree > 0.995, f"{srs} tile {col},{row} on {date}: WMS agrees on {agree:.1%}"


def test_reference_tiles_are_the_wms_map_and_differ_by_date(gateway, block, reference):
    for date, picture in reference.items():
        assert (picture[3] == 255).mean() > 0.3, f"{date}: the block is mostly empty"
        assert len(np.unique(picture.reshape(4, -1), axis=1).T) > 20, "a landscape"
        for col, row, i, j in block.tiles():
            assert_tile_is_the_wms_map(gateway, date, picture[:, i:i + 256, j:j + 256], col,
                                       row, block.side, -HALF, HALF, "EPSG:3857")
    assert not np.array_equal(*reference.values())


# -- OWSLib ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["rest", "kvp"])
def owslib_wmts(request, gateway) -> WebMapTileService:
    url = caps_url(gateway) if request.param == "rest" else kvp_caps_url(gateway)
    return WebMapTileService(url, timeout=60)


def test_owslib_reads_the_time_dimension_and_the_three_matrix_sets(owslib_wmts, gateway):
    layer = owslib_wmts[LAYER]
    dates = gateway.index.layer_dates(LAYER)
    assert layer.dimensions["Time"]["values"] == dates
    assert layer.dimensions["Time"]["default"] == dates[-1]
    assert list(layer.tilematrixsetlinks) == [GOOGLE, ALIAS, GEODETIC]
    sets = owslib_wmts.tilematrixsets
    assert {GOOGLE, ALIAS, GEODETIC} <= set(sets)
    assert sets[GOOGLE].crs == "urn:ogc:def:crs:EPSG:6.18:3:3857"
    assert list(sets[GOOGLE].tilematrix) == [f"{z:02d}" for z in range(19)]
    assert list(sets[ALIAS].tilematrix) == [f"EPSG:3857:{z}" for z in range(19)]
    assert sets[GEODETIC].crs == "urn:ogc:def:crs:EPSG:4326"
    google, geodetic = sets[GOOGLE].tilematrix["15"], sets[GEODETIC].tilematrix["15"]
    assert google.topleftcorner == (-HALF, HALF) and google.matrixwidth == 2 ** 15
    # urn:ogc:def:crs:EPSG:4326 is latitude first: the north-west corner is (90, -180)
    assert geodetic.topleftcorner == (90.0, -180.0)
    assert (geodetic.matrixwidth, geodetic.matrixheight) == (2 ** 16, 2 ** 15)


def test_owslib_operations_are_advertised_where_they_are_served(owslib_wmts, gateway):
    """Clients send each KVP operation to the URL OperationsMetadata gives for it, and offer
    only the operations it lists.

    Gateway bugs: the KVP capabilities give ``<gateway>/service?`` (a 404) for every operation,
    and both documents list GetFeatureInfo, which /wmts refuses (400 InvalidParameterValue,
    locator request)."""
    kvp = [(op.name, method["url"]) for op in owslib_wmts.operations
           for method in op.methods
           if any("kvp" in str(c.values).lower() for c in method.get("constraints") or [])]
    wrong = [(name, url) for name, url in kvp if url.split("?")[0] != f"{gateway.url}/wmts"]
    assert not wrong, f"KVP operations advertised at URLs other than /wmts: {wrong}"
    refused = []
    for op in owslib_wmts.operations:
        response = requests.get(f"{gateway.url}/wmts", timeout=60, params={
            "SERVICE": "WMTS", "VERSION": "1.0.0", "REQUEST": op.name})
        if b'locator="request"' in response.content:
            refused.append(op.name)
    assert not refused, f"advertised but refused as an unknown request: {refused}"


def owslib_block(wmts: WebMapTileService, block: Block, date: str, matrix_set: str = GOOGLE,
                 matrix: str | None = None, **kwargs) -> np.ndarray:
    out = np.zeros((4, 256 * block.n, 256 * block.n), dtype=np.uint8)
    for col, row, i, j in block.tiles():
        response = wmts.gettile(layer=LAYER, tilematrixset=matrix_set,
                                tilematrix=matrix or str(block.z), row=row, column=col,
                                format="image/png", Time=date, **kwargs)
        assert response.info()["Content-Type"] == "image/png"
        out[:, i:i + 256, j:j + 256] = read_image(response.read())
    return out


def test_owslib_rest_gettile_with_time_selects_the_date(gateway, block, reference):
    wmts = WebMapTileService(caps_url(gateway), timeout=60)
    assert wmts.restonly, "REST capabilities: OWSLib fills the ResourceURL template"
    assert_two_dates({d: owslib_block(wmts, block, d) for d in reference}, reference,
                     "OWSLib REST")
    date = next(iter(reference))
    assert_same(owslib_block(wmts, block, date, ALIAS, f"{ALIAS}:{block.z}"), reference[date],
                "OWSLib REST, Terrascope's EPSG:3857 set")


def test_owslib_kvp_gettile_at_the_advertised_url(gateway, block, reference):
    """OWSLib sends KVP GetTile to the GetTile URL of the KVP capabilities' OperationsMetadata.

    Gateway bug: that URL is ``<gateway>/service?`` (MapProxy's internal path, which the
    gateway rewrites /wmts to), and /service is a 404 — OWSLib raises HTTPError 404."""
    wmts = WebMapTileService(kvp_caps_url(gateway), timeout=60)
    assert not wmts.restonly
    assert_two_dates({d: owslib_block(wmts, block, d) for d in reference}, reference,
                     "OWSLib KVP")


def test_owslib_kvp_gettile_with_time_at_the_wmts_endpoint(gateway, block, reference):
    """KVP GetTile itself works when sent to /wmts (OWSLib's ``base_url``)."""
    wmts = WebMapTileService(kvp_caps_url(gateway), timeout=60)
    endpoint = f"{gateway.url}/wmts"
    assert_two_dates({d: owslib_block(wmts, block, d, base_url=endpoint) for d in reference},
                     reference, "OWSLib KVP at /wmts")
    date = next(iter(reference))
    assert_same(owslib_block(wmts, block, date, ALIAS, f"{ALIAS}:{block.z}", base_url=endpoint),
                reference[date], "OWSLib KVP, Terrascope's EPSG:3857 set")


def geodetic_tile(gateway, z: int = ZOOM) -> tuple[int, int, float]:
    """(col, row, side in degrees) of the EPSG:4326 tile (north-west origin) at the layer's
    centre."""
    lon, lat = layer_centre(gateway)
    side = 0.703125 / 2 ** z * 256
    return int((lon + 180) / side), int((90 - lat) / side), side


def test_owslib_geodetic_tile_is_the_wms_map(gateway, two_dates):
    wmts = WebMapTileService(caps_url(gateway), timeout=60)
    col, row, side = geodetic_tile(gateway)
    tiles = {}
    for date in two_dates:
        response = wmts.gettile(layer=LAYER, tilematrixset=GEODETIC, tilematrix=str(ZOOM),
                                row=row, column=col, format="image/png", Time=date)
        tiles[date] = read_image(response.read())
        assert tiles[date].shape == (4, 256, 256)
        assert (tiles[date][3] == 255).mean() > 0.3
        assert_tile_is_the_wms_map(gateway, date, tiles[date], col, row, side, -180.0, 90.0,
                                   "EPSG:4326")
    assert not np.array_equal(*tiles.values())


# -- GDAL -----------------------------------------------------------------------------------


def gdal_block(tmp_path: Path, source: str, block: Block, name: str, *options: str
               ) -> tuple[np.ndarray, list[str]]:
    """gdal_translate the block out of a WMTS dataset: its image and the tile URLs fetched."""
    minx, miny, maxx, maxy = block.bounds
    out = tmp_path / f"{name}.png"
    done = gdal(tmp_path, "gdal_translate", "-of", "PNG", *options, "-projwin", str(minx),
                str(maxy), str(maxx), str(miny), source, str(out))
    return read_image(out.read_bytes()), tile_urls(done)


def tile_urls(done) -> list[str]:
    """The URLs other than capabilities GDAL fetched (from its --debug output)."""
    urls = re.findall(r"(?:Fetch\(|Requesting(?: \[\d+/\d+\])? )(http\S+?)\)?$", done.stderr,
                      re.MULTILINE)
    return [u for u in dict.fromkeys(urls) if "Capabilities" not in u]


def gdal_wmts_xml(capabilities: str, block: Block) -> str:
    return (f"<GDAL_WMTS><GetCapabilitiesUrl>{escape(capabilities)}</GetCapabilitiesUrl>"
            f"<Layer>{LAYER}</Layer><TileMatrixSet>{GOOGLE}</TileMatrixSet>"
            f"<TileMatrix>{block.z}</TileMatrix></GDAL_WMTS>")


def test_gdal_wmts_rest_gives_the_default_date(gateway, block, tmp_path):
    latest = gateway.index.layer_dates(LAYER)[-1]
    source = f"WMTS:{caps_url(gateway)},layer={LAYER},tilematrixset={GOOGLE},tilematrix={ZOOM}"
    picture, urls = gdal_block(tmp_path, source, block, "default")
    assert urls and all(f"/{GOOGLE}/{latest}/{ZOOM}/" in url for url in urls), urls
    assert_same(picture, mosaic(gateway, block, latest), "GDAL WMTS (default date)")


def test_gdal_wmts_selects_a_date_through_a_capabilities_copy(gateway, block, reference,
                                                              tmp_path):
    """GDAL uses the dimension's <Default>: a local copy of the capabilities with another
    Default (opened through a <GDAL_WMTS> file) makes it fetch that date's tiles."""
    capabilities = requests.get(caps_url(gateway), timeout=60).content
    images = {}
    for date in reference:
        tree = etree.fromstring(capabilities)
        default = tree.xpath(f"//wmts:Layer[ows:Identifier='{LAYER}']/wmts:Dimension"
                             "[ows:Identifier='Time']/wmts:Default", namespaces=NS)[0]
        default.text = date
        copy = tmp_path / f"capabilities-{date}.xml"
        copy.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
        service = write(tmp_path / f"wmts-{date}.xml", gdal_wmts_xml(str(copy), block))
        images[date], urls = gdal_block(tmp_path, str(service), block, date)
        assert urls and all(f"/{GOOGLE}/{date}/{ZOOM}/" in url for url in urls), urls
    assert_two_dates(images, reference, "GDAL WMTS")


def test_gdal_wmts_kvp_capabilities(gateway, block, tmp_path):
    """GDAL opened on the KVP capabilities sends KVP GetTile (with Time=<Default>) to the
    GetTile URL of OperationsMetadata.

    Gateway bug: that URL is ``<gateway>/service?``, a 404 — GDAL reads no tile at all."""
    latest = gateway.index.layer_dates(LAYER)[-1]
    service = write(tmp_path / "wmts-kvp.xml", gdal_wmts_xml(kvp_caps_url(gateway), block))
    minx, miny, maxx, maxy = block.bounds
    out = tmp_path / "kvp.png"
    done = gdal(tmp_path, "gdal_translate", "-of", "PNG", "-projwin", str(minx), str(maxy),
                str(maxx), str(miny), str(service), str(out), check=False)
    gettiles = tile_urls(done)
    assert done.returncode == 0, f"gdal_translate failed; GetTile URLs: {gettiles[:2]}"
    assert all(url.startswith(f"{gateway.url}/wmts?") for url in gettiles), gettiles[:2]
    assert_same(read_image(out.read_bytes()), mosaic(gateway, block, latest), "GDAL WMTS KVP")


# -- QGIS -----------------------------------------------------------------------------------


def qgis_check(name: str, uri: str, crs: str, extent, size) -> dict:
    return {"name": name, "provider": "wms", "uri": uri, "crs": crs, "extent": list(extent),
            "size": list(size), "time": None, "samples": None}


def wmts_uri(capabilities: str, date: str, matrix_set: str = GOOGLE, crs: str = "EPSG:3857",
             extra: str = "") -> str:
    """What QGIS's WMTS source select writes for a layer with a Time dimension."""
    return (f"{extra}contextualWMSLegend=0&crs={crs}&dpiMode=7&format=image/png&layers={LAYER}"
            f"&styles=default&tileMatrixSet={matrix_set}&tileDimensions=Time%3D{date}"
            f"&url={quote(capabilities, safe=':/')}")


def block_check(name: str, uri: str, block: Block) -> dict:
    return qgis_check(name, uri, "EPSG:3857", block.bounds, (256 * block.n, 256 * block.n))


def test_qgis_wmts_rest_tile_dimensions_select_the_date(gateway, block, reference, tmp_path):
    caps = caps_url(gateway)
    first = next(iter(reference))
    col, row, side = geodetic_tile(gateway)
    lon0, lat1 = -180 + col * side, 90 - row * side
    checks = [block_check(date, wmts_uri(caps, date), block) for date in reference]
    checks.append(block_check("alias", wmts_uri(caps, first, ALIAS), block))
    checks.append(qgis_check("geodetic", wmts_uri(caps, first, GEODETIC, GEODETIC), GEODETIC,
                             (lon0, lat1 - side, lon0 + side, lat1), (256, 256)))
    results = run_qgis(tmp_path, checks)
    for date in reference:
        tiles = [u for u in results[date]["requests"] if "/wmts/" + LAYER in u]
        assert tiles and all(f"/{GOOGLE}/{date}/{ZOOM}/" in u for u in tiles), tiles
    assert_two_dates({d: image(results[d]) for d in reference}, reference, "QGIS WMTS REST")
    alias = [u for u in results["alias"]["requests"] if "/wmts/" + LAYER in u]
    assert alias and all(f"/{ALIAS}/{first}/{ALIAS}:{ZOOM}/" in u for u in alias), alias
    assert_same(image(results["alias"]), reference[first], "QGIS, Terrascope's EPSG:3857 set")
    # the geodetic set (lat/lon axis order in its CRS URN) is drawn where it belongs
    geodetic = read_image(get_png(rest_url(gateway, first, ZOOM, col, row, GEODETIC)).content)
    assert_same(image(results["geodetic"]), geodetic, "QGIS, EPSG:4326 set")


def test_qgis_wmts_kvp_layer(gateway, block, reference, tmp_path):
    """A WMTS layer added from the KVP capabilities URL.

    Gateway bug: QGIS sends GetTile to the capabilities' GetTile URL, ``<gateway>/service?``,
    a 404: the layer loads but draws nothing (no render error)."""
    date = next(iter(reference))
    result = run_qgis(tmp_path, [block_check("kvp", wmts_uri(kvp_caps_url(gateway), date),
                                             block)])["kvp"]
    gettiles = [u for u in result["requests"] if "GetTile" in u]
    assert gettiles and all(u.startswith(f"{gateway.url}/wmts?") for u in gettiles), \
        gettiles[:2]
    assert_same(image(result), reference[date], "QGIS WMTS KVP")


def test_qgis_wmts_kvp_layer_ignoring_the_advertised_url(gateway, block, reference, tmp_path):
    """With IgnoreGetMapUrl=1 QGIS sends KVP GetTile (with Time) to the URL it was given:
    the right tiles for each date."""
    caps = kvp_caps_url(gateway)
    results = run_qgis(tmp_path, [
        block_check(date, wmts_uri(caps, date, extra="IgnoreGetMapUrl=1&"), block)
        for date in reference])
    for date, result in results.items():
        gettiles = [u for u in result["requests"] if "GetTile" in u]
        assert gettiles and all(f"Time={date}" in u for u in gettiles), gettiles[:2]
    assert_two_dates({d: image(results[d]) for d in reference}, reference, "QGIS WMTS KVP")


def xyz_template(gateway, date: str) -> str:
    return f"{gateway.url}/tiles/{LAYER}/{date}/{{z}}/{{x}}/{{y}}.png"


def test_qgis_xyz_layer_per_date(gateway, block, reference, tmp_path):
    results = run_qgis(tmp_path, [
        block_check(date, f"type=xyz&zmin=0&zmax=18&url={quote(xyz_template(gateway, date))}",
                    block)
        for date in reference])
    for date, result in results.items():
        tiles = [u for u in result["requests"] if "/tiles/" in u]
        assert tiles and all(f"/{date}/{ZOOM}/" in u for u in tiles), tiles
    assert_two_dates({d: image(results[d]) for d in reference}, reference, "QGIS XYZ")


# -- Leaflet / OpenLayers -------------------------------------------------------------------


def test_xyz_urls_as_leaflet_and_openlayers_build_them(gateway, block, reference):
    """``L.tileLayer(url)`` / ``ol.source.XYZ({url})`` fill {z}/{x}/{y}; Leaflet's ``tms: true``
    and OpenLayers' ``{-y}`` count rows from the south. OpenLayers with ``crossOrigin:
    'anonymous'`` (needed for WebGL layers and canvas export) wants CORS; browsers revalidate
    with the ETag."""
    origin = {"Origin": "https://maps.example.org"}
    for date in reference:
        template = xyz_template(gateway, date)
        xyz = np.zeros_like(reference[date])
        tms = np.zeros_like(reference[date])
        for col, row, i, j in block.tiles():
            url = template.format(z=block.z, x=col, y=row)
            response = get_png(url, headers=origin)
            assert response.headers.get("Access-Control-Allow-Origin") in ("*", origin["Origin"])
            etag = response.headers.get("ETag")
            assert etag, "no ETag: browsers cannot revalidate"
            again = requests.get(url, headers={"If-None-Match": etag}, timeout=60)
            assert again.status_code == 304 and not again.content
            xyz[:, i:i + 256, j:j + 256] = read_image(response.content)
            flipped = 2 ** block.z - 1 - row
            tms[:, i:i + 256, j:j + 256] = read_image(get_png(
                f"{gateway.url}/tiles/tms/{LAYER}/{date}/{block.z}/{col}/{flipped}.png").content)
        assert_same(xyz, reference[date], f"XYZ on {date}")
        assert_same(tms, reference[date], f"TMS on {date}")
    assert not np.array_equal(*reference.values())
