"""A synthetic Sentinel-5P L3 daily archive (NO2, SO2, CO) in Terrascope's layout.

Global EPSG:4326 grid of 0.05° pixels, like the real (global) Terrascope files, of which the
demo writes a window: Europe by default. Float32 columns in mol/m² (nodata NaN) and the summed
L2 pixel weights, one product folder per gas and day. Example::

    from pathlib import Path
    from services.demo.sentinel5p import Sentinel5pSpec, generate

    folders = generate(Path("var/demo"), Sentinel5pSpec(region=(3.5, 50.5, 5.5, 52.0), days=2))
"""

from services.demo.sentinel5p.archive import generate
from services.demo.sentinel5p.gases import GASES
from services.demo.sentinel5p.naming import product_name
from services.demo.sentinel5p.sources import HOTSPOTS, Hotspot
from services.demo.sentinel5p.spec import DEFAULT_SPEC, SUPPORTED_GASES, Sentinel5pSpec

__all__ = ["DEFAULT_SPEC", "GASES", "HOTSPOTS", "SUPPORTED_GASES", "Hotspot", "Sentinel5pSpec",
           "generate", "product_name"]
