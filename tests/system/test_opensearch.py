"""OpenSearch at /catalogue over HTTP, checked against the demo archive's plan and the index."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from lxml import etree

from services.catalogue.opensearch import OpenSearchService
from services.demo import DemoSpec, generate, plan
from services.index import ProductIndex, ingest
from services.index.search import ProductSearch
from services.missions.sentinel2 import relative_orbit
from services.registry import load
from services.settings import PROJECT_ROOT
from tests.conftest import TINY

NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"
TOC = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
PLAN = sorted(plan(TINY), key=lambda a: a.sensing_time)


def search(gateway, resource: str = "products", **params) -> requests.Response:
    return requests.get(f"{gateway.url}/catalogue/{resource}", params=params, timeout=30)


def products(gateway, **params) -> dict:
    response = search(gateway, collection=params.pop("collection", NDVI), **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/geo+json")
    return response.json()


def titles(document: dict) -> list[str]:
    return [f["properties"]["title"] for f in document["features"]]


def index_rows(gateway, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(gateway.settings.index) as db:
        return db.execute(sql, args).fetchall()


def test_products_are_the_index_content(gateway):
    document = products(gateway)
    assert document["totalResults"] == len(PLAN) == document["itemsPerPage"]
    assert titles(document) == [a.product_name("NDVI") for a in PLAN]
    first = document["features"][0]
    acquisition = first["properties"]["acquisitionInformation"][0]
    assert acquisition["acquisitionParameters"]["tileId"] == PLAN[0].tile
    assert acquisition["acquisitionParameters"]["beginningDateTime"] == \
        PLAN[0].sensing_time.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert acquisition["platform"]["platformSerialIdentifier"] == PLAN[0].platform
    assert first["id"] == f"{NDVI}:{PLAN[0].product_name('NDVI')}"
    assert first["properties"]["parentIdentifier"] == NDVI
    covers = dict(index_rows(gateway, "SELECT name, cloud_cover FROM products"))
    for feature in document["features"]:
        title = feature["properties"]["title"]
        assert feature["properties"]["productInformation"]["cloudCover"] == covers[title]


def test_envelope_follows_17_047(gateway):
    document = products(gateway, count=2)
    assert document["@context"].endswith("os-geojson.jsonld")
    assert document["type"] == "FeatureCollection"
    links = document["properties"]["links"]
    assert {"first", "last", "next", "search", "profiles"} <= set(links)
    assert "previous" not in links
    assert parse_qs(urlparse(links["last"][0]["href"]).query)["startIndex"] == ["5"]
    assert document["queries"]["request"][0]["eo:parentIdentifier"] == NDVI


def test_paging_links_walk_every_product_once(gateway):
    seen, url = [], f"{gateway.url}/catalogue/products?collection={NDVI}&count=4"
    while url:
        document = requests.get(url, timeout=30).json()
        seen += titles(document)
        url = document["properties"]["links"].get("next", [{}])[0].get("href")
    assert seen == [a.product_name("NDVI") for a in PLAN]
    second = products(gateway, count=4, startIndex=5)
    assert second["startIndex"] == 5 and second["itemsPerPage"] == 2
    assert "startIndex=1" in second["properties"]["links"]["previous"][0]["href"]


def test_count_zero_gives_only_the_total(gateway):
    document = products(gateway, count=0)
    assert document["totalResults"] == len(PLAN) and document["features"] == []


def test_paging_past_the_end_is_empty(gateway):
    document = products(gateway, startIndex=len(PLAN) + 1)
    assert document["totalResults"] == len(PLAN) and document["itemsPerPage"] == 0


def test_time_window(gateway):
    day = PLAN[2].sensing_time.date().isoformat()
    document = products(gateway, start=day, end=f"{day}T23:59:59Z")
    assert titles(document) == [PLAN[2].product_name("NDVI")]
    # a date-only end means its midnight (Terrascope): that day's product is not included
    assert products(gateway, start=day, end=day)["totalResults"] == 0
    assert products(gateway, end=f"{day}T23:59:59.999999999Z")["totalResults"] == 3


def test_cloud_cover_interval_syntax(gateway):
    covers = sorted(c for (c,) in index_rows(
        gateway, "SELECT cloud_cover FROM products WHERE collection = 'TERRASCOPE_S2_NDVI_V2'"))
    middle = covers[len(covers) // 2]
    for value, keep in ((f"{middle}]", lambda c: c <= middle),
                        (f"{middle}[", lambda c: c < middle),
                        (f"[{middle}", lambda c: c >= middle),
                        (f"[0,{middle}[", lambda c: c < middle),
                        (str(middle), lambda c: c <= middle)):
        assert products(gateway, cloudCover=value)["totalResults"] == \
            sum(1 for c in covers if keep(c)), value


def test_spatial_filters(gateway):
    west, south, east, north = products(gateway, count=1)["features"][0]["bbox"]
    inside = f"{west + 0.001},{south + 0.001},{west + 0.002},{south + 0.002}"
    assert products(gateway, bbox=inside)["totalResults"] == len(PLAN)
    assert products(gateway, bbox="10,40,11,41")["totalResults"] == 0
    polygon = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {south}))"
    assert products(gateway, geometry=polygon)["totalResults"] == len(PLAN)
    centre = {"lat": (south + north) / 2, "lon": (west + east) / 2}
    assert products(gateway, radius=100, **centre)["totalResults"] == len(PLAN)
    assert products(gateway, lat=40, lon=10, radius=100)["totalResults"] == 0


def test_attribute_filters(gateway):
    first = PLAN[0]
    expected = {
        "tileId": (first.tile, len(PLAN)), "productType": ("NDVI", len(PLAN)),
        "platform": ("Sentinel-2", len(PLAN)), "resolution": ("20", 0),
        "orbitDirection": ("ASCENDING", 0), "title": (first.product_name("NDVI"), 1),
        "uid": (f"{NDVI}:{first.product_name('NDVI')}", 1)}
    for name, (value, count) in expected.items():
        assert products(gateway, **{name: value})["totalResults"] == count, name
    s2a = sum(1 for a in PLAN if a.platform == "S2A")
    assert products(gateway, platform="S2A")["totalResults"] == s2a
    assert products(gateway, productType="FAPAR")["totalResults"] == 0
    orbit = relative_orbit(first.sensing_time)
    hits = products(gateway, relativeOrbitNumber=orbit)
    assert first.product_name("NDVI") in titles(hits)
    assert all(f["properties"]["acquisitionInformation"][0]["acquisitionParameters"]
               ["relativeOrbitNumber"] == orbit for f in hits["features"])


def test_publication_and_modification_dates(gateway):
    assert products(gateway, publicationDate="[2000-01-01,2100-01-01]")["totalResults"] == \
        len(PLAN)
    assert products(gateway, modificationDate="2000-01-01]")["totalResults"] == 0
    assert products(gateway, processingDate="[2000-01-01T00:00:00,2000-01-02T00:00:00[")[
        "totalResults"] == 0


def test_sort_keys(gateway):
    names = [a.product_name("NDVI") for a in PLAN]
    assert titles(products(gateway, sortKeys="title,,0")) == sorted(names, reverse=True)
    assert titles(products(gateway, sortKeys="start,,1")) == names


def test_links_by_role_and_access_style(gateway):
    feature = products(gateway, collection=TOC, count=1)["features"][0]
    links = feature["properties"]["links"]
    assert [link["title"] for link in links["data"]] == \
        ["TOC-B02_10M", "TOC-B03_10M", "TOC-B04_10M", "TOC-B08_10M"]
    assert [link["title"] for link in links["related"]] == ["SCENECLASSIFICATION_20M"]
    assert all(link["href"].startswith(f"{gateway.url}/download/") for link in links["data"])
    preview = requests.get(links["previews"][0]["href"], timeout=30)
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/png"
    alternate = requests.get(links["alternates"][0]["href"], timeout=30).json()
    assert alternate["features"][0]["id"] == feature["id"]
    local = products(gateway, collection=TOC, count=1, accessedFrom="MEP")["features"][0]
    for link in local["properties"]["links"]["data"]:
        assert link["href"].startswith("file:///")
        assert urlparse(link["href"]).path.endswith(link["title"] + "_V200.tif")


def test_collections(gateway):
    response = search(gateway, "collections")
    document = response.json()
    assert document["totalResults"] == len(gateway.registry.collections)
    ndvi = next(f for f in document["features"] if f["id"] == NDVI)
    assert ndvi["properties"]["date"].startswith(PLAN[0].sensing_time.strftime("%Y-%m-%d"))
    band = ndvi["properties"]["bands"][0]
    assert (band["scaleFactor"], band["offset"], band["nodata"]) == (0.004, -0.08, 255)
    assert ndvi["properties"]["links"]["search"][0]["href"].endswith(
        "description.geojson?collection=urn%3Aeop%3AVITO%3ATERRASCOPE_S2_NDVI_V2")
    assert search(gateway, "collections", uid=NDVI).json()["totalResults"] == 1
    assert search(gateway, "collections", productType="LAI").json()["totalResults"] == 1
    assert search(gateway, "collections", platform="SENTINEL-2").json()["totalResults"] == 5
    assert search(gateway, "collections", bbox="10,40,11,41").json()["totalResults"] == 0
    assert search(gateway, "collections", start="2030-01-01").json()["totalResults"] == 0


@pytest.mark.parametrize("params, locator", [
    ({"test": "test"}, "test"),
    ({"orbitDirection": "test"}, "orbitDirection"),
    ({"geometry": "polygon"}, "geometry"),
    ({"cloudCover": "[50,10]"}, "cloudCover"),
    ({"bbox": "4,50,5"}, "bbox"),
    ({"bbox": "500000,5650000,510000,5660000"}, "bbox"),
    ({"start": "2018-13-01"}, "start"),
    ({"count": "-1"}, "count"),
    ({"startIndex": "0"}, "startIndex"),
    ({"sortKeys": "colour,,1"}, "sortKeys"),
    ({"accessedFrom": "S3"}, "accessedFrom"),
    ({"relativeOrbitNumber": "144"}, "relativeOrbitNumber"),
    ({"collection": "urn:eop:VITO:NOPE"}, "collection"),
])
def test_bad_parameters_get_17_047_exceptions(gateway, params, locator):
    response = search(gateway, **{"collection": NDVI, **params})
    assert response.status_code == 400
    [exception] = response.json()["exceptions"]
    assert exception["exceptionCode"] == "InvalidParameterValue"
    assert exception["locator"] == locator and exception["exceptionText"]


def test_missing_collection(gateway):
    response = search(gateway)
    assert response.status_code == 400
    assert response.json()["exceptions"][0]["exceptionCode"] == "MissingParameterValue"


def test_atom_on_request(gateway):
    response = search(gateway, collection=NDVI, count=2, httpAccept="application/atom+xml")
    assert response.headers["Content-Type"] == "application/atom+xml"
    feed = etree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/"}
    assert feed.findtext("os:totalResults", namespaces=ns) == str(len(PLAN))
    entries = feed.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == \
        [a.product_name("NDVI") for a in PLAN[:2]]
    assert all(e.find("a:content", ns) is not None for e in entries)
    assert feed.find("a:link[@rel='next']", ns) is not None


def test_description_documents(gateway):
    general = search(gateway, "description").json()
    options = {o["value"] for p in general["Url"][1]["Parameter"] if p["name"] == "productType"
               for o in p["Option"]}
    assert options == {c.product_type for c in gateway.registry.collections.values()}
    xml = search(gateway, "description.xml", collection=NDVI)
    assert xml.headers["Content-Type"] == "application/opensearchdescription+xml"
    root = etree.fromstring(xml.content)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    # OpenSearch 1.1 limits (ets-osxgeotime10's osdd.rnc)
    assert len(root.findtext("os:ShortName", namespaces=ns)) <= 16
    assert len(root.findtext("os:LongName", namespaces=ns)) <= 48
    assert "@" in root.findtext("os:Contact", namespaces=ns)
    assert {url.get("rel") for url in root.findall("os:Url", ns)} <= \
        {"results", "suggestions", "self", "collection"}
    atom = root.find("os:Url[@type='application/atom+xml']", ns)
    assert "{geo:box" in atom.get("template") and "{time:start" in atom.get("template")
    assert f"collection={NDVI}" in atom.get("template")
    specific = search(gateway, "description.geojson", collection=NDVI).json()
    assert all("/catalogue/products?" in url["template"] for url in specific["Url"])


def test_a_product_ingested_is_found_at_once(tmp_path):
    """Freshness: the running service finds a product as soon as ingest has indexed it."""
    spec = DemoSpec(seed=3, size_km=0.4, dates=2, start=date(2018, 6, 1), end=date(2018, 6, 20))
    archive = tmp_path / "archive"
    generate(archive, spec)
    registry, index = load(PROJECT_ROOT / "layers"), ProductIndex(tmp_path / "index.sqlite")
    service = OpenSearchService(registry, ProductSearch(index.path), archive)
    first, second = sorted(archive.rglob("S2*_NDVI_V200"))

    def total() -> int:
        answer = service.handle("products", {"collection": NDVI, "count": "0"}, "http://x")
        return json.loads(answer.body)["totalResults"]

    assert total() == 0
    ingest(first, registry, index, tmp_path / "derived")
    assert total() == 1
    ingest(second, registry, index, tmp_path / "derived")
    assert total() == 2


def test_terrascope_base_url_and_content_negotiation(gateway):
    """terracatalogueclient's base is ``…/catalogue/``; Accept chooses Atom or GeoJSON."""
    base = requests.get(f"{gateway.url}/catalogue/", timeout=30)
    assert base.status_code == 200 and base.json()["Url"]
    atom = requests.get(f"{gateway.url}/catalogue/products", params={"collection": NDVI},
                        headers={"Accept": "application/atom+xml"}, timeout=30)
    assert atom.headers["Content-Type"] == "application/atom+xml"
    geojson = requests.get(f"{gateway.url}/catalogue/products.geojson",
                           params={"collection": NDVI, "count": 0},
                           headers={"Accept": "application/json, application/geo+json"},
                           timeout=30)
    assert geojson.json()["totalResults"] == len(PLAN)
    missing = requests.get(f"{gateway.url}/catalogue/nothing", timeout=30)
    assert missing.status_code == 404 and missing.json()["exceptions"]
