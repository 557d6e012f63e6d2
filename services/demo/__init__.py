"""A synthetic Sentinel-2 archive in the Terrascope layout, for demos and tests.

Example::

    from pathlib import Path
    from services.demo import DemoSpec, generate, plan

    names = [a.product_name("NDVI") for a in plan(DemoSpec(dates=4))]
    folders = generate(Path("var/demo"), DemoSpec(size_km=1, dates=4))
"""

from services.demo.archive import generate
from services.demo.schedule import Acquisition, plan
from services.demo.spec import DEFAULT_SPEC, DemoSpec

__all__ = ["DEFAULT_SPEC", "Acquisition", "DemoSpec", "generate", "plan"]
