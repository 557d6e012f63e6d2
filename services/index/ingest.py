"""Walk an archive, recognise products by Terrascope naming, and upsert them into the index.

A file that is not a product file, or cannot be read, is reported and skipped; the rest goes on.
Ingesting the same archive twice gives the same index.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.warp import transform_geom
from shapely import wkb
from shapely.geometry import box, shape

from services.index.naming import ProductName, parse_file, product_of
from services.index.store import LayerSource, Product, ProductIndex
from services.index.views import write_view
from services.registry import Collection, Registry

BATCH = 100  # products per index transaction
CLOUD_CLASSES = (3, 8, 9, 10)  # Sen2Cor SCL: cloud shadow, cloud medium/high, thin cirrus
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

    def skip(self, path: Path, why: str) -> None:
        self.skipped.append((str(path), why))


def ingest(archive: Path, registry: Registry, index: ProductIndex, derived: Path,
           progress: Progress | None = None) -> IngestReport:
    """Index every product found under ``archive``; derived views are written to ``derived``."""
    report = IngestReport()
    grouped = sorted(_group_files(archive, registry, report).items())
    known = index.signatures([name.name for (_folder, name), _files in grouped])
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    batch: list[tuple[Product, list[LayerSource]]] = []
    for i, ((folder, name), files) in enumerate(grouped, start=1):
        collection = registry.collection_for_product_type(name.product_type)
        signature = _signature(collection, files)
        if known.get(name.name) != signature:
            try:
                product, sources = _describe(folder, name, collection, files, derived, signature)
            except (RasterioError, OSError, ValueError) as error:
                report.skip(folder, f"unreadable product: {error}")
                continue
            batch.append((product, sources))
            report.changed.append(ChangedProduct(collection.id, name.name, product.time[:10],
                                                 product.bbox))
        report.products.append(name.name)
        if len(batch) >= BATCH:
            index.upsert_many(batch, ingested_at)  # visible to the services batch by batch
            batch = []
        if progress:
            progress(i, len(grouped), name.name)
    index.upsert_many(batch, ingested_at)
    return report


def _signature(collection: Collection, files: dict[str, Path]) -> str:
    """Changes when a file is added, removed, rewritten, or the collection is redefined."""
    digest = hashlib.sha256(collection.model_dump_json().encode())
    for band, path in sorted(files.items()):
        stat = path.stat()
        digest.update(f"{band}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _group_files(archive: Path, registry: Registry, report: IngestReport
                 ) -> dict[tuple[Path, ProductName], dict[str, Path]]:
    """{(product folder, product name): {band: file}} for every recognised file."""
    grouped: dict[tuple[Path, ProductName], dict[str, Path]] = defaultdict(dict)
    for path in sorted(archive.rglob("*.tif")):
        parsed, product = parse_file(path.name), product_of(path)
        if parsed is None or product is None:
            report.skip(path, "not a Terrascope product file name")
            continue
        collection = registry.collection_for_product_type(product.product_type)
        if collection is None:
            report.skip(path, f"no collection for product type '{product.product_type}'")
            continue
        band = next((b.name for b in collection.bands if b.file == parsed.token), None)
        if band is None:
            continue  # a file of the product that no layer uses (quicklook, other bands)
        if not _readable(path):
            report.skip(path, "unreadable raster")
            continue
        folder = next(p for p in path.parents if p.name == product.name)
        grouped[(folder, product)][band] = path
    return grouped


def _readable(path: Path) -> bool:
    try:
        with rasterio.open(path) as dataset:
            dataset.read(1, window=((0, 1), (0, 1)))
        return True
    except (RasterioError, OSError):
        return False


def _describe(folder: Path, name: ProductName, collection: Collection, files: dict[str, Path],
              derived: Path, signature: str) -> tuple[Product, list[LayerSource]]:
    main = next(files[b.name] for b in collection.bands if b.name in files)
    with rasterio.open(main) as dataset:
        crs, bounds = dataset.crs, dataset.bounds
    outline = box(*bounds).segmentize(max(bounds.right - bounds.left, 1) / 16)
    lonlat = shape(transform_geom(crs, "EPSG:4326", outline.__geo_interface__))
    in_grid = shape(transform_geom(crs, collection.grid.crs, outline.__geo_interface__))
    crs_name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.to_wkt()
    product = Product(
        collection=collection.id, name=name.name, platform=name.platform, tile=name.tile,
        time=name.time.isoformat().replace("+00:00", "Z"), version=name.version,
        cloud_cover=_cloud_cover(collection, files), crs=crs_name, bbox=lonlat.bounds,
        footprint=wkb.dumps(lonlat), folder=str(folder),
        files={band: (str(path), path.stat().st_size) for band, path in files.items()},
        signature=signature)
    sources = []
    for layer in collection.layers:
        if not all(b in files for b in layer.bands):
            continue
        view = derived / collection.id / name.name / f"{layer.name}.vrt"
        write_view(view, [(collection.band(b), files[b]) for b in layer.bands])
        sources.append(LayerSource(layer=layer.name, location=str(view), srs=crs_name,
                                   geom=wkb.dumps(in_grid)))
    return product, sources


def _cloud_cover(collection: Collection, files: dict[str, Path]) -> float:
    """Percent cloudy: from the scene classification if the product has one, else the share
    of nodata pixels in its first band (S2 indicator products mask clouds as nodata)."""
    if "SCL" in files:
        classes = _overview(files["SCL"])
        valid = classes != 0
        cloudy = np.isin(classes, CLOUD_CLASSES) & valid
        return round(100.0 * cloudy.sum() / max(valid.sum(), 1), 2)
    band = next(b for b in collection.bands if b.name in files)
    values = _overview(files[band.name])
    return round(100.0 * float(np.mean(values == band.nodata)), 2)


def _overview(path: Path, size: int = 256) -> np.ndarray:
    """The first band read at about ``size`` pixels a side (uses the COG's overviews)."""
    with rasterio.open(path) as dataset:
        factor = max(1, max(dataset.width, dataset.height) // size)
        shape_out = (max(1, dataset.height // factor), max(1, dataset.width // factor))
        return dataset.read(1, out_shape=shape_out, resampling=rasterio.enums.Resampling.nearest)
