"""Sentinel-2 (MSI) as Terrascope names its products, e.g.
``S2A_20180602T105031_31UES_NDVI_V200/S2A_20180602T105031_31UES_NDVI_10M_V200.tif``
(FAPAR, LAI and FCOVER files one level deeper, in ``10M/`` or ``20M/``).

Products lie on MGRS tiles; the relative orbit comes from the sensing time (the satellites
repeat their ground track every 10 days in 143 orbits, both on the same tracks), and every
pass over Europe by day is descending. The scene classification (Sen2Cor SCL) marks cloud
shadow (3), medium and high cloud (8, 9) and thin cirrus (10); the indicator products leave
those pixels as nodata, so their cloud cover is their share of nodata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np

from services.missions.base import Acquisition, ProductFile, Profile, Queryable
from services.missions.times import utc
from services.registry.models import Band, Collection

_PRODUCT = re.compile(
    r"^(?P<platform>S2[ABCD])_(?P<time>\d{8}T\d{6})_(?P<tile>\d{2}[A-Z]{3})_"
    r"(?P<product>[A-Z0-9]+)_V(?P<version>\d{3})$")
_FILE = re.compile(
    r"^(?P<platform>S2[ABCD])_(?P<time>\d{8}T\d{6})_(?P<tile>\d{2}[A-Z]{3})_"
    r"(?P<token>[A-Z0-9-]+_\d+M)_V(?P<version>\d{3})\.tif$")
CLOUD_CLASSES = (3, 8, 9, 10)
ORBITS = 143
CYCLE_DAYS = 10.0
# An assumption, unchecked: the S2A datatake of 2018-06-02T10:50:31Z over Belgium is orbit 51.
ANCHOR = (datetime.fromisoformat("2018-06-02T10:50:31+00:00"), 51)


def relative_orbit(when: datetime) -> int:
    """The relative orbit of a sensing time (UTC)."""
    days = (when - ANCHOR[0]).total_seconds() / 86400.0
    orbits = math.floor(days * ORBITS / CYCLE_DAYS + 0.5)
    return (ANCHOR[1] - 1 + orbits) % ORBITS + 1


def _cloudy(classes: np.ndarray) -> np.ndarray:
    return np.isin(classes, CLOUD_CLASSES)


def _key(product: str, path: Path, folder: Path) -> str:
    """The product key: the product type (``FAPAR``), with the resolution folder for the
    products that also come at 20 m (``FAPAR_20M``), so a 20 m collection can declare them."""
    if path.parent != folder and path.parent.name != "10M":
        return f"{product}_{path.parent.name}"
    return product


class Sentinel2(Profile):
    name = "sentinel2"
    serial = r"S2[ABCD]"
    mask_rules = {"scene_classification": _cloudy}
    queryables = (
        Queryable("tileId", "MGRS tile, e.g. 31UES", "tile", pattern=r"\d{2}[A-Z]{3}"),
        Queryable("relativeOrbitNumber", "Relative orbit (1-143)", "relativeOrbitNumber",
                  "integer", minimum=1, maximum=ORBITS),
        Queryable("orbitDirection", "ASCENDING or DESCENDING", "orbitDirection", "choice",
                  options=("ASCENDING", "DESCENDING")),
    )

    def recognise(self, path: Path) -> ProductFile | None:
        match = _FILE.match(path.name)
        if not match:
            return None
        for folder in list(path.parents)[:2]:
            product = _PRODUCT.match(folder.name)
            if product and product["platform"] == match["platform"] and \
                    product["time"] == match["time"] and product["tile"] == match["tile"]:
                break
        else:
            return None
        when = utc(match["time"])
        acquisition = Acquisition(
            platform=match["platform"], start=when, end=when, tile=match["tile"],
            version=product["version"],
            properties={"relativeOrbitNumber": relative_orbit(when),
                        "orbitDirection": "DESCENDING"})
        return ProductFile(folder.name, _key(product["product"], path, folder), match["token"],
                           folder, acquisition)

    def cloud_cover_without_mask(self, collection: Collection, files: Mapping[str, Path],
                                 read: Callable[[Path, Band], np.ndarray]) -> float | None:
        band = next(b for b in collection.bands if b.name in files)
        values = read(files[band.name], band)
        return round(100.0 * float(np.mean(~band.valid(values))), 2)
