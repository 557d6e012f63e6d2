"""Seeded fuzzing of every endpoint and parameter: a repeated key, a non-ASCII digit, an
out-of-range date, an empty or garbage number, or random text, put in any parameter of any
request, never gets a 5xx, and every error has its standard's shape (OGC XML exception report,
problem JSON, OpenSearch 17-047 exceptions JSON). A repeated key is always a 400.

The default run tries ``EOSCOPE_FUZZ_EXAMPLES`` (300) cases, derandomised so a run is
repeatable; set it higher for a longer hunt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from urllib.parse import quote

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

EXAMPLES = int(os.environ.get("EOSCOPE_FUZZ_EXAMPLES", "300"))
LAYER = "CGS_S2_NDVI"
NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"
DATE = "{date}"  # replaced by the layer's latest date


@dataclass(frozen=True)
class Endpoint:
    path: str
    params: dict[str, str]
    shape: str                 # "xml", "problem" or "opensearch"
    repeatable: tuple[str, ...] = ()


ENDPOINTS = {
    "wms_getmap": Endpoint("/ows", {
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
        "STYLES": "", "CRS": "EPSG:3857", "BBOX": "405000,6630000,410000,6637000",
        "WIDTH": "32", "HEIGHT": "32", "FORMAT": "image/png", "TIME": DATE,
        "EXCEPTIONS": "XML", "BGCOLOR": "0xFFFFFF", "TRANSPARENT": "TRUE"}, "xml"),
    "wms_getfeatureinfo": Endpoint("/ows", {
        "SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetFeatureInfo", "LAYERS": LAYER,
        "QUERY_LAYERS": LAYER, "STYLES": "", "SRS": "EPSG:4326",
        "BBOX": "3.64,51.07,3.67,51.09", "WIDTH": "32", "HEIGHT": "32", "X": "10", "Y": "10",
        "INFO_FORMAT": "text/plain", "FEATURE_COUNT": "1"}, "xml"),
    "wms_legend": Endpoint("/ows", {
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic", "LAYER": LAYER,
        "FORMAT": "image/png", "SLD_VERSION": "1.1.0", "WIDTH": "20", "HEIGHT": "20"}, "xml"),
    "wms_capabilities": Endpoint("/wms", {
        "SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0",
        "UPDATESEQUENCE": "0", "LANGUAGE": "nl"}, "xml"),
    "wcs20_getcoverage": Endpoint("/ows", {
        "SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage", "COVERAGEID": LAYER,
        "FORMAT": "image/tiff", "SUBSET": "x(545000,545500)", "SCALEFACTOR": "1",
        "SCALESIZE": "x(10),y(10)", "SCALEAXES": "x(1),y(1)", "SCALEEXTENT": "x(0:9),y(0:9)",
        "SUBSETTINGCRS": "http://www.opengis.net/def/crs/EPSG/0/32631",
        "OUTPUTCRS": "http://www.opengis.net/def/crs/EPSG/0/32631"}, "xml", ("SUBSET",)),
    "wcs20_describe": Endpoint("/wcs", {
        "SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "DescribeCoverage",
        "COVERAGEID": LAYER}, "xml"),
    "wcs10_getcoverage": Endpoint("/ows", {
        "SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "GetCoverage", "COVERAGE": LAYER,
        "CRS": "EPSG:32631", "BBOX": "545000,5658000,545500,5658500", "WIDTH": "20",
        "HEIGHT": "20", "RESX": "25", "RESY": "25", "FORMAT": "GEOTIFF_FLOAT32",
        "TIME": DATE}, "xml"),
    "wmts_gettile": Endpoint("/wmts", {
        "SERVICE": "WMTS", "VERSION": "1.0.0", "REQUEST": "GetTile", "LAYER": LAYER,
        "STYLE": "default", "FORMAT": "image/png", "TILEMATRIXSET": "GoogleMapsCompatible",
        "TILEMATRIX": "10", "TILEROW": "340", "TILECOL": "522", "TIME": DATE}, "xml"),
    "wmts_capabilities": Endpoint("/wmts", {
        "SERVICE": "WMTS", "REQUEST": "GetCapabilities", "ACCEPTVERSIONS": "1.0.0",
        "SECTIONS": "Contents"}, "xml"),
    "csw_getrecords": Endpoint("/csw", {
        "service": "CSW", "version": "2.0.2", "request": "GetRecords",
        "typenames": "csw:Record", "elementsetname": "brief", "resulttype": "results",
        "maxrecords": "5", "startposition": "1", "constraintlanguage": "CQL_TEXT",
        "constraint": "dc:title like '%NDVI%'"}, "xml"),
    "csw_getrecordbyid": Endpoint("/csw", {
        "service": "CSW", "version": "3.0.0", "request": "GetRecordById", "id": NDVI,
        "outputschema": "http://www.opengis.net/cat/csw/3.0"}, "xml"),
    "opensearch_products": Endpoint("/catalogue/products", {
        "collection": NDVI, "start": "2018-01-01", "end": "2018-12-31T23:59:59Z",
        "bbox": "3,50,5,52", "cloudCover": "[0,80]", "count": "5", "startIndex": "1",
        "sortKeys": "start,,0", "clientId": "fuzz", "tileId": "31UES"}, "opensearch"),
    "opensearch_collections": Endpoint("/catalogue/collections", {
        "platform": "Sentinel-2", "start": "2018-01-01", "lat": "51", "lon": "4",
        "radius": "1000", "count": "5"}, "opensearch"),
    "mep_products": Endpoint("/catalogue/mep/v2/CGS_S2_NDVI", {
        "startDate": "20180101", "endDate": "20181231", "minLon": "3", "maxLon": "5",
        "minLat": "50", "maxLat": "52", "format": "GEOTIFF"}, "problem"),
    "timeseries_point": Endpoint("/timeseries/v1.0/ts/S2_NDVI/point", {
        "lon": "3.657", "lat": "51.08", "startDate": "2018-01-01", "endDate": "2018-12-31",
        "format": "json", "provenance": "true"}, "problem"),
}

NON_ASCII_DIGITS = ["²", "٣", "１", "७", "¹²", "1²", "٢٠١٨-٠١-٠١", "𝟗"]
DATES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-01-01", "0000",
         "00000101", "99999-01-01", "2018-02-30", "2018-13-01T00:00:00Z", "-2018-01-01",
         "2018-01-01T25:00:00Z", "2018-01-01/0001-01-01T00:00:00+01:00"]
NUMBERS = ["", " ", "\t", "-", "+", ".", "1e309", "-1e309", "nan", "inf", "-0", "1_0",
           "0x10", "99999999999999999999", "-99999999999", "1e-320", "1,", ",", "١.٥",
           "0" * 400, "1" * 40]
GARBAGE = ["\x00", "%", "<a>&amp;", "x" * 3000, "🛰", "'; DROP TABLE products; --",
           "../../etc/passwd", "http://127.0.0.1:9/", "x(", "a(1,2,3)", "[", "]a,b["]


@st.composite
def cases(draw) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(endpoint name, parameter, class of mutation, the query)."""
    name = draw(st.sampled_from(sorted(ENDPOINTS)))
    endpoint = ENDPOINTS[name]
    key = draw(st.sampled_from(sorted(endpoint.params)))
    kind = draw(st.sampled_from(["repeat", "digit", "date", "number", "garbage", "text"]))
    if kind == "digit":
        value = draw(st.sampled_from(NON_ASCII_DIGITS))
    elif kind == "date":
        value = draw(st.sampled_from(DATES))
    elif kind == "number":
        value = draw(st.sampled_from(NUMBERS))
    elif kind == "garbage":
        value = draw(st.sampled_from(GARBAGE))
    else:
        value = draw(st.text(max_size=30))
    pairs = [(k, v) for k, v in endpoint.params.items() if kind == "repeat" or k != key]
    if kind == "repeat":
        pairs.append((key.lower() if draw(st.booleans()) else key, value))
    else:
        pairs.append((key, value))
    return name, key, kind, pairs


def assert_shaped(name: str, response: requests.Response, where: str) -> None:
    """An error in the endpoint's standard's shape, with no traceback or path in it."""
    assert b"Traceback" not in response.content, where
    shape = ENDPOINTS[name].shape
    media = response.headers.get("Content-Type", "")
    if shape == "xml":
        assert "xml" in media, f"{where}: {media}"
        root = etree.fromstring(response.content)
        assert etree.QName(root).localname in ("ExceptionReport", "ServiceExceptionReport"), \
            where
    elif shape == "opensearch":
        document = json.loads(response.content)
        entry = document["exceptions"][0]
        assert entry["exceptionCode"] and entry["exceptionText"], where
    else:
        assert media == "application/problem+json", f"{where}: {media}"
        document = json.loads(response.content)
        assert document["status"] == response.status_code and document["detail"], where


def is_exception_report(response: requests.Response) -> bool:
    """CSW 2.0.2 answers client errors with 200 and a report (pycsw's rule)."""
    head = response.content[:400]
    return b"ExceptionReport" in head


def test_no_parameter_value_gets_a_5xx(gateway):
    url, date = gateway.url, gateway.index.layer_dates(LAYER)[-1]
    session = requests.Session()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=cases())
    def check(case: tuple[str, str, str, list[tuple[str, str]]]) -> None:
        name, key, kind, pairs = case
        query = [(k, v.replace(DATE, date)) for k, v in pairs]
        response = session.get(f"{url}{ENDPOINTS[name].path}", params=query, timeout=60)
        where = f"{name}: {kind} {key}={query[-1][1][:40]!r} → {response.status_code}"
        assert response.status_code < 500, where
        report = name.startswith("csw") and is_exception_report(response)
        if kind == "repeat" and key.upper() not in ENDPOINTS[name].repeatable:
            assert response.status_code == 400 or report, where
        if response.status_code >= 400 or report:
            assert_shaped(name, response, where)

    check()


# -- path segments are parameters too ------------------------------------------------------

PATHS = {
    "wmts_rest": ("/wmts/{layer}/{style}/{set}/{time}/{matrix}/{row}/{col}.png", "xml", {
        "layer": LAYER, "style": "default", "set": "GoogleMapsCompatible", "time": DATE,
        "matrix": "10", "row": "340", "col": "522"}),
    "xyz": ("/tiles/{layer}/{time}/{z}/{x}/{y}.png", "xml", {
        "layer": LAYER, "time": DATE, "z": "10", "x": "522", "y": "340"}),
    "tms": ("/tiles/tms/{layer}/{time}/{z}/{x}/{y}.png", "xml", {
        "layer": LAYER, "time": DATE, "z": "10", "x": "522", "y": "683"}),
    "timeseries_layer": ("/timeseries/v1.0/ts/{layer}", "problem", {"layer": "S2_NDVI"}),
    "mep_times": ("/catalogue/mep/v2/{type}/times", "problem", {"type": "CGS_S2_NDVI"}),
    "opensearch_resource": ("/catalogue/{resource}", "opensearch", {"resource": "products"}),
}


@st.composite
def path_cases(draw) -> tuple[str, str, str]:
    """(endpoint name, segment, the path)."""
    name = draw(st.sampled_from(sorted(PATHS)))
    template, _, segments = PATHS[name]
    key = draw(st.sampled_from(sorted(segments)))
    value = draw(st.one_of(st.sampled_from(NON_ASCII_DIGITS + DATES + NUMBERS + GARBAGE),
                           st.text(max_size=20)))
    value = quote(value, safe="")
    return name, key, template.format(**{**segments, key: value or "%20"})


def test_no_path_segment_gets_a_5xx(gateway):
    url, date = gateway.url, gateway.index.layer_dates(LAYER)[-1]
    session = requests.Session()

    @settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, derandomize=True,
              database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=path_cases())
    def check(case: tuple[str, str, str]) -> None:
        name, key, path = case
        response = session.get(url + path.replace(DATE, date), timeout=60,
                               allow_redirects=False)
        where = f"{name}: {key} in {path[:80]} → {response.status_code}"
        assert response.status_code < 500, where
        assert b"Traceback" not in response.content, where
        if response.status_code >= 400:
            assert_path_shaped(response, where)

    check()


def assert_path_shaped(response: requests.Response, where: str) -> None:
    """An OWS exception report (tiles) or a JSON error (problem or 17-047; also what the
    gateway answers for a path no route matches)."""
    media = response.headers.get("Content-Type", "")
    if "xml" in media:
        root = etree.fromstring(response.content)
        assert etree.QName(root).localname == "ExceptionReport", where
    else:
        assert "json" in media, f"{where}: {media}"
        document = json.loads(response.content)
        assert "exceptions" in document or document.get("status") == response.status_code, \
            where


# -- request bodies -------------------------------------------------------------------------

NUMBERS_JSON = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                         st.sampled_from([3.657, 51.08, 1e308, -1e308, 0]))
GEOJSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS_JSON, st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.fixed_dictionaries({"type": st.sampled_from(
            ["Point", "Polygon", "MultiPolygon", "GeometryCollection", "Feature",
             "FeatureCollection", "LineString", "Bogus"])},
            optional={"coordinates": children, "geometries": children, "geometry": children,
                      "features": children, "properties": children})),
    max_leaves=25)
POSTS = ("geometry", "geometries", "geometries/histogram")


def test_no_time_series_body_gets_a_5xx(gateway):
    url = f"{gateway.url}/timeseries/v1.0/ts/S2_NDVI"
    session = requests.Session()

    @settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, derandomize=True,
              database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(operation=st.sampled_from(POSTS), body=GEOJSON)
    def check(operation: str, body: object) -> None:
        response = session.post(f"{url}/{operation}", data=json.dumps(body), timeout=60,
                                params={"startDate": "2018-01-01", "endDate": "2018-12-31"},
                                headers={"Content-Type": "application/json"})
        where = f"{operation}: {json.dumps(body)[:80]} → {response.status_code}"
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert response.headers["Content-Type"] == "application/problem+json", where

    check()
