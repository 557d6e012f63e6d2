"""The OpenSearch parameters eoscope answers (Terrascope's names), and their validation.

One table, :data:`PARAMETERS`, with the EO queryables of the mission profiles in use
(:func:`parameters`), drives both the validation (an unknown name is an error) and the
description documents (each parameter's template term, title and options). A queryable of
another mission, or ``cloudCover`` on a collection without clouds (radar, atmosphere), is an
error for that collection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.catalogue.opensearch.values import (
    OpenSearchError,
    circle_bbox,
    parse_bbox,
    parse_geometry,
    parse_integer,
    parse_interval,
    parse_number,
    parse_time,
)
from services.catalogue.records import ACCESS_STYLES, nominal_resolution, split_identifier
from services.index.search import SORT_COLUMNS, ProductQuery, PropertyFilter
from services.missions import PROFILES, Queryable
from services.registry import Collection, Registry

DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_DEPTH = 100_000     # results reachable by paging (Terrascope: about 100,000)
FORMATS = {"application/geo+json": "geojson", "application/json": "geojson",
           "application/atom+xml": "atom"}
PRODUCTS, COLLECTIONS = "products", "collections"
BOTH = frozenset({PRODUCTS, COLLECTIONS})


@dataclass(frozen=True)
class Parameter:
    """One query parameter: its name, the OpenSearch template term, and what it searches."""

    name: str
    term: str
    title: str
    applies: frozenset[str] = BOTH
    options: tuple[str, ...] = ()
    pattern: str | None = None


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("collection", "eo:parentIdentifier", "Collection identifier (URN)",
              frozenset({PRODUCTS})),
    Parameter("uid", "geo:uid", "Identifier (URN) or title of a product or collection"),
    Parameter("title", "eo:title", "Exact title"),
    Parameter("start", "time:start", "Start of the time window (ISO 8601 date or date-time)"),
    Parameter("end", "time:end", "End of the time window (ISO 8601 date or date-time)"),
    Parameter("bbox", "geo:box", "west,south,east,north in degrees (EPSG:4326)"),
    Parameter("geometry", "geo:geometry", "WKT geometry in EPSG:4326 (searched by its bounding"
              " box)"),
    Parameter("lat", "geo:lat", "Latitude of a circle's centre, degrees"),
    Parameter("lon", "geo:lon", "Longitude of a circle's centre, degrees"),
    Parameter("radius", "geo:radius", "Radius of the circle, metres"),
    Parameter("platform", "eo:platform", "Platform, e.g. Sentinel-2 or S2A"),
    Parameter("productType", "eo:productType", "Product type, e.g. NDVI"),
    Parameter("resolution", "eo:resolution", "Resolution in metres", frozenset({PRODUCTS})),
    Parameter("cloudCover", "eo:cloudCover", "Cloud cover percent: N (at most N), [a,b], [a,b[,"
              " a], [a (optical collections)", frozenset({PRODUCTS})),
    Parameter("publicationDate", "dct:created", "Interval of publication (ingest) times",
              frozenset({PRODUCTS})),
    Parameter("modificationDate", "eo:modificationDate", "Interval of modification (ingest)"
              " times", frozenset({PRODUCTS})),
    Parameter("processingDate", "eo:processingDate", "Interval of processing (ingest) times",
              frozenset({PRODUCTS})),
    Parameter("accessedFrom", "referrer:source", "Link style: HTTP (downloads) or MEP (file"
              " paths)", options=ACCESS_STYLES),
    Parameter("sortKeys", "sru:sortKeys", "key,,ascending(1|0), keys: "
              + ", ".join(SORT_COLUMNS), frozenset({PRODUCTS})),
    Parameter("count", "count", f"Results per page (0-{MAX_COUNT}; 0 gives only the total)"),
    Parameter("startIndex", "startIndex", "1-based index of the first result"),
    Parameter("clientId", "referrer:clientId", "Free client correlation id (echoed)"),
    Parameter("httpAccept", "sru:httpAccept", "Response format", options=tuple(FORMATS)),
)
TERMS = {"relativeOrbitNumber": "eo:orbitNumber"}  # OpenSearch EO's names where they differ


def queryable_parameter(queryable: Queryable) -> Parameter:
    return Parameter(queryable.name, TERMS.get(queryable.name, f"eo:{queryable.name}"),
                     queryable.title, frozenset({PRODUCTS}), options=queryable.options,
                     pattern=queryable.pattern)


def parameters(registry: Registry, collection: Collection | None = None
               ) -> tuple[Parameter, ...]:
    """Every parameter: the common ones and the EO queryables of the profiles in use (of the
    collection's own profile only, when one is given: its titles and options)."""
    profiles = [collection.profile] if collection else registry.profiles
    extra: dict[str, Parameter] = {}
    for name in profiles:
        for queryable in PROFILES[name].queryables:
            extra.setdefault(queryable.name, queryable_parameter(queryable))
    return PARAMETERS + tuple(extra.values())


@dataclass(frozen=True)
class Options:
    """What shapes the response rather than the result set."""

    count: int = DEFAULT_COUNT
    start_index: int = 1
    access: str = "HTTP"
    format: str = "geojson"
    echo: dict[str, str] = field(default_factory=dict)   # the request's non-empty parameters


def applies_to(name: str, collection: Collection) -> bool:
    """Whether a product search parameter means something for ``collection``: the common
    ones do, an EO queryable if the collection's profile has it, cloudCover if it has clouds."""
    if name == "cloudCover":
        return collection.cloud_cover
    queryables = {q.name for p in PROFILES.values() for q in p.queryables}
    return name not in queryables or \
        name in {q.name for q in PROFILES[collection.profile].queryables}


def _known(args: Mapping[str, str], kind: str, registry: Registry) -> dict[str, str]:
    """The non-empty parameters; an unknown one is an error (empty means no filter)."""
    by_name = {p.name: p for p in parameters(registry)}
    for name in args:
        parameter = by_name.get(name)
        if parameter is None or kind not in parameter.applies:
            raise OpenSearchError(f"unknown parameter '{name}' for {kind} searches", name)
    return {name: value for name, value in args.items() if value.strip() != ""}


def parse_options(args: Mapping[str, str], accept: str | None) -> Options:
    count = parse_integer(args["count"], "count", 0, MAX_COUNT) if "count" in args \
        else DEFAULT_COUNT
    start_index = parse_integer(args.get("startIndex", "1"), "startIndex", 1)
    if start_index > MAX_DEPTH:
        raise OpenSearchError(f"startIndex beyond {MAX_DEPTH}: narrow the search down",
                              "startIndex")
    access = args.get("accessedFrom", "HTTP").upper()
    if access not in ACCESS_STYLES:
        raise OpenSearchError(f"accessedFrom must be one of {', '.join(ACCESS_STYLES)}",
                              "accessedFrom")
    media = args.get("httpAccept") or ("application/atom+xml"
                                       if accept and "atom+xml" in accept else "application/json")
    if media not in FORMATS:
        raise OpenSearchError(f"httpAccept must be one of {', '.join(FORMATS)}", "httpAccept")
    return Options(count, start_index, access, FORMATS[media], dict(args))


def _window(args: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    start = parse_time(args["start"], "start") if "start" in args else None
    end = parse_time(args["end"], "end", end=True) if "end" in args else None
    if start and end and start > end:
        raise OpenSearchError("start is after end", "start")
    return start, end


def parse_area(args: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    if "bbox" in args:
        return parse_bbox(args["bbox"])
    if "geometry" in args:
        return parse_geometry(args["geometry"])
    if "lat" in args or "lon" in args:
        if not ("lat" in args and "lon" in args):
            missing = "lon" if "lat" in args else "lat"
            raise OpenSearchError("lat and lon go together", missing, "MissingParameterValue")
        lat = parse_number(args["lat"], "lat", -90, 90)
        lon = parse_number(args["lon"], "lon", -180, 180)
        radius = parse_number(args.get("radius", "0"), "radius", 0, 20_037_508)
        return circle_bbox(lat, lon, radius)
    if "radius" in args:
        raise OpenSearchError("radius needs lat and lon", "lat", "MissingParameterValue")
    return None


def _platform_serials(value: str, collection: Collection) -> tuple[str, ...] | None | bool:
    """None: no restriction; a tuple: these serial identifiers; False: nothing matches."""
    wanted = value.strip().upper()
    if wanted in (collection.platform.upper(), collection.platform.upper().replace("-", "")):
        return None
    if re.fullmatch(PROFILES[collection.profile].serial, wanted, re.IGNORECASE):
        return (wanted,)
    return False


def _collection(args: Mapping[str, str], registry: Registry) -> Collection:
    if "collection" not in args:
        raise OpenSearchError("the collection parameter is required", "collection",
                              "MissingParameterValue")
    collection_id, rest = split_identifier(args["collection"].strip())
    if collection_id is None:  # a bare collection id
        collection_id, rest = rest, ""
    collection = registry.collections.get(collection_id)
    if collection is None or rest:
        known = ", ".join(f"urn:eop:VITO:{c}" for c in registry.collections)
        raise OpenSearchError(f"unknown collection '{args['collection']}' (known: {known})",
                              "collection")
    return collection


def _applies(args: Mapping[str, str], collection: Collection) -> tuple[bool, tuple | None]:
    """(whether the collection-level filters keep the collection, platform serials)."""
    keep = True
    if "productType" in args:
        keep &= args["productType"].strip().upper() == collection.product_type.upper()
    if "resolution" in args:
        wanted, nominal = parse_number(args["resolution"], "resolution", 0), \
            nominal_resolution(collection)
        keep &= abs(wanted - nominal) <= 0.02 * nominal   # 333 m is a 1/336° grid's 331 m
    serials = None
    if "platform" in args:
        found = _platform_serials(args["platform"], collection)
        keep &= found is not False
        serials = found or None
    return keep, serials


def _names(args: Mapping[str, str], collection: Collection) -> tuple[str, ...] | None:
    names = None
    for name in ("title", "uid"):
        if name in args:
            collection_id, rest = split_identifier(args[name].strip())
            value = rest if collection_id else args[name].strip()
            if collection_id and collection_id != collection.id:
                value = ""
            names = (value,) if names is None or names == (value,) else ()
    return names


def parse_products(args: Mapping[str, str], registry: Registry, accept: str | None = None
                   ) -> tuple[Collection, ProductQuery, Options]:
    """Validate a product search; raise :class:`OpenSearchError` on the first bad parameter."""
    args = _known(args, PRODUCTS, registry)
    collection = _collection(args, registry)
    options = parse_options(args, accept)
    start, end = _window(args)
    keep, serials = _applies(args, collection)
    tile, properties = _queryables(args, collection, registry)
    if "cloudCover" in args and not collection.cloud_cover:
        raise OpenSearchError(f"cloudCover does not apply to {collection.id}: its products "
                              "have no cloud cover", "cloudCover")
    published = tuple(parse_interval(args[n], n, datetime, single_is_max=False)
                      for n in ("publicationDate", "modificationDate", "processingDate")
                      if n in args)
    query = ProductQuery(
        collections=(collection.id,) if keep else (), start=start, end=end, bbox=parse_area(args),
        names=_names(args, collection), platforms=serials, tile=tile,
        cloud_cover=parse_interval(args["cloudCover"], "cloudCover", float, single_is_max=True)
        if "cloudCover" in args else None,
        published=published, properties=properties,
        sort=parse_sort(args.get("sortKeys")),
        offset=options.start_index - 1, limit=min(options.count, MAX_DEPTH - options.start_index
                                                  + 1))
    return collection, query, options


def _queryables(args: Mapping[str, str], collection: Collection, registry: Registry
                ) -> tuple[str | None, tuple[PropertyFilter, ...]]:
    """(the tile asked for, filters on the products' properties): each EO queryable the
    request names must be one of the collection's profile."""
    own = {q.name: q for q in PROFILES[collection.profile].queryables}
    others = {q.name for name in registry.profiles for q in PROFILES[name].queryables}
    tile, filters = None, []
    for name in (n for n in args if n in others):
        queryable = own.get(name)
        if queryable is None:
            known = ", ".join(own) or "none"
            raise OpenSearchError(f"{name} does not apply to {collection.id} (its EO "
                                  f"parameters: {known})", name)
        values = _queryable_values(queryable, args[name].strip())
        if queryable.property == "tile":
            tile = str(values[0])
        else:
            op = "contains" if queryable.kind == "list" else "eq"
            filters += [PropertyFilter(queryable.property, v, op) for v in values]
    return tile, tuple(filters)


def _queryable_values(queryable: Queryable, text: str) -> list[str | int]:
    name = queryable.name
    if queryable.kind == "integer":
        return [parse_integer(text, name, queryable.minimum or 0, queryable.maximum)]
    if queryable.kind in ("choice", "list"):
        values = [v.strip().upper() for v in text.split(",")] if queryable.kind == "list" \
            else [text.upper()]
        unknown = [v for v in values if v not in queryable.options]
        if unknown or (queryable.kind == "choice" and len(values) != 1):
            raise OpenSearchError(f"{name} must be {' or '.join(queryable.options)}"
                                  + (", comma-separated" if queryable.kind == "list" else ""),
                                  name)
        return list(values)
    if queryable.pattern and not re.fullmatch(queryable.pattern, text):
        raise OpenSearchError(f"'{text}' is not a {name} ({queryable.title})", name)
    return [text]


def parse_sort(text: str | None) -> tuple[tuple[str, bool], ...]:
    """SRU sort keys: ``key,,1`` (ascending) or ``key,,0``, several separated by spaces."""
    if not text:
        return (("start", True),)
    keys = []
    for term in text.split():
        parts = term.split(",")
        if parts[0] not in SORT_COLUMNS:
            raise OpenSearchError(f"unknown sort key '{parts[0]}' (known: "
                                  f"{', '.join(SORT_COLUMNS)})", "sortKeys")
        direction = parts[2] if len(parts) > 2 and parts[2] else "1"
        if direction not in ("0", "1"):
            raise OpenSearchError(f"'{term}': the direction is 1 (ascending) or 0", "sortKeys")
        keys.append((parts[0], direction == "1"))
    return tuple(keys)


def parse_collections(args: Mapping[str, str], registry: Registry, accept: str | None = None
                      ) -> tuple[dict[str, str], Options]:
    """Validate a collection search: (the non-empty filters, options)."""
    args = _known(args, COLLECTIONS, registry)
    options = parse_options(args, accept)
    _window(args)
    parse_area(args)
    return args, options
