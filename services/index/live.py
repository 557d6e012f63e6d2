"""What the index knows of each layer right now — its dates and extent — read at request time
and cached per index version, so a product ingested a moment ago is served at once and an
unchanged index costs one tiny query per request."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from services.index.store import ProductIndex


@dataclass(frozen=True)
class LayerFacts:
    dates: tuple[str, ...]                      # oldest first
    extent: tuple[float, float, float, float]   # of the sources' footprints, grid CRS

    @property
    def latest(self) -> str:
        return self.dates[-1]


class LiveLayers:
    """Layer name → :class:`LayerFacts` for every layer that has products."""

    def __init__(self, index: ProductIndex):
        self.index = index
        self._lock = threading.Lock()
        self._version: int | None = None
        self._facts: Mapping[str, LayerFacts] = MappingProxyType({})

    def facts(self) -> Mapping[str, LayerFacts]:
        version = self.index.version()
        if version != self._version:
            with self._lock:
                if version != self._version:
                    version, summaries = self.index.layer_summaries()
                    self._facts = MappingProxyType({
                        layer: LayerFacts(tuple(dates), extent)
                        for layer, (dates, extent) in summaries.items()})
                    self._version = version
        return self._facts

    def dates(self, layer: str) -> tuple[str, ...]:
        facts = self.facts().get(layer)
        return facts.dates if facts else ()
