"""WCS 2.0.1 and 1.0.0 through the gateway over HTTP (checks after the OGC CITE WCS suite)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import requests
from lxml import etree
from pyproj import Transformer

from tests.helpers import OWS_20_EXCEPTIONS, WCS_20, assert_valid, read_image, source_value

NS = {"wcs": "http://www.opengis.net/wcs/2.0", "ows": "http://www.opengis.net/ows/2.0",
      "gml": "http://www.opengis.net/gml/3.2"}
COVERAGE = "CGS_S2_NDVI"


def wcs(gateway, *pairs: tuple[str, str], **params) -> requests.Response:
    query = [("SERVICE", "WCS"), ("VERSION", "2.0.1"), *params.items(), *pairs]
    return requests.get(f"{gateway.url}/wcs", params=query, timeout=60)


def native_window(gateway, size_px: int = 40):
    """A window of ``size_px`` pixels on the native 10 m grid, inside the coverage."""
    west, south, east, north = gateway.index.extent(gateway.registry.layer(COVERAGE)[0].id)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    x, y = to_utm.transform((west + east) / 2, (south + north) / 2)
    x0, y0 = math.floor(x / 10) * 10, math.floor(y / 10) * 10
    return x0, y0, x0 + size_px * 10, y0 + size_px * 10


def getcoverage(gateway, *extra, coverage=COVERAGE, time=None, window=None):
    x0, y0, x1, y1 = window or native_window(gateway)
    pairs = [("SUBSET", f"x({x0},{x1})"), ("SUBSET", f"y({y0},{y1})"), *extra]
    if time:
        pairs.append(("SUBSET", f'time("{time}")'))
    return wcs(gateway, *pairs, REQUEST="GetCoverage", COVERAGEID=coverage, FORMAT="image/tiff")


def exception_code(response: requests.Response) -> str:
    return etree.fromstring(response.content).find(".//{*}Exception").get("exceptionCode")


def test_capabilities_valid_and_list_the_coverages(gateway):
    response = wcs(gateway, REQUEST="GetCapabilities")
    assert response.status_code == 200
    tree = assert_valid(response.content, WCS_20)
    ids = set(tree.xpath("//wcs:CoverageSummary/wcs:CoverageId/text()", namespaces=NS))
    assert ids == {name for name, (_c, layer) in gateway.registry.layers.items()
                   if "wcs" in layer.services}
    profiles = tree.xpath("//ows:Profile/text()", namespaces=NS)
    assert any("get-kvp" in p for p in profiles)


def test_describe_coverage_native_grid_and_bands(gateway):
    response = wcs(gateway, REQUEST="DescribeCoverage", COVERAGEID=f"{COVERAGE},CGS_S2_REFLECTANCE")
    tree = assert_valid(response.content, WCS_20)
    descriptions = tree.findall("wcs:CoverageDescription", NS)
    assert len(descriptions) == 2
    envelope = descriptions[0].find("gml:boundedBy/gml:Envelope", NS)
    assert envelope.get("srsName").endswith("/EPSG/0/32631")
    fields = descriptions[1].xpath(".//*[local-name()='field']/@name")
    assert fields == ["B02", "B03", "B04", "B08"]


def test_getcoverage_values_are_the_source_values(gateway):
    dates = gateway.index.layer_dates(COVERAGE)
    x0, y0, x1, y1 = window = native_window(gateway)
    to_lonlat = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    compared = 0
    for date in dates:
        response = getcoverage(gateway, time=date, window=window)
        assert response.status_code == 200, response.text[:500]
        assert response.headers["Content-Type"] == "image/tiff"
        values = read_image(response.content)[0]
        assert values.shape == (40, 40) and values.dtype == np.float32
        for row, col in ((0, 0), (13, 27), (39, 39)):
            lon, lat = to_lonlat.transform(x0 + (col + 0.5) * 10, y1 - (row + 0.5) * 10)
            expected = source_value(gateway.registry, gateway.index, COVERAGE, date, lon, lat)
            if math.isnan(expected):
                assert math.isnan(values[row, col])
            else:
                assert values[row, col] == pytest.approx(expected, abs=1e-6)
                compared += 1
    assert compared > 0


def test_time_subset_selects_the_date_and_default_is_latest(gateway):
    dates = gateway.index.layer_dates(COVERAGE)
    first = read_image(getcoverage(gateway, time=dates[0]).content)
    latest = read_image(getcoverage(gateway, time=dates[-1]).content)
    default = read_image(getcoverage(gateway).content)
    assert not np.array_equal(first, latest, equal_nan=True)
    assert np.array_equal(default, latest, equal_nan=True)
    trimmed = getcoverage(gateway, ("SUBSET", f'time("{dates[0]}","{dates[1]}")'))
    assert np.array_equal(read_image(trimmed.content),
                          read_image(getcoverage(gateway, time=dates[1]).content), equal_nan=True)


def test_reflectance_coverage_has_four_bands_in_reflectance_units(gateway):
    response = getcoverage(gateway, coverage="CGS_S2_REFLECTANCE")
    values = read_image(response.content)
    assert values.shape == (4, 40, 40)
    valid = values[~np.isnan(values)]
    assert 0.0 <= valid.min() and valid.max() < 1.5


def test_scaling_and_output_crs(gateway):
    scaled = getcoverage(gateway, ("SCALESIZE", "x(20),y(10)"))
    assert read_image(scaled.content).shape == (1, 10, 20)
    reprojected = getcoverage(gateway, ("OUTPUTCRS", "http://www.opengis.net/def/crs/EPSG/0/4326"))
    assert reprojected.status_code == 200 and read_image(reprojected.content).size > 0


@pytest.mark.parametrize(("request_name", "key"), [("DescribeCoverage", "COVERAGEID"),
                                                  ("GetCoverage", "COVERAGEID")])
def test_unknown_coverage_is_404_no_such_coverage(gateway, request_name, key):
    response = wcs(gateway, REQUEST=request_name, **{key: "CoverageId_Bogus"})
    assert response.status_code == 404
    assert exception_code(response) == "NoSuchCoverage"
    assert_valid(response.content, OWS_20_EXCEPTIONS)


@pytest.mark.parametrize(("pairs", "code"), [
    ([("SUBSET", "dimension_bogus(1)")], "InvalidAxisLabel"),
    ([("SUBSET", "x(545000)"), ("SUBSET", "x(545000,545100)")], "InvalidAxisLabel"),
    ([("SUBSET", "x(546000,545000)")], "InvalidSubsetting"),
    ([("SUBSET", "x(100)")], "InvalidSubsetting"),
    ([("SUBSET", 'time("1999-01-01")')], "InvalidSubsetting"),
    ([("SUBSET", 'time("2018-07-02","2018-06-01")')], "InvalidSubsetting"),
])
def test_subset_errors_are_404_with_the_standard_codes(gateway, pairs, code):
    response = wcs(gateway, *pairs, REQUEST="GetCoverage", COVERAGEID=COVERAGE,
                   FORMAT="image/tiff")
    assert response.status_code == 404, response.text[:300]
    assert exception_code(response) == code
    assert_valid(response.content, OWS_20_EXCEPTIONS)


def test_oversize_coverage_is_refused_before_work(gateway):
    limit = gateway.settings.limits.max_coverage_side
    response = getcoverage(gateway, ("SCALESIZE", f"x({limit + 1}),y(10)"))
    assert response.status_code == 413
    assert exception_code(response) == "InvalidParameterValue"


def test_bad_format_is_an_exception(gateway):
    response = wcs(gateway, REQUEST="GetCoverage", COVERAGEID=COVERAGE, FORMAT="format_bogus")
    assert response.status_code == 400
    assert_valid(response.content, OWS_20_EXCEPTIONS)


def test_wcs_100_with_time(gateway):
    dates = gateway.index.layer_dates(COVERAGE)
    describe = requests.get(f"{gateway.url}/wcs", params={
        "SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "DescribeCoverage",
        "COVERAGE": COVERAGE}, timeout=30)
    assert describe.status_code == 200
    positions = etree.fromstring(describe.content).xpath("//*[local-name()='timePosition']/text()")
    assert sorted(set(positions)) == dates
    x0, y0, x1, y1 = native_window(gateway)
    arrays = []
    for date in (dates[0], dates[-1]):
        response = requests.get(f"{gateway.url}/wcs", params={
            "SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "GetCoverage",
            "COVERAGE": COVERAGE, "CRS": "EPSG:32631", "BBOX": f"{x0},{y0},{x1},{y1}",
            "RESX": 10, "RESY": 10, "FORMAT": "GEOTIFF_FLOAT32", "TIME": date}, timeout=60)
        assert response.status_code == 200, response.text[:300]
        arrays.append(read_image(response.content))
    assert arrays[0].shape == (1, 40, 40)
    assert not np.array_equal(arrays[0], arrays[1], equal_nan=True)
    version2 = read_image(getcoverage(gateway, time=dates[0]).content)
    assert np.array_equal(arrays[0], version2, equal_nan=True)


def test_wcs_100_unknown_time_is_invalid_dimension_value(gateway):
    response = requests.get(f"{gateway.url}/wcs", params={
        "SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "GetCoverage", "COVERAGE": COVERAGE,
        "CRS": "EPSG:32631", "BBOX": "545000,5658000,546000,5659000", "WIDTH": 10,
        "HEIGHT": 10, "FORMAT": "GEOTIFF_FLOAT32", "TIME": "1999-01-01"}, timeout=30)
    assert response.status_code == 400
    assert b"InvalidDimensionValue" in response.content


def test_malformed_post_body_is_invalid_encoding_syntax(gateway):
    response = requests.post(f"{gateway.url}/wcs", data=b"<GetCoverage", timeout=30,
                             headers={"Content-Type": "application/xml"})
    assert response.status_code == 400
    assert exception_code(response) == "InvalidEncodingSyntax"
    assert_valid(response.content, OWS_20_EXCEPTIONS)


def test_subsets_on_other_requests_are_ignored(gateway):
    response = wcs(gateway, ("SUBSET", 'time("2018-05-01")'), REQUEST="DescribeCoverage",
                   COVERAGEID=COVERAGE)
    assert response.status_code == 200
    assert_valid(response.content, WCS_20)


def xml_getcoverage(gateway, *parts: str, window=None) -> requests.Response:
    x0, y0, x1, y1 = window or native_window(gateway)
    body = (f'<wcs:GetCoverage xmlns:wcs="{NS["wcs"]}" '
            'xmlns:scal="http://www.opengis.net/wcs/scaling/1.0" service="WCS" version="2.0.1">'
            f"<wcs:CoverageId>{COVERAGE}</wcs:CoverageId>"
            f"<wcs:DimensionTrim><wcs:Dimension>x</wcs:Dimension><wcs:TrimLow>{x0}</wcs:TrimLow>"
            f"<wcs:TrimHigh>{x1}</wcs:TrimHigh></wcs:DimensionTrim>"
            f"<wcs:DimensionTrim><wcs:Dimension>y</wcs:Dimension><wcs:TrimLow>{y0}</wcs:TrimLow>"
            f"<wcs:TrimHigh>{y1}</wcs:TrimHigh></wcs:DimensionTrim>{''.join(parts)}"
            "<wcs:format>image/tiff</wcs:format></wcs:GetCoverage>")
    return requests.post(f"{gateway.url}/wcs", data=body.encode(), timeout=60,
                         headers={"Content-Type": "application/xml"})


def test_an_xml_getcoverage_takes_the_kvp_path_dates_and_limits(gateway):
    dates = gateway.index.layer_dates(COVERAGE)
    sliced = xml_getcoverage(gateway, "<wcs:DimensionSlice><wcs:Dimension>time</wcs:Dimension>"
                             f"<wcs:SlicePoint>{dates[0]}</wcs:SlicePoint></wcs:DimensionSlice>")
    assert sliced.status_code == 200, sliced.text[:300]
    assert np.array_equal(read_image(sliced.content),
                          read_image(getcoverage(gateway, time=dates[0]).content),
                          equal_nan=True)
    trimmed = xml_getcoverage(gateway, "<wcs:DimensionTrim><wcs:Dimension>time</wcs:Dimension>"
                              f"<wcs:TrimLow>{dates[0]}</wcs:TrimLow><wcs:TrimHigh>{dates[1]}"
                              "</wcs:TrimHigh></wcs:DimensionTrim>")
    assert np.array_equal(read_image(trimmed.content),  # the latest date inside the trim
                          read_image(getcoverage(gateway, time=dates[1]).content),
                          equal_nan=True)
    huge = xml_getcoverage(gateway, "<wcs:Extension><scal:ScaleByFactor><scal:scaleFactor>1000"
                           "</scal:scaleFactor></scal:ScaleByFactor></wcs:Extension>")
    assert huge.status_code == 413
    assert_valid(huge.content, OWS_20_EXCEPTIONS)
    other = xml_getcoverage(gateway, "<wcs:Extension><x:Interpolation xmlns:x='urn:x'/>"
                            "</wcs:Extension>")
    assert other.status_code == 501 and exception_code(other) == "OperationNotSupported"
    assert_valid(other.content, OWS_20_EXCEPTIONS)
