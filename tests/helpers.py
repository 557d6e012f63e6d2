"""Helpers shared by the tests: offline schema validation, source-file truth, image checks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import mapproxy
import numpy as np
import rasterio
from lxml import etree
from pyproj import Transformer

from services.demo import DemoSpec, generate
from services.index import ProductIndex, ingest
from services.registry import Registry, load
from services.settings import PROJECT_ROOT

HERE = Path(__file__).parent
MAPPROXY_SCHEMAS = Path(mapproxy.__file__).parent / "test" / "schemas"
XLINK_11 = HERE / "schemas" / "w3c" / "1999" / "xlink.xsd"
OGC = "http://schemas.opengis.net/"
LOCAL_ROOTS = {
    f"{OGC}wms/": MAPPROXY_SCHEMAS / "wms",
    f"{OGC}wmts/": MAPPROXY_SCHEMAS / "wmts",
    f"{OGC}ows/1.1.0/": MAPPROXY_SCHEMAS / "ows" / "1.1.0",
    f"{OGC}ows/2.0/": HERE / "schemas" / "ows" / "2.0",
    f"{OGC}gml/3.2.1/": HERE / "schemas" / "gml" / "3.2",
    f"{OGC}wcs/2.0/": HERE / "schemas" / "wcs" / "2.0",
    f"{OGC}gmlcov/1.0/": HERE / "schemas" / "gmlcov" / "1.0",
    f"{OGC}swe/2.0/": HERE / "schemas" / "swe" / "2.0",
    f"{OGC}sld/1.1.0/": MAPPROXY_SCHEMAS / "sld" / "1.1.0",
    f"{OGC}iso/19139/20070417/": HERE / "schemas" / "iso" / "19139" / "20070417",
    "http://www.w3.org/1999/xlink.xsd": XLINK_11,
    f"{OGC}xlink/1.0.0/": MAPPROXY_SCHEMAS / "xlink" / "1.0.0",
    "http://www.w3.org/2001/xml.xsd": MAPPROXY_SCHEMAS / "xml.xsd",
}


class _Offline(etree.Resolver):
    """Map the OGC schema URLs to the local copies. The ETS copies of GML 3.2 and SWE 2.0 import
    XLink through ``xlink/1.0.0``, which lacks the ``simpleAttrs`` group they use: they get the
    W3C XLink 1.1 schema that the official GML 3.2.1 imports."""

    def resolve(self, url, pubid, context):
        if url.endswith(("xlink/1.0.0/xlinks.xsd", "xlink/1.0.0/xlink.xsd")) and \
                "mapproxy" not in url:
            return self.resolve_filename(str(XLINK_11), context)
        for prefix, local in LOCAL_ROOTS.items():
            if url.startswith(prefix):
                rest = url[len(prefix):]
                return self.resolve_filename(str(local / rest) if rest else str(local), context)
        return None


@cache
def schema(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Offline())
    return etree.XMLSchema(etree.parse(str(path), parser))


WMS_130 = HERE / "schemas" / "wms_1_3_0_with_sld.xsd"
WMS_130_EXCEPTIONS = MAPPROXY_SCHEMAS / "wms" / "1.3.0" / "exceptions_1_3_0.xsd"
WCS_20 = HERE / "schemas" / "wcs" / "2.0" / "wcsAll.xsd"
OWS_20_EXCEPTIONS = HERE / "schemas" / "ows" / "2.0" / "owsExceptionReport.xsd"


def assert_valid(document: bytes, xsd: Path) -> etree._Element:
    tree = etree.fromstring(document)
    validator = schema(xsd)
    assert validator.validate(tree), "\n".join(str(e) for e in validator.error_log[:10])
    return tree


def read_image(body: bytes) -> np.ndarray:
    """Bands × rows × cols of an image (PNG, JPEG or GeoTIFF) returned by the server."""
    with rasterio.MemoryFile(io.BytesIO(body)) as memory, memory.open() as dataset:
        return dataset.read()


def source_value(registry: Registry, index: ProductIndex, layer: str, date: str,
                 lon: float, lat: float) -> float:
    """The physical value of a layer's first band at lon/lat on a date, read straight from
    the product file with rasterio (NaN for nodata)."""
    collection, definition = registry.layer(layer)
    band = collection.band(definition.bands[0])
    for _name, file_band, path in index.files(collection.id, date):
        if file_band != band.name:
            continue
        with rasterio.open(path) as dataset:
            x, y = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True).transform(
                lon, lat)
            row, col = dataset.index(x, y)
            if not (0 <= row < dataset.height and 0 <= col < dataset.width):
                continue
            dn = dataset.read(1, window=((row, row + 1), (col, col + 1)))[0, 0]
            return float("nan") if dn == band.nodata else band.physical(float(dn))
    raise AssertionError(f"no {layer} file covers {lon}, {lat} on {date}")


def same_up_to_resampling(tile: np.ndarray, around: np.ndarray) -> float:
    """Share of a tile's pixels whose colour is the reference colour at the same place or at a
    neighbour (``around`` has one pixel of margin all round): 10 m pixels drawn at 3-5 m by
    nearest neighbour land on either side of a source pixel edge depending on the request's
    extent (MapServer's reprojection is approximate to 1/3 pixel, and MapProxy clips metatile
    requests to the layer's coverage)."""
    found = np.zeros(tile.shape[1:], dtype=bool)
    for dy in range(3):
        for dx in range(3):
            shifted = around[:, dy:dy + tile.shape[1], dx:dx + tile.shape[2]]
            found |= np.all(shifted == tile, axis=0)
    return float(found.mean())


@dataclass(frozen=True)
class Pixel:
    """A valid pixel of a layer's latest product that has one: its date, its centre in lon/lat
    and in the layer's grid CRS, and its physical value as the file holds it."""

    date: str
    lon: float
    lat: float
    x: float
    y: float
    value: float


def valid_pixel(registry: Registry, index: ProductIndex, layer: str) -> Pixel:
    """The valid pixel nearest the centre of the latest product of ``layer`` that has one,
    read from the file with rasterio."""
    collection, definition = registry.layer(layer)
    band = collection.band(definition.bands[0])
    to_grid = Transformer.from_crs("EPSG:4326", collection.grid.crs, always_xy=True)
    for date in reversed(index.layer_dates(layer)):
        path = next(p for _n, b, p in index.files(collection.id, date) if b == band.name)
        with rasterio.open(path) as dataset:
            dn = dataset.read(band.index)
            rows, cols = np.nonzero(band.valid(dn))
            if not rows.size:
                continue
            nearest = np.argmin((rows - dn.shape[0] / 2) ** 2 + (cols - dn.shape[1] / 2) ** 2)
            row, col = int(rows[nearest]), int(cols[nearest])
            lon, lat = Transformer.from_crs(dataset.crs, "EPSG:4326", always_xy=True
                                            ).transform(*dataset.xy(row, col))
        x, y = to_grid.transform(lon, lat)
        return Pixel(date, lon, lat, x, y, float(band.to_physical(dn[row:row + 1, col])[0]))
    raise AssertionError(f"{layer}: no valid pixel on any date")


def one_layer_per_source(registry: Registry) -> dict[str, str]:
    """Profile → its first single-band WMS and WCS layer: what per-source client tests use."""
    chosen: dict[str, str] = {}
    for name, (collection, layer) in sorted(registry.layers.items()):
        if len(layer.bands) == 1 and {"wms", "wcs"} <= set(layer.services):
            chosen.setdefault(collection.profile, name)
    return chosen


def ingested(root: Path, spec: DemoSpec) -> tuple[Registry, ProductIndex]:
    """``spec`` generated under ``root/archive`` and ingested with the project's layers into
    ``root/index.sqlite`` (derived views in ``root/derived``): a service's own archive."""
    generate(root / "archive", spec)
    registry = load(PROJECT_ROOT / "layers")
    index = ProductIndex(root / "index.sqlite")
    ingest(root / "archive", registry, index, root / "derived")
    return registry, index
