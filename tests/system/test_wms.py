"""WMS 1.1.1 and 1.3.0 through the gateway over HTTP (checks after the OGC CITE suites)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import requests
from lxml import etree
from pyproj import Transformer

from tests.helpers import WMS_130, WMS_130_EXCEPTIONS, assert_valid, read_image, source_value

NS = {"wms": "http://www.opengis.net/wms", "ogc": "http://www.opengis.net/ogc"}
LAYER = "CGS_S2_NDVI"


def wms(gateway, **params) -> requests.Response:
    query = {"SERVICE": "WMS", "VERSION": "1.3.0", **params}
    return requests.get(f"{gateway.url}/wms", params=query, timeout=60)


def layer_box(gateway, layer=LAYER, crs="EPSG:3857"):
    """The layer's extent, shrunk a little, in ``crs`` (x/y order)."""
    west, south, east, north = gateway.index.extent(gateway.registry.layer(layer)[0].id)
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = to.transform(west + dx, south + dy)
    x1, y1 = to.transform(east - dx, north - dy)
    return x0, y0, x1, y1


def getmap(gateway, layer=LAYER, time=None, size=(128, 128), fmt="image/png", **extra):
    params = {"REQUEST": "GetMap", "LAYERS": layer, "STYLES": "", "CRS": "EPSG:3857",
              "BBOX": ",".join(map(str, layer_box(gateway, layer))), "WIDTH": size[0],
              "HEIGHT": size[1], "FORMAT": fmt, "TRANSPARENT": "TRUE", **extra}
    if time:
        params["TIME"] = time
    return wms(gateway, **params)


def exception_code(response: requests.Response) -> str:
    tree = etree.fromstring(response.content)
    return tree.find(".//{*}ServiceException").get("code")


def test_capabilities_13_valid_against_official_schema(gateway):
    response = wms(gateway, REQUEST="GetCapabilities")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "text/xml"
    tree = assert_valid(response.content, WMS_130)
    names = tree.xpath("//wms:Layer/wms:Name/text()", namespaces=NS)
    assert {"CGS_S2_RADIOMETRY", "CGS_S2_NIR", "CGS_S2_NDVI", "CGS_S2_FAPAR", "CGS_S2_LAI",
            "CGS_S2_FCOVER"} <= set(names)
    assert "CGS_S2_REFLECTANCE" not in names  # a WCS-only layer


def test_capabilities_time_dimension_lists_every_date_default_latest(gateway):
    tree = etree.fromstring(wms(gateway, REQUEST="GetCapabilities").content)
    dimension = tree.xpath(f"//wms:Layer[wms:Name='{LAYER}']/wms:Dimension[@name='time']",
                           namespaces=NS)[0]
    dates = gateway.index.layer_dates(LAYER)
    assert dimension.text.split(",") == dates
    assert dimension.get("default") == dates[-1]
    assert dimension.get("units") == "ISO8601"


def test_capabilities_advertise_limits_crs_and_url_prefix(gateway):
    tree = etree.fromstring(wms(gateway, REQUEST="GetCapabilities").content)
    side = gateway.settings.limits.max_map_side
    assert tree.findtext("wms:Service/wms:MaxWidth", namespaces=NS) == str(side)
    assert tree.findtext("wms:Service/wms:MaxHeight", namespaces=NS) == str(side)
    crs = set(tree.xpath(f"//wms:Layer[wms:Name='{LAYER}']/wms:CRS/text()", namespaces=NS))
    assert {"EPSG:3857", "EPSG:4326", "CRS:84", "EPSG:32631", "EPSG:31370", "EPSG:3035"} <= crs
    for href in tree.xpath("//wms:DCPType//wms:OnlineResource/@xlink:href",
                           namespaces={**NS, "xlink": "http://www.w3.org/1999/xlink"}):
        assert href.startswith(gateway.url) and href.endswith("?")


def test_capabilities_4326_bbox_is_lat_lon(gateway):
    tree = etree.fromstring(wms(gateway, REQUEST="GetCapabilities").content)
    layer = tree.xpath(f"//wms:Layer[wms:Name='{LAYER}']", namespaces=NS)[0]
    geo = layer.find("wms:EX_GeographicBoundingBox", NS)
    box = layer.xpath("wms:BoundingBox[@CRS='EPSG:4326']", namespaces=NS)[0]
    assert float(box.get("minx")) == float(geo.findtext("wms:southBoundLatitude", namespaces=NS))
    assert float(box.get("miny")) == float(geo.findtext("wms:westBoundLongitude", namespaces=NS))


def test_capabilities_111_content_type(gateway):
    response = wms(gateway, REQUEST="GetCapabilities", VERSION="1.1.1")
    assert response.headers["Content-Type"].split(";")[0] == "application/vnd.ogc.wms_xml"
    assert b"<WMT_MS_Capabilities" in response.content


def test_mixed_case_names_and_bogus_parameters(gateway):
    response = requests.get(f"{gateway.url}/ows", params={
        "sErViCe": "WMS", "ReQuEsT": "GetCapabilities", "VeRsIoN": "1.3.0", "BoGuS": "x"},
        timeout=30)
    assert response.status_code == 200 and b"WMS_Capabilities" in response.content


@pytest.mark.parametrize("layer", ["CGS_S2_NDVI", "CGS_S2_FAPAR", "CGS_S2_LAI", "CGS_S2_FCOVER",
                                   "CGS_S2_RADIOMETRY", "CGS_S2_NIR"])
def test_getmap_png_renders_every_layer(gateway, layer):
    response = getmap(gateway, layer=layer)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    image = read_image(response.content)
    assert image.shape == (4, 128, 128)
    opaque = image[3] > 0
    assert opaque.mean() > 0.5, "most of the layer extent has data"
    assert len(np.unique(image[:3, opaque], axis=1).T) > 20, "a landscape, not a flat colour"


def test_getmap_jpeg(gateway):
    response = getmap(gateway, fmt="image/jpeg")
    assert response.headers["Content-Type"] == "image/jpeg"
    assert read_image(response.content).shape == (3, 128, 128)


def test_getmap_exact_small_and_large_sizes(gateway):
    for size in ((8, 5), (1024, 768)):
        assert read_image(getmap(gateway, size=size).content).shape[1:] == (size[1], size[0])


def test_time_selects_the_date(gateway):
    dates = gateway.index.layer_dates(LAYER)
    first = read_image(getmap(gateway, time=dates[0]).content)
    second = read_image(getmap(gateway, time=dates[1]).content)
    assert not np.array_equal(first, second)
    again = read_image(getmap(gateway, time=dates[0]).content)
    assert np.array_equal(first, again), "a TIME filter must not stick to later requests"


def test_default_time_is_latest_and_announced(gateway):
    dates = gateway.index.layer_dates(LAYER)
    response = getmap(gateway)
    assert response.headers["Warning"] == f"99 Default value used: time={dates[-1]} ISO8601"
    assert np.array_equal(read_image(response.content),
                          read_image(getmap(gateway, time=dates[-1]).content))


def test_datetime_and_interval_time_values(gateway):
    dates = gateway.index.layer_dates(LAYER)
    by_date = read_image(getmap(gateway, time=dates[1]).content)
    by_datetime = read_image(getmap(gateway, time=f"{dates[1]}T10:50:00Z").content)
    assert np.array_equal(by_date, by_datetime)
    assert getmap(gateway, time=f"{dates[0]}/{dates[-1]}").status_code == 200


@pytest.mark.parametrize("time", ["2001-01-01", "garbage", "2018-13-45/2018-01-01"])
def test_time_outside_extent_is_invalid_dimension_value(gateway, time):
    response = getmap(gateway, time=time)
    assert response.status_code == 400
    assert exception_code(response) == "InvalidDimensionValue"
    assert_valid(response.content, WMS_130_EXCEPTIONS)


def test_getfeatureinfo_gives_the_physical_value_of_the_source_file(gateway):
    dates = gateway.index.layer_dates(LAYER)
    x0, y0, x1, y1 = layer_box(gateway)
    width = height = 101
    i, j = 37, 61
    x = x0 + (i + 0.5) * (x1 - x0) / width
    y = y1 - (j + 0.5) * (y1 - y0) / height
    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(x, y)
    checked = set()
    for date in dates:
        expected = source_value(gateway.registry, gateway.index, LAYER, date, lon, lat)
        response = wms(gateway, REQUEST="GetFeatureInfo", LAYERS=LAYER, QUERY_LAYERS=LAYER,
                       STYLES="", CRS="EPSG:3857", BBOX=f"{x0},{y0},{x1},{y1}", WIDTH=width,
                       HEIGHT=height, I=i, J=j, INFO_FORMAT="text/plain", TIME=date)
        assert response.status_code == 200
        values = [float(s.split("=")[1].strip().strip("'"))
                  for s in response.text.splitlines() if "value_0" in s]
        if math.isnan(expected):
            assert values == [], "a nodata (cloudy) pixel gives no feature"
        else:
            assert values == [pytest.approx(expected, abs=1e-6)]
        checked.add(math.isnan(expected))
    assert False in checked, "at least one date with a valid pixel was compared"


def test_getfeatureinfo_gml(gateway):
    x0, y0, x1, y1 = layer_box(gateway)
    response = wms(gateway, REQUEST="GetFeatureInfo", LAYERS=LAYER, QUERY_LAYERS=LAYER,
                   STYLES="", CRS="EPSG:3857", BBOX=f"{x0},{y0},{x1},{y1}", WIDTH=50,
                   HEIGHT=50, I=25, J=25, INFO_FORMAT="application/vnd.ogc.gml")
    assert response.status_code == 200
    etree.fromstring(response.content)


def test_legend_graphic(gateway):
    response = wms(gateway, REQUEST="GetLegendGraphic", LAYER=LAYER, FORMAT="image/png",
                   SLD_VERSION="1.1.0", STYLE="ndvi")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    legend = read_image(response.content)
    assert legend.shape[1] > 100, "one entry per colour ramp interval"


@pytest.mark.parametrize(("params", "code"), [
    ({"LAYERS": "NonExistant"}, "LayerNotDefined"),
    ({"LAYERS": f"{LAYER},NonExistant"}, "LayerNotDefined"),
    ({"STYLES": "nostyle"}, "StyleNotDefined"),
    ({"CRS": "UndefinedCRS"}, "InvalidCRS"),
    ({"FORMAT": "image/unknown"}, "InvalidFormat"),
])
def test_getmap_errors_have_the_standard_codes(gateway, params, code):
    response = getmap(gateway, **params)
    assert response.status_code == 400
    assert response.headers["Content-Type"].split(";")[0] == "text/xml"
    assert exception_code(response) == code
    assert_valid(response.content, WMS_130_EXCEPTIONS)


def test_inverted_bbox_is_an_exception(gateway):
    x0, y0, x1, y1 = layer_box(gateway)
    response = getmap(gateway, BBOX=f"{x1},{y0},{x0},{y1}")
    assert response.status_code == 400
    assert b"ServiceException" in response.content


def test_111_srs_error_code_and_content_type(gateway):
    response = wms(gateway, VERSION="1.1.1", REQUEST="GetMap", LAYERS=LAYER, STYLES="",
                   SRS="UndefinedSRS", BBOX="0,0,1,1", WIDTH=10, HEIGHT=10, FORMAT="image/png")
    assert response.headers["Content-Type"].split(";")[0] == "application/vnd.ogc.se_xml"
    assert exception_code(response) == "InvalidSRS"


def test_oversize_request_is_refused_before_rendering(gateway):
    side = gateway.settings.limits.max_map_side
    response = getmap(gateway, size=(side + 1, 10))
    assert response.status_code == 413
    assert exception_code(response) == "InvalidParameterValue"
    response = getmap(gateway, size=(0, 10))
    assert response.status_code == 400


def test_exceptions_blank_and_inimage(gateway):
    blank = getmap(gateway, LAYERS="NonExistant", EXCEPTIONS="BLANK", BGCOLOR="0xFF0000",
                   TRANSPARENT="FALSE", size=(100, 100))
    assert blank.headers["Content-Type"] == "image/png"
    pixels = read_image(blank.content)
    assert (pixels[0] == 255).all() and (pixels[1] == 0).all()
    inimage = getmap(gateway, LAYERS="NonExistant", EXCEPTIONS="INIMAGE")
    assert inimage.headers["Content-Type"] == "image/png"


def test_clients_cannot_choose_the_mapfile(gateway, tmp_path):
    response = getmap(gateway, map="/etc/passwd", MAPFILE="/etc/passwd",
                      **{"map.layer[0]": "STATUS OFF"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(("language", "title"), [("fr", "NDVI Sentinel-2"),
                                                 ("nl", "Sentinel-2 NDVI"),
                                                 ("xx", "Sentinel-2 NDVI")])
def test_capabilities_in_the_requested_language(gateway, language, title):
    tree = etree.fromstring(wms(gateway, REQUEST="GetCapabilities", LANGUAGE=language).content)
    layer = tree.xpath(f"//wms:Layer[wms:Name='{LAYER}']", namespaces=NS)[0]
    assert layer.findtext("wms:Title", namespaces=NS) == title
    abstract = layer.findtext("wms:Abstract", namespaces=NS)
    expected = gateway.registry.layer(LAYER)[1].abstract
    assert abstract == expected.get(language)


def test_unknown_service_and_missing_version_are_exceptions_not_errors(gateway):
    unknown = requests.get(f"{gateway.url}/ows", params={"SERVICE": "FOO",
                                                         "REQUEST": "GetCapabilities"}, timeout=30)
    assert unknown.status_code == 400
    assert exception_code(unknown) == "InvalidParameterValue"
    bare = requests.get(f"{gateway.url}/ows", timeout=30)
    assert bare.status_code == 400 and b"ServiceException" in bare.content
