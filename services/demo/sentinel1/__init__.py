"""A synthetic Sentinel-1 GRD sigma0 archive in Terrascope's layout, for demos and tests.

``<root>/CGS_S1/CGS_S1_GRD_SIGMA0_L1/YYYY/MM/DD/<product>/<product>_{VV,VH,angle}.tif`` and
``<product>.xml``: float32 linear sigma0 (nodata NaN) and int16 incidence angle (0.01 deg,
nodata -32768) on the Sentinel-2 demo area near Ghent (EPSG:32631, 10 m), over the same
landscape. Example::

    from pathlib import Path
    from services.demo.sentinel1 import Sentinel1Spec, generate, plan

    names = [a.product_name() for a in plan(Sentinel1Spec(step_days=12))]
    folders = generate(Path("var/demo"), Sentinel1Spec(size_km=1))
"""

from services.demo.sentinel1.archive import generate
from services.demo.sentinel1.schedule import Sentinel1Acquisition, plan
from services.demo.sentinel1.spec import DEFAULT_SPEC, Sentinel1Spec

__all__ = ["DEFAULT_SPEC", "Sentinel1Acquisition", "Sentinel1Spec", "generate", "plan"]
