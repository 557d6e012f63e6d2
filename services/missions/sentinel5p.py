"""Sentinel-5P (TROPOMI) level-3 grids as Terrascope names them, e.g.
``S5P_OFFL_L3_NO2_TD_20180601_V100/S5P_NO2_TD_20180601_NO2_V100.tif`` (the column) beside
``S5P_NO2_TD_20180601_WEIGHT_V100.tif`` (the summed weight of the level-2 pixels in each
cell). TD is daily, TM monthly, TY yearly. A cell with no weight has no value; cloud cover is
not a property of these products.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from services.missions.base import Acquisition, ProductFile, Profile, Queryable
from services.missions.times import day_span, month_span, year_span

_FOLDER = re.compile(r"^S5P_(?P<mode>OFFL|NRTI|RPRO|PAL_)_L3_(?P<gas>[A-Z0-9]+)_"
                     r"(?P<period>TD|TM|TY)_(?P<date>\d{8})_V(?P<version>\d{3})$")
_FILE = re.compile(r"^S5P_(?P<gas>[A-Z0-9]+)_(?P<period>TD|TM|TY)_(?P<date>\d{8}|\d{6}|\d{4})_"
                   r"(?P<token>[A-Z0-9]+)_V(?P<version>\d{3})\.tif$")
SPANS = {"TD": day_span, "TM": month_span, "TY": year_span}


def _unweighted(weight: np.ndarray) -> np.ndarray:
    return ~(np.nan_to_num(weight, nan=0.0) > 0)


class Sentinel5P(Profile):
    name = "sentinel5p"
    serial = r"S5P"
    mask_rules = {"weight": _unweighted}
    queryables = (
        Queryable("processingMode", "OFFL, NRTI, RPRO or PAL_", "processingMode", "choice",
                  options=("OFFL", "NRTI", "RPRO", "PAL_")),
    )

    def recognise(self, path: Path) -> ProductFile | None:
        match, folder = _FILE.match(path.name), _FOLDER.match(path.parent.name)
        if not match or not folder or (match["gas"], match["period"]) != (folder["gas"],
                                                                          folder["period"]):
            return None
        start, end = SPANS[folder["period"]](datetime.strptime(folder["date"], "%Y%m%d").date())
        acquisition = Acquisition(platform="S5P", start=start, end=end,
                                  version=folder["version"],
                                  properties={"processingMode": folder["mode"]})
        return ProductFile(path.parent.name, f"L3_{folder['gas']}_{folder['period']}",
                           match["token"], path.parent, acquisition)
