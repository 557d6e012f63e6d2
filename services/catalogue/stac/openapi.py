"""The STAC API's OpenAPI 3.0 description (the landing page's ``service-desc``): its paths,
their parameters and the limit, from the same constants the service answers with."""

from __future__ import annotations

from services.catalogue.stac.query import DEFAULT_LIMIT, MAX_LIMIT, QUERYABLES

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
_JSON = {"application/json": {"schema": {"type": "object"}}}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object"}}}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


def _parameter(name: str, where: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema,
            "description": description}


_SEARCH = [
    _parameter("bbox", "query", {"type": "string"}, "west,south,east,north (EPSG:4326)"),
    _parameter("intersects", "query", {"type": "string"}, "a GeoJSON geometry"),
    _parameter("datetime", "query", {"type": "string"}, "RFC 3339 instant or interval"),
    _parameter("ids", "query", {"type": "string"}),
    _parameter("collections", "query", {"type": "string"}),
    _parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                  "default": DEFAULT_LIMIT}),
    _parameter("sortby", "query", {"type": "string"}),
    _parameter("fields", "query", {"type": "string"}),
    _parameter("filter", "query", {"type": "string"},
               f"CQL2 on {', '.join(QUERYABLES)}"),
    _parameter("filter-lang", "query", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
    _parameter("token", "query", {"type": "string"}, "the next page (from a next link)"),
]


def _get(summary: str, content: dict, parameters: list | None = None) -> dict:
    return {"get": {"summary": summary, "parameters": parameters or [],
                    "responses": {"200": {"description": summary, "content": content},
                                  "400": {"description": "bad request", "content": _PROBLEM},
                                  "404": {"description": "not found", "content": _PROBLEM}}}}


def openapi(base: str) -> dict:
    collection = _parameter("collectionId", "path", {"type": "string"})
    search = _get("item search", _GEOJSON, _SEARCH)
    search["post"] = {"summary": "item search", "requestBody": {"content": _JSON},
                      "responses": search["get"]["responses"]}
    return {
        "openapi": "3.0.3",
        "info": {"title": "eoscope STAC API", "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": {
            "/": _get("landing page", _JSON),
            "/api": _get("this document", {OPENAPI: {"schema": {"type": "object"}}}),
            "/conformance": _get("conformance classes", _JSON),
            "/queryables": _get("queryables", {"application/schema+json": {
                "schema": {"type": "object"}}}),
            "/collections": _get("collections", _JSON),
            "/collections/{collectionId}": _get("a collection", _JSON, [collection]),
            "/collections/{collectionId}/items": _get("its items", _GEOJSON,
                                                      [collection, *_SEARCH[:7]]),
            "/collections/{collectionId}/items/{itemId}": _get(
                "an item", _GEOJSON, [collection, _parameter("itemId", "path",
                                                             {"type": "string"})]),
            "/search": search,
        }}
