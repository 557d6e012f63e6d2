"""Generate the MapServer mapfile from the registry (and the deployment settings) alone.

Deterministic (same inputs, same bytes), marked as generated, and loaded back with mapscript
before it replaces the previous one, so a broken file never goes live. What the index knows —
each layer's dates and extent — is not in the file: the OWS adapter sets it on each request's
copy of the map (:mod:`services.ows.live`), so an ingest needs no regeneration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import mapscript
from jinja2 import Environment, PackageLoader, StrictUndefined
from pyproj import Transformer

from services.atomic import write_validated
from services.index.mosaics import switch_scale
from services.index.views import NODATA
from services.registry import Band, Collection, Layer, RampStyle, Registry, RgbStyle, Text
from services.settings import Settings

DB_STEP = 1.0   # a dB ramp is drawn as linear classes this many decibels wide


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
    extent: tuple[float, float, float, float]   # the collection's, until products say more
    bands: list[Band]
    wms_requests: str
    wcs_requests: str
    wcs_crs: tuple[str, ...]
    styles: tuple
    processing: list[str]
    classgroup: str | None
    classes: list[RasterClass]
    mosaic_scale: float   # from this scale denominator maps draw the dates' mosaics


def crs_list(registry: Registry, settings: Settings) -> tuple[str, ...]:
    """The CRSs every layer is offered in: the settings' list and every grid's own CRS."""
    grids = (c.grid.crs for c in registry.collections.values())
    return tuple(dict.fromkeys([*settings.crs_list, *grids]))


def render(registry: Registry, settings: Settings) -> str:
    """The mapfile text for every layer of the registry."""
    crs = crs_list(registry, settings)
    layers = [_map_layer(c, layer, crs) for c, layer in registry.layers.values()]
    extents = [c.extent for c in registry.collections.values()]
    extent = (min(e[0] for e in extents), min(e[1] for e in extents),
              max(e[2] for e in extents), max(e[3] for e in extents))
    platforms = dict.fromkeys(c.platform for c in registry.collections.values())
    context = {
        "title": settings.service_title,
        "abstract": settings.service_abstract,
        "keywords": ",".join(["Earth observation", *platforms]),
        "organization": settings.contact_organization,
        "online_resource": (settings.public_url or "http://127.0.0.1:8080").rstrip("/") + "/ows?",
        "index": str(settings.index.resolve()),
        "crs": crs,
        "extent": [f"{v:.6f}" for v in extent],
        "maxsize": settings.limits.max_map_side,
        "contact_person": settings.contact_person,
        "contact_email": settings.contact_email,
        "languages": registry.languages,
    }
    return _environment().get_template("eoscope.map.j2").render(map=context, layers=layers)


def generate(registry: Registry, settings: Settings) -> Path:
    """Write the mapfile atomically after MapServer has loaded it; return its path."""
    return write_validated(settings.mapfile, render(registry, settings), _load)


def _load(path: str) -> None:
    try:
        mapscript.mapObj(path)
    except mapscript.MapServerError as error:
        raise MapfileError(f"generated mapfile does not load: {error}") from error


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("services.ows", "templates"), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["q"] = _quote
    env.filters["r"] = repr
    return env


def _quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'


def _map_layer(collection: Collection, layer: Layer, crs: tuple[str, ...]) -> MapLayer:
    grid = collection.grid
    style = layer.default_style
    return MapLayer(
        name=layer.name, collection=collection.id, title=layer.title, abstract=layer.abstract,
        keywords=layer.keywords, grid_crs=grid.crs, resolution=grid.step,
        extent=default_extent(collection), bands=[collection.band(b) for b in layer.bands],
        wms_requests="*" if "wms" in layer.services else "!*",
        wcs_requests="*" if "wcs" in layer.services else "!*",
        wcs_crs=(grid.crs, *(c for c in crs if c != grid.crs)),
        styles=layer.styles,
        processing=_processing(layer),
        classgroup=style.name if isinstance(style, RampStyle) else None,
        classes=[c for s in layer.styles if isinstance(s, RampStyle) for c in _ramp_classes(s)],
        mosaic_scale=switch_scale(collection),
    )


def default_extent(collection: Collection) -> tuple[float, float, float, float]:
    """The collection's declared lon/lat extent in its grid CRS, on pixel edges."""
    west, south, east, north = collection.extent
    if collection.grid.geographic:
        return collection.grid.snap((west, south, east, north))
    to_grid = Transformer.from_crs("EPSG:4326", collection.grid.crs, always_xy=True)
    xs, ys = to_grid.transform([west, east, west, east], [south, south, north, north])
    return collection.grid.snap((min(xs), min(ys), max(xs), max(ys)))


def _processing(layer: Layer) -> list[str]:
    style = layer.default_style
    if isinstance(style, RgbStyle):
        return [f"SCALE_{i}={lo},{hi}" for i, (lo, hi) in enumerate(style.ranges, start=1)]
    if isinstance(style, RampStyle) and style.scale == "linear":
        return [f"SCALE={style.stops[0].value},{style.stops[-1].value}", "SCALE_BUCKETS=1024"]
    return []  # a dB ramp: linear buckets would be too coarse at its low end


def _ramp_classes(style: RampStyle) -> list[RasterClass]:
    """One class per pair of stops (or per ``DB_STEP`` decibels of a dB ramp, whose classes
    are linear in the physical value); the first and last are open-ended so that values
    beyond the ramp take its end colours. Only the first class of each pair of stops is named,
    so the legend shows one entry per pair."""
    stops = style.stops
    pieces = [(low, high, *part) for low, high in zip(stops, stops[1:], strict=False)
              for part in _parts(low.value, high.value, low.color, high.color, style.scale)]
    classes = []
    for i, (low, high, start, end, colors, first) in enumerate(pieces):
        tests = [f"[pixel] >= {start!r}" if i > 0 else f"[pixel] > {NODATA}"]
        if i < len(pieces) - 1:
            tests.append(f"[pixel] < {end!r}")
        name = f"{low.label or low.value} – {high.label or high.value}" if first else ""
        classes.append(RasterClass(
            name=name, group=style.name, expression=" AND ".join(f"({t})" for t in tests),
            colors=colors, range=(start, end)))
    return classes


def _parts(low: float, high: float, low_color: str, high_color: str, scale: str):
    """(start, end, (colour, colour), first) of the classes between two stops, in physical
    values (a dB ramp: one class per ``DB_STEP``, colours interpolated in dB)."""
    if scale == "linear":
        yield low, high, (low_color, high_color), True
        return
    count = max(1, math.ceil((high - low) / DB_STEP))
    steps = [low + (high - low) * k / count for k in range(count + 1)]
    for k in range(count):
        yield (10 ** (steps[k] / 10), 10 ** (steps[k + 1] / 10),
               (_mix(low_color, high_color, k / count),
                _mix(low_color, high_color, (k + 1) / count)), k == 0)


def _mix(a: str, b: str, t: float) -> str:
    one = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    two = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(one, two, strict=True))
