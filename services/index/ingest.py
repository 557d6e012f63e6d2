"""Walk an archive, let the mission profiles recognise the product files, and upsert the
products into the index.

Every GeoTIFF (``.tif``/``.tiff`` in any case) is offered to the profiles the registry uses. A
file none of them recognises is reported with the profiles tried; a recognised one whose
product no collection declares, with the profile and the products it knows; an unreadable one,
with GDAL's reason. Each is skipped and the rest goes on. Ingesting the same archive
twice gives the same index; a product whose files changed is re-indexed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.warp import transform_geom
from shapely import wkb
from shapely.geometry import box, shape

from services.index.mosaics import sync_mosaics
from services.index.product import LayerSource, Product
from services.index.store import ProductIndex
from services.index.views import VIEW_FORMAT, write_layer_view
from services.missions import PROFILES, ProductFile
from services.registry import Band, Collection, Registry

BATCH = 100  # products per index transaction
RASTERS = (".tif", ".tiff")
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ChangedProduct:
    """A product that ingest added or replaced."""

    collection: str
    name: str
    date: str
    bbox: tuple[float, float, float, float]  # lon/lat


@dataclass
class IngestReport:
    products: list[str] = field(default_factory=list)      # indexed, changed or not
    changed: list[ChangedProduct] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    mosaics: int = 0  # layer-date mosaics written (services.index.mosaics)

    def skip(self, path: Path, why: str) -> None:
        self.skipped.append((str(path), why))


@dataclass
class _Found:
    """The files of one product, as the profile recognised them."""

    collection: Collection
    first: ProductFile
    files: dict[str, Path] = field(default_factory=dict)   # band → file


def ingest(archive: Path, registry: Registry, index: ProductIndex, derived: Path,
           progress: Progress | None = None) -> IngestReport:
    """Index every product found under ``archive``; derived views are written to ``derived``."""
    report = IngestReport()
    found = sorted(_recognise(archive, registry, report).items())
    known = index.signatures()
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    batch: list[tuple[Product, list[LayerSource]]] = []
    with index.writer(ingested_at) as write:  # one connection, a transaction per batch
        for i, (key, product) in enumerate(found, start=1):
            signature = _signature(product.collection, product.files)
            if known.get(key, ("",))[0] != signature:  # new or changed: now read its rasters
                described = _checked(product, derived, signature, report)
                if described is None:
                    continue
                batch.append(described)
                record = described[0]
                report.changed.append(ChangedProduct(record.collection, record.name,
                                                     record.date, record.bbox))
            report.products.append(key[1])
            if len(batch) >= BATCH:
                write(batch)  # visible to the services batch by batch
                batch = []
            if progress:
                progress(i, len(found), key[1])
        write(batch)
    report.mosaics = sync_mosaics(registry, index, derived)
    return report


def _checked(product: _Found, derived: Path, signature: str, report: IngestReport
             ) -> tuple[Product, list[LayerSource]] | None:
    """The product's record and layer sources, once its files are known to be readable;
    None (reported) if one is not."""
    for path in dict.fromkeys(product.files.values()):
        problem = _unreadable(path)
        if problem:
            report.skip(path, f"unreadable raster: {problem}")
            return None
    try:
        return _describe(product, derived, signature)
    except (RasterioError, OSError, ValueError) as error:
        report.skip(product.first.folder, f"unreadable product: {error}")
        return None


def _recognise(archive: Path, registry: Registry, report: IngestReport
               ) -> dict[tuple[str, str], _Found]:
    """(collection id, product name) → its files, for every file a profile recognises."""
    profiles = [PROFILES[name] for name in registry.profiles]
    found: dict[tuple[str, str], _Found] = {}
    for path in sorted(p for p in archive.rglob("*") if p.suffix.lower() in RASTERS):
        profile, match = next(((p.name, m) for p in profiles
                               if (m := p.recognise(path)) is not None), (None, None))
        if match is None:
            report.skip(path, "not a product file of the profiles in use "
                              f"({', '.join(registry.profiles)})")
            continue
        collection = registry.collection_for(profile, match.key)
        if collection is None:
            known = sorted(c.product_key for c in registry.collections.values()
                           if c.profile == profile)
            report.skip(path, f"profile {profile}: no collection for product '{match.key}' "
                              f"(known: {', '.join(known)})")
            continue
        bands = [b.name for b in collection.bands if b.file == match.token]
        if not bands:
            continue  # a file of the product that no band uses (quicklook, other bands)
        entry = found.setdefault((collection.id, match.product), _Found(collection, match))
        entry.files.update(dict.fromkeys(bands, path))
    return found


def _unreadable(path: Path) -> str | None:
    try:
        with rasterio.open(path) as dataset:
            dataset.read(1, window=((0, 1), (0, 1)))
        return None
    except (RasterioError, OSError) as error:
        return str(error).replace(str(path), path.name)


def _signature(collection: Collection, files: dict[str, Path]) -> str:
    """Changes when a file is added, removed, rewritten, the collection is redefined or the
    views are written differently (``VIEW_FORMAT``)."""
    digest = hashlib.sha256(f"{VIEW_FORMAT}\0{collection.model_dump_json()}".encode())
    for band, path in sorted(files.items()):
        stat = path.stat()
        digest.update(f"{band}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _describe(found: _Found, derived: Path, signature: str
              ) -> tuple[Product, list[LayerSource]]:
    collection, files, acquisition = found.collection, found.files, found.first.acquisition
    main = next(files[b.name] for b in collection.bands if b.name in files)
    with rasterio.open(main) as dataset:
        crs, bounds = dataset.crs, dataset.bounds
    outline = box(*bounds).segmentize(max(bounds.right - bounds.left, 1e-9) / 16)
    lonlat = shape(transform_geom(crs, "EPSG:4326", outline.__geo_interface__))
    in_grid = shape(transform_geom(crs, collection.grid.crs, outline.__geo_interface__))
    crs_name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.to_wkt()
    profile = PROFILES[collection.profile]
    product = Product(
        collection=collection.id, name=found.first.product, platform=acquisition.platform,
        tile=acquisition.tile, time=_iso(acquisition.start), end=_iso(acquisition.end),
        version=acquisition.version,
        cloud_cover=profile.cloud_cover(collection, files, _overview), crs=crs_name,
        bbox=lonlat.bounds, footprint=wkb.dumps(lonlat), folder=str(found.first.folder),
        files=tuple((band, str(path), path.stat().st_size) for band, path in files.items()),
        properties=dict(acquisition.properties), signature=signature)
    sources = []
    for layer in collection.layers:
        if not all(b in files for b in layer.bands):
            continue
        view = derived / collection.id / product.name / f"{layer.name}.vrt"
        write_layer_view(view, collection, layer, files)
        sources.append(LayerSource(layer=layer.name, location=str(view), srs=crs_name,
                                   bounds=in_grid.bounds, geom=wkb.dumps(in_grid)))
    return product, sources


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _overview(path: Path, band: Band, size: int = 256) -> np.ndarray:
    """A band read at about ``size`` pixels a side (uses the COG's overviews)."""
    with rasterio.open(path) as dataset:
        factor = max(1, max(dataset.width, dataset.height) // size)
        shape_out = (max(1, dataset.height // factor), max(1, dataset.width // factor))
        return dataset.read(band.index, out_shape=shape_out, resampling=Resampling.nearest)
