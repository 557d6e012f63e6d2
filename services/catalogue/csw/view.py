"""A connection to the product index with the record views pycsw queries.

Each connection gets a TEMP table of the registry's collections (with links for the request's
base URL) and TEMP views over the live ``products`` table (see :mod:`.columns`), so a product
ingested a moment ago is a record at once. pycsw's SQL calls ``query_spatial`` and, to sort by
geometry, ``get_geometry_area``; the views call ``csw_preview`` and ``csw_file`` (links written
by the catalogue's ``Hrefs``): all are registered here.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import quote

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from services.catalogue.csw.columns import COLLECTIONS_TABLE, view_sql
from services.catalogue.csw.links import (
    collection_links,
    file_link,
    preview_link,
    product_link_template,
)
from services.catalogue.records import Hrefs, nominal_resolution, preview_layer
from services.registry import Registry

QUERY_SECONDS = 30.0  # below gunicorn's worker timeout (60 s)
_PREDICATES = {
    "bbox": lambda a, b, d: a.intersects(b),
    "intersects": lambda a, b, d: a.intersects(b),
    "beyond": lambda a, b, d: a.distance(b) > float(d),
    "dwithin": lambda a, b, d: a.distance(b) <= float(d),
    "contains": lambda a, b, d: a.contains(b),
    "crosses": lambda a, b, d: a.crosses(b),
    "disjoint": lambda a, b, d: a.disjoint(b),
    "equals": lambda a, b, d: a.equals(b),
    "overlaps": lambda a, b, d: a.intersects(b) and not a.touches(b),
    "touches": lambda a, b, d: a.touches(b),
    "within": lambda a, b, d: a.within(b),
}


@dataclass(frozen=True)
class CollectionRow:
    """One registry collection as the records view sees it."""

    collection: str
    title: str
    abstract: str
    keywords: str
    platform: str
    instrument: str
    crs: str
    resolution: str
    organization: str
    collection_links: str
    product_links: str
    preview_layer: str | None


def collection_rows(registry: Registry, organization: str, base: str) -> list[CollectionRow]:
    """The registry's collections, with links for clients reaching us at ``base``."""
    rows = []
    for collection in registry.collections.values():
        keywords = dict.fromkeys([collection.platform, collection.instrument,
                                  collection.product_type,
                                  *(k for layer in collection.layers for k in layer.keywords)])
        rows.append(CollectionRow(
            collection=collection.id, title=collection.title.en,
            abstract=collection.abstract.en,
            keywords=",".join(k.replace(",", " ") for k in keywords),
            platform=collection.platform, instrument=collection.instrument,
            crs="urn:ogc:def:crs:EPSG::" + collection.grid.crs.split(":")[1],
            resolution=f"{nominal_resolution(collection):g}", organization=organization,
            collection_links=collection_links(collection, base),
            product_links=product_link_template(collection, base),
            preview_layer=preview_layer(collection)))
    return rows


def connect(index_path: Path, collections: Iterable[CollectionRow], hrefs: Hrefs,
            budget: float = QUERY_SECONDS) -> sqlite3.Connection:
    """A read connection to the index with the record views, writing links with ``hrefs``;
    its statements are interrupted once the connection is ``budget`` seconds old (every
    request is bounded)."""
    db = sqlite3.connect(f"file:{quote(str(index_path.absolute()))}?mode=ro", uri=True,
                         timeout=30)
    deadline = time.monotonic() + budget
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        db.create_function("query_spatial", 4, query_spatial, deterministic=True)
        db.create_function("get_geometry_area", 1, geometry_area, deterministic=True)
        db.create_function("csw_preview", 6, partial(preview_link, hrefs), deterministic=True)
        db.create_function("csw_file", 3, partial(file_link, hrefs), deterministic=True)
        db.execute(COLLECTIONS_TABLE)
        marks = ", ".join("?" for _ in fields(CollectionRow))
        db.executemany(f"INSERT INTO csw_collections VALUES ({marks})",
                       [astuple(row) for row in collections])
        for statement in view_sql():
            db.execute(statement)
    except Exception:
        db.close()
        raise
    return db


@lru_cache(maxsize=256)
def _geometry(text: str) -> BaseGeometry:
    return wkt.loads(text.split(";")[-1])


def query_spatial(record_wkt: str | None, query_wkt: str, predicate: str,
                  distance: str) -> str:
    """pycsw's spatial predicate, ``'true'`` or ``'false'``; a bad geometry never matches."""
    test = _PREDICATES.get(predicate)
    if record_wkt is None or test is None:
        return "false"
    try:
        return "true" if test(_geometry(record_wkt), _geometry(query_wkt), distance) else "false"
    except (ShapelyError, ValueError, TypeError, AttributeError):
        return "false"


def geometry_area(record_wkt: str | None) -> float:
    try:
        return _geometry(record_wkt).area if record_wkt else 0.0
    except (ShapelyError, ValueError, TypeError, AttributeError):
        return 0.0
