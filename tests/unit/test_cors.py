"""CORS with configured origins: only those get the header, and caches are told it varies."""

from __future__ import annotations

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services import cors

ORIGINS = ("https://viewer.example.org",)


def _request(origin: str | None, method: str = "GET", **headers: str) -> Request:
    if origin:
        headers["Origin"] = origin
    return Request(EnvironBuilder(method=method, headers=headers).get_environ())


def test_a_listed_origin_is_echoed_and_varies():
    response = Response("x", headers={"Access-Control-Allow-Origin": "*"})
    cors.add_headers(_request(ORIGINS[0]), response, ORIGINS)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGINS[0]
    assert "Origin" in response.headers["Vary"]


def test_another_origin_gets_no_header_not_even_mapproxys_star():
    response = Response("x", headers={"Access-Control-Allow-Origin": "*"})
    cors.add_headers(_request("https://evil.example.com"), response, ORIGINS)
    assert "Access-Control-Allow-Origin" not in response.headers
    response = Response("x")
    cors.add_headers(_request(ORIGINS[0]), response, ())
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_only_for_allowed_origins():
    asked = {"Access-Control-Request-Method": "POST"}
    answer = cors.preflight(_request(ORIGINS[0], "OPTIONS", **asked), ORIGINS)
    assert answer.status_code == 204 and "POST" in answer.headers["Access-Control-Allow-Methods"]
    answer = cors.preflight(_request("https://evil.example.com", "OPTIONS", **asked), ORIGINS)
    assert answer.status_code == 204 and "Access-Control-Allow-Methods" not in answer.headers
    assert cors.preflight(_request(ORIGINS[0], "OPTIONS"), ORIGINS) is None
