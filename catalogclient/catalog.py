"""Catalog client with the API of the PROBA-V MEP ``catalogclient``::

    from catalogclient import catalog
    cat = catalog.Catalog("http://127.0.0.1:8080/catalogue/mep/v2/")
    cat.get_producttypes()
    products = cat.get_products("CGS_S2_NDVI", startdate="2018-06-01", enddate="2018-06-30",
                                min_lon=3.6, max_lon=3.7, min_lat=51.0, max_lat=51.1)
    products[0].file("NDVI")      # 'file:/…/S2A_…_NDVI_10M_V200.tif'
    cat.get_times("CGS_S2_NDVI")
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import requests

CATALOG_BASE_URL = os.environ.get("EOSCOPE_CATALOG_URL",
                                  "http://127.0.0.1:8080/catalogue/mep/v2/")
TIMEOUT = 60

DateLike = dt.date | dt.datetime | str | None


@dataclass
class EOProductFile:
    """A file of a product and the bands it holds."""

    filename: str
    bands: list[str]

    def __str__(self) -> str:
        return self.filename


@dataclass
class EOProduct:
    """A product: its type, tile, acquisition time, footprint and files."""

    producttype: str
    tilex: int
    tiley: int
    files: list[EOProductFile]
    geometry: dict | None = None
    timestamp: dt.datetime | None = None
    extra: dict = field(default_factory=dict)

    def bands(self) -> list[str]:
        """Every band name of every file."""
        return [band for f in self.files for band in f.bands]

    def file(self, band: str) -> str:
        """The file that holds ``band``; RuntimeError if none does."""
        for f in self.files:
            if band in f.bands:
                return f.filename
        raise RuntimeError(f"band {band} not found in product {self}")

    def __str__(self) -> str:
        return f"{self.producttype}_{self.tilex}_{self.tiley}_{self.timestamp}"


def _date(value: DateLike) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return value.replace("-", "")[:8]


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


class Catalog:
    """A catalog at ``baseurl`` (default: ``EOSCOPE_CATALOG_URL`` or a local eoscope)."""

    def __init__(self, baseurl: str = CATALOG_BASE_URL):
        self.baseurl = baseurl if baseurl.endswith("/") else baseurl + "/"
        self.session = requests.Session()

    def _get(self, path: str, params: dict | None = None):
        response = self.session.get(self.baseurl + path, params=params, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def get_producttypes(self) -> list[str]:
        return self._get("")

    def get_times(self, producttype: str) -> list[dt.datetime]:
        """Every acquisition time of a product type."""
        return [_timestamp(t) for t in self._get(f"{producttype}/times")]

    def get_products(self, producttype: str, fileformat: str = "GEOTIFF",
                     startdate: DateLike = None, enddate: DateLike = None,
                     min_lon: float = -180, max_lon: float = 180, min_lat: float = -90,
                     max_lat: float = 90) -> list[EOProduct]:
        """Products of a type between two dates (inclusive) intersecting a lon/lat box."""
        params = {"format": fileformat, "startDate": _date(startdate),
                  "endDate": _date(enddate), "minLon": min_lon, "maxLon": max_lon,
                  "minLat": min_lat, "maxLat": max_lat}
        return self._products(producttype, params)

    def get_products_for_year(self, producttype: str, year: int, fileformat: str = "GEOTIFF",
                              min_lon: float = -180, max_lon: float = 180,
                              min_lat: float = -90, max_lat: float = 90) -> list[EOProduct]:
        params = {"format": fileformat, "year": year, "minLon": min_lon, "maxLon": max_lon,
                  "minLat": min_lat, "maxLat": max_lat}
        return self._products(producttype, params)

    def _products(self, producttype: str, params: dict) -> list[EOProduct]:
        found = self._get(producttype, {k: v for k, v in params.items() if v is not None})
        return [EOProduct(
            producttype=p["productType"], tilex=p["tileX"], tiley=p["tileY"],
            files=[EOProductFile(f["filename"], f["bands"]) for f in p["files"]],
            geometry=p.get("geometry"), timestamp=_timestamp(p["timestamp"]),
            extra={k: v for k, v in p.items() if k in ("tileId", "title")}) for p in found]
