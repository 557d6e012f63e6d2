"""pycsw's repository interface over the record views (``repository.source`` in the config).

pycsw builds the repository itself, as ``IndexRepository(context, repo_filter)``; the adapter
hands it the request's :class:`RecordSource` on the context (``context.eoscope_records``), so
nothing is global. Queries run on the live index: pycsw's filter parser gives an SQL
where-clause over the views' columns, SQLite does the filtering, sorting and paging.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from shapely import wkt
from shapely.errors import ShapelyError

from services.catalogue.csw.columns import ARMS, NAMES
from services.catalogue.csw.document import dublin_core

# pycsw's spatial SQL; predicates true only where the envelopes meet get an envelope test first
_SPATIAL = re.compile(r"query_spatial\(wkt_geometry,'([^']*)','(\w+)','[^']*'\) = 'true'")
# one parameter for any number of values (a JSON array): no limit on SQL variables
_LIST = "(SELECT value FROM json_each(?))"
_MEETING = {"bbox", "intersects", "contains", "crosses", "equals", "overlaps", "touches",
            "within"}


@dataclass(frozen=True)
class RecordSource:
    """Opens a connection with the record views (see :mod:`.view`); one per request."""

    connect: Callable[[], sqlite3.Connection]


class IndexRepository:
    """The read-only repository pycsw queries; transactions are not offered."""

    dbtype = "sqlite"
    fts = False

    def __init__(self, context: Any, repo_filter: str | None = None):
        self.context = context
        self.filter = repo_filter
        self.source: RecordSource = context.eoscope_records
        self.queryables = _queryables(context)
        self._db: sqlite3.Connection | None = None
        # (begin, end) of every record returned, for the ISO writer's gap (see iso.py)
        self.times: dict[str, tuple[str | None, str | None]] = {}

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self.source.connect()
        return self._db

    def close(self) -> None:
        """Close the request's connection (the adapter calls this after each request)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _rows(self, sql: str, params: dict | tuple = ()) -> list[SimpleNamespace]:
        cursor = self._connection().execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in cursor]

    def _values(self, sql: str, params: dict | tuple = ()) -> list[tuple]:
        return self._connection().execute(sql, params).fetchall()

    def _where(self, where: str | None = None) -> str:
        clauses = [f"({_with_envelopes(where)})"] if where else []
        if self.filter:
            clauses.append(f"({self.filter})")
        return f" WHERE {' AND '.join(clauses)}" if clauses else ""

    def _both(self, sql: str, params: dict | tuple = ()) -> list[list[tuple]]:
        """Run ``sql`` (with ``{arm}``) on the product and the collection records."""
        return [self._values(sql.format(arm=arm), params) for arm in ARMS]

    def _fetch(self, keys: list[tuple[str, int]]) -> list[SimpleNamespace]:
        """Full rows of the records named by (arm, record key), in that order."""
        rows: dict[tuple[str, int], SimpleNamespace] = {}
        for arm in ARMS:
            wanted = [key for a, key in keys if a == arm]
            if wanted:
                for row in self._rows(f"SELECT * FROM {arm} WHERE record_key IN {_LIST}",
                                      (json.dumps(wanted),)):
                    rows[(arm, row.record_key)] = row
        found = [rows[key] for key in keys if key in rows]
        self.times.update((row.identifier, (row.time_begin, row.time_end)) for row in found)
        return found

    def query_ids(self, ids: list[str]) -> list[SimpleNamespace]:
        wanted = json.dumps(list(ids))
        names = json.dumps([identifier.rsplit(":", 1)[-1] for identifier in ids])
        # a product's title is its name, which the index looks up by its unique index
        products = self._values(f"SELECT record_key FROM product_records"
                                f"{self._where(f'title IN {_LIST} AND identifier IN {_LIST}')}",
                                (names, wanted))
        collections = self._values(f"SELECT record_key FROM collection_records"
                                   f"{self._where(f'identifier IN {_LIST}')}", (wanted,))
        rows = self._fetch([(ARMS[0], k) for (k,) in products] +
                           [(ARMS[1], k) for (k,) in collections])
        for row in rows:  # GetRepositoryItem returns the stored document
            row.xml = dublin_core(row)
        return rows

    def query_domain(self, domain: str, typenames: Any, domainquerytype: str = "list",
                     count: bool = False) -> list[tuple]:
        column = _column(domain)
        where = self._where()
        if domainquerytype == "range":
            parts = self._both(f"SELECT min({column}), max({column}) FROM {{arm}}{where}")
            lows = [p[0][0] for p in parts if p[0][0] is not None]
            highs = [p[0][1] for p in parts if p[0][1] is not None]
            return [(min(lows, default=None), max(highs, default=None))]
        if count:
            counts: dict = {}
            for part in self._both(f"SELECT {column}, count({column}) FROM {{arm}}{where}"
                                   f" GROUP BY {column}"):
                for value, number in part:
                    counts[value] = counts.get(value, 0) + number
            return sorted(counts.items(), key=lambda item: str(item[0]))
        values = {row[0] for part in self._both(f"SELECT DISTINCT {column} FROM {{arm}}{where}")
                  for row in part}
        return [(value,) for value in sorted(values, key=str)]

    def query_insert(self, direction: str = "max") -> str | None:
        """The latest (or earliest) insert date; a collection's is its latest product's, so
        the products alone decide."""
        function = "min" if direction == "min" else "max"
        return self._values(f"SELECT {function}(insert_date) FROM {ARMS[0]}"
                            f"{self._where()}")[0][0]

    def query_source(self, source: str) -> list[SimpleNamespace]:
        keys = [(arm, key) for arm, part in zip(ARMS, self._both(
            f"SELECT record_key FROM {{arm}}{self._where('source = ?')}", (source,)),
            strict=True) for (key,) in part]
        return self._fetch(keys)

    def query(self, constraint: dict, sortby: dict | None = None, typenames: Any = None,
              maxrecords: int = 10, startposition: int = 0) -> list:
        where = self._where(constraint.get("where"))
        params = {f"pvalue{n}": v for n, v in enumerate(constraint.get("values", []))}
        total = sum(part[0][0] for part in self._both(f"SELECT count(*) FROM {{arm}}{where}",
                                                      params))
        params.update(limit=max(int(maxrecords), 0), offset=max(int(startposition), 0))
        value, direction = _sort_value(sortby)
        page = " UNION ALL ".join(
            f"SELECT '{arm}' AS arm, record_key, {value} AS sort_value, identifier"
            f" FROM {arm}{where}" for arm in ARMS)
        keys = self._values(f"{page} ORDER BY sort_value {direction}, identifier"
                            " LIMIT :limit OFFSET :offset", params)
        return [str(total), self._fetch([(arm, key) for arm, key, _value, _id in keys])]

    def insert(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the catalogue is read-only: records come from the product index")

    update = delete = insert


def _queryables(context: Any) -> dict[str, dict]:
    """Every typename's queryables flattened into ``_all``, as pycsw's own repository does."""
    queryables: dict[str, dict] = {}
    for typename in context.model["typenames"].values():
        for name, properties in typename["queryables"].items():
            queryables.setdefault(name, {}).update(properties)
    everything: dict = {}
    for properties in queryables.values():
        everything.update(properties)
    everything.update(context.md_core_model["mappings"])
    queryables["_all"] = everything
    return queryables


def _column(name: str) -> str:
    if name not in NAMES:
        raise RuntimeError(f"not a queryable column: {name}")
    return name


def _sort_value(sortby: dict | None) -> tuple[str, str]:
    """(SQL of the sort value, direction); records without a sort order go by identifier."""
    if not sortby:
        return "identifier", "ASC"
    column = _column(sortby["propertyname"])
    if sortby.get("spatial"):
        column = f"get_geometry_area({column})"
    return column, "DESC" if sortby.get("order") == "DESC" else "ASC"


def _with_envelopes(where: str) -> str:
    """Put an envelope test in front of each spatial predicate that needs the geometries to
    meet, so SQLite skips far records before calling shapely. The result is equivalent."""

    def prefilter(match: re.Match) -> str:
        if match.group(2) not in _MEETING:
            return match.group(0)
        try:
            bounds = wkt.loads(match.group(1)).bounds
        except (ShapelyError, ValueError):
            return match.group(0)
        if not all(math.isfinite(b) for b in bounds):
            return match.group(0)
        minx, miny, maxx, maxy = bounds
        return (f"(maxx >= {minx!r} AND minx <= {maxx!r} AND maxy >= {miny!r}"
                f" AND miny <= {maxy!r} AND {match.group(0)})")

    return _SPATIAL.sub(prefilter, where)
