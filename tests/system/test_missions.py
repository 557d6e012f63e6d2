"""Every source in every service: the tests are parametrised from the registry, so a new
collection or mission is tested without a line of test code. Each layer with products in the
tiny six-source archive is drawn (WMS, WMTS), read back in physical units (WCS 2.0.1 against
the product file itself, and the time series service at the same pixel), and found in the
catalogue (OpenSearch, CSW) and the time series layer list.
"""

from __future__ import annotations

import math

import pytest
import requests
from lxml import etree
from pyproj import Transformer

from services.registry import load
from services.settings import PROJECT_ROOT
from tests.helpers import read_image, valid_pixel

REGISTRY = load(PROJECT_ROOT / "layers")
LAYERS = sorted(REGISTRY.layers)
WMS_LAYERS = [n for n in LAYERS if "wms" in REGISTRY.layer(n)[1].services]
WCS_LAYERS = [n for n in LAYERS if "wcs" in REGISTRY.layer(n)[1].services]
SERIES = [n for n in LAYERS if len(REGISTRY.layer(n)[1].bands) == 1]
URN = "urn:eop:VITO:"


def facts(gateway, layer: str):
    known = gateway.index.layer_summaries()[1]
    assert layer in known, f"{layer} has no products in the test archive"
    dates, extent = known[layer]
    return dates, extent


def centre_pixel(gateway, layer: str) -> tuple[str, float, float, float]:
    pixel = valid_pixel(gateway.registry, gateway.index, layer)
    return pixel.date, pixel.lon, pixel.lat, pixel.value


@pytest.mark.parametrize("layer", WMS_LAYERS)
def test_every_wms_layer_draws_its_latest_date_in_web_mercator(gateway, layer):
    dates, _ = facts(gateway, layer)
    _date, lon, lat, _value = centre_pixel(gateway, layer)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    half = 2000.0
    response = requests.get(f"{gateway.url}/wms", params={
        "SERVICE": "WMS", "REQUEST": "GetMap", "VERSION": "1.3.0", "LAYERS": layer,
        "STYLES": "", "CRS": "EPSG:3857", "BBOX": f"{x - half},{y - half},{x + half},{y + half}",
        "WIDTH": 64, "HEIGHT": 64, "FORMAT": "image/png", "TIME": dates[-1]}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "image/png"
    image = read_image(response.content)
    assert image[3].max() == 255, f"{layer}: nothing drawn around its centre pixel"


@pytest.mark.parametrize("layer", WMS_LAYERS)
def test_every_wms_layer_is_a_wmts_layer_with_the_index_dates(gateway, layer):
    dates, _ = facts(gateway, layer)
    response = requests.get(f"{gateway.url}/wmts/1.0.0/WMTSCapabilities.xml", timeout=60)
    tree = etree.fromstring(response.content)
    values = tree.xpath(f"//*[local-name()='Layer'][*[local-name()='Identifier']='{layer}']"
                        "/*[local-name()='Dimension']/*[local-name()='Value']/text()")
    assert values == list(dates)
    _date, lon, lat, _value = centre_pixel(gateway, layer)
    zoom = 10
    col = int((lon + 180) / 360 * 2 ** zoom)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** zoom)
    tile = requests.get(f"{gateway.url}/tiles/{layer}/{dates[-1]}/{zoom}/{col}/{row}.png",
                        timeout=60)
    assert tile.status_code == 200 and tile.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("layer", WCS_LAYERS)
def test_every_coverage_gives_the_files_physical_value(gateway, layer):
    collection = gateway.registry.layer(layer)[0]
    date, lon, lat, value = centre_pixel(gateway, layer)
    x, y = Transformer.from_crs("EPSG:4326", collection.grid.crs, always_xy=True).transform(
        lon, lat)
    step = collection.grid.step
    axes = ("Long", "Lat") if collection.grid.geographic else ("x", "y")
    response = requests.get(f"{gateway.url}/wcs", params=[
        ("SERVICE", "WCS"), ("VERSION", "2.0.1"), ("REQUEST", "GetCoverage"),
        ("COVERAGEID", layer), ("FORMAT", "image/tiff"),
        ("SUBSET", f"{axes[0]}({x - 1.5 * step},{x + 1.5 * step})"),  # 3 × 3 pixels
        ("SUBSET", f"{axes[1]}({y - 1.5 * step},{y + 1.5 * step})"),
        ("SUBSET", f'time("{date}")')], timeout=60)
    assert response.status_code == 200, response.text[:400]
    served = read_image(response.content)[0]
    assert served.shape == (3, 3)
    assert served[1, 1] == pytest.approx(value, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("layer", SERIES)
def test_every_single_band_layer_has_a_time_series(gateway, layer):
    date, lon, lat, value = centre_pixel(gateway, layer)
    listing = requests.get(f"{gateway.url}/timeseries/v1.0/ts", timeout=60).json()
    entry = next(e for e in listing["layers"] if e["name"] == layer)
    assert entry["dates"][-1].startswith(date)
    response = requests.get(f"{gateway.url}/timeseries/v1.0/ts/{layer}/point", params={
        "lon": lon, "lat": lat, "startDate": date, "endDate": date}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    (result,) = response.json()["results"]
    assert result["result"]["totalCount"] == 1
    if result["result"]["validCount"] == 1:  # not masked (cloud, status map, no weight)
        assert result["result"]["average"] == pytest.approx(value, rel=1e-5, abs=1e-9)
    else:
        assert result["result"]["average"] == "NaN"


@pytest.mark.parametrize("collection", sorted(REGISTRY.collections))
def test_every_collection_is_in_opensearch_and_csw(gateway, collection):
    count = gateway.index.product_count_of(collection)
    assert count > 0
    found = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + collection, "count": 1}, timeout=60).json()
    assert found["totalResults"] == count
    feature = found["features"][0]
    assert feature["properties"]["parentIdentifier"] == URN + collection
    assert feature["properties"]["links"]["data"]
    record = requests.get(f"{gateway.url}/csw", params={
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById",
        "id": feature["id"], "elementSetName": "full"}, timeout=60)
    assert record.status_code == 200 and feature["id"].encode() in record.content
    abstract = etree.fromstring(record.content).findtext(".//{*}abstract")
    assert ("cloud cover" in abstract) == gateway.registry.collections[collection].cloud_cover
    assert "over tile ." not in abstract and "over tile ," not in abstract
    files = {link["href"] for role in ("data", "related")
             for link in feature["properties"]["links"][role]}
    references = [r.text for r in etree.fromstring(record.content).iter("{*}references")]
    assert sorted(r for r in references if "/download/" in r) == sorted(files)
    download = feature["properties"]["links"]["data"][0]["href"]
    assert requests.head(download, timeout=60).status_code == 200


@pytest.mark.parametrize("name, queryable, value", [
    ("CGS_S1_GRD_SIGMA0_L1", "polarisationChannels", "VH"),
    ("CGS_S1_GRD_SIGMA0_L1", "sensorMode", "IW"),
    ("PROBAV_L3_S10_TOC_333M", "tileId", "X18Y02"),
    ("TERRASCOPE_S5P_L3_NO2_TD_V1", "processingMode", "OFFL"),
])
def test_eo_queryables_of_each_mission(gateway, name, queryable, value):
    everything = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + name, "count": 0}, timeout=60).json()["totalResults"]
    hits = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + name, queryable: value}, timeout=60).json()
    assert hits["totalResults"] == everything > 0


def test_sentinel1_orbit_queryables_select_by_the_product_name(gateway):
    found = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + "CGS_S1_GRD_SIGMA0_L1"}, timeout=60).json()["features"]
    first = found[0]["properties"]["acquisitionInformation"][0]["acquisitionParameters"]
    orbit, direction = first["relativeOrbitNumber"], first["orbitDirection"]
    assert found[0]["properties"]["title"].endswith(f"_{direction}_{orbit}_"
                                                    f"{first['productUniqueId']}_V110")
    hits = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + "CGS_S1_GRD_SIGMA0_L1", "relativeOrbitNumber": orbit,
        "orbitDirection": direction}, timeout=60).json()
    expected = [f for f in found if f["properties"]["acquisitionInformation"][0][
        "acquisitionParameters"]["relativeOrbitNumber"] == orbit]
    assert hits["totalResults"] == len(expected) > 0
    refused = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + "CGS_S1_GRD_SIGMA0_L1", "cloudCover": "10"}, timeout=60)
    assert refused.status_code == 400
    assert refused.json()["exceptions"][0]["locator"] == "cloudCover"


def test_old_mep_product_types_of_probav(gateway):
    products = requests.get(f"{gateway.url}/catalogue/mep/v2/PROBAV_L3_S1_TOC_333M", params={
        "startDate": "20180101", "endDate": "20181231"}, timeout=60).json()
    assert products and all((p["tileX"], p["tileY"]) == (18, 2) for p in products)
    files = {b for p in products for f in p["files"] for b in f["bands"]}
    assert {"NDVI", "SM", "RED", "NIR"} <= files
