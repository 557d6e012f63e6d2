"""OGC API - Records at /ogcapi/collections/{id}/items over HTTP: every registry collection is a
records collection, answered from the same index queries as STAC (bbox, datetime, CQL2 filter),
with the same identifiers and download links; bad queries are 400 problems."""

from __future__ import annotations

import requests

NDVI = "TERRASCOPE_S2_NDVI_V2"


def records(gateway, collection: str = NDVI, **params) -> requests.Response:
    return requests.get(f"{gateway.url}/ogcapi/collections/{collection}/items",
                        params={"f": "json", **params}, timeout=120)


def test_every_collection_is_a_records_collection_and_conformance_is_honest(gateway):
    answer = requests.get(f"{gateway.url}/ogcapi/collections", params={"f": "json"},
                          timeout=120).json()
    ids = {c["id"] for c in answer["collections"] if c.get("itemType") == "record"}
    assert ids == set(gateway.registry.collections)
    classes = requests.get(f"{gateway.url}/ogcapi/conformance", params={"f": "json"},
                           timeout=60).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core" in classes
    assert not any(c.endswith("/conf/opensearch") for c in classes)  # no free text (q)


def test_records_are_the_stac_items(gateway):
    stac = requests.get(f"{gateway.url}/stac/search", params={
        "collections": NDVI, "limit": 100}, timeout=60).json()
    found = records(gateway, limit=100).json()
    assert found["numberMatched"] == stac["numberMatched"] == gateway.index.product_count_of(NDVI)
    assert [f["id"] for f in found["features"]] == [f["id"] for f in stac["features"]]
    cloudiest = records(gateway, limit=1, sortby="-eo:cloud_cover").json()["features"][0]
    assert cloudiest["properties"]["eo:cloud_cover"] == max(
        f["properties"]["eo:cloud_cover"] for f in stac["features"])
    record = found["features"][0]
    assert record["properties"]["type"] == "dataset" and record["properties"]["title"]
    downloads = [link["href"] for link in record["links"] if link["rel"] == "enclosure"]
    assert downloads == [stac["features"][0]["assets"]["NDVI"]["href"]]
    assert requests.head(downloads[0], timeout=60).status_code == 200
    one = requests.get(f"{gateway.url}/ogcapi/collections/{NDVI}/items/{record['id']}",
                       params={"f": "json"}, timeout=60)
    assert one.status_code == 200 and one.json()["id"] == record["id"]


def test_bad_record_queries_are_400_problems(gateway):
    for params in ({"filter": "snow <= 3"}, {"datetime": "yesterday"}, {"q": "ndvi"},
                   {"bbox": "1,2,3"}, {"sortby": "platform"}):
        response = records(gateway, **params)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["detail"]
    missing = requests.get(f"{gateway.url}/ogcapi/collections/{NDVI}/items/nothing",
                           params={"f": "json"}, timeout=60)
    assert missing.status_code == 404
