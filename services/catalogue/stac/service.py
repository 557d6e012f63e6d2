"""The STAC API 1.0 at ``/stac``: core, collections, features (OGC API Features items),
item search (GET and POST) and the filter extension (CQL2 text and JSON), over the same index
queries as OpenSearch and CSW, so the four catalogues agree.

Framework-free: :meth:`StacService.handle` takes the path below ``/stac``, the method, the
query arguments, the body and the public base URL, and returns a :class:`Response`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from services.catalogue.opensearch.values import OpenSearchError
from services.catalogue.records import Hrefs, collection_record, product_record
from services.catalogue.responses import Response, json_response
from services.catalogue.stac.fields import parse_fields
from services.catalogue.stac.items import STAC_VERSION, item, stac_collection
from services.catalogue.stac.openapi import OPENAPI, openapi
from services.catalogue.stac.query import MAX_LIMIT, QUERYABLES, StacError, parse_search
from services.index.search import ProductSearch
from services.registry import Registry

CONFORMANCE = (
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/item-search#fields",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
)
JSON, GEOJSON, PROBLEM = "application/json", "application/geo+json", "application/problem+json"


def _json(document: dict, status: int = 200, media: str = JSON) -> Response:
    return json_response(document, status, media)


def _problem(status: int, detail: str, locator: str | None = None) -> Response:
    title = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
    document = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if locator:
        document["locator"] = locator
    return _json(document, status, PROBLEM)


class StacService:
    def __init__(self, registry: Registry, search: ProductSearch, archive: Path):
        self.registry = registry
        self.search = search
        self.archive = archive

    def handle(self, path: str, method: str, args: Mapping[str, str], body: bytes,
               base_url: str) -> Response:
        base = f"{base_url}/stac"
        parts = [p for p in path.strip("/").split("/") if p]
        try:
            return self._route(parts, method, args, body, base, base_url)
        except (StacError, OpenSearchError) as error:
            return _problem(400, error.text, error.locator)

    def _route(self, parts: list[str], method: str, args: Mapping[str, str], body: bytes,
               base: str, root: str) -> Response:
        if method not in ("GET", "HEAD") and parts != ["search"]:
            return _problem(405, f"{method} is not allowed here")
        if not parts:
            return _json(self.landing(base))
        if parts == ["conformance"]:
            return _json({"conformsTo": list(CONFORMANCE)})
        if parts == ["queryables"]:
            return _json(queryables(base), media="application/schema+json")
        if parts == ["api"]:
            return _json(openapi(base), media=OPENAPI)
        if parts == ["search"]:
            request = _body(body) if method == "POST" else dict(args)
            return self.items(request, base, root, None, method)
        if parts[0] == "collections":
            return self._collections(parts[1:], args, base, root)
        return _problem(404, f"no STAC resource at /stac/{'/'.join(parts)}")

    def _collections(self, parts: list[str], args: Mapping[str, str], base: str,
                     root: str) -> Response:
        if not parts:
            return _json({"collections": self.collections(base, root), "links": [
                {"rel": "self", "href": f"{base}/collections", "type": JSON},
                {"rel": "root", "href": base, "type": JSON}]})
        if parts[0] not in self.registry.collections:
            return _problem(404, f"no collection '{parts[0]}'")
        if len(parts) == 1:
            return _json(next(c for c in self.collections(base, root) if c["id"] == parts[0]))
        if len(parts) == 2 and parts[1] == "items":
            return self.items(dict(args), base, root, parts[0], "GET")
        if len(parts) == 3 and parts[1] == "items":
            found = self.items({"ids": parts[2]}, base, root, parts[0], "GET")
            features = json.loads(found.body)["features"]
            if not features:
                return _problem(404, f"no item '{parts[2]}' in {parts[0]}")
            return _json(features[0], media=GEOJSON)
        return _problem(404, "no such STAC resource")

    def landing(self, base: str) -> dict:
        links = [{"rel": "self", "href": base, "type": JSON},
                 {"rel": "root", "href": base, "type": JSON},
                 {"rel": "service-desc", "href": f"{base}/api", "type": OPENAPI},
                 {"rel": "conformance", "href": f"{base}/conformance", "type": JSON},
                 {"rel": "data", "href": f"{base}/collections", "type": JSON},
                 {"rel": "search", "href": f"{base}/search", "type": GEOJSON, "method": "GET"},
                 {"rel": "search", "href": f"{base}/search", "type": GEOJSON, "method": "POST"},
                 {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                  "href": f"{base}/queryables", "type": "application/schema+json"}]
        links += [{"rel": "child", "href": f"{base}/collections/{c}", "type": JSON}
                  for c in self.registry.collections]
        return {"type": "Catalog", "stac_version": STAC_VERSION, "id": "eoscope",
                "title": "eoscope STAC API", "description": "Every collection and product "
                "of the eoscope archive, from the same index as OpenSearch and CSW.",
                "conformsTo": list(CONFORMANCE), "links": links}

    def collections(self, base: str, root: str) -> list[dict]:
        summaries = self.search.summaries(self.registry.collections)
        hrefs = Hrefs(root, self.archive)
        return [stac_collection(collection_record(c, summaries.get(c.id), hrefs), c, base)
                for c in self.registry.collections.values()]

    def items(self, request: Mapping[str, object], base: str, root: str,
              collection: str | None, method: str) -> Response:
        search = parse_search(request, self.registry, collection, method == "POST")
        fields = parse_fields(request, method == "POST")
        total, products = self.search.search(search.query)
        hrefs = Hrefs(root, self.archive)
        features = []
        for product in products:
            definition = self.registry.collections[product.collection]
            features.append(fields.apply(item(product_record(product, definition, hrefs),
                                              product, definition, hrefs, base)))
        endpoint = f"{base}/collections/{collection}/items" if collection else f"{base}/search"
        links = [{"rel": "self", "type": GEOJSON, "href": endpoint if method == "POST" or not
                  request else f"{endpoint}?{urlencode(_query(request))}"},
                 {"rel": "root", "href": base, "type": JSON}]
        if search.offset + len(features) < total:
            links.append(_next(endpoint, request, search.offset + search.limit, method))
        return _json({"type": "FeatureCollection", "features": features, "links": links,
                      "numberMatched": total, "numberReturned": len(features),
                      "context": {"limit": search.limit, "matched": total,
                                  "returned": len(features)}}, media=GEOJSON)


def _next(endpoint: str, request: Mapping[str, object], offset: int, method: str) -> dict:
    if method == "POST":
        return {"rel": "next", "href": endpoint, "type": GEOJSON, "method": "POST",
                "body": {**request, "token": str(offset)}, "merge": False}
    query = {k: v for k, v in _query(request).items() if k != "token"}
    return {"rel": "next", "href": f"{endpoint}?{urlencode({**query, 'token': offset})}",
            "type": GEOJSON, "method": "GET"}


def _query(request: Mapping[str, object]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in request.items()}


def _body(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except ValueError as error:
        raise StacError(f"the search body is not JSON: {error}", "body") from None
    if not isinstance(document, dict):
        raise StacError("the search body must be a JSON object", "body")
    return document


def queryables(base: str) -> dict:
    kinds = {"id": {"type": "string", "title": "Item id"},
             "collection": {"type": "string", "title": "Collection id"},
             "eo:cloud_cover": {"type": "number", "minimum": 0, "maximum": 100},
             "datetime": {"type": "string", "format": "date-time"},
             "sat:orbit_state": {"type": "string", "enum": ["ascending", "descending"]},
             "sat:relative_orbit": {"type": "integer", "minimum": 1},
             "sar:polarizations": {"type": "array", "items": {"type": "string"}},
             "sar:instrument_mode": {"type": "string"}, "grid:code": {"type": "string"},
             "platform": {"type": "string"}}
    return {"$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{base}/queryables", "type": "object", "title": "eoscope queryables",
            "properties": {name: kinds[name] for name in QUERYABLES},
            "additionalProperties": False, "x-max-limit": MAX_LIMIT}



