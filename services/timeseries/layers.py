"""Which registry layers are time series, under which names, and how their pixels are masked.

A time series layer is a registry layer with exactly one band (``CGS_S2_NDVI`` …). It answers
to its own name and to the ``timeseries_names`` the registry gives it (Terrascope's
``TERRASCOPE_S2_NDVI_V2``, ``S2_NDVI`` …). Sentinel-2 indicator layers are also masked with the
scene classification of the TOC product of the same platform, sensing time and tile.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.index.ingest import CLOUD_CLASSES
from services.registry import Band, Collection, Registry
from services.timeseries.errors import UnknownLayer

SCENE_MASKS: dict[str, tuple[str, str]] = {"Sentinel-2": ("TOC", "SCL")}
"""Platform → (product type, band) of the scene classification whose cloud and shadow classes
(``CLOUD_CLASSES``: 3 shadow, 8 and 9 cloud, 10 cirrus) mask every other product type."""


@dataclass(frozen=True)
class SceneMask:
    """Pixels whose class (in ``band`` of the ``collection`` product) is in ``classes``
    are not valid."""

    collection: str
    band: str
    classes: tuple[int, ...]


@dataclass(frozen=True)
class SeriesLayer:
    """A layer as the time series service sees it."""

    name: str  # the registry layer name
    collection: Collection
    band: Band
    mask: SceneMask | None
    aliases: tuple[str, ...]


class LayerTable:
    """Name (own or alias) → :class:`SeriesLayer`, built once from the registry."""

    def __init__(self, registry: Registry):
        self.layers: list[SeriesLayer] = []
        self._by_name: dict[str, SeriesLayer] = {}
        problems = []
        for name, (collection, layer) in registry.layers.items():
            if len(layer.bands) != 1:
                continue
            series = SeriesLayer(name, collection, collection.band(layer.bands[0]),
                                 _mask(registry, collection), layer.timeseries_names)
            self.layers.append(series)
            for known in (name, *layer.timeseries_names):
                if known in self._by_name:
                    problems.append(f"time series name '{known}' is used by layers "
                                    f"{self._by_name[known].name} and {name}")
                self._by_name[known] = series
        if problems:
            raise ValueError("; ".join(problems))

    def names(self) -> list[tuple[str, SeriesLayer]]:
        """Every name, own names first, each followed by its aliases."""
        return [(known, s) for s in self.layers for known in (s.name, *s.aliases)]

    def resolve(self, name: str) -> SeriesLayer:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise UnknownLayer(f"no time series layer '{name[:80]}' (known: {known})",
                               "layer") from None


def _mask(registry: Registry, collection: Collection) -> SceneMask | None:
    rule = SCENE_MASKS.get(collection.platform)
    if rule is None or collection.product_type == rule[0]:
        return None
    source = registry.collection_for_product_type(rule[0])
    if source is None or rule[1] not in {b.name for b in source.bands}:
        return None
    return SceneMask(source.id, rule[1], tuple(CLOUD_CLASSES))
