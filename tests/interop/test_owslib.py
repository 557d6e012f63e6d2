"""OWSLib 0.35 (WMS 1.1.1/1.3.0, WCS 1.0.0/2.0.1) against the real gateway over HTTP."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from lxml import etree
from owslib.util import ServiceException
from owslib.wcs import WebCoverageService
from owslib.wms import WebMapService

from tests.helpers import read_image

pytestmark = pytest.mark.interop

LAYER = "CGS_S2_NDVI"
WMS_LAYERS = {"CGS_S2_NDVI", "CGS_S2_FAPAR", "CGS_S2_LAI", "CGS_S2_FCOVER", "CGS_S2_RADIOMETRY",
              "CGS_S2_NIR"}
WCS_LAYERS = {"CGS_S2_NDVI", "CGS_S2_FAPAR", "CGS_S2_LAI", "CGS_S2_FCOVER",
              "CGS_S2_REFLECTANCE"}
WMS_VERSIONS = ["1.3.0", "1.1.1"]


@pytest.fixture(scope="module", params=WMS_VERSIONS)
def wms(request, gateway) -> WebMapService:
    return WebMapService(f"{gateway.url}/wms", version=request.param, timeout=60)


@pytest.fixture(scope="module")
def wcs20(gateway) -> WebCoverageService:
    return WebCoverageService(f"{gateway.url}/wcs", version="2.0.1", timeout=60)


@pytest.fixture(scope="module")
def wcs10(gateway) -> WebCoverageService:
    return WebCoverageService(f"{gateway.url}/wcs", version="1.0.0", timeout=60)


def png_of(wms: WebMapService, grid, date: str | None, layer: str = LAYER) -> np.ndarray:
    response = wms.getmap(layers=[layer], styles=[""], srs=grid.crs, bbox=grid.bounds,
                          size=(128, 128), format="image/png", transparent=True, time=date)
    assert response.info()["Content-Type"] == "image/png"
    return read_image(response.read())


def test_wms_contents_and_time_positions(wms, gateway, grid):
    assert WMS_LAYERS <= set(wms.contents)
    assert "CGS_S2_REFLECTANCE" not in wms.contents, "a WCS-only layer"
    for name in WMS_LAYERS:
        layer = wms[name]
        dates = gateway.index.layer_dates(name)
        assert layer.timepositions == dates, name
        assert layer.defaulttimeposition == dates[-1], name
        assert grid.crs in layer.crsOptions, name


def test_wms_getmap_with_time_selects_the_date(wms, grid, two_dates):
    first, second = (png_of(wms, grid, date) for date in two_dates)
    for image in (first, second):
        assert image.shape == (4, 128, 128)
        opaque = image[3] > 0
        assert opaque.mean() > 0.3, "a mostly cloud-free date is mostly opaque"
        assert len(np.unique(image[:3, opaque], axis=1).T) > 20, "a landscape, not a flat colour"
    assert not np.array_equal(first, second)
    assert np.array_equal(png_of(wms, grid, two_dates[0]), first), "a TIME must not stick"


def test_wms_getmap_without_time_is_the_latest_date(wms, grid, gateway):
    latest = gateway.index.layer_dates(LAYER)[-1]
    assert np.array_equal(png_of(wms, grid, None), png_of(wms, grid, latest))


def test_wms_unknown_layer_raises_service_exception(wms, grid):
    with pytest.raises(ServiceException) as raised:
        png_of(wms, grid, None, layer="CGS_S2_NOPE")
    assert "LayerNotDefined" in str(raised.value)


def test_wcs20_contents_and_describe_coverage(wcs20, grid):
    assert WCS_LAYERS <= set(wcs20.contents)
    assert not {"CGS_S2_RADIOMETRY", "CGS_S2_NIR"} & set(wcs20.contents), "WMS-only layers"
    coverage = wcs20[LAYER]
    assert coverage.boundingboxes[0]["bbox"] == pytest.approx(grid.bounds)
    assert coverage.boundingboxes[0]["nativeSrs"].endswith(grid.crs.split(":")[1])
    described = coverage.grid  # DescribeCoverage, parsed by OWSLib
    assert described.axislabels == ["x", "y"]
    assert [int(v) for v in described.highlimits] == [grid.width - 1, grid.height - 1]
    half = grid.resolution / 2
    assert [float(v) for v in described.origin] == pytest.approx(
        [grid.left + half, grid.top - half]), "a GML grid origin is the first pixel's centre"
    assert [[float(v) for v in vector] for vector in described.offsetvectors] == [
        [grid.resolution, 0], [0, -grid.resolution]]
    assert "image/tiff" in coverage.supportedFormats


def wcs20_window(wcs20, grid, date: str | None) -> bytes:
    minx, miny, maxx, maxy = grid.window(col=50, row=60, width=50, height=40)
    subsets = [("x", minx, maxx), ("y", miny, maxy)]
    if date:
        subsets.append(("time", date))  # OWSLib writes it as SUBSET=time("YYYY-MM-DD")
    response = wcs20.getCoverage(identifier=LAYER, format="image/tiff", subsets=subsets)
    assert response.info()["Content-Type"] == "image/tiff"
    return response.read()


def test_wcs20_getcoverage_time_subset_returns_the_source_values(wcs20, grid, two_dates,
                                                                 against_source):
    compared = []
    for date in two_dates:
        comparison = against_source(wcs20_window(wcs20, grid, date), date, step=3)
        assert comparison.crs == grid.crs
        assert comparison.shape == (40, 50)
        comparison.assert_exact()
        compared.append(comparison.values)
    assert not np.array_equal(*compared, equal_nan=True), "the time subset selects the date"


def test_wcs20_getcoverage_without_time_is_the_latest_date(wcs20, grid, gateway,
                                                            against_source):
    latest = gateway.index.layer_dates(LAYER)[-1]
    against_source(wcs20_window(wcs20, grid, None), latest, step=3).assert_exact()


def test_wcs20_unknown_coverage_is_404_no_such_coverage(wcs20):
    with pytest.raises(requests.HTTPError) as raised:
        wcs20.getCoverage(identifier="CGS_S2_NOPE", format="image/tiff")
    response = raised.value.response
    assert response.status_code == 404
    code = etree.fromstring(response.content).find(".//{*}Exception").get("exceptionCode")
    assert code == "NoSuchCoverage"


def test_wcs10_time_positions_and_getcoverage_with_time(wcs10, gateway, grid, two_dates,
                                                        against_source):
    assert WCS_LAYERS <= set(wcs10.contents)
    coverage = wcs10[LAYER]
    assert coverage.timepositions == gateway.index.layer_dates(LAYER)
    assert "GEOTIFF_FLOAT32" in coverage.supportedFormats
    for date in two_dates:
        response = wcs10.getCoverage(
            identifier=LAYER, time=[date], bbox=grid.window(col=120, row=30, width=40, height=60),
            crs=grid.crs, resx=grid.resolution, resy=grid.resolution, format="GEOTIFF_FLOAT32")
        assert response.info()["Content-Type"] == "image/tiff"
        comparison = against_source(response.read(), date, step=3)
        assert comparison.shape == (60, 40)
        comparison.assert_exact()
