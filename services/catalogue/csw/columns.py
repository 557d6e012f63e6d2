"""The records view: pycsw's column names, each with its SQL for a product and a collection.

pycsw's filter parser turns CSW constraints into SQL over these column names (its
``md_core_model`` mappings), so the view lets pycsw filter the live product index itself.
Products come from ``products`` (alias ``p``) joined with the registry's collections (``c``);
collections from ``c`` with their products' extent (``e``, correlated subqueries). A column
pycsw knows but eoscope has nothing for is NULL.
"""

from __future__ import annotations

import re

from services.catalogue.csw.links import DATE
from services.catalogue.records import URN_PREFIX as URN

GMD = "http://www.isotc211.org/2005/gmd"

_WKT = ("printf('POLYGON((%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f))',"
        " {t}.minx, {t}.miny, {t}.minx, {t}.maxy, {t}.maxx, {t}.maxy, {t}.maxx, {t}.miny,"
        " {t}.minx, {t}.miny)")
# a product's links: its services at its date, then its preview and files (SQL functions from
# view.py, computed only for the rows of a page)
_FILES = ("(SELECT group_concat(csw_file(band, path, size), '^')"  # a file once, whatever
          " FROM (SELECT min(band) AS band, path, size FROM files"    # its bands
          " WHERE product_id = p.id GROUP BY path ORDER BY band))")
_PRODUCT_LINKS = (f"nullif(trim(replace(c.product_links, '{DATE}', p.date) || '^' ||"
                  " coalesce(csw_preview(c.preview_layer, p.date, p.minx, p.miny, p.maxx,"
                  f" p.maxy), '') || '^' || coalesce({_FILES}, ''), '^'), '')")
_TILE = "CASE WHEN p.tile = '' THEN '' ELSE {prefix} || p.tile END"  # untiled: nothing
_PRODUCT_TITLE = ("c.title || ' ' || p.platform || " + _TILE.format(prefix="' '")
                  + " || ' ' || p.date")
_PRODUCT_ABSTRACT = ("c.title || ' product ' || p.name || ', acquired ' || p.time || ' by '"
                     " || p.platform || " + _TILE.format(prefix="' over tile '") +
                     " || CASE WHEN p.cloud_cover IS NULL THEN '' ELSE ', cloud cover '"
                     " || printf('%.1f', p.cloud_cover) || ' %' END || '.'")
_PRODUCT_KEYWORDS = ("c.keywords || CASE WHEN instr(',' || c.keywords || ',', ',' || p.platform"
                     " || ',') THEN '' ELSE ',' || p.platform END || "
                     + _TILE.format(prefix="','"))

# (column, product SQL, collection SQL)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("identifier", f"'{URN}' || p.collection || ':' || p.name", f"'{URN}' || c.collection"),
    ("typename", "'csw:Record'", "'csw:Record'"),
    ("schema", f"'{GMD}'", f"'{GMD}'"),
    ("mdsource", "'local'", "'local'"),
    ("insert_date", "p.ingested_at", "e.ingested_at"),
    ("xml", "NULL", "NULL"),
    ("anytext", f"p.name || ' ' || p.collection || ' ' || {_PRODUCT_TITLE} || ' ' || c.abstract"
                " || ' ' || c.keywords || ' ' || c.instrument",
     "c.collection || ' ' || c.title || ' ' || c.abstract || ' ' || c.keywords || ' '"
     " || c.platform || ' ' || c.instrument"),
    ("language", "'en'", "'en'"),
    ("type", "'dataset'", "'series'"),
    ("title", "p.name", "c.title"),
    ("title_alternate", _PRODUCT_TITLE, "c.collection"),
    ("abstract", _PRODUCT_ABSTRACT, "c.abstract"),
    ("keywords", _PRODUCT_KEYWORDS, "c.keywords"),
    ("keywordstype", "'theme'", "'theme'"),
    ("format", "'image/tiff; application=geotiff'", "'image/tiff; application=geotiff'"),
    ("source", "p.folder", "NULL"),
    ("date", "p.time", "e.time_end"),
    ("date_modified", "p.ingested_at", "e.ingested_at"),
    ("date_creation", "NULL", "NULL"),
    ("date_publication", "p.ingested_at", "e.ingested_at"),
    ("date_revision", "NULL", "NULL"),
    ("wkt_geometry", _WKT.format(t="p"), f"CASE WHEN e.minx IS NULL THEN NULL ELSE"
                                         f" {_WKT.format(t='e')} END"),
    ("crs", "'urn:ogc:def:crs:EPSG::' || substr(p.crs, 6)", "c.crs"),
    ("organization", "c.organization", "c.organization"),
    ("creator", "c.organization", "c.organization"),
    ("publisher", "c.organization", "c.organization"),
    ("contributor", "NULL", "NULL"),
    ("relation", f"'{URN}' || p.collection", "NULL"),
    ("parentidentifier", f"'{URN}' || p.collection", "NULL"),
    ("topicategory", "'imageryBaseMapsEarthCover'", "'imageryBaseMapsEarthCover'"),
    ("resourcelanguage", "NULL", "NULL"),
    ("geodescode", "NULL", "NULL"),
    ("denominator", "NULL", "NULL"),
    ("distancevalue", "c.resolution", "c.resolution"),
    ("distanceuom", "'m'", "'m'"),
    ("time_begin", "p.time", "e.time_begin"),
    ("time_end", "p.time", "e.time_end"),
    ("servicetype", "NULL", "NULL"),
    ("servicetypeversion", "NULL", "NULL"),
    ("operation", "NULL", "NULL"),
    ("couplingtype", "NULL", "NULL"),
    ("operateson", "NULL", "NULL"),
    ("operatesonidentifier", "NULL", "NULL"),
    ("operatesoname", "NULL", "NULL"),
    ("degree", "NULL", "NULL"),
    ("accessconstraints", "NULL", "NULL"),
    ("otherconstraints", "NULL", "NULL"),
    ("classification", "NULL", "NULL"),
    ("conditionapplyingtoaccessanduse", "NULL", "NULL"),
    ("lineage", "NULL", "NULL"),
    ("responsiblepartyrole", "'originator'", "'originator'"),
    ("specificationtitle", "NULL", "NULL"),
    ("specificationdate", "NULL", "NULL"),
    ("specificationdatetype", "NULL", "NULL"),
    ("securityconstraints", "NULL", "NULL"),
    ("links", _PRODUCT_LINKS, "nullif(c.collection_links, '')"),
    # not pycsw's: the envelope, so spatial filters can skip far records in SQL
    ("minx", "p.minx", "e.minx"),
    ("miny", "p.miny", "e.miny"),
    ("maxx", "p.maxx", "e.maxx"),
    ("maxy", "p.maxy", "e.maxy"),
)
NAMES = frozenset(name for name, _product, _collection in COLUMNS)

COLLECTIONS_TABLE = """
CREATE TEMP TABLE csw_collections (
    collection TEXT PRIMARY KEY, title TEXT NOT NULL, abstract TEXT NOT NULL,
    keywords TEXT NOT NULL, platform TEXT NOT NULL, instrument TEXT NOT NULL,
    crs TEXT NOT NULL, resolution TEXT NOT NULL, organization TEXT NOT NULL,
    collection_links TEXT NOT NULL, product_links TEXT NOT NULL, preview_layer TEXT)
"""
# a collection's extent, from its products: each a correlated subquery, so only the columns a
# query names are computed (min(minx) and min(time) are index seeks)
_EXTENT = {name: f"(SELECT {function} FROM main.products WHERE collection = c.collection)"
           for name, function in (("minx", "min(minx)"), ("miny", "min(miny)"),
                                  ("maxx", "max(maxx)"), ("maxy", "max(maxy)"),
                                  ("time_begin", "min(time)"), ("time_end", "max(time)"),
                                  ("ingested_at", "max(ingested_at)"))}


def _collection_sql(sql: str) -> str:
    return re.sub(r"\be\.(\w+)", lambda match: _EXTENT[match.group(1)], sql)


ARMS = ("product_records", "collection_records")


def view_sql() -> list[str]:
    """``CREATE TEMP VIEW`` statements: ``product_records`` (one row per product) and
    ``collection_records`` (one per registry collection). Each is a plain join SQLite flattens
    into a query, so a filter computes only the columns it names; the repository queries the
    two and merges them."""
    products = ",\n  ".join(f"{sql} AS {name}" for name, sql, _ in COLUMNS)
    collections = ",\n  ".join(f"{_collection_sql(sql)} AS {name}" for name, _, sql in COLUMNS)
    return [f"CREATE TEMP VIEW product_records AS\nSELECT\n  {products},\n  p.id AS record_key\n"
            "FROM main.products p JOIN csw_collections c ON c.collection = p.collection",
            f"CREATE TEMP VIEW collection_records AS\nSELECT\n  {collections},\n"
            "  -c.rowid AS record_key\n"
            "FROM csw_collections c"]
