"""A date over a region of many Sentinel-2 tiles (the demo's region generator, coarse pixels):
ingest merges its sources into one mosaic per layer, maps at low zooms draw that one file
(MapServer's SCALETOKEN on the tile index) and maps at high zooms the sources, and both show
the same pixels. Also: a date with too few sources for a mosaic still draws at low zooms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
import requests
from pyproj import Transformer

from services.demo.region import RegionSpec, tiles_over
from services.index import ingest
from tests.conftest import served, settings_for
from tests.helpers import read_image

SPEC = RegionSpec(seed=5, region=(2.9, 50.8, 4.6, 51.6), pixel_m=1830)  # 6 tiles, 60 px a side
LAYERS = ("CGS_S2_NDVI", "CGS_S2_RADIOMETRY")
DATE = SPEC.sensing_time.date().isoformat()
ORIGIN = 20037508.342789244


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    with served(tmp_path_factory.mktemp("area"), SPEC) as deployment:
        yield deployment


def web_tile(lon: float, lat: float, zoom: int) -> tuple[float, float, float, float]:
    """The EPSG:3857 bbox of the web tile of ``zoom`` holding (lon, lat)."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    side = 2 * ORIGIN / 2**zoom
    column, row = math.floor((x + ORIGIN) / side), math.floor((ORIGIN - y) / side)
    return (column * side - ORIGIN, ORIGIN - (row + 1) * side,
            (column + 1) * side - ORIGIN, ORIGIN - row * side)


def getmap(url: str, layer: str, bbox, size: int = 256) -> np.ndarray:
    response = requests.get(f"{url}/ows", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer,
        "STYLES": "", "CRS": "EPSG:3857", "BBOX": ",".join(map(str, bbox)),
        "WIDTH": size, "HEIGHT": size, "FORMAT": "image/png", "TRANSPARENT": "TRUE",
        "TIME": DATE}, timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    return read_image(response.content)


def test_the_region_has_real_tile_footprints_in_two_utm_zones():
    benelux = tiles_over(RegionSpec().region)
    assert len(benelux) >= 30
    assert {t.crs for t in benelux} == {"EPSG:32631", "EPSG:32632"}
    home = next(t for t in benelux if t.name == "31UES")
    assert (home.bounds.left, home.bounds.top) == (499980, 5700000)
    assert home.bounds.right - home.bounds.left == 109_800


def test_every_demo_file_is_a_cog_with_overviews_and_each_date_gets_a_mosaic(region):
    _, _, index = region
    sources = index.layer_locations("CGS_S2_NDVI", DATE)
    assert len(sources) == len(tiles_over(SPEC.region)) >= 4
    with rasterio.open(sources[0]) as view:
        files = [f for f in view.files if f.endswith(".tif")]
    for path in files:
        with rasterio.open(path) as cog:
            assert cog.overviews(1), "demo COGs carry internal overviews"
    mosaics = index.mosaics()
    for layer in LAYERS:
        location, _ = mosaics[(layer, DATE)]
        with rasterio.open(location) as mosaic:
            assert mosaic.crs.to_epsg() == 32631 and mosaic.overviews(1)
            assert mosaic.dtypes[0] == "float32" and mosaic.nodata == -9999


@pytest.mark.parametrize("layer", LAYERS)
def test_low_zooms_draw_the_mosaic_with_the_pixels_of_the_sources(region, layer):
    url, _, _ = region
    # the same bbox: 256 px is above the switch scale (the mosaic), 1024 px below (the sources)
    bbox = web_tile(3.8, 51.0, 9)
    from_mosaic, from_sources = getmap(url, layer, bbox, 256), getmap(url, layer, bbox, 1024)
    assert (from_mosaic[3] > 0).mean() > 0.5, "the low-zoom map is not blank"
    # the mosaic's pixels are the sources' resampled once more (nearest): compare 16 x 16
    # blocks of colour, and the drawn share
    blocks = [image.reshape(4, 16, image.shape[1] // 16, 16, image.shape[2] // 16)
              .astype(float).mean(axis=(2, 4)) for image in (from_mosaic, from_sources)]
    assert abs(blocks[0][3].mean() - blocks[1][3].mean()) < 0.05 * 255
    correlation = np.corrcoef(blocks[0][:3].ravel(), blocks[1][:3].ravel())[0, 1]
    assert correlation > 0.9, f"the mosaic's colours follow the sources' ({correlation:.2f})"


def test_a_whole_country_at_a_low_zoom_is_drawn(region):
    url, _, _ = region
    image = getmap(url, "CGS_S2_RADIOMETRY", web_tile(3.8, 51.0, 6))
    assert (image[3] > 0).mean() > 0.2 and image[:3, image[3] > 0].std() > 0


def test_a_second_ingest_keeps_the_mosaics(region):
    _, registry, index = region
    settings, _ = settings_for(index.path.parent.parent)
    before = index.mosaics()
    report = ingest(settings.archive, registry, index, settings.derived_dir)
    assert report.mosaics == 0, "nothing changed: no mosaic rewritten"
    assert index.mosaics() == before


def test_a_date_with_one_source_still_draws_at_low_zooms(gateway):
    # the tiny archive: one Sentinel-2 tile a date, no mosaic; layer_areas falls back to it
    date = gateway.index.layer_dates("CGS_S2_RADIOMETRY")[-1]
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_TOC_V2")
    response = requests.get(f"{gateway.url}/ows", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap",
        "LAYERS": "CGS_S2_RADIOMETRY", "STYLES": "", "CRS": "EPSG:3857",
        "BBOX": ",".join(map(str, web_tile((west + east) / 2, (south + north) / 2, 8))),
        "WIDTH": 256, "HEIGHT": 256, "FORMAT": "image/png", "TRANSPARENT": "TRUE",
        "TIME": date}, timeout=60)
    assert response.status_code == 200
    assert gateway.index.mosaics() == {}
    assert (read_image(response.content)[3] > 0).any(), "the tile's pixels are drawn"
