"""Synthetic coarse-resolution "VGT family" archives over the Benelux, for demos and tests:
PROBA-V L3 TOC 333 m (S10 and S1), SPOT-VGT S10 TOC 1 km and Sentinel-3 SYN-VGT V10 1 km,
in the Terrascope / MEP layouts, on exact plate-carrée grids (EPSG:4326).

The three share one landscape (a crude North Sea coastline, cover regions, a seasonal NDVI
cycle) and one weather (daily clouds, shadows, rare snow; dekadal maximum-value composites).

Example::

    from pathlib import Path
    from services.demo.vgt import ProbaVSpec, generate_probav

    folders = generate_probav(Path("var/demo"), ProbaVSpec(region=(4.0, 51.0, 4.5, 51.5)))
"""

from services.demo.vgt.probav import generate_probav
from services.demo.vgt.sentinel3 import generate_sentinel3
from services.demo.vgt.specs import BENELUX, ProbaVSpec, Sentinel3Spec, SpotVgtSpec
from services.demo.vgt.spotvgt import generate_spotvgt

__all__ = [
    "BENELUX",
    "ProbaVSpec",
    "Sentinel3Spec",
    "SpotVgtSpec",
    "generate_probav",
    "generate_sentinel3",
    "generate_spotvgt",
]
