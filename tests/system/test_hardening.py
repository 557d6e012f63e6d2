"""Issue 11, hardening: requests that used to blow up a worker, skip a limit or reach out of the
machine get bounded, standards-shaped answers (one regression test each)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
import pytest
import rasterio
import requests
from lxml import etree
from PIL import Image

from tests.conftest import start_gateway, stop_gateway

LAYER = "CGS_S2_NDVI"
WMS_GETMAP = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
              "STYLES": "", "CRS": "EPSG:3857", "BBOX": "405000,6630000,410000,6637000",
              "WIDTH": "64", "HEIGHT": "64", "FORMAT": "image/png"}
WCS20 = {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage", "COVERAGEID": LAYER,
         "FORMAT": "image/tiff"}
WCS10 = {"SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "GetCoverage", "COVERAGE": LAYER,
         "CRS": "EPSG:32631", "BBOX": "545000,5658000,545500,5658500",
         "FORMAT": "GEOTIFF_FLOAT32"}


def ows(gateway, params, path="/ows") -> requests.Response:
    return requests.get(f"{gateway.url}{path}", params=params, timeout=60)


def exception(response: requests.Response) -> tuple[str, str | None]:
    element = etree.fromstring(response.content).find(".//{*}Exception")
    if element is None:
        element = etree.fromstring(response.content).find(".//{*}ServiceException")
        return element.get("code"), element.get("locator")
    return element.get("exceptionCode"), element.get("locator")


def latest(gateway, layer=LAYER) -> str:
    collection = gateway.registry.layer(layer)[0]
    return gateway.index.dates(collection.id)[-1]


# -- tiles ---------------------------------------------------------------------------------


def test_tms_huge_zoom_is_tile_out_of_range(gateway):
    date = latest(gateway)
    for z in ("99999999999", "20000", "19"):
        response = requests.get(f"{gateway.url}/tiles/tms/{LAYER}/{date}/{z}/0/0.png", timeout=30)
        assert response.status_code == 404, z
        assert exception(response) == ("TileOutOfRange", "TileMatrix")


def test_xyz_row_or_col_outside_the_zoom_is_tile_out_of_range(gateway):
    date = latest(gateway)
    response = requests.get(f"{gateway.url}/tiles/{LAYER}/{date}/3/0/8.png", timeout=30)
    assert response.status_code == 404
    assert exception(response) == ("TileOutOfRange", "TileRow")


def test_wmts_row_col_beyond_the_matrix_is_tile_out_of_range(gateway):
    date = latest(gateway)
    base = {"SERVICE": "WMTS", "VERSION": "1.0.0", "REQUEST": "GetTile", "LAYER": LAYER,
            "STYLE": "default", "FORMAT": "image/png", "TILEMATRIXSET": "GoogleMapsCompatible",
            "TILEMATRIX": "2", "TIME": date, "TILEROW": "0", "TILECOL": "0"}
    for name in ("TILEROW", "TILECOL"):
        response = requests.get(f"{gateway.url}/wmts", params={**base, name: "4"}, timeout=30)
        assert response.status_code == 400
        assert exception(response) == ("TileOutOfRange", {"TILEROW": "TileRow",
                                                          "TILECOL": "TileCol"}[name])
    rest = f"{gateway.url}/wmts/{LAYER}/default/GoogleMapsCompatible/{date}/2/99999999999/0.png"
    response = requests.get(rest, timeout=30)
    assert response.status_code == 404
    assert exception(response) == ("TileOutOfRange", "TileRow")


def test_wmts_repeated_key_or_non_ascii_digit_is_invalid_parameter(gateway):
    date = latest(gateway)
    base = (f"{gateway.url}/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetTile&LAYER={LAYER}"
            f"&STYLE=default&FORMAT=image/png&TILEMATRIXSET=GoogleMapsCompatible&TIME={date}"
            "&TILECOL=0")
    response = requests.get(base + "&TILEMATRIX=1&TILEMATRIX=2&TILEROW=0", timeout=30)
    assert response.status_code == 400
    assert exception(response) == ("InvalidParameterValue", "TILEMATRIX")
    response = requests.get(base + "&TILEMATRIX=1&TILEROW=%C2%B2", timeout=30)
    assert response.status_code == 400
    assert exception(response) == ("InvalidParameterValue", "TileRow")


# -- WCS -----------------------------------------------------------------------------------


def test_wcs20_scaleaxes_and_scaleextent_count_against_the_pixel_limit(gateway):
    for name, value in (("SCALEAXES", "x(100),y(100)"),
                        ("SCALEEXTENT", "x(0:20000),y(0:20000)"),
                        ("SCALESIZE", "x(20000)")):
        response = ows(gateway, {**WCS20, name: value})
        assert response.status_code == 413, name
        assert exception(response)[0] == "InvalidParameterValue"
    # a subsetting CRS pyproj does not know: the whole coverage bounds the estimate
    response = requests.get(f"{gateway.url}/ows", timeout=30, params=[
        *WCS20.items(), ("SUBSETTINGCRS", "CRS:84"), ("SUBSET", "Long(-10,20)"),
        ("SUBSET", "Lat(40,60)"), ("SCALEFACTOR", "100")])
    assert response.status_code == 413


def test_wcs20_bad_scaling_values_are_the_scaling_exceptions(gateway):
    for name, value, code in (("SCALEFACTOR", "0", "InvalidScaleFactor"),
                              ("SCALEAXES", "x(-1)", "InvalidScaleFactor"),
                              ("SCALESIZE", "x(0)", "InvalidExtent"),
                              ("SCALEEXTENT", "x(10:5)", "InvalidExtent"),
                              ("SCALEAXES", "bogus(2)", "ScaleAxisUndefined")):
        response = ows(gateway, {**WCS20, name: value})
        assert response.status_code == 400, (name, value)
        assert exception(response) == (code, name)


def test_wcs10_resx_resy_count_against_the_pixel_limit(gateway):
    response = ows(gateway, {**WCS10, "BBOX": "500000,5600000,600000,5700000", "RESX": "1",
                             "RESY": "1"})
    assert response.status_code == 413
    assert exception(response)[0] == "InvalidParameterValue"


def test_wcs10_every_size_is_checked_whichever_mapserver_takes(gateway):
    """WIDTH beside RESX used to reach MapServer unchecked (the worker died); a tiny RESX made
    an infinite size."""
    for extra in ({"RESX": "25", "RESY": "25", "WIDTH": "99999999999999999999"},
                  {"RESX": "1e-320", "RESY": "25"}, {"COVERAGE": "Bogus", "WIDTH": "100000"}):
        response = ows(gateway, {**WCS10, **extra})
        assert response.status_code == 413, extra
        assert exception(response)[0] == "InvalidParameterValue"


def test_repeated_keys_are_refused_not_resolved(gateway):
    query = "&".join(f"{k}={v}" for k, v in WCS10.items())
    response = requests.get(f"{gateway.url}/ows?{query}&WIDTH=10&HEIGHT=10&WIDTH=10000"
                            "&HEIGHT=10000", timeout=30)
    assert response.status_code == 400
    assert exception(response) == ("InvalidParameterValue", "WIDTH")
    response = requests.get(f"{gateway.url}/ows?SERVICE=WMS&SERVICE=WCS&REQUEST="
                            "GetCapabilities", timeout=30)
    assert response.status_code == 400
    assert exception(response) == ("InvalidParameterValue", "SERVICE")


# -- WMS -----------------------------------------------------------------------------------


def test_sld_and_sld_body_are_refused_without_fetching(gateway):
    legend = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
              "LAYER": LAYER, "FORMAT": "image/png", "SLD_VERSION": "1.1.0"}
    body = ('<StyledLayerDescriptor version="1.0.0"><NamedLayer><Name>x</Name><UserStyle>'
            '<ExternalGraphic><OnlineResource href="http://127.0.0.1:9/x.png"/>'
            '</ExternalGraphic></UserStyle></NamedLayer></StyledLayerDescriptor>')
    for base in (WMS_GETMAP, legend):
        for name, value in (("SLD", "http://127.0.0.1:9/style.sld"), ("SLD_BODY", body)):
            response = ows(gateway, {**base, name: value})
            assert response.status_code == 400
            assert exception(response) == ("InvalidParameterValue", name)


def _pixels(response: requests.Response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))


def test_exceptions_blank_and_inimage_are_bgcolor_images(gateway):
    base = {**WMS_GETMAP, "LAYERS": "NonExistant", "WIDTH": "100", "HEIGHT": "100"}
    response = ows(gateway, {**base, "EXCEPTIONS": "BLANK", "BGCOLOR": "0xFF0000"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    pixels = _pixels(response)
    assert pixels.shape == (100, 100, 4)
    assert (pixels == [255, 0, 0, 255]).all()
    response = ows(gateway, {**base, "EXCEPTIONS": "BLANK", "TRANSPARENT": "TRUE"})
    assert (_pixels(response)[..., 3] == 0).all()
    response = ows(gateway, {**base, "EXCEPTIONS": "INIMAGE", "BGCOLOR": "0x00FF00"})
    pixels = _pixels(response)
    assert response.headers["Content-Type"] == "image/png"
    green = (pixels == [0, 255, 0, 255]).all(axis=-1)
    assert 0.5 < green.mean() < 1, "the message is drawn on the BGCOLOR"
    response = ows(gateway, {**base, "EXCEPTIONS": "XML"})
    assert exception(response)[0] == "LayerNotDefined"


# -- dates, numbers and catalogue parameters ----------------------------------------------

NDVI = "TERRASCOPE_S2_NDVI_V2"
TS = "/timeseries/v1.0/ts/S2_NDVI/point"


def _centre(gateway) -> dict[str, str]:
    west, south, east, north = gateway.index.extent(NDVI)
    return {"lon": str((west + east) / 2), "lat": str((south + north) / 2)}


def test_dates_beyond_year_one_in_utc_are_400_not_500(gateway):
    early = "0001-01-01T00:00:00+01:00"
    response = requests.get(f"{gateway.url}/catalogue/products", timeout=30,
                            params={"collection": f"urn:eop:VITO:{NDVI}", "start": early})
    assert response.status_code == 400
    assert response.json()["exceptions"][0]["locator"] == "start"
    response = requests.get(f"{gateway.url}{TS}", timeout=30,
                            params={**_centre(gateway), "startDate": early,
                                    "endDate": "2018-12-31"})
    assert response.status_code == 400
    assert response.json()["locator"] == "startDate"
    response = requests.get(f"{gateway.url}/catalogue/mep/v2/CGS_S2_NDVI", timeout=30,
                            params={"year": "0000"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_point_over_all_time_is_cheap_enough(gateway):
    response = requests.get(f"{gateway.url}{TS}", timeout=60,
                            params={**_centre(gateway), "startDate": "2000-01-01",
                                    "endDate": "2030-12-31"})
    assert response.status_code == 200
    days = gateway.index.dates(NDVI)
    assert [r["date"] for r in response.json()["results"]] == days


def test_csw_blank_numbers_response_handlers_and_entities_are_exception_reports(gateway):
    base = {"service": "CSW", "version": "2.0.2", "request": "GetRecords",
            "typenames": "csw:Record", "elementsetname": "brief", "resulttype": "results"}
    for name, value in (("maxRecords", " "), ("maxRecords", "²"), ("startPosition", "1_0"),
                        ("responsehandler", "http://127.0.0.1:9/x"), ("request", "GetRecords")):
        response = requests.get(f"{gateway.url}/csw", params=[*base.items(), (name, value)],
                                timeout=30)
        assert response.status_code < 500, (name, value)
        code, locator = exception(response)
        assert (code, locator) == ("InvalidParameterValue", name.lower()), (name, value)
    body = ('<?xml version="1.0"?><csw:GetRecordById xmlns:csw="http://www.opengis.net/cat/'
            'csw/2.0.2" service="CSW" version="2.0.2"><csw:Id>&undefined;</csw:Id>'
            '</csw:GetRecordById>')
    response = requests.post(f"{gateway.url}/csw", data=body, timeout=30,
                             headers={"Content-Type": "application/xml"})
    assert response.status_code < 500
    assert exception(response)[0] == "NoApplicableCode"


def test_doubled_slash_redirects_with_a_location(gateway):
    response = requests.get(f"{gateway.url}/catalogue//products?count=1", timeout=30,
                            allow_redirects=False)
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/catalogue/products?count=1")


def test_a_chunked_post_over_one_mebibyte_is_413(gateway):
    def chunks():
        for _ in range(20):
            yield b" " * (1 << 16)
        yield b"{}"
    url = (f"{gateway.url}/timeseries/v1.0/ts/S2_NDVI/geometry?startDate=2018-01-01"
           "&endDate=2018-02-01")
    response = requests.post(url, data=chunks(), timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413
    response = requests.post(f"{gateway.url}/ows", data=chunks(), timeout=30,
                             headers={"Content-Type": "application/xml"})
    assert response.status_code == 413
    assert exception(response)[0] == "InvalidParameterValue"


def test_repeated_keys_on_json_endpoints_are_400(gateway):
    response = requests.get(f"{gateway.url}/catalogue/products?collection=urn:eop:VITO:{NDVI}"
                            "&count=1&count=2", timeout=30)
    assert response.status_code == 400
    assert response.json()["exceptions"][0]["locator"] == "count"
    centre = _centre(gateway)
    response = requests.get(f"{gateway.url}{TS}?lon={centre['lon']}&lat={centre['lat']}"
                            "&startDate=2018-01-01&endDate=2018-02-01&lat=0", timeout=30)
    assert response.status_code == 400
    assert response.json()["locator"] == "lat"


# -- the index ------------------------------------------------------------------------------


@contextmanager
def own_gateway(gateway, root: Path) -> Iterator[tuple[str, Path]]:
    """A one-worker gateway on the session archive with its own copy of the index (and its
    own var/: log, tile cache). Yields (url, index path)."""
    index = root / "var" / "index.sqlite"
    index.parent.mkdir()
    with closing(sqlite3.connect(gateway.settings.index)) as source, \
            closing(sqlite3.connect(index)) as copy:
        source.backup(copy)
    process, url = start_gateway({**gateway.env, "EOSCOPE_VAR_DIR": str(index.parent)},
                                 workers=1)
    try:
        yield url, index
    finally:
        stop_gateway(process)


def test_a_deleted_index_is_503_everywhere_and_never_recreated(gateway, tmp_path):
    with own_gateway(gateway, tmp_path) as (url, index):
        index.unlink()
        health = requests.get(f"{url}/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json()["reason"] == "no product index: run `eoscope ingest`"
        assert health.headers["Retry-After"] == "30"
        date = latest(gateway)
        for path, shape in (("/ows?SERVICE=WMS&REQUEST=GetCapabilities", "xml"),
                            ("/wmts/1.0.0/WMTSCapabilities.xml", "xml"),
                            (f"/tiles/{LAYER}/{date}/3/4/2.png", "xml"),
                            ("/csw?service=CSW&request=GetCapabilities", "xml"),
                            (f"/catalogue/products?collection=urn:eop:VITO:{NDVI}", "json"),
                            ("/timeseries/v1.0/ts", "json"), ("/", "json")):
            response = requests.get(url + path, timeout=30)
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "30", path
            assert shape in response.headers["Content-Type"], path
            assert str(tmp_path) not in response.text, path
        assert not index.exists()


def test_a_file_corrupted_after_ingest_is_skipped_with_a_warning(gateway, tmp_path):
    date = latest(gateway)
    files = [path for _, band, path in gateway.index.files(NDVI, date) if band == "NDVI"]
    original = {path: Path(path).read_bytes() for path in files}
    with own_gateway(gateway, tmp_path) as (url, _):
        try:
            for path, content in original.items():  # the tiles' data, zeroed
                Path(path).write_bytes(content[:1024] + b"\0" * (len(content) - 1024))
            response = ows_at(url, {**WMS_GETMAP, "CRS": "EPSG:32631",
                                    "BBOX": "545000,5658000,547000,5660000", "TIME": date})
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "image/png"
            response = ows_at(url, {**WCS20, "SUBSET": "x(545000,546000)"})
            assert response.status_code < 500
            assert str(Path(files[0]).parent) not in response.text
        finally:
            for path, content in original.items():
                Path(path).write_bytes(content)
        log = (tmp_path / "var" / "gateway.log").read_text()
        assert "skipping an unreadable product file" in log
        assert "Traceback" not in log


def ows_at(url: str, params: dict) -> requests.Response:
    return requests.get(f"{url}/ows", params=params, timeout=60)


def _coverage(gateway, *extra: tuple[str, str]) -> requests.Response:
    return requests.get(f"{gateway.url}/ows", timeout=30, params=[*WCS20.items(), *extra])


def test_wcs20_one_pixel_coverages_are_cut_from_a_larger_read(gateway):
    """MapServer 8.0 writes a coverage one pixel wide or high with an identity geotransform
    and NaN values: eoscope reads two pixels and crops the one asked for."""
    x, y = 546000, 5659000  # inside the tiny archive's 31UES corner (as WCS10's BBOX)
    grid = _coverage(gateway, ("SUBSET", f"x({x},{x + 30})"), ("SUBSET", f"y({y - 10},{y + 20})"))
    with rasterio.open(io.BytesIO(grid.content)) as dataset:
        assert (dataset.width, dataset.height) == (3, 3)
        truth = dataset.read(1)       # rows from y + 20 down to y - 10
    for (width, height), window in (((1, 1), truth[1:2, 0:1]), ((2, 1), truth[1:2, 0:2]),
                                    ((1, 3), truth[0:3, 0:1])):
        top = y + 10 if height == 1 else y + 20
        response = _coverage(gateway, ("SUBSET", f"x({x},{x + 10 * width})"),
                             ("SUBSET", f"y({top - 10 * height},{top})"))
        assert response.status_code == 200, (width, height)
        with rasterio.open(io.BytesIO(response.content)) as dataset:
            assert (dataset.width, dataset.height) == (width, height)
            assert tuple(dataset.transform)[:6] == (10.0, 0.0, x, 0.0, -10.0, top)
            assert dataset.crs.to_epsg() == 32631
            np.testing.assert_array_equal(dataset.read(1), window)


def test_wcs20_other_one_pixel_coverages_are_refused_clearly(gateway):
    x, y = 546000, 5659000
    response = _coverage(gateway, ("SUBSET", f"x({x},{x + 10})"), ("SUBSET", f"y({y},{y + 10})"),
                         ("OUTPUTCRS", "http://www.opengis.net/def/crs/EPSG/0/3857"))
    assert response.status_code == 400
    assert exception(response) == ("InvalidParameterValue", "subset")
    text = etree.fromstring(response.content).findtext(".//{*}ExceptionText")
    assert "at least 2 x 2" in text


# -- CORS -----------------------------------------------------------------------------------


def test_every_endpoint_answers_cross_origin_reads(gateway):
    origin = {"Origin": "https://viewer.example.org"}
    for path in ("/ows?SERVICE=WMS&REQUEST=GetCapabilities", "/wmts/1.0.0/WMTSCapabilities.xml",
                 "/csw?service=CSW&request=GetCapabilities", "/catalogue/collections",
                 "/timeseries/v1.0/ts", "/catalogue/mep/v2/", "/healthz",
                 "/ows?SERVICE=WMS&REQUEST=GetMap"):
        response = requests.get(gateway.url + path, headers=origin, timeout=30)
        assert response.headers.get("Access-Control-Allow-Origin") == "*", path
    response = requests.options(f"{gateway.url}/timeseries/v1.0/ts/S2_NDVI/geometry", timeout=30,
                                headers={**origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "Content-Type"})
    assert response.status_code == 204
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


# -- GetFeatureInfo -------------------------------------------------------------------------

GFI = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
       "LAYERS": "CGS_S2_RADIOMETRY", "QUERY_LAYERS": "CGS_S2_RADIOMETRY", "STYLES": "",
       "CRS": "EPSG:32631", "BBOX": "545000,5658000,547000,5660000", "WIDTH": "64",
       "HEIGHT": "64", "I": "30", "J": "30", "FEATURE_COUNT": "1"}


def test_getfeatureinfo_in_json_and_html_has_the_gml_values(gateway):
    gml = etree.fromstring(ows(gateway, {**GFI, "INFO_FORMAT": "application/vnd.ogc.gml"})
                           .content)
    values = [float(v) for v in gml.xpath("//*[local-name()='value_list']/text()")[0].split(",")]
    response = ows(gateway, {**GFI, "INFO_FORMAT": "application/json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    feature = document["features"][0]
    assert feature["properties"]["layer"] == "CGS_S2_RADIOMETRY"
    assert [feature["properties"][f"value_{i}"] for i in range(3)] == pytest.approx(values)
    x, y = feature["geometry"]["coordinates"]
    assert 545000 < x < 547000 and 5658000 < y < 5660000
    response = ows(gateway, {**GFI, "INFO_FORMAT": "text/html"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<th>value_0</th>" in response.text
    caps = ows(gateway, {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"})
    formats = etree.fromstring(caps.content).xpath(
        "//*[local-name()='GetFeatureInfo']/*[local-name()='Format']/text()")
    assert {"application/json", "text/html"} <= set(formats)


def test_an_ows_post_with_a_doctype_is_refused_before_mapserver_parses_it(gateway):
    body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
            '<wcs:DescribeCoverage xmlns:wcs="http://www.opengis.net/wcs/2.0" service="WCS"'
            ' version="2.0.1"><wcs:CoverageId>&e;</wcs:CoverageId></wcs:DescribeCoverage>')
    response = requests.post(f"{gateway.url}/ows", data=body, timeout=30,
                             headers={"Content-Type": "application/xml"})
    assert response.status_code == 400
    assert exception(response) == ("InvalidEncodingSyntax", "request")
    assert etree.fromstring(response.content).tag == "{http://www.opengis.net/ows/2.0}ExceptionReport"


def test_wcs20_a_small_reversed_trim_is_invalid_subsetting(gateway):
    response = _coverage(gateway, ("SUBSET", "x(546010,546000)"), ("SUBSET", "y(5659000,5659010)"))
    assert response.status_code == 404
    assert exception(response) == ("InvalidSubsetting", "subset")
