"""The time series service's queries on the product index: which product files (and the
scene classification that masks them) to read for a layer, a period and an area. Read-only, on
the same database ingest writes; part of the index layer, so another database replaces it
together with :mod:`services.index.store` and :mod:`services.index.search`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from services.index.kept import KeptReader
from services.index.store import READ_VERSION

_SOURCES = """
SELECT p.date, p.name, p.platform, p.time, p.tile, p.crs, p.footprint, f.path,
  (SELECT mf.path FROM products m JOIN files mf ON mf.product_id = m.id
    WHERE m.collection = :mask_collection AND m.platform = p.platform AND m.time = p.time
      AND m.tile = p.tile AND mf.band = :mask_band
    ORDER BY m.version DESC LIMIT 1)
FROM products p JOIN files f ON f.product_id = p.id
WHERE p.collection = :collection AND f.band = :band AND p.date BETWEEN :start AND :end
  AND p.minx <= :maxx AND p.maxx >= :minx AND p.miny <= :maxy AND p.maxy >= :miny
ORDER BY p.date, p.platform, p.time, p.tile, p.version DESC
"""


@dataclass(frozen=True)
class Source:
    """One product file to read for a date, with the scene classification that masks it."""

    name: str
    crs: str
    path: str
    mask_path: str | None
    bounds: tuple[float, float, float, float] | None = None   # the footprint's, lon/lat


@dataclass(frozen=True)
class SeriesQuery:
    """A band of a collection, masked by a band of a sibling collection (or not)."""

    collection: str
    band: str
    mask_collection: str | None = None
    mask_band: str | None = None


class SeriesCatalog:
    """The products of a layer, from the index at ``path`` (read-only, on a connection each
    thread keeps)."""

    def __init__(self, path: Path):
        self.path = path
        self._reader = KeptReader(path)

    def _query(self, sql: str, args: dict | tuple) -> list[tuple]:
        try:
            return self._reader.connection().execute(sql, args).fetchall()
        except sqlite3.Error:
            self._reader.forget()
            raise

    def summary(self, collection: str) -> tuple[list[str], tuple[float, ...] | None]:
        """Every acquisition date (oldest first) and the lon/lat bounds of a collection."""
        dates = [r[0] for r in self._query(
            "SELECT DISTINCT date FROM products WHERE collection = ? ORDER BY date",
            (collection,))]
        [bounds] = self._query("SELECT min(minx), min(miny), max(maxx), max(maxy) FROM"
                               " products WHERE collection = ?", (collection,))
        return dates, None if bounds[0] is None else tuple(bounds)

    def version(self) -> tuple[int, int, int]:
        """What names the index's state now: its file and the version ingest counts; read
        after :meth:`sources`, it vouches for the files they name
        (:meth:`services.timeseries.handles.DatasetPool.lend`)."""
        [(version,)] = self._query(READ_VERSION, ())
        return (*self._reader.identity(), version)

    def sources(self, query: SeriesQuery, start: date, end: date, area: BaseGeometry
                ) -> dict[str, list[Source]]:
        """Date → the layer's products whose footprint meets ``area`` (lon/lat), in name
        order; of several versions of one acquisition only the newest."""
        minx, miny, maxx, maxy = area.bounds
        rows = self._query(_SOURCES, {
            "collection": query.collection, "band": query.band,
            "start": start.isoformat(), "end": end.isoformat(),
            "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
            "mask_collection": query.mask_collection, "mask_band": query.mask_band})
        outlines = shapely.from_wkb([row[6] for row in rows])
        meets = shapely.intersects(area, outlines).tolist()
        bounds = shapely.bounds(outlines).tolist()  # in one call: .bounds costs ~5 µs a row
        by_date: dict[str, list[Source]] = {}
        seen: set[tuple[str, str, str]] = set()
        for (day, name, platform, time, tile, crs, _, path, mask_path), box, meet in zip(
                rows, bounds, meets, strict=True):
            if (platform, time, tile) in seen or not meet:
                continue
            seen.add((platform, time, tile))
            by_date.setdefault(day, []).append(Source(name, crs, path, mask_path, tuple(box)))
        return by_date
