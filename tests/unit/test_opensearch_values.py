"""OpenSearch value parsers: times, intervals, boxes, geometries, circles."""

from datetime import UTC, datetime

import pytest

from services.catalogue.opensearch.values import (
    OpenSearchError,
    circle_bbox,
    parse_bbox,
    parse_geometry,
    parse_interval,
    parse_time,
)
from services.index.search import Interval
from services.missions.sentinel2 import relative_orbit
from services.missions.times import utc


def test_a_date_is_its_midnight_and_nanoseconds_are_accepted():
    assert parse_time("2020-05-01", "start") == datetime(2020, 5, 1, tzinfo=UTC)
    assert parse_time("2021-02-20T23:59:59.999999999Z", "end") == \
        datetime(2021, 2, 20, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_time("2021-02-20T10:11:12", "end") == datetime(2021, 2, 20, 10, 11, 12,
                                                               tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2020-13-01", "2020-05-01T25:00:00Z"])
def test_bad_times_name_the_parameter(text):
    with pytest.raises(OpenSearchError) as error:
        parse_time(text, "start")
    assert error.value.locator == "start" and error.value.status == 400


@pytest.mark.parametrize("text, expected", [
    ("[0,50]", Interval(0.0, 50.0, True, True)),
    ("[0,50[", Interval(0.0, 50.0, True, False)),
    ("]10,50]", Interval(10.0, 50.0, False, True)),
    ("60]", Interval(None, 60.0)),
    ("60[", Interval(None, 60.0, high_closed=False)),
    ("[20", Interval(20.0, None)),
    ("]20", Interval(20.0, None, low_closed=False)),
    ("10", Interval(None, 10.0)),
])
def test_cloud_cover_intervals(text, expected):
    assert parse_interval(text, "cloudCover", float, single_is_max=True) == expected


@pytest.mark.parametrize("text", ["[50,0]", "[a,b]", "0,50", "[0,50", "[[0]", "x"])
def test_bad_intervals(text):
    with pytest.raises(OpenSearchError) as error:
        parse_interval(text, "cloudCover", float, single_is_max=True)
    assert error.value.locator == "cloudCover"


def test_date_intervals():
    interval = parse_interval("[2021-02-20,2021-02-22T23:59:59Z]", "publicationDate",
                              datetime, single_is_max=False)
    assert interval.low == datetime(2021, 2, 20, tzinfo=UTC)
    assert interval.high == datetime(2021, 2, 22, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("text", ["1,2,3", "500000,5600000,510000,5700000", "4,51,5,50",
                                  "a,b,c,d", "nan,50,5,51"])
def test_bad_boxes(text):
    with pytest.raises(OpenSearchError):
        parse_bbox(text)


def test_geometry_searches_by_its_box():
    assert parse_geometry("POLYGON((4 50,6 50,6 51,4 51,4 50))") == (4, 50, 6, 51)
    with pytest.raises(OpenSearchError):
        parse_geometry("polygon")


def test_circle_box_is_about_the_radius():
    west, south, east, north = circle_bbox(51.0, 3.7, 1000)
    assert north - south == pytest.approx(2 * 1000 / 111195, rel=1e-3)
    assert east - west > north - south  # a degree of longitude is shorter at 51° N


def test_relative_orbit_of_known_datatakes():
    assert relative_orbit(utc("20180602T105031")) == 51
    assert relative_orbit(utc("20180612T105021")) == 51   # ten days later, same track
    assert relative_orbit(utc("20180609T104021")) == 8    # S2B over Belgium, R008
