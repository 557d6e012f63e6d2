"""STAC item search parameters (GET query or POST JSON) → the index's :class:`ProductQuery`.

``bbox``, ``intersects`` (searched by its bounding box, as OpenSearch's ``geometry``),
``datetime`` (an instant or an interval with ``..`` for an open end), ``ids``, ``collections``,
``limit`` (at most :data:`MAX_LIMIT`), ``token`` (paging) and ``filter`` in CQL2 text or JSON
(parsed by pygeofilter): a conjunction of comparisons on ``eo:cloud_cover``, ``datetime``,
``sat:orbit_state``, ``sat:relative_orbit``, ``sar:polarizations`` (a_contains),
``sar:instrument_mode``, ``grid:code`` and ``platform``. Anything else is a 400 that says what.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import shape

from services.catalogue.opensearch.values import OpenSearchError, parse_bbox, parse_time
from services.index.search import Interval, ProductQuery, PropertyFilter
from services.registry import Registry

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
SORTABLE = {"datetime": "start", "properties.datetime": "start", "id": "title",
            "eo:cloud_cover": "cloudCover", "properties.eo:cloud_cover": "cloudCover"}


class StacError(OpenSearchError):
    """A bad search: 400 with the parameter at fault."""


@dataclass(frozen=True)
class Search:
    query: ProductQuery
    limit: int
    offset: int


def parse_search(args: Mapping[str, object], registry: Registry,
                 collection: str | None = None) -> Search:
    """The search a request asks for; ``collection`` for ``/collections/{id}/items``."""
    known = {"bbox", "intersects", "datetime", "ids", "collections", "limit", "token",
             "filter", "filter-lang", "filter_lang", "sortby", "fields", "filter-crs"}
    unknown = [k for k in args if k not in known]
    if unknown:
        raise StacError(f"unknown search parameter '{unknown[0]}'", unknown[0])
    collections = _list(args.get("collections")) if collection is None else [collection]
    for name in collections:
        if name not in registry.collections:
            raise StacError(f"unknown collection '{name}'", "collections")
    query = ProductQuery(collections=tuple(collections or registry.collections))
    query = replace(query, bbox=_area(args))
    if args.get("datetime"):
        start, end = _datetime(str(args["datetime"]))
        query = replace(query, start=start, end=end)
    if args.get("ids"):
        query = replace(query, names=tuple(_list(args["ids"])))
    if args.get("filter"):
        query = apply_filter(query, _filter(args))
    query = replace(query, sort=_sort(args.get("sortby")))
    limit = _integer(args.get("limit"), "limit", DEFAULT_LIMIT, 1)
    offset = _integer(args.get("token"), "token", 0, 0)
    return Search(replace(query, limit=min(limit, MAX_LIMIT), offset=offset),
                  min(limit, MAX_LIMIT), offset)


def _list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value).split(",") if v]


def _area(args: Mapping[str, object]) -> tuple[float, float, float, float] | None:
    if args.get("bbox") is not None and args.get("intersects") is not None:
        raise StacError("bbox and intersects cannot go together", "intersects")
    if args.get("bbox") is not None:
        value = args["bbox"]
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        return parse_bbox(text)
    if args.get("intersects") is not None:
        value = args["intersects"]
        try:
            geometry = shape(json.loads(value) if isinstance(value, str) else value)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            raise StacError(f"intersects is not a GeoJSON geometry: {error}",
                            "intersects") from None
        west, south, east, north = geometry.bounds
        return parse_bbox(f"{west},{south},{east},{north}", "intersects")
    return None


def _datetime(text: str) -> tuple[datetime | None, datetime | None]:
    parts = text.split("/")
    if len(parts) == 1:
        moment = parse_time(parts[0], "datetime")
        return moment, moment
    if len(parts) != 2 or parts == ["..", ".."] or parts == ["", ""]:
        raise StacError(f"datetime '{text}' is not an instant or an interval", "datetime")
    start = None if parts[0] in ("", "..") else parse_time(parts[0], "datetime")
    end = None if parts[1] in ("", "..") else parse_time(parts[1], "datetime")
    if start and end and start > end:
        raise StacError("datetime: the start is after the end", "datetime")
    return start, end


def _integer(value: object, name: str, default: int, low: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise StacError(f"{name} must be an integer, got '{value}'", name) from None
    if number < low:
        raise StacError(f"{name} must be at least {low}", name)
    return number


def _sort(value: object) -> tuple[tuple[str, bool], ...]:
    if not value:
        return (("start", True),)
    terms = value if isinstance(value, list) else [
        {"field": t.lstrip("+-"), "direction": "desc" if t.startswith("-") else "asc"}
        for t in str(value).split(",")]
    keys = []
    for term in terms:
        field = term.get("field") if isinstance(term, dict) else None
        if field not in SORTABLE:
            raise StacError(f"cannot sort by '{field}' (sortable: {', '.join(SORTABLE)})",
                            "sortby")
        keys.append((SORTABLE[field], term.get("direction", "asc") != "desc"))
    return tuple(keys)


def _filter(args: Mapping[str, object]) -> ast.Node:
    language = str(args.get("filter-lang") or args.get("filter_lang") or (
        "cql2-json" if isinstance(args["filter"], dict) else "cql2-text"))
    try:
        if language == "cql2-json":
            value = args["filter"]
            return parse_cql2_json(value if isinstance(value, dict) else json.loads(value))
        if language == "cql2-text":
            return parse_cql2_text(str(args["filter"]))
    except Exception as error:  # noqa: BLE001 — the parser's own errors say where
        raise StacError(f"the filter is not valid {language}: {error}", "filter") from None
    raise StacError(f"filter-lang '{language}' is not cql2-text or cql2-json", "filter-lang")


def apply_filter(query: ProductQuery, node: ast.Node) -> ProductQuery:
    """``query`` narrowed by a CQL2 conjunction of comparisons on the queryables."""
    if isinstance(node, ast.And):
        return apply_filter(apply_filter(query, node.lhs), node.rhs)
    if isinstance(node, ast.Between):
        low = ast.GreaterEqual(node.lhs, node.low)
        return apply_filter(apply_filter(query, low), ast.LessEqual(node.lhs, node.high))
    if isinstance(node, ast.ArrayContains | ast.ArrayOverlaps) and \
            _name(node.lhs) == "sar:polarizations":
        values = node.rhs if isinstance(node.rhs, list) else [node.rhs]
        tests = tuple(PropertyFilter("polarisationChannels", str(v), "contains")
                      for v in values)
        return replace(query, properties=query.properties + tests)
    if isinstance(node, ast.Comparison):
        return _compare(query, _name(node.lhs), node.op.value, node.rhs)
    raise StacError(f"the filter uses {type(node).__name__}: only AND of comparisons on "
                    f"{', '.join(QUERYABLES)} is supported", "filter")


QUERYABLES = ("eo:cloud_cover", "datetime", "sat:orbit_state", "sat:relative_orbit",
              "sar:polarizations", "sar:instrument_mode", "grid:code", "platform")
_PROPERTIES = {"sat:orbit_state": ("orbitDirection", str.upper),
               "sat:relative_orbit": ("relativeOrbitNumber", int),
               "sar:instrument_mode": ("sensorMode", str.upper)}


def _name(node: object) -> str:
    if not isinstance(node, ast.Attribute):
        raise StacError("a comparison must have a property on its left", "filter")
    return node.name.removeprefix("properties.")


def _compare(query: ProductQuery, name: str, op: str, value: object) -> ProductQuery:
    if name == "eo:cloud_cover":
        return replace(query, cloud_cover=_narrow(query.cloud_cover, op, float(value)))
    if name == "datetime":
        moment = value if isinstance(value, datetime) else parse_time(str(value), "filter")
        start = moment if op in (">=", ">", "=") else query.start
        end = moment if op in ("<=", "<", "=") else query.end
        return replace(query, start=start, end=end)
    if op != "=":
        raise StacError(f"{name} can only be compared with =", "filter")
    if name in _PROPERTIES:
        key, convert = _PROPERTIES[name]
        return replace(query, properties=query.properties +
                       (PropertyFilter(key, convert(str(value))),))
    if name == "grid:code":
        return replace(query, tile=str(value))
    if name == "platform":
        return replace(query, platforms=(str(value).upper(),))
    raise StacError(f"'{name}' is not a queryable (queryables: {', '.join(QUERYABLES)})",
                    "filter")


def _narrow(current: Interval | None, op: str, value: float) -> Interval:
    interval = current or Interval()
    if op in ("<=", "<"):
        return replace(interval, high=value, high_closed=op == "<=")
    if op in (">=", ">"):
        return replace(interval, low=value, low_closed=op == ">=")
    if op == "=":
        return Interval(value, value)
    raise StacError(f"eo:cloud_cover cannot be compared with {op}", "filter")
