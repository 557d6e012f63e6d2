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
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import shape

from services.catalogue.opensearch.values import OpenSearchError, parse_bbox, parse_time
from services.index.search import Compare, Condition, Logical, ProductQuery
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
                 collection: str | None = None, posted: bool = False) -> Search:
    """The search a request asks for; ``collection`` for ``/collections/{id}/items``,
    ``posted`` for a POST body (JSON values, not the query string's text)."""
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
    query = replace(query, bbox=_area(args, posted))
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


def _area(args: Mapping[str, object], posted: bool) -> tuple[float, float, float, float] | None:
    if args.get("bbox") is not None and args.get("intersects") is not None:
        raise StacError("bbox and intersects cannot go together", "intersects")
    if args.get("bbox") is not None:
        value = args["bbox"]
        if isinstance(value, str) and posted:
            raise StacError("bbox in a POST body is an array of numbers", "bbox")
        parts = [str(v) for v in value] if isinstance(value, list) else str(value).split(",")
        if len(parts) == 6:  # a 3D box: the search is on its horizontal part
            parts = parts[0:2] + parts[3:5]
        return parse_bbox(",".join(parts))
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


# RFC 3339 date-time, as STAC requires (a date alone, or no time zone, is not one)
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _instant(text: str) -> datetime:
    if not _RFC3339.fullmatch(text):
        raise StacError(f"datetime '{text[:60]}' is not an RFC 3339 date-time "
                        "(e.g. 2018-06-01T00:00:00Z)", "datetime")
    return parse_time(text.upper(), "datetime")


def _datetime(text: str) -> tuple[datetime | None, datetime | None]:
    parts = text.split("/")
    if len(parts) == 1:
        moment = _instant(parts[0])
        return moment, moment
    if len(parts) != 2 or all(p in ("", "..") for p in parts):
        raise StacError(f"datetime '{text}' is not an instant or an interval", "datetime")
    start = None if parts[0] in ("", "..") else _instant(parts[0])
    end = None if parts[1] in ("", "..") else _instant(parts[1])
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
    """``query`` narrowed by a CQL2 filter (basic CQL2: AND, OR, NOT, comparisons, IS NULL,
    BETWEEN, and a_contains on sar:polarizations) on the queryables."""
    return replace(query, condition=condition(node))


def condition(node: ast.Node) -> Condition:
    """The index condition of a CQL2 expression."""
    if isinstance(node, ast.And | ast.Or):
        return Logical("and" if isinstance(node, ast.And) else "or",
                       (condition(node.lhs), condition(node.rhs)))
    if isinstance(node, ast.Not):
        return Logical("not", (condition(node.sub_node),))
    if isinstance(node, ast.Between):
        inside = Logical("and", (_compare(_name(node.lhs), ">=", node.low),
                                 _compare(_name(node.lhs), "<=", node.high)))
        return Logical("not", (inside,)) if node.not_ else inside
    if isinstance(node, ast.IsNull):
        test = Compare(_field(_name(node.lhs)), "isnull")
        return Logical("not", (test,)) if node.not_ else test
    if isinstance(node, ast.ArrayContains | ast.ArrayOverlaps) and \
            _name(node.lhs) == "sar:polarizations":
        values = node.rhs if isinstance(node.rhs, list) else [node.rhs]
        tests = tuple(Compare("properties.polarisationChannels", "contains", str(v))
                      for v in values)
        return Logical("and" if isinstance(node, ast.ArrayContains) else "or", tests)
    if isinstance(node, ast.Comparison):
        return _compare(_name(node.lhs), node.op.value, node.rhs)
    raise StacError(f"the filter uses {type(node).__name__}: basic CQL2 (AND, OR, NOT, "
                    f"comparisons, IS NULL, BETWEEN) and a_contains on sar:polarizations, on "
                    f"{', '.join(QUERYABLES)}, is supported", "filter")


QUERYABLES = ("id", "collection", "eo:cloud_cover", "datetime", "sat:orbit_state",
              "sat:relative_orbit", "sar:polarizations", "sar:instrument_mode", "grid:code",
              "platform")
# queryable → (index field, how a value becomes the index's)
_FIELDS = {"id": ("name", str), "collection": ("collection", str),
           "eo:cloud_cover": ("cloud_cover", float), "datetime": ("time", None),
           "grid:code": ("tile", str), "platform": ("platform", str.upper),
           "sat:orbit_state": ("properties.orbitDirection", str.upper),
           "sat:relative_orbit": ("properties.relativeOrbitNumber", int),
           "sar:instrument_mode": ("properties.sensorMode", str.upper)}


def _name(node: object) -> str:
    if not isinstance(node, ast.Attribute):
        raise StacError("a comparison must have a property on its left", "filter")
    return node.name.removeprefix("properties.")


def _field(name: str) -> str:
    if name not in _FIELDS:
        raise StacError(f"'{name}' is not a queryable (queryables: {', '.join(QUERYABLES)})",
                        "filter")
    return _FIELDS[name][0]


def _compare(name: str, op: str, value: object) -> Compare:
    field, convert = _FIELDS.get(name, (None, None))
    if field is None:
        _field(name)
    if op not in ("=", "<>", "<", "<=", ">", ">="):
        raise StacError(f"{name} cannot be compared with {op}", "filter")
    if isinstance(value, ast.Node | list | dict) or value is None:
        raise StacError(f"{name} must be compared with a literal value", "filter")
    if convert is None:  # datetime: an instant, a timestamp('…') or a date('…')
        moment = value if isinstance(value, datetime) else parse_time(str(value), "filter")
        return Compare(field, op, moment)
    try:
        return Compare(field, op, convert(value if convert is float else str(value)))
    except ValueError:
        raise StacError(f"{name} cannot be compared with '{value}'", "filter") from None
