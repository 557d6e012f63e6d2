"""The STAC API at /stac over HTTP, with pystac-client (search with filter, paging through every
page) and plain requests; its counts agree with OpenSearch's for the same query."""

from __future__ import annotations

import pytest
import requests
from pystac_client import Client

URN = "urn:eop:VITO:"


@pytest.fixture(scope="module")
def stac(gateway) -> Client:
    return Client.open(f"{gateway.url}/stac")


def opensearch_total(gateway, collection: str, **params) -> int:
    return requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": URN + collection, "count": 0, **params}, timeout=60).json()["totalResults"]


def test_landing_conformance_and_every_collection(stac, gateway):
    assert stac.conforms_to("ITEM_SEARCH") and stac.conforms_to("FILTER")
    ids = {c.id for c in stac.get_collections()}
    assert ids == set(gateway.registry.collections)
    probav = stac.get_collection("PROBAV_L3_S10_TOC_333M")
    assert probav.extent.spatial.bboxes[0][0] < 4 < probav.extent.spatial.bboxes[0][2]
    assert "NDVI" in probav.extra_fields["item_assets"]


@pytest.mark.parametrize("collection", ["TERRASCOPE_S2_NDVI_V2", "CGS_S1_GRD_SIGMA0_L1",
                                        "TERRASCOPE_S5P_L3_NO2_TD_V1", "PROBAV_L3_S1_TOC_333M"])
def test_search_pages_through_everything_and_agrees_with_opensearch(stac, gateway, collection):
    search = stac.search(collections=[collection], limit=2)
    items = list(search.items())
    assert len(items) == gateway.index.product_count_of(collection) == \
        opensearch_total(gateway, collection)
    assert len({i.id for i in items}) == len(items)
    item = items[0]
    asset = next(iter(item.assets.values()))
    assert asset.href.startswith(f"{gateway.url}/download/")
    assert asset.extra_fields["alternate"]["local"]["href"].startswith("file:///")
    assert requests.head(asset.href, timeout=60).status_code == 200
    assert "raster:bands" in asset.extra_fields


def test_bbox_datetime_and_cloud_filter_agree_with_opensearch(stac, gateway):
    collection = "TERRASCOPE_S2_NDVI_V2"
    west, south, east, north = gateway.index.extent(collection)
    bbox = [west, south, (west + east) / 2, (south + north) / 2]
    dates = gateway.index.dates(collection)
    window = f"{dates[1]}T00:00:00Z/{dates[-2]}T23:59:59Z"
    for language, text in (("cql2-text", "eo:cloud_cover <= 50"), ("cql2-json", {
            "op": "<=", "args": [{"property": "eo:cloud_cover"}, 50]})):
        search = stac.search(collections=[collection], bbox=bbox, datetime=window,
                             filter=text, filter_lang=language, limit=100)
        found = list(search.items())
        assert all(i.properties["eo:cloud_cover"] <= 50 for i in found)
        assert len(found) == opensearch_total(
            gateway, collection, bbox=",".join(map(str, bbox)), start=f"{dates[1]}T00:00:00Z",
            end=f"{dates[-2]}T23:59:59Z", cloudCover="50]")


def test_sentinel1_filters_on_orbit_and_polarisation(stac, gateway):
    items = list(stac.search(collections=["CGS_S1_GRD_SIGMA0_L1"]).items())
    orbit = items[0].properties["sat:relative_orbit"]
    state = items[0].properties["sat:orbit_state"]
    found = list(stac.search(collections=["CGS_S1_GRD_SIGMA0_L1"], filter_lang="cql2-text",
                             filter=f"sat:relative_orbit = {orbit} AND "
                                    f"sat:orbit_state = '{state}'").items())
    assert found and len(found) == sum(1 for i in items
                                       if i.properties["sat:relative_orbit"] == orbit)
    assert items[0].properties["sar:polarizations"] == ["VV", "VH"]


def test_post_search_and_a_single_item(gateway):
    answer = requests.post(f"{gateway.url}/stac/search", json={
        "collections": ["TERRASCOPE_S5P_L3_CO_TD_V1"], "limit": 1}, timeout=60).json()
    assert answer["numberMatched"] == gateway.index.product_count_of(
        "TERRASCOPE_S5P_L3_CO_TD_V1")
    (feature,) = answer["features"]
    one = requests.get(f"{gateway.url}/stac/collections/TERRASCOPE_S5P_L3_CO_TD_V1/items/"
                       f"{feature['id']}", timeout=60)
    assert one.status_code == 200 and one.json()["id"] == feature["id"]
    if answer["numberMatched"] > 1:
        assert next(link for link in answer["links"] if link["rel"] == "next")["method"] == "POST"


@pytest.mark.parametrize("params, locator", [
    ({"filter": "eo:cloud_cover <<< 3"}, "filter"),
    ({"filter": "eo:snow = 1"}, "filter"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"datetime": "../.."}, "datetime"),
    ({"limit": "ten"}, "limit"),
    ({"collections": "NOWHERE"}, "collections"),
    ({"colour": "red"}, "colour"),
])
def test_bad_searches_are_400_problems_that_say_where(gateway, params, locator):
    response = requests.get(f"{gateway.url}/stac/search", params=params, timeout=60)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400 and problem["locator"] == locator and problem["detail"]


def test_unknown_resources_are_404(gateway):
    for path in ("collections/NOWHERE", "collections/TERRASCOPE_S2_NDVI_V2/items/nothing",
                 "nothing"):
        response = requests.get(f"{gateway.url}/stac/{path}", timeout=60)
        assert response.status_code == 404 and response.json()["status"] == 404


def test_basic_cql2_or_not_and_is_null(stac, gateway):
    collection = "TERRASCOPE_S2_NDVI_V2"
    items = list(stac.search(collections=[collection]).items())
    low = sum(1 for i in items if i.properties["eo:cloud_cover"] < 10)
    high = sum(1 for i in items if i.properties["eo:cloud_cover"] > 50)
    either = list(stac.search(collections=[collection], filter_lang="cql2-text",
                              filter="eo:cloud_cover < 10 OR eo:cloud_cover > 50").items())
    assert len(either) == low + high
    cloud = {"property": "eo:cloud_cover"}
    rest = list(stac.search(collections=[collection], filter_lang="cql2-json", filter={
        "op": "and", "args": [
            {"op": "not", "args": [{"op": "or", "args": [{"op": "<", "args": [cloud, 10]},
                                                         {"op": ">", "args": [cloud, 50]}]}]},
            {"op": "<>", "args": [{"property": "id"}, items[0].id]}]}).items())
    assert len(rest) == len(items) - low - high - (1 if 10 <= items[0].properties[
        "eo:cloud_cover"] <= 50 else 0)
    s1 = list(stac.search(collections=["CGS_S1_GRD_SIGMA0_L1", collection], filter_lang=
                          "cql2-text", filter="eo:cloud_cover IS NULL").items())
    assert s1 and {i.collection_id for i in s1} == {"CGS_S1_GRD_SIGMA0_L1"}


def test_fields_include_and_exclude(gateway):
    search = f"{gateway.url}/stac/search"
    got = requests.get(search, params={"collections": "TERRASCOPE_S2_NDVI_V2", "limit": 1,
                                       "fields": "properties.eo:cloud_cover,-links"},
                       timeout=60).json()["features"][0]
    assert set(got) == {"type", "stac_version", "id", "properties", "links"}
    assert set(got["properties"]) == {"eo:cloud_cover"}
    posted = requests.post(search, json={"collections": ["TERRASCOPE_S2_NDVI_V2"], "limit": 1,
                                         "fields": {"exclude": ["assets", "properties.gsd"]}},
                           timeout=60).json()["features"][0]
    assert "assets" not in posted and "gsd" not in posted["properties"]
    assert "datetime" in posted["properties"] and posted["geometry"]
    bad = requests.post(search, json={"fields": {"only": ["id"]}}, timeout=60)
    assert bad.status_code == 400 and bad.json()["locator"] == "fields"
