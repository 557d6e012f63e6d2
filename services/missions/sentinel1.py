"""Sentinel-1 GRD sigma0 as Terrascope names it, e.g.
``S1A_IW_GRDH_SIGMA0_DV_20180602T172537_ASCENDING_88_A1B2_V110/…_V110_VV.tif``
(``_VH.tif``, ``_angle.tif`` beside it). The name gives platform, sensor mode, polarisations,
orbit direction and relative orbit; the four hex digits are ESA's product unique id. Radar
sees through clouds: no cloud cover, no mask.
"""

from __future__ import annotations

import re
from pathlib import Path

from services.missions.base import Acquisition, ProductFile, Profile, Queryable
from services.missions.times import utc

_FILE = re.compile(
    r"^(?P<product>(?P<platform>S1[ABCD])_(?P<mode>IW|EW|SM)_(?P<type>GRD[HM])_SIGMA0_"
    r"(?P<polarisation>[DS][VH])_(?P<time>\d{8}T\d{6})_(?P<direction>ASCENDING|DESCENDING)_"
    r"(?P<orbit>\d{1,3})_(?P<id>[0-9A-F]{4})_V(?P<version>\d{3}))_(?P<token>VV|VH|HH|HV|angle)"
    r"\.tif$")
POLARISATIONS = {"DV": "VV, VH", "SV": "VV", "DH": "HH, HV", "SH": "HH"}
ORBITS = 175


class Sentinel1(Profile):
    name = "sentinel1"
    serial = r"S1[ABCD]"
    queryables = (
        Queryable("orbitDirection", "ASCENDING or DESCENDING", "orbitDirection", "choice",
                  options=("ASCENDING", "DESCENDING")),
        Queryable("relativeOrbitNumber", "Relative orbit (1-175)", "relativeOrbitNumber",
                  "integer", minimum=1, maximum=ORBITS),
        Queryable("polarisationChannels", "Polarisations, e.g. VV, VH", "polarisationChannels",
                  "list", options=("VV", "VH", "HH", "HV")),
        Queryable("sensorMode", "IW, EW or SM", "sensorMode", "choice",
                  options=("IW", "EW", "SM")),
    )

    def recognise(self, path: Path) -> ProductFile | None:
        match = _FILE.match(path.name)
        if not match or path.parent.name != match["product"]:
            return None
        when = utc(match["time"])
        acquisition = Acquisition(
            platform=match["platform"], start=when, end=when, version=match["version"],
            properties={"orbitDirection": match["direction"],
                        "relativeOrbitNumber": int(match["orbit"]),
                        "polarisationChannels": POLARISATIONS[match["polarisation"]],
                        "sensorMode": match["mode"], "productUniqueId": match["id"]})
        return ProductFile(match["product"], f"{match['type'][:3]}_SIGMA0", match["token"],
                           path.parent, acquisition)
