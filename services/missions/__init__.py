"""Mission profiles: one module per mission, chosen by a collection's ``profile:`` key.

A new mission is one module with a :class:`~services.missions.base.Profile` subclass and one
line in :data:`PROFILES`.
"""

from __future__ import annotations

from services.missions.base import Acquisition, ProductFile, Profile, Queryable
from services.missions.sentinel1 import Sentinel1
from services.missions.sentinel2 import Sentinel2
from services.missions.sentinel5p import Sentinel5P
from services.missions.vgt import ProbaV, Sentinel3Vgt, SpotVgt

PROFILES: dict[str, Profile] = {p.name: p for p in (
    Sentinel1(), Sentinel2(), Sentinel3Vgt(), Sentinel5P(), ProbaV(), SpotVgt())}

__all__ = ["PROFILES", "Acquisition", "ProductFile", "Profile", "Queryable"]
