"""One product as the index holds it: the record ingest writes and every service reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Product:
    """A product of a collection. ``files`` are (band, path, size), one per band (a file
    holding several bands appears once per band); ``properties`` are what the mission
    profile read from the name or metadata (orbitDirection, relativeOrbitNumber …)."""

    collection: str
    name: str
    platform: str                 # serial identifier: S2A, S1B, PROBA-V …
    tile: str
    time: str                     # acquisition start, ISO 8601 UTC (…Z)
    end: str                      # acquisition end
    version: str
    cloud_cover: float | None     # percent, None where it does not apply
    crs: str
    bbox: tuple[float, float, float, float]   # lon/lat
    footprint: bytes              # WKB polygon, lon/lat
    folder: str
    files: tuple[tuple[str, str, int], ...]
    properties: Mapping[str, object] = field(default_factory=dict)
    signature: str = ""
    ingested_at: str = ""

    @property
    def date(self) -> str:
        """What WMS/WMTS TIME selects: the acquisition (start) date."""
        return self.time[:10]

    def properties_json(self) -> str:
        return json.dumps(dict(self.properties), sort_keys=True)

    def paths(self) -> dict[str, str]:
        """Band → path."""
        return {band: path for band, path, _size in self.files}


@dataclass(frozen=True)
class LayerSource:
    """What MapServer's tile index reads for one layer of one product: a GDAL dataset in
    physical units (a derived view), its CRS, and its footprint in the layer's grid CRS."""

    layer: str
    location: str
    srs: str
    bounds: tuple[float, float, float, float]   # of the footprint, grid CRS
    geom: bytes
