"""OGC API - Records at ``/ogcapi/collections/{collection id}/items``: the product index as
records, a pygeoapi ``record`` provider over the same index queries as STAC, OpenSearch and CSW
(:class:`ProductSearch`), with the same filters: ``bbox``, ``datetime`` and a CQL2
``filter`` on the STAC queryables (``eo:cloud_cover <= 20``,
``sat:orbit_state = 'ascending'`` …, translated by the STAC filter's :func:`condition`).

:func:`resources` is the part of pygeoapi's configuration that declares one records collection
per registry collection; pygeoapi loads :class:`ProductRecords` by its dotted name.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

from services.catalogue.opensearch.values import OpenSearchError, parse_time
from services.catalogue.records import Hrefs, ProductRecord, product_record
from services.catalogue.stac.query import condition
from services.index.search import ProductQuery, ProductSearch
from services.registry import Collection, Registry, load
from services.settings import Settings

PROVIDER = "services.catalogue.ogcapi_records.ProductRecords"
FIELDS = {"title": {"type": "string"}, "type": {"type": "string"},
          "collection": {"type": "string"}, "datetime": {"type": "string", "format": "date-time"},
          "start_datetime": {"type": "string", "format": "date-time"},
          "end_datetime": {"type": "string", "format": "date-time"},
          "platform": {"type": "string"}, "eo:cloud_cover": {"type": "number"},
          "grid:code": {"type": "string"}}
_SORTABLE = {"datetime": "start", "start_datetime": "start", "end_datetime": "end",
             "title": "title", "eo:cloud_cover": "cloudCover", "grid:code": "tileId"}


def resources(registry: Registry, settings: Settings) -> dict:
    """pygeoapi resources: a records collection per registry collection."""
    return {c.id: {
        "type": "collection", "title": c.title.en, "description": c.abstract.en,
        "keywords": [c.platform, c.instrument, c.product_type],
        "links": [{"type": "application/json", "rel": "alternate", "title": "STAC Collection",
                   "href": f"{settings.public_url.rstrip('/')}/stac/collections/{c.id}"}]
        if settings.public_url else [],
        "extents": {"spatial": {"bbox": list(c.extent),
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [{"type": "record", "name": PROVIDER, "data": str(settings.index),
                       "collection": c.id, "layers_dir": str(settings.layers_dir),
                       "archive": str(settings.archive), "public_url": settings.public_url,
                       "id_field": "id", "time_field": "datetime", "title_field": "title"}]}
        for c in registry.collections.values()}


_REGISTRIES: dict[str, Registry] = {}


def registry_at(layers_dir: str) -> Registry:
    """The registry of ``layers_dir``, read once per worker for pygeoapi's configuration and
    its providers (pygeoapi builds providers per request, from their definitions only)."""
    if layers_dir not in _REGISTRIES:
        _REGISTRIES[layers_dir] = load(Path(layers_dir))
    return _REGISTRIES[layers_dir]


def remember_registry(layers_dir: str, registry: Registry) -> None:
    """Use the gateway's own registry of ``layers_dir`` (it takes seconds to read)."""
    _REGISTRIES[layers_dir] = registry


class ProductRecords(BaseProvider):
    """The products of one collection as OGC API records."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        from services.processing.ogcapi import PLACEHOLDER  # the host, rewritten per request

        self.collection: Collection = registry_at(provider_def["layers_dir"]).collections[
            provider_def["collection"]]
        self.search = ProductSearch(Path(provider_def["data"]))
        root = (provider_def.get("public_url") or PLACEHOLDER).rstrip("/")
        self.hrefs = Hrefs(root, Path(provider_def["archive"]))
        self._fields = self.get_fields()

    def get_fields(self) -> dict:
        return dict(FIELDS)

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: list | None = None, datetime_: str | None = None,
              properties: list | None = None, sortby: list | None = None,
              select_properties: list | None = None, skip_geometry: bool = False,
              q: str | None = None, filterq=None, **kwargs) -> dict:
        if q:
            raise ProviderInvalidQueryError(user_msg="q (free text) is not supported: use "
                                            "bbox, datetime and filter")
        query = self.product_query(bbox, datetime_, filterq, sortby)
        query = replace(query, offset=offset, limit=0 if resulttype == "hits" else limit)
        total, products = self.search.search(query)
        features = [self.record(product_record(p, self.collection, self.hrefs), skip_geometry)
                    for p in products]
        return {"type": "FeatureCollection", "features": features, "numberMatched": total,
                "numberReturned": len(features)}

    def product_query(self, bbox: list | None, datetime_: str | None, filterq,
                      sortby: list | None) -> ProductQuery:
        query = ProductQuery(collections=(self.collection.id,))
        try:
            if bbox:
                query = replace(query, bbox=tuple(float(v) for v in bbox[:4]))
            if datetime_:
                start, _, end = datetime_.partition("/")
                query = replace(query, start=_time(start), end=_time(end or start, True))
            if filterq is not None:
                query = replace(query, condition=condition(filterq))
        except OpenSearchError as error:
            raise ProviderInvalidQueryError(user_msg=error.text) from None
        unknown = [s["property"] for s in sortby or () if s["property"] not in _SORTABLE]
        if unknown:
            raise ProviderInvalidQueryError(user_msg=f"cannot sort by {unknown[0]} (sortable: "
                                            f"{', '.join(_SORTABLE)})")
        if sortby:
            query = replace(query, sort=tuple(
                (_SORTABLE[s["property"]], s["order"] != "-") for s in sortby))
        return query

    def get(self, identifier: str, **kwargs) -> dict:
        _total, products = self.search.search(ProductQuery(
            collections=(self.collection.id,), names=(identifier,), limit=1))
        if not products:
            raise ProviderItemNotFoundError(user_msg=f"no record '{identifier}'")
        return self.record(product_record(products[0], self.collection, self.hrefs))

    def record(self, record: ProductRecord, skip_geometry: bool = False) -> dict:
        properties = {"type": "dataset", "title": record.title,
                      "description": f"{self.collection.title.en}, {record.begin[:10]}",
                      "collection": record.collection_id, "datetime": record.begin,
                      "start_datetime": record.begin, "end_datetime": record.end,
                      "time": {"interval": [record.begin, record.end]},
                      "platform": record.platform_serial, "grid:code": record.tile,
                      "keywords": [self.collection.platform, self.collection.product_type],
                      "externalIds": [{"scheme": "urn", "value": record.identifier}]}
        if record.cloud_cover is not None:
            properties["eo:cloud_cover"] = record.cloud_cover
        links = [{"rel": "enclosure" if role in ("data", "related") else
                  {"previews": "preview", "alternates": "alternate"}[role],
                  **link.as_dict()} for role, found in record.links.items() for link in found]
        return {"type": "Feature", "id": record.title,
                "geometry": None if skip_geometry else record.geometry,
                "properties": properties, "links": links}


def _time(text: str, end: bool = False):
    if text in ("", ".."):
        return None
    return parse_time(text, "datetime", end)
