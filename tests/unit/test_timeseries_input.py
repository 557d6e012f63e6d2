"""Time series input: GeoJSON bodies, dates, lon/lat, output format, limits from the environment.
Every malformed input is an OGC client error with a precise message, never another exception."""

from __future__ import annotations

import json
from datetime import date

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from services.errors import (
    InvalidEncodingSyntax,
    InvalidParameterValue,
    MissingParameterValue,
    OGCException,
    RequestTooLarge,
)
from services.timeseries import TimeSeriesLimits, geojson, params
from services.timeseries.errors import problem

SQUARE = [[[4.0, 51.0], [4.01, 51.0], [4.01, 51.01], [4.0, 51.01], [4.0, 51.0]]]
LIMITS = TimeSeriesLimits()


def test_polygon_multipolygon_point_and_feature_are_accepted():
    assert isinstance(geojson.geometry({"type": "Polygon", "coordinates": SQUARE}), Polygon)
    multi = geojson.geometry({"type": "MultiPolygon", "coordinates": [SQUARE]})
    assert isinstance(multi, MultiPolygon)
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                                 "coordinates": [4, 51, 12]}}
    assert geojson.geometry(feature) == Point(4, 51)


def test_collections_keep_their_order():
    members = [{"type": "Point", "coordinates": [4, 51 + i / 100]} for i in range(3)]
    shapes = geojson.geometries({"type": "GeometryCollection", "geometries": members}, 10)
    assert [s.y for s in shapes] == [51.0, 51.01, 51.02]
    features = {"type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": m} for m in members]}
    assert geojson.geometries(features, 10) == shapes


@pytest.mark.parametrize(("document", "message"), [
    ([1, 2], "body: expected a GeoJSON object"),
    ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
     'body: type "LineString" is not one of Polygon, MultiPolygon, Point or a Feature'),
    ({"type": "Polygon"}, "body.coordinates: expected an array"),
    ({"type": "Polygon", "coordinates": []}, "body.coordinates: expected at least 1 item(s)"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
     "body.coordinates[0]: expected at least 4 item(s)"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
     "body.coordinates[0]: the ring is not closed"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1], [0, 0]]]},
     "body.coordinates[0][1]: a position is [longitude, latitude]"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, True], [1, 1], [0, 0]]]},
     "body.coordinates[0][1]: a position is [longitude, latitude]"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]]},
     "body.coordinates[0][1]: longitude 181 is outside -180..180"),
    ({"type": "Point", "coordinates": [0, 10**400]},
     "body.coordinates: latitude 1000000000000000000000000000000000000..."),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
     "body: invalid Polygon: Self-intersection[0.5 0.5]"),
    ({"type": "Feature", "geometry": None}, "body: the Feature has no geometry"),
    ({"type": "MultiPolygon", "coordinates": [SQUARE, [[[0, 0], [1, 0]]]]},
     "body.coordinates[1][0]: expected at least 4 item(s)"),
])
def test_malformed_geometries_are_invalid_parameter_values(document, message):
    with pytest.raises(InvalidParameterValue) as raised:
        geojson.geometry(document)
    assert raised.value.message.startswith(message)
    assert raised.value.http_status == 400


def test_nan_coordinates_are_refused():
    body = b'{"type": "Point", "coordinates": [NaN, 51]}'
    with pytest.raises(InvalidParameterValue, match="longitude NaN is outside"):
        geojson.geometry(geojson.parse_json(body))


@pytest.mark.parametrize("body", [b"", b"  ", b"{", b"\xff\xfe", b"[" * 100000])
def test_a_body_that_is_not_json_is_an_encoding_error(body):
    with pytest.raises(InvalidEncodingSyntax):
        geojson.parse_json(body)


def test_collection_members_are_located_and_counted():
    document = {"type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "coordinates": SQUARE}, {"type": "Pt"}]}
    with pytest.raises(InvalidParameterValue, match=r"^geometries\[1\]: type \"Pt\""):
        geojson.geometries(document, 10)
    with pytest.raises(RequestTooLarge, match="2 geometries; at most 1 per request"):
        geojson.geometries(document, 1)
    with pytest.raises(InvalidParameterValue, match="is not a GeometryCollection"):
        geojson.geometries({"type": "Polygon", "coordinates": SQUARE}, 10)


def test_area_is_geodesic_square_kilometres():
    # 0.01° x 0.01° at 51° N: 1.11 km (north-south) x 0.70 km (east-west)
    area = geojson.area_km2(geojson.geometry({"type": "Polygon", "coordinates": SQUARE}))
    assert area == pytest.approx(1.112 * 0.700, rel=0.01)


def test_dates_both_ends_included_and_iso_date_times_accepted():
    span = params.date_range({"startDate": "2018-01-01", "endDate": "2018-01-31T23:00:00Z"})
    assert (span.start, span.end, span.days) == (date(2018, 1, 1), date(2018, 1, 31), 31)
    span = params.date_range({"startDate": "2018-01-01T23:30:00-02:00",
                              "endDate": "2018-01-02"})
    assert span.start == date(2018, 1, 2)


@pytest.mark.parametrize(("args", "error", "message"), [
    ({"endDate": "2018-01-01"}, MissingParameterValue, "startDate is required (YYYY-MM-DD)"),
    ({"startDate": "2018-01-01"}, MissingParameterValue, "endDate is required (YYYY-MM-DD)"),
    ({"startDate": "2018-02-30", "endDate": "2018-03-01"}, InvalidParameterValue,
     "startDate '2018-02-30' is not a date (YYYY-MM-DD)"),
    ({"startDate": "yesterday", "endDate": "2018-03-01"}, InvalidParameterValue,
     "startDate 'yesterday' is not a date (YYYY-MM-DD)"),
    ({"startDate": "2018-03-02", "endDate": "2018-03-01"}, InvalidParameterValue,
     "startDate 2018-03-02 is after endDate 2018-03-01"),
    ({"startDate": "0001-01-01T00:00:00+01:00", "endDate": "2018-03-01"}, InvalidParameterValue,
     "startDate '0001-01-01T00:00:00+01:00' is outside the years 1 to 9999 in UTC"),
    ({"startDate": "٢٠١٨-01-01", "endDate": "2018-03-01"}, InvalidParameterValue,
     "startDate '٢٠١٨-01-01' is not a date (YYYY-MM-DD)"),
])
def test_bad_dates(args, error, message):
    with pytest.raises(error) as raised:
        params.date_range(args)
    assert raised.value.message == message


def test_three_years_is_the_default_span():
    assert params.date_range({"startDate": "2015-01-01", "endDate": "2017-12-31"}).days == 1096


@pytest.mark.parametrize(("args", "message"), [
    ({"lat": "51"}, "lon is required (WGS 84 degrees)"),
    ({"lon": "x", "lat": "51"}, "lon 'x' is not a number"),
    ({"lon": "4", "lat": "91"}, "lat 91 is outside -90..90"),
    ({"lon": "nan", "lat": "51"}, "lon 'nan' is not a number"),
    ({"lon": "inf", "lat": "51"}, "lon 'inf' is not a number"),
    ({"lon": "٤", "lat": "51"}, "lon '٤' is not a number"),
])
def test_bad_points(args, message):
    with pytest.raises(OGCException) as raised:
        params.lon_lat(args)
    assert raised.value.message == message
    assert raised.value.http_status == 400


def test_format_parameter_wins_over_accept():
    assert params.output_format({}, None) == "json"
    assert params.output_format({}, "csv") == "csv"
    assert params.output_format({"format": "JSON"}, "csv") == "json"
    with pytest.raises(InvalidParameterValue, match="format 'xml' is not one of json, csv"):
        params.output_format({"format": "xml"}, None)


def test_limits_come_from_eoscope_ts_variables(monkeypatch):
    monkeypatch.setenv("EOSCOPE_TS_MAX_AREA_KM2", "2.5")
    monkeypatch.setenv("EOSCOPE_TS_MAX_PIXEL_DATES", "30")
    limits = TimeSeriesLimits()
    assert (limits.max_area_km2, limits.max_pixel_dates, limits.max_geometries) == \
        (2.5, 30, 500)


def test_messages_survive_json():
    error = InvalidParameterValue("x")
    status, body = problem(error)
    assert status == 400
    assert json.loads(body) == {"type": "about:blank", "title": "Bad Request", "status": 400,
                                "detail": "x", "code": "InvalidParameterValue"}
