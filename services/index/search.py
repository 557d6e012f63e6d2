"""Product searches over the index: the SQL behind the catalogue (OpenSearch, CSW, MEP).

Every filter is a range or equality on indexed columns: (collection, time) and the lon/lat
bounding box (collection, minx, maxx, miny, maxy). No geometry is tested row by row in Python:
geometry and circle searches are answered on the footprints' bounding boxes, which for
Sentinel-2 tiles in lon/lat are near-rectangles. A PostgreSQL/PostGIS index replaces this module
(and store.py) without touching the services.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from services.index.product import Product


@dataclass(frozen=True)
class CollectionSummary:
    """What the index knows about a collection: its products' count, time span and extent."""

    collection: str
    count: int
    begin: str
    end: str
    bbox: tuple[float, float, float, float]
    updated: str


def collection_summaries(db: sqlite3.Connection, collections: Iterable[str]
                         ) -> dict[str, CollectionSummary]:
    """One summary per collection that has products, from the indexes: the first and last
    times and the newest row are index lookups; count and extent scan the covering bbox index
    (about 0.2 s for 1,000,000 products of one collection), never the table."""
    summaries = {}
    for collection in collections:
        count, *bbox = db.execute(
            "SELECT count(*), min(minx), min(miny), max(maxx), max(maxy) FROM products"
            " WHERE collection = ?", (collection,)).fetchone()
        if not count:
            continue
        begin = db.execute("SELECT min(time) FROM products WHERE collection = ?",
                           (collection,)).fetchone()[0]
        end = db.execute("SELECT max(time) FROM products WHERE collection = ?",
                         (collection,)).fetchone()[0]
        updated = db.execute(  # upsert re-inserts, so the newest row has the highest id
            "SELECT ingested_at FROM products WHERE id = (SELECT max(id) FROM products"
            " WHERE collection = ?)", (collection,)).fetchone()[0]
        summaries[collection] = CollectionSummary(collection, count, begin, end, tuple(bbox),
                                                  updated)
    return summaries


@dataclass(frozen=True)
class Interval:
    """Bounds of a numeric or time filter; ``None`` leaves a side open."""

    low: float | datetime | None = None
    high: float | datetime | None = None
    low_closed: bool = True
    high_closed: bool = True


@dataclass(frozen=True)
class PropertyFilter:
    """A test on one of the products' profile properties: equal to ``value``, or (``contains``)
    a comma-separated list property holding it (``polarisationChannels`` "VV, VH" holds VH)."""

    name: str
    value: str | int | float
    op: Literal["eq", "contains"] = "eq"


@dataclass(frozen=True)
class Compare:
    """``field`` (a column of :data:`FILTER_COLUMNS`, or ``properties.<name>`` of the
    profile's properties) compared with ``value``; ``isnull`` takes no value, ``contains``
    tests a comma-separated list property (as :class:`PropertyFilter`)."""

    field: str
    op: Literal["=", "<>", "<", "<=", ">", ">=", "isnull", "contains"]
    value: str | int | float | datetime | None = None


@dataclass(frozen=True)
class Logical:
    """``and``/``or`` of its conditions, or ``not`` of its one condition."""

    op: Literal["and", "or", "not"]
    args: tuple[Compare | Logical, ...]


Condition = Compare | Logical
FILTER_COLUMNS = ("name", "collection", "time", "cloud_cover", "platform", "tile")


@dataclass(frozen=True)
class ProductQuery:
    """A product search: every field narrows it; times are timezone-aware datetimes."""

    collections: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None   # west, south, east, north
    names: tuple[str, ...] | None = None
    platforms: tuple[str, ...] | None = None                # serial identifiers, e.g. S2A
    tile: str | None = None
    cloud_cover: Interval | None = None
    published: tuple[Interval, ...] = ()     # on the ingest time
    properties: tuple[PropertyFilter, ...] = ()
    condition: Condition | None = None                     # any boolean filter (STAC CQL2)
    sort: tuple[tuple[str, bool], ...] = (("start", True),)  # (key, ascending)
    offset: int = 0
    limit: int = 100


SORT_COLUMNS = {"start": "time", "end": "time", "date": "time", "title": "name",
                "cloudCover": "cloud_cover", "published": "ingested_at",
                "updated": "ingested_at", "tileId": "tile"}
_COLUMNS = ("id, collection, name, platform, tile, time, end_time, version, cloud_cover, crs,"
            " minx, miny, maxx, maxy, footprint, folder, properties, ingested_at")


def _time_text(value: datetime, column: str, upper: bool) -> str:
    """A bound in the column's stored format (whole seconds: a fractional lower bound is
    rounded up, an upper one down, which keeps comparisons exact)."""
    if value.microsecond and not upper:
        try:
            value = value.replace(microsecond=0) + timedelta(seconds=1)
        except OverflowError:  # the last second of year 9999: nothing is later anyway
            value = value.replace(microsecond=0)
    value = value.astimezone(UTC).replace(microsecond=0)
    if column == "time":  # isoformat, not strftime: %Y gives '1', not '0001', for year 1
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()  # ingested_at: 2026-01-01T10:00:00+00:00


def _interval(column: str, interval: Interval, where: list[str], args: list) -> None:
    for bound, closed, upper in ((interval.low, interval.low_closed, False),
                                 (interval.high, interval.high_closed, True)):
        if bound is None:
            continue
        op = ("<=" if closed else "<") if upper else (">=" if closed else ">")
        value = _time_text(bound, column, upper) if isinstance(bound, datetime) else bound
        where.append(f"{column} {op} ?")
        args.append(value)


def _bbox(bbox: tuple[float, float, float, float], where: list[str], args: list) -> None:
    west, south, east, north = bbox
    where.append("miny <= ? AND maxy >= ?")
    args += [north, south]
    if west <= east:
        where.append("minx <= ? AND maxx >= ?")
        args += [east, west]
    else:  # across the antimeridian
        where.append("(minx <= ? OR maxx >= ?)")
        args += [east, west]


def _property(test: PropertyFilter, where: list[str], args: list) -> None:
    if not test.name.replace("_", "").isalnum():
        raise ValueError(f"not a property name: {test.name!r}")
    value = f"json_extract(properties, '$.{test.name}')"
    if test.op == "contains":
        where.append(f"instr(', ' || {value} || ',', ?) > 0")
        args.append(f", {test.value},")
    else:
        where.append(f"{value} = ?")
        args.append(test.value)


def _condition(condition: Condition, args: list) -> str:
    """Parameterised SQL of a condition."""
    if isinstance(condition, Logical):
        parts = [_condition(c, args) for c in condition.args]
        if condition.op == "not":
            return f"NOT ({parts[0]})"
        return "(" + f" {condition.op.upper()} ".join(f"({p})" for p in parts) + ")"
    field = condition.field
    if field.startswith("properties."):
        name = field.removeprefix("properties.")
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a property name: {name!r}")
        column = f"json_extract(properties, '$.{name}')"
    elif field in FILTER_COLUMNS:
        column = field
    else:
        raise ValueError(f"not a filter column: {field!r}")
    if condition.op == "isnull":
        return f"{column} IS NULL"
    if condition.op == "contains":
        args.append(f", {condition.value},")
        return f"instr(', ' || {column} || ',', ?) > 0"
    value = condition.value
    if isinstance(value, datetime):
        value = _time_text(value, "time", condition.op not in (">", ">="))
    args.append(value)
    return f"{column} {condition.op} ?"


def _where(query: ProductQuery) -> tuple[str, list]:
    marks = ", ".join("?" * len(query.collections)) or "NULL"
    where, args = [f"collection IN ({marks})"], list(query.collections)
    if query.start or query.end:
        _interval("time", Interval(query.start, query.end), where, args)
    if query.bbox:
        _bbox(query.bbox, where, args)
    for column, values in (("name", query.names), ("platform", query.platforms)):
        if values is not None:
            where.append(f"{column} IN ({', '.join('?' * len(values)) or 'NULL'})")
            args += values
    if query.tile:
        where.append("tile = ?")
        args.append(query.tile)
    if query.cloud_cover:
        _interval("cloud_cover", query.cloud_cover, where, args)
    for interval in query.published:
        _interval("ingested_at", interval, where, args)
    for test in query.properties:
        _property(test, where, args)
    if query.condition is not None:
        where.append(_condition(query.condition, args))
    return " AND ".join(where), args


def _order(sort: tuple[tuple[str, bool], ...]) -> str:
    terms = [f"{SORT_COLUMNS[key]} {'ASC' if ascending else 'DESC'}" for key, ascending in sort]
    return ", ".join([*terms, "name ASC"])


class ProductSearch:
    """Read-only searches over the index file at ``path``; each call opens its own connection,
    so a product ingested a moment ago is found at once."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def summaries(self, collections: Iterable[str]) -> dict[str, CollectionSummary]:
        with closing(self._connect()) as db:
            return collection_summaries(db, collections)

    def count(self, query: ProductQuery) -> int:
        where, args = _where(query)
        with closing(self._connect()) as db:
            return db.execute(f"SELECT count(*) FROM products WHERE {where}", args).fetchone()[0]

    def search(self, query: ProductQuery) -> tuple[int, list[Product]]:
        """(total matches, the requested page)."""
        where, args = _where(query)
        with closing(self._connect()) as db:
            total = db.execute(f"SELECT count(*) FROM products WHERE {where}", args).fetchone()[0]
            if query.limit <= 0 or query.offset >= total:
                return total, []
            rows = db.execute(f"SELECT {_COLUMNS} FROM products WHERE {where}"
                              f" ORDER BY {_order(query.sort)} LIMIT ? OFFSET ?",
                              [*args, query.limit, query.offset]).fetchall()
            return total, _with_files(db, rows)

    def file(self, path: str) -> tuple[str, int] | None:
        """(path, size) of a file some indexed product has, or None."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT path, size FROM files WHERE path = ? LIMIT 1",
                             (path,)).fetchone()
        return (row[0], row[1]) if row else None

    def times(self, collection: str) -> list[str]:
        """Every acquisition time of a collection, oldest first."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT DISTINCT time FROM products WHERE collection = ?"
                              " ORDER BY time", (collection,)).fetchall()
        return [r[0] for r in rows]


def _with_files(db: sqlite3.Connection, rows: list[tuple]) -> list[Product]:
    ids = [r[0] for r in rows]
    files: dict[int, list[tuple[str, str, int]]] = {i: [] for i in ids}
    for product_id, band, path, size in db.execute(
            f"SELECT product_id, band, path, size FROM files WHERE product_id IN"
            f" ({', '.join('?' * len(ids))}) ORDER BY product_id, band", ids):
        files[product_id].append((band, path, size))
    return [Product(collection=r[1], name=r[2], platform=r[3], tile=r[4], time=r[5], end=r[6],
                    version=r[7], cloud_cover=r[8], crs=r[9], bbox=tuple(r[10:14]),
                    footprint=r[14], folder=r[15], files=tuple(files[r[0]]),
                    properties=json.loads(r[16]), ingested_at=r[17])
            for r in rows]
