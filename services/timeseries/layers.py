"""Which registry layers are time series, under which names, and how their pixels are masked.

A time series layer is a registry layer with exactly one band (``CGS_S2_NDVI`` …). It answers
to its own name and to the ``timeseries_names`` the registry gives it (Terrascope's
``TERRASCOPE_S2_NDVI_V2``, ``S2_NDVI`` …). Its collection's first mask (``masks`` in the
registry) leaves pixels out: a band of the same product (PROBA-V's status map, Sentinel-5P's
weight) or of the product of the same acquisition in another collection (the scene
classification of Sentinel-2's TOC product), read with the mission profile's rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.missions import PROFILES
from services.missions.base import MaskRule
from services.registry import Band, Collection, Registry
from services.timeseries.errors import UnknownLayer
from services.timeseries.tables import ByTable, Test


@dataclass(frozen=True)
class SceneMask:
    """Pixels where ``rule`` holds for the value of ``band`` (of the product of the same
    acquisition in ``collection``) are not valid."""

    collection: str
    band: Band
    rule: MaskRule  # elementwise: answered from a table for 8- and 16-bit bands


@dataclass(frozen=True)
class SeriesLayer:
    """A layer as the time series service sees it."""

    name: str  # the registry layer name
    collection: Collection
    band: Band
    mask: SceneMask | None
    aliases: tuple[str, ...]
    valid: Test = field(init=False, compare=False)  # band.valid, answered from a table

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid", ByTable(self.band.valid))


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
    if not collection.masks:
        return None
    mask = collection.masks[0]
    source = registry.collections[mask.collection or collection.id]
    return SceneMask(source.id, source.band(mask.band),
                     ByTable(PROFILES[collection.profile].rule(mask.rule)))
