"""Product and collection search parameters → index queries, and the 17-047 errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.catalogue.opensearch import OpenSearchService
from services.catalogue.opensearch.params import (
    MAX_COUNT,
    MAX_DEPTH,
    parse_collections,
    parse_products,
    parse_sort,
)
from services.catalogue.opensearch.values import OpenSearchError
from services.index.search import Interval, ProductSearch, PropertyFilter
from services.registry import load
from services.settings import PROJECT_ROOT

NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"


@pytest.fixture(scope="module")
def registry():
    return load(PROJECT_ROOT / "layers")


def query(registry, **args):
    return parse_products({"collection": NDVI, **args}, registry)[1]


def test_defaults(registry):
    collection, q, options = parse_products({"collection": NDVI}, registry)
    assert collection.id == "TERRASCOPE_S2_NDVI_V2" and q.collections == (collection.id,)
    assert (q.offset, q.limit, q.sort) == (0, 100, (("start", True),))
    assert (options.access, options.format) == ("HTTP", "geojson")


def test_a_bare_collection_id_is_accepted(registry):
    assert query(registry, collection="TERRASCOPE_S2_NDVI_V2").collections


def test_empty_values_mean_no_filter(registry):
    q = query(registry, start="", bbox="", clientId="")
    assert q.start is None and q.bbox is None


def test_filters_become_index_ranges(registry):
    q = query(registry, start="2018-05-01", end="2018-06-01T12:00:00Z", bbox="3,50,4,51",
              cloudCover="[0,50[", tileId="31UES", platform="S2B", relativeOrbitNumber="51",
              publicationDate="[2020-01-01", startIndex="11", count="5")
    assert q.start == datetime(2018, 5, 1, tzinfo=UTC)
    assert q.end == datetime(2018, 6, 1, 12, tzinfo=UTC)
    assert q.bbox == (3, 50, 4, 51) and q.tile == "31UES" and q.platforms == ("S2B",)
    assert q.cloud_cover == Interval(0, 50, True, False)
    assert q.properties == (PropertyFilter("relativeOrbitNumber", 51),)
    assert q.published == (Interval(datetime(2020, 1, 1, tzinfo=UTC), None),)
    assert (q.offset, q.limit) == (10, 5)


@pytest.mark.parametrize("args", [{"productType": "FAPAR"}, {"resolution": "20"},
                                  {"platform": "Sentinel-1"}])
def test_collection_level_filters_that_exclude_give_no_collection(registry, args):
    assert query(registry, **args).collections == ()


@pytest.mark.parametrize("args", [{"productType": "ndvi"}, {"resolution": "10"},
                                  {"platform": "SENTINEL-2"}])
def test_collection_level_filters_that_keep(registry, args):
    q = query(registry, **args)
    assert q.collections == ("TERRASCOPE_S2_NDVI_V2",) and q.platforms is None


def test_eo_queryables_of_the_profile_filter_on_product_properties(registry):
    assert query(registry, orbitDirection="ascending").properties == (
        PropertyFilter("orbitDirection", "ASCENDING"),)
    s1 = query(registry, collection="urn:eop:VITO:CGS_S1_GRD_SIGMA0_L1",
               polarisationChannels="VH", sensorMode="IW", relativeOrbitNumber="161")
    assert s1.properties == (PropertyFilter("polarisationChannels", "VH", "contains"),
                             PropertyFilter("sensorMode", "IW"),
                             PropertyFilter("relativeOrbitNumber", 161))
    probav = query(registry, collection="urn:eop:VITO:PROBAV_L3_S10_TOC_333M", tileId="X18Y02",
                   resolution="333")
    assert probav.tile == "X18Y02" and probav.collections == ("PROBAV_L3_S10_TOC_333M",)


@pytest.mark.parametrize("collection, args, locator", [
    ("CGS_S1_GRD_SIGMA0_L1", {"cloudCover": "10"}, "cloudCover"),
    ("CGS_S1_GRD_SIGMA0_L1", {"tileId": "31UES"}, "tileId"),
    ("CGS_S1_GRD_SIGMA0_L1", {"polarisationChannels": "VV,XX"}, "polarisationChannels"),
    ("CGS_S1_GRD_SIGMA0_L1", {"relativeOrbitNumber": "176"}, "relativeOrbitNumber"),
    ("TERRASCOPE_S2_NDVI_V2", {"polarisationChannels": "VV"}, "polarisationChannels"),
    ("PROBAV_L3_S1_TOC_333M", {"tileId": "31UES"}, "tileId"),
    ("TERRASCOPE_S5P_L3_NO2_TD_V1", {"cloudCover": "10"}, "cloudCover"),
])
def test_queryables_of_other_missions_are_errors(registry, collection, args, locator):
    with pytest.raises(OpenSearchError) as error:
        parse_products({"collection": collection, **args}, registry)
    assert (error.value.locator, error.value.status) == (locator, 400)


def test_uid_and_title(registry):
    name = "S2A_20180501T105042_31UES_NDVI_V200"
    assert query(registry, uid=f"{NDVI}:{name}").names == (name,)
    assert query(registry, uid=name, title=name).names == (name,)
    assert query(registry, uid=name, title="other").names == ()
    assert query(registry, uid=f"urn:eop:VITO:TERRASCOPE_S2_LAI_V2:{name}").names == ("",)


def test_circle(registry):
    west, south, east, north = query(registry, lat="51", lon="3.7", radius="1000").bbox
    assert west < 3.7 < east and south < 51 < north


def test_sort_keys():
    assert parse_sort("title,,1,0,highValue") == (("title", True),)
    assert parse_sort("cloudCover,,0 start") == (("cloudCover", False), ("start", True))


@pytest.mark.parametrize("args, locator, code", [
    ({"foo": "1"}, "foo", "InvalidParameterValue"),
    ({"count": str(MAX_COUNT + 1)}, "count", "InvalidParameterValue"),
    ({"startIndex": str(MAX_DEPTH + 1)}, "startIndex", "InvalidParameterValue"),
    ({"lat": "51"}, "lon", "MissingParameterValue"),
    ({"radius": "10"}, "lat", "MissingParameterValue"),
    ({"tileId": "31ues"}, "tileId", "InvalidParameterValue"),
    ({"start": "2018-06-01", "end": "2018-05-01"}, "start", "InvalidParameterValue"),
    ({"httpAccept": "text/html"}, "httpAccept", "InvalidParameterValue"),
    ({"resolution": "ten"}, "resolution", "InvalidParameterValue"),
    ({"collection": f"{NDVI}:S2A_x"}, "collection", "InvalidParameterValue"),
])
def test_errors(registry, args, locator, code):
    with pytest.raises(OpenSearchError) as error:
        parse_products({"collection": NDVI, **args}, registry)
    assert (error.value.locator, error.value.code, error.value.status) == (locator, code, 400)
    [entry] = error.value.as_dict()["exceptions"]
    assert entry["locator"] == locator and entry["exceptionText"]


def test_product_parameters_are_unknown_to_collection_searches(registry):
    with pytest.raises(OpenSearchError) as error:
        parse_collections({"cloudCover": "10"}, registry)
    assert error.value.locator == "cloudCover"
    assert parse_collections({"platform": "Sentinel-2", "count": "0"}, registry)[1].count == 0


def test_service_errors_are_17_047_json(registry, tmp_path: Path):
    service = OpenSearchService(registry, ProductSearch(tmp_path / "none.sqlite"), tmp_path)
    for resource, args, status in (("products", {}, 400), ("nothing", {}, 404),
                                   ("description", {"bogus": "1"}, 400),
                                   ("description", {"collection": "urn:eop:VITO:NO"}, 400)):
        answer = service.handle(resource, args, "http://x")
        assert answer.status == status and answer.content_type == "application/json"
        assert json.loads(answer.body)["exceptions"][0]["exceptionText"]
