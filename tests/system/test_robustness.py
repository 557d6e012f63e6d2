"""Bad input never gets a 500 or a traceback: every parameter of every operation is replaced in
turn by hostile values, and each answer must be a client error or a valid response."""

from __future__ import annotations

import pytest
import requests

BAD_VALUES = ["", "-1", "0", "1e309", "nan", "x" * 3000, "\x00", "<a>&amp;", "1,2,3,4,5",
              "🛰", "2018-02-30", "EPSG:999999", "../../etc/passwd"]

REQUESTS = {
    "wms_getmap": {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap",
                   "LAYERS": "CGS_S2_NDVI", "STYLES": "", "CRS": "EPSG:3857",
                   "BBOX": "405000,6630000,410000,6637000", "WIDTH": "64", "HEIGHT": "64",
                   "FORMAT": "image/png", "TIME": "current"},
    "wms_getfeatureinfo": {"SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetFeatureInfo",
                           "LAYERS": "CGS_S2_NDVI", "QUERY_LAYERS": "CGS_S2_NDVI", "STYLES": "",
                           "SRS": "EPSG:4326", "BBOX": "3.64,51.07,3.67,51.09", "WIDTH": "64",
                           "HEIGHT": "64", "X": "10", "Y": "10", "INFO_FORMAT": "text/plain"},
    "wms_legend": {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
                   "LAYER": "CGS_S2_NDVI", "FORMAT": "image/png", "SLD_VERSION": "1.1.0"},
    "wcs20_getcoverage": {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage",
                          "COVERAGEID": "CGS_S2_NDVI", "FORMAT": "image/tiff",
                          "SUBSET": "x(545000,545500)", "SCALEFACTOR": "1",
                          "OUTPUTCRS": "http://www.opengis.net/def/crs/EPSG/0/32631"},
    "wcs20_describe": {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "DescribeCoverage",
                       "COVERAGEID": "CGS_S2_NDVI"},
    "wcs10_getcoverage": {"SERVICE": "WCS", "VERSION": "1.0.0", "REQUEST": "GetCoverage",
                          "COVERAGE": "CGS_S2_NDVI", "CRS": "EPSG:32631",
                          "BBOX": "545000,5658000,545500,5658500", "WIDTH": "50",
                          "HEIGHT": "50", "FORMAT": "GEOTIFF_FLOAT32", "TIME": "current"},
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_hostile_values_get_client_errors_or_answers(gateway, name):
    session = requests.Session()
    base = REQUESTS[name]
    for key in base:
        for value in BAD_VALUES:
            response = session.get(f"{gateway.url}/ows", params={**base, key: value}, timeout=60)
            where = f"{name}: {key}={value[:40]!r}"
            assert response.status_code < 500, f"{where} → {response.status_code}"
            assert b"Traceback" not in response.content, where
            if response.status_code >= 400:
                media = response.headers["Content-Type"]
                assert "xml" in media or "json" in media, f"{where} → {media}"
