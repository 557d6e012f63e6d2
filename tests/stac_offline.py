"""STAC JSON schemas from local copies: stac-validator, stac-check, stac-api-validator and
pystac fetch schema URLs with ``requests``, ``urllib`` or (pystac) ``urllib3``;
:func:`local_schemas` answers those URLs from ``tests/schemas/stac/<host>/<path>`` (see its
README) and lets every other request through (the gateway on loopback). A schema URL without a
local copy is a 404, never a trip to the internet."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit
from urllib.response import addinfourl

import pytest
import requests
import requests.adapters
import urllib3

SCHEMAS = Path(__file__).parent / "schemas" / "stac"
HOSTS = {"schemas.stacspec.org", "stac-extensions.github.io", "geojson.org"}


def local_copy(url: str) -> Path | None:
    """The local copy's path of a schema URL (it may not exist); None for other URLs."""
    parts = urlsplit(url)
    if parts.hostname not in HOSTS:
        return None
    return SCHEMAS / parts.hostname / parts.path.lstrip("/")


def _content(path: Path) -> tuple[int, bytes]:
    return (200, path.read_bytes()) if path.is_file() else (404, b"no local copy")


@contextmanager
def local_schemas() -> Iterator[list[str]]:
    """Inside, schema URLs read the local copies; yields the list of URLs answered."""
    answered: list[str] = []
    send = requests.adapters.HTTPAdapter.send
    urlopen = urllib.request.urlopen
    pool_urlopen = urllib3.PoolManager.urlopen

    def local_send(adapter, request, *args, **kwargs):
        path = local_copy(request.url)
        if path is None:
            return send(adapter, request, *args, **kwargs)
        answered.append(request.url)
        response = requests.Response()
        response.status_code, body = _content(path)
        response.raw, response.url, response.request = io.BytesIO(body), request.url, request
        response.headers["Content-Type"] = "application/json"
        return response

    def local_urlopen(url, *args, **kwargs):
        href = url.full_url if isinstance(url, urllib.request.Request) else str(url)
        path = local_copy(href)
        if path is None:
            return urlopen(url, *args, **kwargs)
        answered.append(href)
        status, body = _content(path)
        headers = Message()
        headers["Content-Type"] = "application/json"
        return addinfourl(io.BytesIO(body), headers, href, status)

    def local_pool_urlopen(pool, method, url, *args, **kwargs):
        path = local_copy(url)
        if path is None:
            return pool_urlopen(pool, method, url, *args, **kwargs)
        answered.append(url)
        status, body = _content(path)
        return urllib3.HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False,
                                    headers={"Content-Type": "application/json"})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", local_send)
        patch.setattr(urllib.request, "urlopen", local_urlopen)
        import stac_validator.utilities  # binds urlopen at import

        patch.setattr(stac_validator.utilities, "urlopen", local_urlopen)
        patch.setattr(urllib3.PoolManager, "urlopen", local_pool_urlopen)
        yield answered
