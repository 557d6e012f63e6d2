"""The old PROBA-V MEP catalog REST API (``/catalogue/mep/v2/``), which the MEP notebooks'
``catalogclient`` calls:

- ``GET /catalogue/mep/v2/`` → the product types, a JSON list of strings;
- ``GET /catalogue/mep/v2/<type>?startDate=YYYYMMDD&endDate=YYYYMMDD&minLon=&maxLon=&minLat=&
  maxLat=[&format=GEOTIFF|HDF5][&year=YYYY]`` → products with their files and bands;
- ``GET /catalogue/mep/v2/<type>/times`` → the acquisition times.

A product type is a collection id (``TERRASCOPE_S2_NDVI_V2``) or the name of the collection's
first WMS layer, as MEP named them (``CGS_S2_NDVI``, ``PROBAV_L3_S1_TOC_333M``). Files are local
paths (``file:/…``), as MEP gave them; products on 10° tiles (``X18Y02``) give their tile
numbers, the others are untiled (tileX = tileY = -1), as MEP answered for Sentinel products.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from shapely import wkb
from shapely.geometry import mapping

from services.catalogue.responses import Response, json_response
from services.index.product import Product
from services.index.search import ProductQuery, ProductSearch
from services.numbers import strict_number
from services.registry import Collection, Registry

MAX_PRODUCTS = 10_000
PARAMETERS = ("format", "startDate", "endDate", "year", "minLon", "maxLon", "minLat", "maxLat")


class MepError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _problem(error: MepError) -> Response:
    title = "Not Found" if error.status == 404 else "Bad Request"
    body = {"type": "about:blank", "title": title, "status": error.status, "detail": str(error)}
    return json_response(body, error.status, "application/problem+json")


def _ok(document: object) -> Response:
    return json_response(document)


class MepCatalog:
    """Answers the MEP catalog API from the registry and the product index."""

    def __init__(self, registry: Registry, search: ProductSearch):
        self.search = search
        self.types: dict[str, Collection] = {}
        for collection in registry.collections.values():
            self.types[collection.id] = collection
            wms = [layer.name for layer in collection.layers if "wms" in layer.services]
            if wms:
                self.types.setdefault(wms[0], collection)

    def handle(self, rest: str, args: Mapping[str, str]) -> Response:
        parts = [p for p in rest.split("/") if p]
        try:
            if not parts:
                return _ok(sorted(self.types))
            collection = self.types.get(parts[0])
            if collection is None or len(parts) > 2 or parts[1:] not in ([], ["times"]):
                raise MepError(f"no product type '{rest}' (known: {', '.join(self.types)})",
                               404)
            if parts[1:] == ["times"]:
                return _ok(self.search.times(collection.id))
            return _ok(self.products(parts[0], collection, args))
        except MepError as error:
            return _problem(error)

    def products(self, name: str, collection: Collection, args: Mapping[str, str]) -> list:
        unknown = [k for k in args if k not in PARAMETERS]
        if unknown:
            raise MepError(f"unknown parameter '{unknown[0]}' (known: {', '.join(PARAMETERS)})")
        if args.get("format", "GEOTIFF").upper() not in ("GEOTIFF", "HDF5"):
            raise MepError("format is GEOTIFF or HDF5")
        start, end = _dates(args)
        bbox = tuple(_number(args, key, default) for key, default in
                     (("minLon", -180), ("minLat", -90), ("maxLon", 180), ("maxLat", 90)))
        query = ProductQuery(collections=(collection.id,), start=start, end=end, bbox=bbox,
                             limit=MAX_PRODUCTS)
        total, rows = self.search.search(query)
        if total > MAX_PRODUCTS:
            raise MepError(f"{total} products match, more than {MAX_PRODUCTS}: narrow the"
                           " dates or the area down", 413)
        return [_product(name, collection, row) for row in rows]


def _dates(args: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    """Whole days: startDate 00:00:00 to endDate 23:59:59, or the calendar ``year``."""
    def day(key: str) -> datetime | None:
        text = args.get(key)
        if not text:
            return None
        if not re.fullmatch(r"\d{8}|\d{4}-\d{2}-\d{2}", text, re.ASCII):
            raise MepError(f"{key} must be YYYYMMDD, not '{text}'")
        try:
            return datetime.strptime(text.replace("-", ""), "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            raise MepError(f"{key} is not a date: '{text}'") from None

    if args.get("year"):
        if not re.fullmatch(r"\d{4}", args["year"], re.ASCII):
            raise MepError(f"year must be YYYY, not '{args['year']}'")
        year = int(args["year"])
        if year < 1:
            raise MepError(f"year must be 0001 to 9999, not '{args['year']}'")
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)
    start, end = day("startDate"), day("endDate")
    if start and end and start > end:
        raise MepError("startDate is after endDate")
    return start, end.replace(hour=23, minute=59, second=59) if end else None


def _number(args: Mapping[str, str], key: str, default: float) -> float:
    text = args.get(key) or str(default)
    value = strict_number(text.strip())
    if value is None:
        raise MepError(f"{key} is not a number: '{text[:40]}'")
    limit = 180 if key.endswith("Lon") else 90
    if not -limit <= value <= limit:
        raise MepError(f"{key} must be within ±{limit} degrees")
    return value


def _product(name: str, collection: Collection, row: Product) -> dict:
    bands = {b.name: b for b in collection.bands}
    by_path: dict[str, list[str]] = {}
    for band, path, _ in row.files:
        token = bands[band].file if band in bands else band
        names = by_path.setdefault(path, [re.sub(r"_\d+M$", "", token)])
        names.append(band)
    files = [{"filename": "file:" + str(Path(path).absolute()),
              "bands": list(dict.fromkeys(names))} for path, names in sorted(by_path.items())]
    tile = re.fullmatch(r"X(\d{2})Y(\d{2})", row.tile)
    x, y = (int(tile[1]), int(tile[2])) if tile else (-1, -1)
    return {"productType": name, "tileX": x, "tileY": y, "timestamp": row.time,
            "tileId": row.tile, "title": row.name,
            "geometry": mapping(wkb.loads(row.footprint)), "files": files}
