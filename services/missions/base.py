"""What a mission profile is: the knowledge of one mission that no collection file repeats.

A profile recognises its products' files (naming, product identity), reads the acquisition
properties the names or metadata give (platform, times, tile, orbit, polarisations …), knows
what its quality bands mean (mask rules, the cloud rule) and which extra OpenSearch EO
queryables its products answer. Services never name a platform: they ask the profile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from services.registry.models import Band, Collection

Properties = Mapping[str, object]
MaskRule = Callable[[np.ndarray], np.ndarray]
"""Values of a mask band → True where the pixel is not to be used (cloud, shadow, no data …);
elementwise (each answer depends on its value alone: the time series look them up in a table)."""


@dataclass(frozen=True)
class Acquisition:
    """What a product's name (or metadata) says of its acquisition."""

    platform: str                  # serial identifier: S2A, S1B, PROBA-V, SPOT-5, S5P …
    start: datetime                # UTC
    end: datetime
    tile: str = ""                 # tile id (MGRS, XnnYnn) or ""
    version: str = ""
    properties: Properties = field(default_factory=dict)  # orbitDirection, relativeOrbitNumber…


@dataclass(frozen=True)
class ProductFile:
    """One recognised product file."""

    product: str        # the product's identity (its catalogue title)
    key: str            # the profile's product key a collection declares (NDVI, S10_TOC_333M)
    token: str          # the band token of the file name (NDVI_10M, RADIOMETRY, VV)
    folder: Path        # the folder the product's files are in
    acquisition: Acquisition


@dataclass(frozen=True)
class Queryable:
    """An OpenSearch EO parameter a mission's products answer, on one of their properties
    (``tile`` is the index's tile column; anything else a key of the product properties)."""

    name: str
    title: str
    property: str
    kind: Literal["text", "integer", "choice", "list"] = "text"
    pattern: str | None = None         # text: a value must match
    options: tuple[str, ...] = ()      # choice / list: the values known
    minimum: int | None = None         # integer bounds
    maximum: int | None = None


class Profile:
    """Base of every mission profile; subclasses set the class attributes and ``recognise``."""

    name: str = ""
    serial: str = r"\S+"   # pattern of the platform serial identifiers (S2A, S1B …)
    queryables: tuple[Queryable, ...] = ()
    mask_rules: Mapping[str, MaskRule] = {}

    def recognise(self, path: Path) -> ProductFile | None:
        """The product file ``path`` is, or None if this mission does not name files so."""
        raise NotImplementedError

    def rule(self, name: str) -> MaskRule:
        return self.mask_rules[name]

    def cloud_cover(self, collection: Collection, files: Mapping[str, Path],
                    read: Callable[[Path, Band], np.ndarray]) -> float | None:
        """Percent of cloudy pixels of a product, from its own mask band if it has one;
        None where cloud cover does not apply. ``read(path, band)`` gives a band overview."""
        if not collection.cloud_cover:
            return None
        for mask in collection.masks:
            if mask.collection is None and mask.band in files:
                band = collection.band(mask.band)
                values = read(files[mask.band], band)
                present = band.valid(values) if band.nodata is not None else \
                    np.ones(values.shape, dtype=bool)
                cloudy = self.rule(mask.rule)(values) & present
                return round(100.0 * float(cloudy.sum()) / max(int(present.sum()), 1), 2)
        return self.cloud_cover_without_mask(collection, files, read)

    def cloud_cover_without_mask(self, collection: Collection, files: Mapping[str, Path],
                                 read: Callable[[Path, Band], np.ndarray]) -> float | None:
        return None
