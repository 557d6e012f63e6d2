"""The product index: one SQLite table of products, their files, and the per-layer sources
that MapServer's tile indexes read (through OGR) and every other service queries.

All SQL lives here, so another database (PostgreSQL/PostGIS) replaces this module only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from services.index.kept import KeptReader
from services.index.product import LayerSource, Product

SCHEMA_VERSION = 5
SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT NOT NULL,        -- serial identifier (S2A, S1B, PROBA-V …)
    tile TEXT NOT NULL,
    time TEXT NOT NULL,            -- ISO 8601 UTC acquisition start
    end_time TEXT NOT NULL,        -- acquisition end (a synthesis spans days)
    date TEXT NOT NULL,            -- YYYY-MM-DD, what WMS/WMTS TIME selects
    version TEXT NOT NULL,
    cloud_cover REAL,              -- percent
    crs TEXT NOT NULL,
    minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL, -- lon/lat
    footprint BLOB NOT NULL,       -- WKB polygon, lon/lat
    folder TEXT NOT NULL,
    properties TEXT NOT NULL,      -- JSON: what the mission profile read (orbit, polarisations …)
    signature TEXT NOT NULL,       -- files (paths, sizes, times) and collection definition
    ingested_at TEXT NOT NULL,
    UNIQUE (collection, name)
);
-- covers bbox + time + cloud cover searches without touching the table
CREATE INDEX IF NOT EXISTS products_collection_time
    ON products (collection, time, minx, maxx, miny, maxy, cloud_cover);
CREATE INDEX IF NOT EXISTS products_bbox ON products (collection, minx, maxx, miny, maxy);
CREATE INDEX IF NOT EXISTS products_ingested ON products (ingested_at);  -- CSW updateSequence
CREATE TABLE IF NOT EXISTS files (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    band TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (product_id, band)
);
CREATE INDEX IF NOT EXISTS files_path ON files (path);   -- downloads
CREATE TABLE IF NOT EXISTS layer_sources (
    fid INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    date TEXT NOT NULL,
    location TEXT NOT NULL,        -- a GDAL dataset in physical units (derived VRT)
    srs TEXT NOT NULL,             -- the source's own CRS (MapServer TILESRS)
    minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL, -- grid CRS
    geom BLOB NOT NULL             -- WKB footprint in the layer's grid CRS
);
CREATE INDEX IF NOT EXISTS layer_sources_layer_date ON layer_sources (layer, date);
-- replacing or removing a product deletes its sources (ON DELETE CASCADE): without this index
-- every product replaced scans the whole table, and a re-ingest grows with the square
CREATE INDEX IF NOT EXISTS layer_sources_product ON layer_sources (product_id);
-- a layer's date as one file (ingest writes it where the date has many sources): what maps
-- at low zooms draw instead of every source (MapServer's SCALETOKEN picks layer_areas)
CREATE TABLE IF NOT EXISTS layer_mosaics (
    fid INTEGER PRIMARY KEY,
    layer TEXT NOT NULL,
    date TEXT NOT NULL,
    location TEXT NOT NULL,        -- a float32 COG in physical units, the layer's grid CRS
    srs TEXT NOT NULL,
    signature TEXT NOT NULL,       -- of the sources it was made from
    geom BLOB NOT NULL,            -- WKB of its bounds, grid CRS
    UNIQUE (layer, date)
);
-- what a map at low zooms draws: the date's mosaic, or its sources where it has none
CREATE VIEW IF NOT EXISTS layer_areas AS
    SELECT fid, layer, date, location, srs, geom FROM layer_mosaics
    UNION ALL
    SELECT s.fid + 1000000000, s.layer, s.date, s.location, s.srs, s.geom FROM layer_sources s
    WHERE NOT EXISTS (SELECT 1 FROM layer_mosaics m WHERE m.layer = s.layer AND
                      m.date = s.date);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('version', 0);  -- one more per change: caches key on it
CREATE TABLE IF NOT EXISTS geometry_columns (
    f_table_name TEXT, f_geometry_column TEXT, geometry_type INTEGER,
    coord_dimension INTEGER, srid INTEGER, geometry_format TEXT);
CREATE TABLE IF NOT EXISTS spatial_ref_sys (
    srid INTEGER UNIQUE, auth_name TEXT, auth_srid INTEGER, srtext TEXT);
"""
READ_VERSION = "SELECT value FROM meta WHERE key = 'version'"  # the index's version, now
BUMP_VERSION = "UPDATE meta SET value = value + 1 WHERE key = 'version'"  # in each change
# OGR reads layer_sources and layer_mosaics (and so the view layer_areas) as polygon layers
# thanks to these rows (OGR's non-Spatialite layout).
_OGR_REGISTRATIONS = (("layer_sources", "geom", 3, 2, 0, "WKB"),
                      ("layer_mosaics", "geom", 3, 2, 0, "WKB"))


class ProductIndex:
    """Open (and create if needed) the index at ``path``. With ``create=False`` (what the
    gateway does) the index must exist: only ``eoscope ingest`` creates one, and a missing
    index makes every connection fail instead of serving an empty one."""

    def __init__(self, path: Path, create: bool = True):
        self.path = path
        self.create = create
        self._reader = KeptReader(path)
        if not create:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                # the index is derived from the archive: an older layout is rebuilt by ingest
                db.execute("DROP VIEW IF EXISTS layer_areas")
                for table in ("layer_mosaics", "layer_sources", "files", "products",
                              "geometry_columns", "meta"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.executescript(SCHEMA)
            for registration in _OGR_REGISTRATIONS:
                if not db.execute("SELECT 1 FROM geometry_columns WHERE f_table_name = ?",
                                  registration[:1]).fetchone():
                    db.execute("INSERT INTO geometry_columns VALUES (?, ?, ?, ?, ?, ?)",
                               registration)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self.create:
            db = sqlite3.connect(self.path, timeout=30)
        else:  # mode=rw never creates the file
            db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        # with WAL, NORMAL syncs at checkpoints only: a crash can lose the last commits, which a
        # new ingest restores (the index is derived from the archive)
        db.execute("PRAGMA synchronous = NORMAL")
        try:
            with db:
                yield db
        finally:
            db.close()

    def upsert(self, product: Product, sources: list[LayerSource], ingested_at: str) -> None:
        """Insert or replace one product with its files and layer sources, atomically."""
        self.upsert_many([(product, sources)], ingested_at)

    def upsert_many(self, items: Iterable[tuple[Product, list[LayerSource]]],
                    ingested_at: str) -> None:
        """Insert or replace products with their files and layer sources, in one
        transaction (what ingest does a batch at a time)."""
        with self.writer(ingested_at) as write:
            write(list(items))

    @contextmanager
    def writer(self, ingested_at: str) -> Iterator[Callable[[list], None]]:
        """A function that upserts one batch of (product, sources) per call, each batch its
        own transaction, all on one connection (an ingest's thousands of products)."""
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")

        def write(items: list[tuple[Product, list[LayerSource]]]) -> None:
            if not items:
                return
            with db:
                for product, sources in items:
                    self._upsert(db, product, sources, ingested_at)
                db.execute(BUMP_VERSION)
        try:
            yield write
        finally:
            db.close()

    def remove(self, keys: Iterable[tuple[str, str]]) -> int:
        """Drop the products named by (collection, name) with their files and sources;
        returns how many there were."""
        keys = list(keys)
        with self._connect() as db:
            removed = sum(db.execute("DELETE FROM products WHERE collection = ? AND name = ?",
                                     key).rowcount for key in keys)
            if removed:
                db.execute(BUMP_VERSION)
        return removed

    @staticmethod
    def _upsert(db: sqlite3.Connection, product: Product, sources: list[LayerSource],
                ingested_at: str) -> None:
        db.execute("DELETE FROM products WHERE collection = ? AND name = ?",
                   (product.collection, product.name))
        cursor = db.execute(
            "INSERT INTO products (collection, name, platform, tile, time, end_time, date,"
            " version, cloud_cover, crs, minx, miny, maxx, maxy, footprint, folder,"
            " properties, signature, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (product.collection, product.name, product.platform, product.tile,
             product.time, product.end, product.date, product.version, product.cloud_cover,
             product.crs, *product.bbox, product.footprint, product.folder,
             product.properties_json(), product.signature, ingested_at))
        product_id = cursor.lastrowid
        db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)",
                       [(product_id, band, path, size)
                        for band, path, size in sorted(product.files)])
        db.executemany(
            "INSERT INTO layer_sources (product_id, layer, date, location, srs, minx, miny,"
            " maxx, maxy, geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(product_id, s.layer, product.date, s.location, s.srs, *s.bounds, s.geom)
             for s in sources])

    def signatures(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(collection, name) → (signature, folder) of every indexed product: what ingest
        compares an archive with."""
        with self._connect() as db:
            rows = db.execute("SELECT collection, name, signature, folder FROM products")
            return {(c, n): (s, f) for c, n, s, f in rows}

    def version(self) -> int:
        """A number that changes whenever the index does. Asked on every request, so it is read
        on a connection each thread keeps open (reopened when the index file is replaced);
        under WAL each read sees the latest commit."""
        db = self._reader.connection()
        try:
            return db.execute(READ_VERSION).fetchone()[0]
        except sqlite3.Error:
            self._reader.forget()
            raise

    def dates(self, collection: str) -> list[str]:
        """Every acquisition date of a collection, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT date FROM products WHERE collection = ?"
                              " ORDER BY date", (collection,)).fetchall()
        return [r[0] for r in rows]

    def extent(self, collection: str) -> tuple[float, float, float, float] | None:
        """Lon/lat bounding box of a collection's products."""
        with self._connect() as db:
            row = db.execute("SELECT min(minx), min(miny), max(maxx), max(maxy) FROM products"
                             " WHERE collection = ?", (collection,)).fetchone()
        return None if row[0] is None else tuple(row)

    def layer_dates(self, layer: str) -> list[str]:
        """Every date a layer has sources for, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT date FROM layer_sources WHERE layer = ?"
                              " ORDER BY date", (layer,)).fetchall()
        return [r[0] for r in rows]

    def layer_summaries(self) -> tuple[int, dict[str, tuple[list[str], tuple[float, ...]]]]:
        """(index version, layer → (its dates oldest first, its extent in the grid CRS)),
        read in one transaction so both agree."""
        with self._connect() as db:
            version = db.execute(READ_VERSION).fetchone()[0]
            dates: dict[str, list[str]] = {}
            for layer, day in db.execute("SELECT DISTINCT layer, date FROM layer_sources"
                                         " ORDER BY layer, date"):
                dates.setdefault(layer, []).append(day)
            extents = {layer: tuple(bounds) for layer, *bounds in db.execute(
                "SELECT layer, min(minx), min(miny), max(maxx), max(maxy) FROM layer_sources"
                " GROUP BY layer")}
        return version, {layer: (days, extents[layer]) for layer, days in dates.items()}

    def layer_locations(self, layer: str, date: str) -> list[str]:
        """The data sources (derived views) a layer draws on one date."""
        with self._connect() as db:
            rows = db.execute("SELECT location FROM layer_sources WHERE layer = ? AND date = ?"
                              " ORDER BY fid", (layer, date)).fetchall()
        return [r[0] for r in rows]

    def mosaic_inputs(self) -> dict[tuple[str, str], list[tuple[str, str, tuple[float, ...]]]]:
        """(layer, date) → its sources in drawing order: (location, product signature,
        bounds in the grid CRS)."""
        found: dict[tuple[str, str], list[tuple[str, str, tuple[float, ...]]]] = {}
        with self._connect() as db:
            for layer, day, location, signature, *bounds in db.execute(
                    "SELECT s.layer, s.date, s.location, p.signature, s.minx, s.miny, s.maxx,"
                    " s.maxy FROM layer_sources s JOIN products p ON p.id = s.product_id"
                    " ORDER BY s.layer, s.date, s.fid"):
                found.setdefault((layer, day), []).append((location, signature, tuple(bounds)))
        return found

    def mosaics(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(layer, date) → (location, signature) of every mosaic."""
        with self._connect() as db:
            rows = db.execute("SELECT layer, date, location, signature FROM layer_mosaics")
            return {(layer, day): (location, signature) for layer, day, location, signature
                    in rows}

    def put_mosaic(self, layer: str, date: str, location: str, srs: str, signature: str,
                   geom: bytes) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO layer_mosaics (layer, date, location, srs, signature, geom)"
                       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (layer, date) DO UPDATE SET"
                       " location = excluded.location, srs = excluded.srs,"
                       " signature = excluded.signature, geom = excluded.geom",
                       (layer, date, location, srs, signature, geom))
            db.execute(BUMP_VERSION)

    def drop_mosaic(self, layer: str, date: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM layer_mosaics WHERE layer = ? AND date = ?", (layer, date))
            db.execute(BUMP_VERSION)

    def product_count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM products").fetchone()[0]

    def product_counts(self) -> dict[str, int]:
        """Products by collection."""
        with self._connect() as db:
            return dict(db.execute("SELECT collection, count(*) FROM products"
                                   " GROUP BY collection"))

    def product_count_of(self, collection: str) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM products WHERE collection = ?",
                              (collection,)).fetchone()[0]

    def files(self, collection: str, date: str) -> list[tuple[str, str, str]]:
        """(product name, band, path) of a collection's products on one date."""
        with self._connect() as db:
            return db.execute(
                "SELECT p.name, f.band, f.path FROM files f JOIN products p ON p.id ="
                " f.product_id WHERE p.collection = ? AND p.date = ? ORDER BY p.name, f.band",
                (collection, date)).fetchall()
