"""What the index knows, set on a request's own copy of the map (the generated mapfile holds
only the registry): each layer's dates and extent for capabilities and descriptions, and for
a map or coverage the one date it shows.

Dates are selected by eoscope, not by MapServer: a map or coverage request's tile index is
pointed at the chosen date and MapServer's own time filter is switched off, so a TIME interval
or list draws the latest date inside it (the rule the capabilities' TIME values describe) and
MapServer never checks a request against a long list of dates.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import mapscript

from services.index.live import LayerFacts
from services.ows.mapserver import Tweak
from services.registry import Registry

INDEX_TABLES = {"_index": "layer_sources", "_areas_index": "layer_areas"}
TIME_KEYS = ("wms_timeitem", "wms_timeextent", "wms_timedefault", "wcs_timeitem",
             "wcs_timeposition")


def advertise(registry: Registry, facts: Mapping[str, LayerFacts]) -> Tweak:
    """Capabilities and descriptions: every layer with products gets its dates and extent;
    a layer without products is left out until it has some."""
    def tweak(map_: mapscript.mapObj) -> None:
        for i in reversed(range(map_.numlayers)):
            layer = map_.getLayer(i)
            if layer.name.endswith("_index") or layer.name not in registry.layers:
                continue
            known = facts.get(layer.name)
            if known is None:
                map_.removeLayer(i)
                continue
            dates = ",".join(known.dates)
            for key, value in (("wms_timeextent", dates), ("wms_timedefault", known.latest),
                               ("wcs_timeposition", dates)):
                layer.metadata.set(key, value)
            _set_extent(layer, registry, known)
    return tweak


def select(registry: Registry, facts: Mapping[str, LayerFacts],
           chosen: Mapping[str, str | None], skipped: Collection[str] = ()) -> Tweak:
    """A map or coverage: each chosen layer shows one date (None: nothing) over its extent,
    without the ``skipped`` sources (files found unreadable)."""
    left_out = "".join(f" AND location <> {_sql_text(s)}" for s in sorted(skipped))

    def tweak(map_: mapscript.mapObj) -> None:
        for name, date in chosen.items():
            layer = map_.getLayerByName(name)
            if layer is None:
                continue
            for suffix, table in INDEX_TABLES.items():  # the sources, and at low zooms areas
                index_layer = map_.getLayerByName(f"{name}{suffix}")
                if index_layer is not None:
                    index_layer.data = (f"SELECT fid, location, srs, date, geom FROM {table}"
                                        f" WHERE layer = {_sql_text(name)} AND date ="
                                        f" {_sql_text(date or '')}{left_out}")
            for key in TIME_KEYS:
                if layer.metadata.get(key) is not None:
                    layer.metadata.remove(key)
            if name in facts:
                _set_extent(layer, registry, facts[name])
    return tweak


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _set_extent(layer: mapscript.layerObj, registry: Registry, known: LayerFacts) -> None:
    collection = registry.layer(layer.name)[0]
    minx, miny, maxx, maxy = collection.grid.snap(known.extent)
    layer.setExtent(minx, miny, maxx, maxy)
    text = f"{minx!r} {miny!r} {maxx!r} {maxy!r}"
    layer.metadata.set("ows_extent", text)
    layer.metadata.set("wcs_extent", text)
    step = collection.grid.step
    layer.metadata.set("wcs_size", f"{round((maxx - minx) / step)} {round((maxy - miny) / step)}")
