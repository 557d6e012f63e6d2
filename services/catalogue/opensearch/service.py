"""The OpenSearch service at ``/catalogue``: collections, products and description documents.

Framework-free: :meth:`OpenSearchService.handle` takes the resource name, the query parameters,
the public base URL and the Accept header, and returns a :class:`Response`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from services.catalogue.opensearch import atom, description, geojson
from services.catalogue.opensearch.params import (
    MAX_DEPTH,
    Options,
    parse_area,
    parse_collections,
    parse_products,
)
from services.catalogue.opensearch.values import (
    OpenSearchError,
    parse_time,
)
from services.catalogue.records import (
    CollectionRecord,
    Hrefs,
    collection_identifier,
    collection_record,
    product_record,
    split_identifier,
)
from services.catalogue.responses import Response, json_response
from services.index.search import ProductSearch
from services.registry import Registry

JSON = "application/geo+json"
ATOM = "application/atom+xml"


def _json(document: dict, status: int = 200, media: str = JSON) -> Response:
    return json_response(document, status, media)


class OpenSearchService:
    """Answers Terrascope-compatible OpenSearch requests over the registry and the index."""

    def __init__(self, registry: Registry, search: ProductSearch, archive: Path):
        self.registry = registry
        self.search = search
        self.archive = archive

    def handle(self, resource: str, args: Mapping[str, str], base_url: str,
               accept: str | None = None) -> Response:
        """``resource``: ``collections``, ``products`` or ``description`` (optionally with a
        ``.geojson``, ``.json``, ``.atom`` or ``.xml`` suffix)."""
        name, _, suffix = resource.strip("/").partition(".")
        accept = {"atom": ATOM, "xml": "application/opensearchdescription+xml",
                  "geojson": JSON, "json": JSON}.get(suffix, accept)
        try:
            if name == "products":
                return self.products(args, base_url, accept)
            if name == "collections":
                return self.collections(args, base_url, accept)
            if name in ("description", ""):
                return self.description(args, base_url, accept)
        except OpenSearchError as error:
            return _json(error.as_dict(), error.status, "application/json")
        error = OpenSearchError(f"no resource '{resource}' (collections, products,"
                                " description)", None, "NotFound", 404)
        return _json(error.as_dict(), 404, "application/json")

    def products(self, args: Mapping[str, str], base_url: str, accept: str | None) -> Response:
        collection, query, options = parse_products(args, self.registry, accept)
        total, rows = self.search.search(query)
        hrefs = Hrefs(base_url, self.archive, options.access)
        records = [product_record(row, collection, hrefs) for row in rows]
        page = _page(f"{base_url}/catalogue/products", options, total, len(records))
        page["links"]["search"] = [{
            "href": f"{base_url}/catalogue/description.geojson?"
                    + urlencode({"collection": collection_identifier(collection.id)}),
            "type": JSON, "title": "search"}]
        if options.format == "atom":
            return Response(200, ATOM, atom.feed(page, [atom.product_entry(r) for r in records],
                                                 "Product Search result"))
        return _json(geojson.feature_collection(
            page, [geojson.product_feature(r) for r in records], "Product Search result"))

    def collections(self, args: Mapping[str, str], base_url: str,
                    accept: str | None) -> Response:
        filters, options = parse_collections(args, self.registry, accept)
        hrefs = Hrefs(base_url, self.archive, options.access)
        summaries = self.search.summaries(self.registry.collections)
        records = [collection_record(c, summaries.get(c.id), hrefs)
                   for c in self.registry.collections.values()]
        matching = [r for r in records if _collection_matches(r, filters)]
        chosen = matching[options.start_index - 1:][:options.count]
        page = _page(f"{base_url}/catalogue/collections", options, len(matching), len(chosen))
        page["links"]["search"] = [{"href": f"{base_url}/catalogue/description.geojson",
                                    "type": JSON, "title": "search"}]
        if options.format == "atom":
            return Response(200, ATOM, atom.feed(
                page, [atom.collection_entry(r) for r in chosen], "Collection Search result"))
        return _json(geojson.feature_collection(
            page, [geojson.collection_feature(r) for r in chosen], "Collection Search result"))

    def description(self, args: Mapping[str, str], base_url: str,
                    accept: str | None) -> Response:
        unknown = [name for name in args if name not in ("collection", "httpAccept")]
        if unknown:
            raise OpenSearchError(f"unknown parameter '{unknown[0]}'", unknown[0])
        collection = None
        if args.get("collection"):
            collection_id, _ = split_identifier(args["collection"])
            collection = self.registry.collections.get(collection_id or args["collection"])
            if collection is None:
                raise OpenSearchError(f"unknown collection '{args['collection']}'",
                                      "collection")
        media = args.get("httpAccept") or accept or ""
        if "xml" in media and "json" not in media:
            return Response(200, "application/opensearchdescription+xml",
                            description.xml(base_url, collection, self.registry))
        return _json(description.document(base_url, collection, self.registry),
                     media="application/opensearchdescription+json")


def _page(endpoint: str, options: Options, total: int, returned: int) -> dict:
    """The envelope's paging facts and links (first, last, next, previous)."""
    def href(start: int) -> str:
        params = {**options.echo, "startIndex": str(start)}
        return f"{endpoint}?{urlencode(params)}"

    count, media = options.count, ATOM if options.format == "atom" else JSON
    reachable = min(total, MAX_DEPTH)
    last = ((reachable - 1) // count) * count + 1 if count and reachable else 1
    starts = {"first": 1, "last": last}
    start = options.start_index
    if count and start + count <= reachable:
        starts["next"] = start + count
    if count and start > 1:
        starts["previous"] = max(1, start - count)
    links = {rel: [{"href": href(at), "type": media, "title": rel}] for rel, at in starts.items()}
    return {"id": href(start), "totalResults": total, "startIndex": start,
            "itemsPerPage": returned, "links": links, "echo": options.echo}


def _collection_matches(record: CollectionRecord, filters: Mapping[str, str]) -> bool:
    """Collection filters, evaluated on the (few) registry records."""
    checks = []
    if "uid" in filters:
        checks.append(filters["uid"] in (record.identifier, record.id))
    if "title" in filters:
        checks.append(filters["title"] in record.title.values())
    if "productType" in filters:
        checks.append(filters["productType"].upper() == record.product_type.upper())
    if "platform" in filters:
        checks.append(filters["platform"].upper().replace("-", "")
                      == record.platform.upper().replace("-", ""))
    if "start" in filters or "end" in filters:
        checks.append(_overlaps_time(record, filters))
    area = parse_area(filters)
    if area:
        checks.append(record.bbox is not None and _boxes_meet(area, record.bbox))
    return all(checks)


def _overlaps_time(record: CollectionRecord, filters: Mapping[str, str]) -> bool:
    if record.begin is None:
        return False
    if "end" in filters and parse_time(filters["end"], "end") < parse_time(record.begin, "x"):
        return False
    return not ("start" in filters
                and parse_time(filters["start"], "start") > parse_time(record.end, "x"))


def _boxes_meet(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1]
