"""Product searches over the index: the SQL behind the catalogue (OpenSearch, CSW, MEP).

Every filter is a range or equality on indexed columns: (collection, time) and the lon/lat
bounding box (collection, minx, maxx, miny, maxy). No geometry is tested row by row in Python:
geometry and circle searches are answered on the footprints' bounding boxes, which for
Sentinel-2 tiles in lon/lat are near-rectangles. A PostgreSQL/PostGIS index replaces this module
(and store.py) without touching the services.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime

# Sentinel-2 repeats its ground track every 10 days in 143 orbits; both satellites fly the same
# tracks. Anchor: the S2A datatake of 2018-06-02T10:50:31Z over Belgium is relative orbit 51.
S2_ORBITS = 143
S2_CYCLE_DAYS = 10.0
S2_ANCHOR = ("2018-06-02T10:50:31", 51)


def s2_relative_orbit(time: str) -> int:
    """The Sentinel-2 relative orbit of a sensing time (ISO 8601, UTC)."""
    when = datetime.fromisoformat(time.replace("Z", "+00:00")).replace(tzinfo=None)
    anchor = datetime.fromisoformat(S2_ANCHOR[0])
    days = (when - anchor).total_seconds() / 86400.0
    orbits = math.floor(days * S2_ORBITS / S2_CYCLE_DAYS + 0.5)
    return (S2_ANCHOR[1] - 1 + orbits) % S2_ORBITS + 1


@dataclass(frozen=True)
class IndexedProduct:
    """One product as the index holds it; ``files`` are (band, path, size)."""

    collection: str
    name: str
    platform: str
    tile: str
    time: str
    version: str
    cloud_cover: float | None
    crs: str
    bbox: tuple[float, float, float, float]
    footprint: bytes
    folder: str
    ingested_at: str
    files: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class CollectionSummary:
    """What the index knows about a collection: its products' count, time span and extent."""

    collection: str
    count: int
    begin: str
    end: str
    bbox: tuple[float, float, float, float]
    updated: str


def collection_summaries(db: sqlite3.Connection) -> dict[str, CollectionSummary]:
    """One summary per collection that has products."""
    rows = db.execute(
        "SELECT collection, count(*), min(time), max(time), min(minx), min(miny), max(maxx),"
        " max(maxy), max(ingested_at) FROM products GROUP BY collection").fetchall()
    return {r[0]: CollectionSummary(r[0], r[1], r[2], r[3], tuple(r[4:8]), r[8]) for r in rows}
