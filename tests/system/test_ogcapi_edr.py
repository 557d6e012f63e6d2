"""OGC API - EDR at /ogcapi/collections/{layer}/position and /area over HTTP: every time series
layer is an EDR collection; its CoverageJSON carries the time series service's values (same
dates, same masks, same physical values; null where nothing was valid)."""

from __future__ import annotations

import math

import pytest
import requests

LAYER = "CGS_S2_NDVI"
SPAN = {"startDate": "2018-05-01", "endDate": "2018-07-31"}


def edr(gateway, query: str, layer: str = LAYER, **params) -> requests.Response:
    return requests.get(f"{gateway.url}/ogcapi/collections/{layer}/{query}",
                        params={"f": "json", **params}, timeout=120)


def timeseries(gateway, kind: str, **kwargs) -> dict[str, float | None]:
    method = requests.post if kind == "geometry" else requests.get
    answer = method(f"{gateway.url}/timeseries/v1.0/ts/{LAYER}/{kind}", timeout=120, **kwargs)
    return {r["date"]: None if r["result"]["average"] == "NaN" else r["result"]["average"]
            for r in answer.json()["results"]}


def series(coverage: dict) -> dict[str, float | None]:
    days = [t[:10] for t in coverage["domain"]["axes"]["t"]["values"]]
    (values,) = (r["values"] for r in coverage["ranges"].values())
    return dict(zip(days, values, strict=True))


@pytest.fixture(scope="module")
def centre(gateway) -> tuple[float, float]:
    west, south, east, north = gateway.index.extent("TERRASCOPE_S2_NDVI_V2")
    return (west + east) / 2, (south + north) / 2


def test_every_time_series_layer_is_an_edr_collection(gateway):
    answer = requests.get(f"{gateway.url}/ogcapi/collections/{LAYER}", params={"f": "json"},
                          timeout=120).json()
    assert set(answer["data_queries"]) == {"position", "area"}
    assert answer["parameter_names"]["NDVI"]["unit"]["symbol"]["value"] == "1"


def test_position_is_the_time_series_of_the_pixel(gateway, centre):
    lon, lat = centre
    coverage = edr(gateway, "position", coords=f"POINT({lon} {lat})",
                   datetime="2018-05-01/2018-07-31").json()
    assert coverage["type"] == "Coverage" and coverage["domain"]["domainType"] == "PointSeries"
    expected = timeseries(gateway, "point", params={"lon": lon, "lat": lat, **SPAN})
    got = series(coverage)
    assert got.keys() == expected.keys() and len(got) > 2
    assert any(v is None for v in got.values()) and any(v is not None for v in got.values())
    for day, value in expected.items():
        assert (got[day] is None) == (value is None)
        assert value is None or math.isclose(got[day], value, abs_tol=1e-9)


def test_area_is_the_mean_of_the_time_series_geometry(gateway, centre):
    lon, lat = centre
    ring = [(lon - 0.004, lat - 0.003), (lon + 0.004, lat - 0.003), (lon + 0.004, lat + 0.003),
            (lon - 0.004, lat + 0.003), (lon - 0.004, lat - 0.003)]
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
    coverage = edr(gateway, "area", coords=wkt, datetime="2018-05-01/2018-07-31").json()
    assert coverage["domain"]["domainType"] == "PolygonSeries"
    expected = timeseries(gateway, "geometry", params=SPAN, json={
        "type": "Polygon", "coordinates": [[list(p) for p in ring]]})
    got = series(coverage)
    assert got.keys() == expected.keys()
    for day, value in expected.items():
        assert value is None and got[day] is None or math.isclose(got[day], value, rel_tol=1e-9)


@pytest.mark.parametrize("query, params, status", [
    ("position", {"coords": "POINT(3 51"}, 400),
    ("position", {"coords": "POLYGON((3 51, 4 51, 4 52, 3 51))"}, 400),
    ("position", {"coords": "POINT(3.6 51.0)", "datetime": "whenever"}, 400),
    ("area", {"coords": "POLYGON((2 49, 7 49, 7 52, 2 52, 2 49))"}, 413),
    ("cube", {"bbox": "3,51,4,52"}, 400),
])
def test_bad_edr_queries_are_problems(gateway, query, params, status):
    response = edr(gateway, query, **params)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
