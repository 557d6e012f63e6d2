"""Hostile values for every OpenSearch and MEP parameter get client errors, never a 500."""

from __future__ import annotations

import json

import pytest

from services.catalogue.mep import PARAMETERS as MEP_PARAMETERS
from services.catalogue.mep import MepCatalog
from services.catalogue.opensearch import OpenSearchService
from services.catalogue.opensearch.params import PARAMETERS
from services.index import ProductIndex
from services.index.search import ProductSearch
from services.registry import load
from services.settings import PROJECT_ROOT

HOSTILE = ["", " ", "\x00", "9" * 400, "-1", "nan", "inf", "1e400", "[", "]", "[,]", "[1,]",
           ",", "9999-12-31T23:59:59.5Z", "0000-01-01", "2018-06-02T10:50:31+14:00",
           "POINT(200 100)", "GEOMETRYCOLLECTION EMPTY", "%", "'; DROP TABLE products;--",
           "é", "title,,2", "a" * 5000, "[2018-01-01,2017-01-01]", "{1,2}"]
NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> tuple[OpenSearchService, MepCatalog]:
    folder = tmp_path_factory.mktemp("robust")
    index = ProductIndex(folder / "index.sqlite")
    registry = load(PROJECT_ROOT / "layers")
    return (OpenSearchService(registry, ProductSearch(index.path), folder),
            MepCatalog(registry, ProductSearch(index.path)))


@pytest.mark.parametrize("name", [p.name for p in PARAMETERS])
@pytest.mark.parametrize("resource", ["products", "collections", "description"])
def test_opensearch_never_fails(services, resource: str, name: str):
    for value in HOSTILE:
        args = {name: value} if resource != "products" else {"collection": NDVI, name: value}
        answer = services[0].handle(resource, args, "http://x")
        assert answer.status in (200, 400), (name, value)
        if "json" in answer.content_type:
            json.loads(answer.body)


@pytest.mark.parametrize("name", [*MEP_PARAMETERS, "bogus"])
def test_mep_never_fails(services, name: str):
    for value in HOSTILE:
        answer = services[1].handle("CGS_S2_NDVI", {name: value})
        assert answer.status in (200, 400), (name, value)


def test_mep_paths(services):
    statuses = {path: services[1].handle(path, {}).status
                for path in ("", "CGS_S2_NDVI", "CGS_S2_NDVI/times", "CGS_S2_NDVI/x", "../x")}
    assert statuses == {"": 200, "CGS_S2_NDVI": 200, "CGS_S2_NDVI/times": 200,
                        "CGS_S2_NDVI/x": 404, "../x": 404}
