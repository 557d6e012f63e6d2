"""STAC Items and Collections from the same records as OpenSearch and CSW (one engine).

An Item is a product (its id the product's title, as Terrascope's STAC has it); an asset per
file, its href the same download URL as OpenSearch's ``data``/``related`` links, and the file on
disk as ``alternate.local.href`` (the alternate-assets extension, as Terrascope's processing
samples read it). Band scaling goes in ``raster:bands`` (scale, offset, nodata, unit).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from services.catalogue.records import (
    CollectionRecord,
    Hrefs,
    ProductRecord,
    nominal_resolution,
)
from services.index.product import Product
from services.registry import Band, Collection

STAC_VERSION = "1.0.0"
EXTENSIONS = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "proj": "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "raster": "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "alternate": "https://stac-extensions.github.io/alternate-assets/v1.1.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.0.0/schema.json",
}
ITEM_ASSETS = "https://stac-extensions.github.io/item-assets/v1.0.0/schema.json"
# an Item declares the extensions whose fields it has (their schemas require some)
_ALWAYS = ("raster", "file", "alternate", "processing")
GEOTIFF = "image/tiff; application=geotiff; profile=cloud-optimized"
_DATA_TYPES = {"uint8": "uint8", "int8": "int8", "uint16": "uint16", "int16": "int16",
               "uint32": "uint32", "int32": "int32", "float32": "float32"}


def stac_properties(product: Product, collection: Collection) -> dict:
    """The Item properties of a product: times, platform, and the profile's properties
    under their STAC names."""
    found = dict(product.properties)
    properties: dict = {
        "datetime": product.time, "start_datetime": product.time,
        "end_datetime": product.end or product.time, "platform": product.platform.lower(),
        "constellation": collection.platform.lower(),
        "instruments": [collection.instrument.lower()],
        "gsd": nominal_resolution(collection), "created": product.ingested_at,
        "updated": product.ingested_at, "processing:level": collection.product_type,
    }
    if collection.cloud_cover and product.cloud_cover is not None:
        properties["eo:cloud_cover"] = product.cloud_cover
    if product.crs.startswith("EPSG:"):
        properties["proj:epsg"] = int(product.crs.split(":")[1])
    if "orbitDirection" in found:
        properties["sat:orbit_state"] = str(found["orbitDirection"]).lower()
    if "relativeOrbitNumber" in found:
        properties["sat:relative_orbit"] = found["relativeOrbitNumber"]
    if "polarisationChannels" in found:
        properties["sar:polarizations"] = [p.strip() for p in
                                           str(found["polarisationChannels"]).split(",")]
    if "sensorMode" in found:
        properties["sar:instrument_mode"] = found["sensorMode"]
        properties["sar:frequency_band"] = "C"
        properties["sar:product_type"] = collection.product_type
    if product.tile:
        properties["grid:code"] = product.tile
    return properties


def item(record: ProductRecord, product: Product, collection: Collection, hrefs: Hrefs,
         base: str) -> dict:
    """A STAC Item of ``product``; ``base`` is the STAC API's root URL."""
    assets = {}
    by_file: dict[str, list[Band]] = {}
    for band_name, path, _size in product.files:
        by_file.setdefault(path, []).append(collection.band(band_name))
    for path, bands in by_file.items():
        key = bands[0].name if len(bands) == 1 else bands[0].file
        size = next(s for _b, p, s in product.files if p == path)
        assets[key] = {
            "href": hrefs.file(path), "type": GEOTIFF, "title": bands[0].file,
            "roles": ["quality" if bands[0].role == "quality" else "data"],
            "file:size": size, **file_grid(path),
            "raster:bands": [_raster_band(b) for b in bands],
            "alternate": {"local": {"href": Path(path).absolute().as_uri(),
                                    "title": "the file on the platform"}}}
    for link in record.links.get("previews", []):
        assets["thumbnail"] = {"href": link.href, "type": link.type, "roles": ["thumbnail"],
                               "title": "WMS preview"}
    collection_url = f"{base}/collections/{collection.id}"
    properties = stac_properties(product, collection)
    return {
        "type": "Feature", "stac_version": STAC_VERSION,
        "stac_extensions": _extensions(properties, assets), "id": product.name,
        "collection": collection.id, "geometry": record.geometry, "bbox": list(product.bbox),
        "properties": properties, "assets": assets,
        "links": [
            {"rel": "self", "href": f"{collection_url}/items/{product.name}",
             "type": "application/geo+json"},
            {"rel": "parent", "href": collection_url, "type": "application/json"},
            {"rel": "collection", "href": collection_url, "type": "application/json"},
            {"rel": "root", "href": base, "type": "application/json"},
            {"rel": "alternate", "href": record.links["alternates"][0].href,
             "type": "application/geo+json", "title": "OpenSearch"}]}


def _extensions(properties: dict, assets: dict) -> list[str]:
    fields = [*properties, *(name for asset in assets.values() for name in asset)]
    used = {name.split(":")[0] for name in fields if ":" in name} | set(_ALWAYS)
    return [url for name, url in EXTENSIONS.items() if name in used]


def file_grid(path: str) -> dict:
    """``proj:shape`` and ``proj:transform`` of a file (what odc-stac and stackstac need to
    place its pixels), read from its header once per version of the file; nothing for a file
    that cannot be read."""
    try:
        stat = os.stat(path)
    except OSError:
        return {}
    return _grid(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _grid(path: str, _mtime_ns: int, _size: int) -> dict:
    try:
        with rasterio.open(path) as dataset:
            grid = {"proj:shape": [dataset.height, dataset.width],
                    "proj:transform": list(dataset.transform)[:6]}
            if dataset.crs and dataset.crs.to_epsg():
                grid["proj:epsg"] = dataset.crs.to_epsg()
            return grid
    except (RasterioError, OSError):
        return {}


def _raster_band(band: Band) -> dict:
    entry = {"name": band.name, "data_type": _DATA_TYPES[band.dtype], "scale": band.scale,
             "offset": band.offset, "unit": band.unit}
    if band.nodata is not None:
        entry["nodata"] = "nan" if band.nodata != band.nodata else band.nodata
    return entry


def stac_collection(record: CollectionRecord, collection: Collection, base: str) -> dict:
    """A STAC Collection of a registry collection with its extent in the index."""
    url = f"{base}/collections/{collection.id}"
    interval = [[record.begin, None]] if record.begin else [[None, None]]
    if record.end:
        interval = [[record.begin, record.end]]
    return {
        "type": "Collection", "stac_version": STAC_VERSION,
        "stac_extensions": [EXTENSIONS["raster"], ITEM_ASSETS],
        "id": collection.id, "title": collection.title.en,
        "description": collection.abstract.en, "license": "proprietary",
        "keywords": list(record.keywords),
        "providers": [{"name": "eoscope", "roles": ["host", "processor"]}],
        "extent": {"spatial": {"bbox": [list(record.bbox or collection.extent)]},
                   "temporal": {"interval": interval}},
        "summaries": {"platform": [collection.platform.lower()],
                      "instruments": [collection.instrument.lower()],
                      "gsd": [nominal_resolution(collection)]},
        "item_assets": {b.name: {"type": GEOTIFF, "title": b.file,
                                 "roles": ["quality" if b.role == "quality" else "data"],
                                 "raster:bands": [_raster_band(b)]}
                        for b in collection.bands},
        "renders": {layer.name: {"title": layer.title.en, "assets": list(layer.bands),
                                 "wms": f"{base.rsplit('/stac', 1)[0]}/wms",
                                 "layer": layer.name}
                    for layer in collection.layers if "wms" in layer.services},
        "links": [
            {"rel": "self", "href": url, "type": "application/json"},
            {"rel": "items", "href": f"{url}/items", "type": "application/geo+json"},
            {"rel": "parent", "href": base, "type": "application/json"},
            {"rel": "root", "href": base, "type": "application/json"}]}
