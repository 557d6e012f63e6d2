"""Product file downloads at the hrefs the catalogue gives: whole files, ranges, conditional
requests, and nothing outside the index."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import requests
from werkzeug.test import Client
from werkzeug.wrappers import Request

from services.catalogue.download import DownloadService
from services.index.search import ProductSearch

TOC = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"


def first_data_link(gateway) -> dict:
    document = requests.get(f"{gateway.url}/catalogue/products",
                            params={"collection": TOC, "count": 1}, timeout=30).json()
    return document["features"][0]["properties"]["links"]["data"][0]


def local_path(gateway, href: str) -> Path:
    relative = urlparse(href).path.removeprefix("/download/")
    return gateway.settings.archive / relative


def test_whole_file_with_its_length(gateway):
    link = first_data_link(gateway)
    response = requests.get(link["href"], timeout=30)
    content = local_path(gateway, link["href"]).read_bytes()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/tiff"
    assert int(response.headers["Content-Length"]) == link["length"] == len(content)
    assert response.content == content


def test_head_then_get_without_redirects_as_terracatalogueclient(gateway):
    link = first_data_link(gateway)
    head = requests.head(link["href"], timeout=30)
    assert head.ok and int(head.headers["Content-Length"]) == link["length"]
    response = requests.get(link["href"], allow_redirects=False, stream=True, timeout=30)
    assert response.status_code == 200


def test_range_requests(gateway):
    link = first_data_link(gateway)
    content = local_path(gateway, link["href"]).read_bytes()
    response = requests.get(link["href"], headers={"Range": "bytes=100-299"}, timeout=30)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-299/{len(content)}"
    assert response.content == content[100:300]
    tail = requests.get(link["href"], headers={"Range": "bytes=-16"}, timeout=30)
    assert tail.content == content[-16:]
    beyond = requests.get(link["href"], headers={"Range": f"bytes={len(content)}-"},
                          timeout=30)
    assert beyond.status_code == 416


def test_conditional_requests(gateway):
    link = first_data_link(gateway)
    first = requests.get(link["href"], timeout=30)
    again = requests.get(link["href"], headers={"If-None-Match": first.headers["ETag"]},
                         timeout=30)
    assert again.status_code == 304 and again.content == b""


def test_paths_outside_the_index_are_not_found(gateway):
    for path in ("../../etc/passwd", "%2E%2E/%2E%2E/etc/passwd", "TERRASCOPE_Sentinel2/x.tif",
                 "index.sqlite"):
        response = requests.get(f"{gateway.url}/download/{path}", timeout=30)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"


def test_a_file_in_a_product_folder_but_not_indexed_is_not_served(gateway, tmp_path):
    link = first_data_link(gateway)
    source = local_path(gateway, link["href"])
    relative = source.relative_to(gateway.settings.archive)
    archive = tmp_path / "archive"
    copy = archive / relative
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source.read_bytes())          # same name, other archive: not indexed
    (copy.parent / "notes.tif").write_bytes(b"secret")
    service = DownloadService(ProductSearch(gateway.settings.index), archive)

    def app(environ, start_response):
        request = Request(environ)
        return service(request, request.path.removeprefix("/download/"))(environ,
                                                                          start_response)

    client = Client(app)
    assert client.get(f"/download/{relative.as_posix()}").status_code == 404
    assert client.get(f"/download/{relative.parent.as_posix()}/notes.tif").status_code == 404


class _IndexListsEverything:
    """An index that lists any path: what is left to refuse is the file system's business."""

    def file(self, path: str) -> tuple[str, int]:
        return path, 0


def test_links_out_of_the_archive_are_not_served_even_if_indexed(tmp_path):
    archive, outside = tmp_path / "archive", tmp_path / "outside"
    (archive / "product").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.tif").write_bytes(b"TOP-SECRET-CONTENT")
    (archive / "product" / "real.tif").write_bytes(b"II*\x00data")
    (archive / "product" / "escape.tif").symlink_to(outside / "secret.tif")
    (archive / "product" / "alias.tif").symlink_to(archive / "product" / "real.tif")
    (archive / "linked").symlink_to(outside, target_is_directory=True)
    service = DownloadService(_IndexListsEverything(), archive)

    def app(environ, start_response):
        request = Request(environ)
        return service(request, request.path.removeprefix("/download/"))(environ,
                                                                          start_response)

    client = Client(app)
    assert client.get("/download/product/real.tif").status_code == 200
    for path in ("product/escape.tif", "product/alias.tif", "linked/secret.tif",
                 "product/../../outside/secret.tif"):
        response = client.get(f"/download/{path}")
        assert response.status_code == 404, path
        assert b"TOP-SECRET" not in response.data and str(tmp_path).encode() not in response.data
