"""Generate the MapServer mapfile from the registry and the product index.

Deterministic (same inputs, same bytes), marked as generated, and loaded back with mapscript
before it replaces the previous one, so a broken file never goes live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import mapscript
from jinja2 import Environment, PackageLoader, StrictUndefined
from shapely import wkb
from shapely.ops import unary_union

from services.atomic import write_validated
from services.index import ProductIndex
from services.index.views import NODATA
from services.registry import Band, Collection, Layer, RampStyle, Registry, RgbStyle, Text
from services.settings import Settings

CRS_LIST = ("EPSG:3857", "EPSG:4326", "CRS:84", "EPSG:32631", "EPSG:31370", "EPSG:3035")
BELGIUM = (2.5, 49.5, 6.4, 51.5)


class MapfileError(Exception):
    """The generated mapfile did not load in MapServer."""


@dataclass(frozen=True)
class RasterClass:
    name: str
    group: str
    expression: str
    colors: tuple[str, str]
    range: tuple[float, float]


@dataclass(frozen=True)
class MapLayer:
    """What the template needs of one served layer."""

    name: str
    collection: str
    title: Text
    abstract: Text
    keywords: tuple[str, ...]
    grid_crs: str
    resolution: float
    extent: tuple[float, float, float, float]
    size: tuple[int, int]
    dates: list[str]
    bands: list[Band]
    wms_requests: str
    wcs_requests: str
    wcs_crs: tuple[str, ...]
    styles: tuple
    processing: list[str]
    classgroup: str | None
    classes: list[RasterClass]


def render(registry: Registry, index: ProductIndex, settings: Settings) -> str:
    """The mapfile text for every layer that has products in the index."""
    layers = [m for c, layer in registry.layers.values()
              if (m := _map_layer(c, layer, index)) is not None]
    extents = [e for c in registry.collections.values() if (e := index.extent(c.id))]
    extent = (min(e[0] for e in extents), min(e[1] for e in extents),
              max(e[2] for e in extents), max(e[3] for e in extents)) if extents else BELGIUM
    limits = settings.limits
    context = {
        "title": settings.service_title,
        "organization": settings.contact_organization,
        "online_resource": (settings.public_url or "http://127.0.0.1:8080").rstrip("/") + "/ows?",
        "index": str(settings.index.resolve()),
        "crs": CRS_LIST,
        "extent": [f"{v:.6f}" for v in extent],
        "maxsize": limits.max_map_side,
        "contact_person": settings.contact_person,
        "contact_email": settings.contact_email,
    }
    return _environment().get_template("eoscope.map.j2").render(map=context, layers=layers)


def generate(registry: Registry, index: ProductIndex, settings: Settings) -> Path:
    """Write the mapfile atomically after MapServer has loaded it; return its path."""
    return write_validated(settings.mapfile, render(registry, index, settings), _load)


def _load(path: str) -> None:
    try:
        mapscript.mapObj(path)
    except mapscript.MapServerError as error:
        raise MapfileError(f"generated mapfile does not load: {error}") from error


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("services.ows", "templates"), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["q"] = _quote
    return env


def _quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'


def _map_layer(collection: Collection, layer: Layer, index: ProductIndex) -> MapLayer | None:
    dates = index.layer_dates(layer.name)
    if not dates:
        return None
    resolution = collection.grid.resolution
    extent = _snapped_extent(index.layer_geometries(layer.name), resolution)
    size = (round((extent[2] - extent[0]) / resolution),
            round((extent[3] - extent[1]) / resolution))
    style = layer.default_style
    return MapLayer(
        name=layer.name, collection=collection.id, title=layer.title, abstract=layer.abstract,
        keywords=layer.keywords, grid_crs=collection.grid.crs, resolution=resolution,
        extent=extent, size=size, dates=dates,
        bands=[collection.band(b) for b in layer.bands],
        wms_requests="*" if "wms" in layer.services else "!*",
        wcs_requests="*" if "wcs" in layer.services else "!*",
        wcs_crs=(collection.grid.crs, *(c for c in CRS_LIST if c != collection.grid.crs)),
        styles=layer.styles,
        processing=_processing(layer),
        classgroup=style.name if isinstance(style, RampStyle) else None,
        classes=[c for s in layer.styles if isinstance(s, RampStyle) for c in _ramp_classes(s)],
    )


def _snapped_extent(geometries: list[bytes], resolution: float) -> tuple[float, ...]:
    minx, miny, maxx, maxy = unary_union([wkb.loads(g) for g in geometries]).bounds
    return (math.floor(minx / resolution) * resolution, math.floor(miny / resolution) * resolution,
            math.ceil(maxx / resolution) * resolution, math.ceil(maxy / resolution) * resolution)


def _processing(layer: Layer) -> list[str]:
    style = layer.default_style
    if isinstance(style, RgbStyle):
        return [f"SCALE_{i}={lo},{hi}" for i, (lo, hi) in enumerate(style.ranges, start=1)]
    if isinstance(style, RampStyle):
        return [f"SCALE={style.stops[0].value},{style.stops[-1].value}", "SCALE_BUCKETS=1024"]
    return []


def _ramp_classes(style: RampStyle) -> list[RasterClass]:
    """One class per pair of stops; the first and last are open-ended so that values beyond
    the ramp take its end colours."""
    stops = style.stops
    classes = []
    for i, (low, high) in enumerate(zip(stops, stops[1:], strict=False)):
        tests = []
        tests.append(f"[pixel] >= {low.value}" if i > 0 else f"[pixel] > {NODATA}")
        if i < len(stops) - 2:
            tests.append(f"[pixel] < {high.value}")
        classes.append(RasterClass(
            name=f"{low.label or low.value} – {high.label or high.value}",
            group=style.name, expression=" AND ".join(f"({t})" for t in tests),
            colors=(low.color, high.color), range=(low.value, high.value)))
    return classes
