"""stac-validator on every collection and a sample of items of every collection, and
stac-api-validator on the core, collections, features, item-search (with fields) and filter
conformance classes, against the live gateway; both read the JSON schemas from local copies
(tests/stac_offline.py), never from the internet."""

from __future__ import annotations

import pytest
import requests
from stac_api_validator.validations import QueryConfig, validate_api
from stac_validator.stac_validator import StacValidate

from tests.stac_offline import local_schemas

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def offline():
    with local_schemas() as answered:
        yield answered


def _validate(document: dict) -> StacValidate:
    validator = StacValidate()  # the core schema and every extension the document declares
    validator.validate_dict(document)
    return validator


def test_every_collection_and_a_sample_of_items_are_valid(gateway, offline):
    collections = requests.get(f"{gateway.url}/stac/collections", timeout=60).json()
    assert {c["id"] for c in collections["collections"]} == set(gateway.registry.collections)
    checked = 0
    for collection in collections["collections"]:
        validator = _validate(collection)
        assert validator.valid, (collection["id"], validator.message)
        items = requests.get(f"{gateway.url}/stac/collections/{collection['id']}/items",
                             params={"limit": 2}, timeout=60).json()["features"]
        for item in items:
            validator = _validate(item)
            assert validator.valid, (item["id"], validator.message)
            checked += 1
    assert checked >= len(collections["collections"])
    assert any(url.startswith("https://stac-extensions.github.io/") for url in offline)
    assert any(url.startswith("https://schemas.stacspec.org/v1.0.0/") for url in offline)


def test_stac_api_validator_finds_no_errors(gateway, offline):
    warnings, errors = validate_api(
        root_url=f"{gateway.url}/stac",
        ccs_to_validate=["core", "collections", "features", "item-search", "filter",
                         "item-search#fields"],
        collection="TERRASCOPE_S2_NDVI_V2",
        geometry='{"type": "Polygon", "coordinates": [[[2.5, 49.4], [6.5, 49.4], [6.5, 51.6],'
                 ' [2.5, 51.6], [2.5, 49.4]]]}',
        auth_bearer_token=None, auth_query_parameter=None,
        fields_nested_property="properties.eo:cloud_cover",
        validate_pagination=True, query_config=QueryConfig(*[None] * 13),
        transaction_collection=None, headers={}, open_assets_urls=False)
    assert not list(errors), "\n".join(errors)
