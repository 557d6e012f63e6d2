"""The shipped front proxy (deploy/nginx-eoscope.conf, Debian's nginx): tiles already cached are
sent by nginx from MapProxy's files, everything else reaches the gateway."""

from __future__ import annotations

import math

import pytest
import requests

from bench.fastcgi import front_proxy
from tests.helpers import read_image

LAYER = "CGS_S2_NDVI"
Z = 15


@pytest.fixture(scope="module")
def proxy(gateway, tmp_path_factory):
    with front_proxy(gateway.url, tmp_path_factory.mktemp("front"),
                     gateway.settings.tile_cache_dir) as url:
        yield url


def centre(gateway, z: int = Z) -> tuple[int, int]:
    west, south, east, north = gateway.index.extent(gateway.registry.layer(LAYER)[0].id)
    lon, lat = (west + east) / 2, (south + north) / 2
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def drawn_by_the_gateway(response: requests.Response) -> bool:
    return "X-Request-Id" in response.headers  # every gateway answer carries one


def test_a_cached_tile_is_sent_by_nginx_from_its_file(gateway, proxy):
    date = gateway.index.layer_dates(LAYER)[0]
    x, y = centre(gateway)
    rest = f"{proxy}/wmts/{LAYER}/default/GoogleMapsCompatible/{date}/{Z}/{y}/{x}.png"
    cached = (gateway.settings.tile_cache_dir / f"{LAYER}_cache_EPSG3857" / f"time-{date}"
              / str(Z) / str(x) / f"{y}.png")
    cached.unlink(missing_ok=True)  # another module may have asked for it
    first = requests.get(rest, timeout=60)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/png"
    assert drawn_by_the_gateway(first), "not cached yet: the gateway draws it"
    assert read_image(first.content).shape == (4, 256, 256)
    assert cached.read_bytes() == first.content, "the file nginx looks for"

    for url in (rest, f"{proxy}/tiles/{LAYER}/{date}/{Z}/{x}/{y}.png",
                f"{proxy}/wmts/{LAYER}/default/EPSG:3857/{date}/EPSG:3857:{Z}/{y}/{x}.png"):
        again = requests.get(url, timeout=60)
        assert again.status_code == 200 and again.headers["Content-Type"] == "image/png", url
        assert not drawn_by_the_gateway(again), f"{url}: a hit is nginx's"
        assert again.content == first.content, url
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        assert again.headers["Cache-Control"] == "max-age=3600"
        revalidated = requests.get(url, headers={"If-None-Match": again.headers["ETag"]},
                                   timeout=60)
        assert revalidated.status_code == 304


def test_misses_and_errors_reach_the_gateway(gateway, proxy):
    x, y = centre(gateway)
    missing = requests.get(f"{proxy}/wmts/{LAYER}/default/GoogleMapsCompatible/1999-01-01/"
                           f"{Z}/{y}/{x}.png", timeout=60)
    assert missing.status_code == 404 and drawn_by_the_gateway(missing)
    assert b"ExceptionReport" in missing.content
    outside = requests.get(f"{proxy}/tiles/{LAYER}/{gateway.index.layer_dates(LAYER)[0]}/"
                           f"{Z}/{2 ** Z}/{y}.png", timeout=60)
    assert outside.status_code == 404 and drawn_by_the_gateway(outside)
    health = requests.get(f"{proxy}/healthz", timeout=60)
    assert health.status_code == 200 and drawn_by_the_gateway(health)
