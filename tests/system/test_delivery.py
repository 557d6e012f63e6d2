"""What web clients get from every endpoint: gzip for XML and JSON, and an ETag with 304
revalidation on capabilities and GetMap, while tiles keep their own cache policy."""

from __future__ import annotations

import requests

from tests.system.test_wms import getmap


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=60, stream=True)


def test_capabilities_are_gzipped_only_for_clients_that_accept_it(gateway):
    url = gateway.url + "/wms?SERVICE=WMS&REQUEST=GetCapabilities"
    zipped = get(url, **{"Accept-Encoding": "gzip"})
    plain = get(url, **{"Accept-Encoding": "identity"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert int(zipped.headers["Content-Length"]) * 3 < int(plain.headers["Content-Length"])
    assert zipped.content == plain.content  # requests undoes the gzip
    assert zipped.headers["ETag"] != plain.headers["ETag"], "two representations, two tags"


def test_capabilities_revalidate_with_304(gateway):
    url = gateway.url + "/wmts/1.0.0/WMTSCapabilities.xml"
    first = get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = get(url, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert get(url, **{"If-None-Match": '"stale"'}).status_code == 200


def test_getmap_revalidates_with_304(gateway):
    first = getmap(gateway)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/png"
    assert "Content-Encoding" not in first.headers, "images are not gzipped again"
    again = requests.get(first.url, headers={"If-None-Match": first.headers["ETag"]}, timeout=60)
    assert again.status_code == 304


def test_errors_are_not_tagged(gateway):
    response = get(gateway.url + "/nothing/here")
    assert response.status_code == 404
    assert "ETag" not in response.headers and "Cache-Control" not in response.headers
