"""Catalogue records: what the catalogue says about a collection or a product, built from the
layer registry and the product index (the one source of truth), free of any web framework.

Every protocol renders these records its own way (OpenSearch GeoJSON and Atom, CSW, the MEP
REST facade); the shapes follow Terrascope's catalogue:

- identifiers: ``urn:eop:VITO:<collection id>`` and ``<collection identifier>:<product title>``;
- product links by role: ``data`` (band files), ``related`` (auxiliary files such as the scene
  classification), ``previews`` (a WMS GetMap of the product's extent and date) and
  ``alternates`` (the product's own catalogue entry in other formats);
- file hrefs as ``<base>/download/<path in the archive>`` (HTTP) or ``file://`` archive paths
  (MEP, for code running next to the archive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from pyproj import Transformer
from shapely import wkb
from shapely.geometry import box, mapping

from services.index.product import Product
from services.index.search import CollectionSummary
from services.registry import Band, Collection

URN_PREFIX = "urn:eop:VITO:"
ACCESS_STYLES = ("HTTP", "MEP")
PREVIEW_SIZE = 80  # pixels, as Terrascope's WMS previews
_DTYPE_BITS = {"uint8": 8, "int8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32,
               "float32": 32}


def collection_identifier(collection_id: str) -> str:
    """``TERRASCOPE_S2_NDVI_V2`` → ``urn:eop:VITO:TERRASCOPE_S2_NDVI_V2``."""
    return URN_PREFIX + collection_id


def product_identifier(collection_id: str, name: str) -> str:
    return f"{collection_identifier(collection_id)}:{name}"


def split_identifier(identifier: str) -> tuple[str | None, str]:
    """(collection id or None, last part): accepts a collection or product URN or a title."""
    if not identifier.startswith(URN_PREFIX):
        return None, identifier
    parts = identifier[len(URN_PREFIX):].split(":", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")


def iso_z(time: str) -> str:
    """``2018-06-02T10:50:31Z`` or ``...+00:00`` → ``2018-06-02T10:50:31.000Z``."""
    text = time.replace("+00:00", "").rstrip("Z")
    return text + ("Z" if "." in text else ".000Z")


@dataclass(frozen=True)
class Link:
    """One link of a record, with Terrascope's keys."""

    href: str
    type: str
    title: str | None = None
    length: int | None = None
    band_names: tuple[str, ...] = ()
    category: str | None = None

    def as_dict(self) -> dict:
        out: dict = {"href": self.href, "type": self.type}
        if self.title is not None:
            out["title"] = self.title
        if self.length is not None:
            out["length"] = self.length
        if self.band_names:
            out["bandNames"] = list(self.band_names)
        if self.category is not None:
            out["category"] = self.category
        return out


@dataclass(frozen=True)
class Hrefs:
    """How links are written for one request: the public base URL and the access style."""

    base_url: str                 # e.g. ``https://eoscope.example.org`` (no trailing slash)
    archive: Path                 # archive root: HTTP hrefs are relative to it
    style: str = "HTTP"           # HTTP | MEP

    def file(self, path: str) -> str:
        """The href of an archive file: a download URL, or a file URI for MEP (or a file
        outside the archive, which is never served)."""
        absolute = Path(path).absolute()
        if self.style == "HTTP":
            try:
                relative = absolute.relative_to(self.archive.absolute())
            except ValueError:
                return absolute.as_uri()
            return f"{self.base_url}/download/{quote(relative.as_posix())}"
        return absolute.as_uri()

    def catalogue(self, resource: str, **params: str) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}/catalogue/{resource}{query}"

    def wms_getmap(self, layer: str, date: str, bbox: tuple[float, float, float, float]) -> str:
        """A WMS 1.3.0 GetMap of a lon/lat box in EPSG:3857, as Terrascope's previews."""
        west, south = _to_mercator()(bbox[0], bbox[1])
        east, north = _to_mercator()(bbox[2], bbox[3])
        params = {"SERVICE": "WMS", "REQUEST": "GetMap", "VERSION": "1.3.0", "CRS": "EPSG:3857",
                  "LAYERS": layer, "STYLES": "", "TIME": date,
                  "BBOX": f"{west:.1f},{south:.1f},{east:.1f},{north:.1f}",
                  "WIDTH": str(PREVIEW_SIZE), "HEIGHT": str(PREVIEW_SIZE),
                  "FORMAT": "image/png", "TRANSPARENT": "true"}
        return f"{self.base_url}/ows?{urlencode(params)}"


@cache
def _to_mercator():
    return Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform


@dataclass(frozen=True)
class BandRecord:
    """A band as Terrascope's collection records describe it (digital numbers and scaling)."""

    name: str
    title: str            # the file token, e.g. ``NDVI_10M``
    description: str
    type: str
    bit_per_value: int
    resolution: float
    scale_factor: float
    offset: float
    min_value: float | None
    max_value: float | None
    nodata: float | None
    unit: str

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "type": self.type, "bitPerValue": self.bit_per_value,
                "resolution": self.resolution, "scaleFactor": self.scale_factor,
                "offset": self.offset, "minValue": self.min_value, "maxValue": self.max_value,
                "nodata": self.nodata, "unit": self.unit}


def band_record(band: Band, resolution: float) -> BandRecord:
    low, high = band.valid_range or (None, None)
    return BandRecord(name=band.name, title=band.file, description=band.description,
                      type=band.dtype, bit_per_value=_DTYPE_BITS[band.dtype],
                      resolution=_token_resolution(band.file, resolution),
                      scale_factor=band.scale, offset=band.offset, min_value=low,
                      max_value=high, nodata=band.nodata, unit=band.unit)


def _token_resolution(token: str, default: float) -> float:
    """``TOC-B04_10M`` → 10; the collection's grid resolution if the token says nothing."""
    suffix = token.rsplit("_", 1)[-1]
    return float(suffix[:-1]) if suffix.endswith("M") and suffix[:-1].isdigit() else default


def is_related(band: Band) -> bool:
    """Quality bands (classifications, status maps, weights) are ``related`` files, the rest
    ``data``."""
    return band.role == "quality"


def nominal_resolution(collection: Collection) -> float:
    """The grid's pixel size in metres (a degree grid's at the equator, rounded to metres),
    as catalogues state resolutions."""
    step = collection.grid.step
    return round(step * 111_320.0) if collection.grid.geographic else step


def preview_layer(collection: Collection) -> str | None:
    """The collection's first WMS layer: the one its previews show."""
    return next((layer.name for layer in collection.layers if "wms" in layer.services), None)


@dataclass(frozen=True)
class CollectionRecord:
    """A collection: registry metadata plus its extent in the index."""

    id: str
    identifier: str
    product_type: str
    title: dict[str, str]
    abstract: dict[str, str]
    platform: str
    instrument: str
    crs: str
    resolution: float
    sensor_type: str
    bands: tuple[BandRecord, ...]
    layers: tuple[str, ...]
    keywords: tuple[str, ...]
    product_count: int
    begin: str | None         # first acquisition (ISO Z), None without products
    end: str | None           # last acquisition
    bbox: tuple[float, float, float, float] | None
    updated: str | None       # latest ingest
    links: dict[str, list[Link]] = field(default_factory=dict)

    @property
    def geometry(self) -> dict | None:
        return mapping(box(*self.bbox)) if self.bbox else None


def collection_record(collection: Collection, summary: CollectionSummary | None,
                      hrefs: Hrefs) -> CollectionRecord:
    identifier = collection_identifier(collection.id)
    keywords = tuple(dict.fromkeys(k for layer in collection.layers for k in layer.keywords))
    links = {"search": [Link(hrefs.catalogue("description.geojson", collection=identifier),
                             "application/geo+json", "OpenSearch entry point")],
             "alternates": [Link(hrefs.catalogue("collections", uid=identifier,
                                                 httpAccept="application/atom+xml"),
                                 "application/atom+xml", "Atom")]}
    layer = preview_layer(collection)
    if summary and layer:
        links["previews"] = [Link(hrefs.wms_getmap(layer, summary.end[:10], summary.bbox),
                                  "image/png", "WMS", category="QUICKLOOK")]
    return CollectionRecord(
        id=collection.id, identifier=identifier, product_type=collection.product_type,
        title=collection.title.model_dump(), abstract=collection.abstract.model_dump(),
        platform=collection.platform, instrument=collection.instrument,
        crs=collection.grid.crs, resolution=nominal_resolution(collection),
        sensor_type=collection.sensor_type,
        bands=tuple(band_record(b, nominal_resolution(collection)) for b in collection.bands),
        layers=tuple(layer.name for layer in collection.layers), keywords=keywords,
        product_count=summary.count if summary else 0,
        begin=iso_z(summary.begin) if summary else None,
        end=iso_z(summary.end) if summary else None,
        bbox=summary.bbox if summary else None,
        updated=iso_z(summary.updated) if summary else None, links=links)


@dataclass(frozen=True)
class ProductRecord:
    """A product (granule): index facts, registry metadata and links."""

    identifier: str
    parent_identifier: str
    title: str
    collection_id: str
    product_type: str
    platform: str             # e.g. Sentinel-2
    platform_serial: str      # e.g. S2A
    instrument: str
    sensor_type: str          # OPTICAL, RADAR, ATMOSPHERIC
    tile: str
    begin: str                # ISO Z with milliseconds
    end: str
    properties: dict          # the mission profile's: orbitDirection, relativeOrbitNumber …
    cloud_cover: float | None
    version: str
    crs: str
    resolution: float
    bbox: tuple[float, float, float, float]
    geometry: dict
    published: str
    links: dict[str, list[Link]]


def product_record(product: Product, collection: Collection, hrefs: Hrefs) -> ProductRecord:
    identifier = product_identifier(collection.id, product.name)
    return ProductRecord(
        identifier=identifier, parent_identifier=collection_identifier(collection.id),
        title=product.name, collection_id=collection.id, product_type=collection.product_type,
        platform=collection.platform, platform_serial=product.platform,
        instrument=collection.instrument, sensor_type=collection.sensor_type, tile=product.tile,
        begin=iso_z(product.time), end=iso_z(product.end or product.time),
        properties=dict(product.properties),
        cloud_cover=product.cloud_cover if collection.cloud_cover else None,
        version=f"V{product.version}", crs=product.crs,
        resolution=nominal_resolution(collection), bbox=product.bbox,
        geometry=mapping(wkb.loads(product.footprint)), published=iso_z(product.ingested_at),
        links=product_links(product, collection, hrefs, identifier))


def product_links(product: Product, collection: Collection, hrefs: Hrefs,
                  identifier: str) -> dict[str, list[Link]]:
    bands = {b.name: b for b in collection.bands}
    links: dict[str, list[Link]] = {"data": [], "related": [], "previews": [], "alternates": []}
    by_file: dict[str, tuple[list[Band], int]] = {}
    for band_name, path, size in product.files:  # a file holding several bands: one link
        if band_name in bands:
            by_file.setdefault(path, ([], size))[0].append(bands[band_name])
    for path, (held, size) in sorted(by_file.items()):
        role, category = ("related", "QUALITY") if is_related(held[0]) else ("data", None)
        names = (held[0].file,) if len(held) == 1 else tuple(b.name for b in held)
        links[role].append(Link(hrefs.file(path), "image/tiff", held[0].file, size, names,
                                category))
    layer = preview_layer(collection)
    if layer:
        links["previews"].append(Link(hrefs.wms_getmap(layer, product.time[:10], product.bbox),
                                      "image/png", "WMS", band_names=("WMS",),
                                      category="QUICKLOOK"))
    query = {"collection": collection_identifier(collection.id), "uid": identifier}
    links["alternates"] = [
        Link(hrefs.catalogue("products", **query), "application/geo+json", "GeoJSON"),
        Link(hrefs.catalogue("products", **query, httpAccept="application/atom+xml"),
             "application/atom+xml", "Atom")]
    return links
