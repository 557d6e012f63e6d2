"""PROBA-V, SPOT-VGT and Sentinel-3 SYN-VGT: the VGT family of 1 km (and 333 m) syntheses on
plate-carrée grids, with a status map (SM) of bit flags.

PROBA-V and SPOT-VGT products are 10° × 10° tiles ``XnnYnn`` (X from 180° W, Y from 75° N),
one product per tile and date in a folder shared by every tile of that date, e.g.
``PROBAV_S10_TOC_20180601_333M_V101/PROBAV_S10_TOC_X18Y02_20180601_333M_V101_NDVI.tif``.
Sentinel-3 SYN-VGT syntheses are not tiled: ``S3_SY_2_V10_20180601_V100/
S3_SY_2_V10_20180601_NDVI_V100.tif``. The date is the first day of the synthesis (S1: that
day, S5: five days, S10: the dekad).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np

from services.missions.base import Acquisition, ProductFile, Profile, Queryable
from services.missions.times import day_span, dekad_span

TILE = Queryable("tileId", "10° tile, e.g. X18Y02", "tile", pattern=r"X\d{2}Y\d{2}")


def _span(synthesis: str, day: date) -> tuple[datetime, datetime]:
    if synthesis == "S10":
        return dekad_span(day)
    return day_span(day, int(synthesis[1:]))


def _not_clear(sm: np.ndarray) -> np.ndarray:
    """Not a clear view of the ground. PROBA-V's SM bits 0-2: 000 clear, 001 shadow, 010
    undefined, 011 cloud, 100 snow/ice; SPOT-VGT's (and SYN-VGT's) bits 0-1: 00 clear, 01
    shadow, 10 uncertain, 11 cloud, and bit 2 snow or ice: clear is 000 in both."""
    return (sm.astype(np.int64) & 0b111) != 0


class _Tiled(Profile):
    prefix = ""
    queryables = (TILE,)
    _file: re.Pattern

    def recognise(self, path: Path) -> ProductFile | None:
        match = self._file.match(path.name)
        if not match:
            return None
        try:
            day = datetime.strptime(match["date"], "%Y%m%d").date()
            start, end = _span(match["synthesis"], day)
        except ValueError:
            return None
        acquisition = Acquisition(platform=self.platform(day), start=start, end=end,
                                  tile=match["tile"], version=match["version"])
        key = f"{match['synthesis']}_{match['level']}_{match['resolution']}"
        return ProductFile(match["product"], key, match["token"], path.parent, acquisition)

    def platform(self, day: date) -> str:
        raise NotImplementedError


def _tiled_file(prefix: str) -> re.Pattern:
    return re.compile(
        rf"^(?P<product>{prefix}_(?P<synthesis>S1|S5|S10)_(?P<level>TOC|TOA)_"
        r"(?P<tile>X\d{2}Y\d{2})_(?P<date>\d{8})_(?P<resolution>100M|333M|1KM)_"
        r"V(?P<version>\d{3}))_(?P<token>[A-Z]+)\.tif$")


class ProbaV(_Tiled):
    name = "probav"
    serial = r"PROBA-V"
    mask_rules = {"status_map": _not_clear}
    _file = _tiled_file("PROBAV")

    def platform(self, day: date) -> str:
        return "PROBA-V"


class SpotVgt(_Tiled):
    name = "spotvgt"
    serial = r"SPOT-[45]"
    mask_rules = {"status_map": _not_clear}
    _file = _tiled_file("SPOTVGT")

    def platform(self, day: date) -> str:
        """VGT1 flew on SPOT-4 until VGT2 on SPOT-5 took over in February 2003."""
        return "SPOT-4" if day < date(2003, 2, 1) else "SPOT-5"


_S3_FILE = re.compile(r"^(?P<product>S3_SY_2_(?P<synthesis>V10|VG1)_(?P<date>\d{8})_"
                      r"V(?P<version>\d{3}))$")
_S3_BAND = re.compile(r"^S3_SY_2_(?:V10|VG1)_\d{8}_(?P<token>[A-Z0-9]+)_V\d{3}\.tif$")


class Sentinel3Vgt(Profile):
    name = "sentinel3"
    serial = r"S3[AB]?"
    mask_rules = {"status_map": _not_clear}

    def recognise(self, path: Path) -> ProductFile | None:
        band, folder = _S3_BAND.match(path.name), _S3_FILE.match(path.parent.name)
        if not band or not folder or not path.name.startswith(path.parent.name[:-5]):
            return None
        try:
            day = datetime.strptime(folder["date"], "%Y%m%d").date()
            start, end = dekad_span(day) if folder["synthesis"] == "V10" else day_span(day)
        except ValueError:
            return None
        acquisition = Acquisition(platform="S3", start=start, end=end,
                                  version=folder["version"])
        return ProductFile(folder["product"], f"SY_2_{folder['synthesis']}", band["token"],
                           path.parent, acquisition)
