"""Mission profiles read Terrascope's and MEP's names: product identity, product key, band
token and acquisition properties; a name of another mission is not theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from services.missions import PROFILES

ROOT = Path("/data/MTDA")
CASES = [
    ("sentinel2", "TERRASCOPE_Sentinel2/NDVI_V2/2018/06/02/S2A_20180602T105031_31UES_NDVI_V200/"
     "S2A_20180602T105031_31UES_NDVI_10M_V200.tif",
     "S2A_20180602T105031_31UES_NDVI_V200", "NDVI", "NDVI_10M", "S2A", "31UES",
     {"relativeOrbitNumber": 51, "orbitDirection": "DESCENDING"}),
    ("sentinel2", "TERRASCOPE_Sentinel2/FAPAR_V2/2019/03/07/S2A_20190307T105021_31UFS_FAPAR_V200/"
     "20M/S2A_20190307T105021_31UFS_FAPAR_20M_V200.tif",
     "S2A_20190307T105021_31UFS_FAPAR_V200", "FAPAR_20M", "FAPAR_20M", "S2A", "31UFS", None),
    ("sentinel1", "CGS_S1/CGS_S1_GRD_SIGMA0_L1/2018/06/02/"
     "S1A_IW_GRDH_SIGMA0_DV_20180602T172537_ASCENDING_88_A1B2_V110/"
     "S1A_IW_GRDH_SIGMA0_DV_20180602T172537_ASCENDING_88_A1B2_V110_VH.tif",
     "S1A_IW_GRDH_SIGMA0_DV_20180602T172537_ASCENDING_88_A1B2_V110", "GRD_SIGMA0", "VH", "S1A",
     "", {"orbitDirection": "ASCENDING", "relativeOrbitNumber": 88,
          "polarisationChannels": "VV, VH", "sensorMode": "IW", "productUniqueId": "A1B2"}),
    ("sentinel5p", "TERRASCOPE_Sentinel5P/L3_CO_TD_V1/2020/01/01/S5P_OFFL_L3_CO_TD_20200101_V100/"
     "S5P_CO_TD_20200101_WEIGHT_V100.tif", "S5P_OFFL_L3_CO_TD_20200101_V100", "L3_CO_TD",
     "WEIGHT", "S5P", "", {"processingMode": "OFFL"}),
    ("probav", "TIFFDERIVED/PROBAV_L3_S10_TOC_333M/20180601/PROBAV_S10_TOC_20180601_333M_V101/"
     "PROBAV_S10_TOC_X18Y02_20180601_333M_V101_RADIOMETRY.tif",
     "PROBAV_S10_TOC_X18Y02_20180601_333M_V101", "S10_TOC_333M", "RADIOMETRY", "PROBA-V",
     "X18Y02", {}),
    ("spotvgt", "TIFFDERIVED/SPOTVGT_L3_S10_TOC_1KM/19990601/SPOTVGT_S10_TOC_19990601_1KM_V001/"
     "SPOTVGT_S10_TOC_X18Y02_19990601_1KM_V001_NDVI.tif",
     "SPOTVGT_S10_TOC_X18Y02_19990601_1KM_V001", "S10_TOC_1KM", "NDVI", "SPOT-4", "X18Y02", {}),
    ("sentinel3", "TERRASCOPE_Sentinel3/SY_2_V10_V1/2018/06/21/S3_SY_2_V10_20180621_V100/"
     "S3_SY_2_V10_20180621_SM_V100.tif", "S3_SY_2_V10_20180621_V100", "SY_2_V10", "SM", "S3",
     "", {}),
]


@pytest.mark.parametrize("profile, path, product, key, token, platform, tile, properties",
                         CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_profiles_read_their_names(profile, path, product, key, token, platform, tile,
                                   properties):
    found = PROFILES[profile].recognise(ROOT / path)
    assert (found.product, found.key, found.token) == (product, key, token)
    assert (found.acquisition.platform, found.acquisition.tile) == (platform, tile)
    if properties is not None:
        assert found.acquisition.properties == properties
    for other in set(PROFILES) - {profile}:
        assert PROFILES[other].recognise(ROOT / path) is None, other


def test_syntheses_span_their_period():
    dekad = PROFILES["sentinel3"].recognise(ROOT / CASES[-1][1]).acquisition
    assert (dekad.start, dekad.end) == (datetime(2018, 6, 21, tzinfo=UTC),
                                        datetime(2018, 6, 30, 23, 59, 59, tzinfo=UTC))
    day = PROFILES["sentinel5p"].recognise(ROOT / CASES[3][1]).acquisition
    assert (day.end - day.start).total_seconds() == 86399


def test_a_misnamed_file_is_no_ones():
    assert all(p.recognise(ROOT / "x" / "README.tif") is None for p in PROFILES.values())
    wrong_folder = ROOT / "S2B_20180602T105031_31UES_NDVI_V200" / \
        "S2A_20180602T105031_31UES_NDVI_10M_V200.tif"
    assert PROFILES["sentinel2"].recognise(wrong_folder) is None  # another acquisition's folder


@pytest.mark.parametrize("profile, rule, values, cloudy", [
    ("sentinel2", "scene_classification", [0, 3, 4, 8, 9, 10], [0, 1, 0, 1, 1, 1]),
    ("probav", "status_map", [0b1000, 0b1011, 0b1001, 0b1100, 0b11111000], [0, 1, 1, 1, 0]),
    ("sentinel5p", "weight", [0.0, 0.5, np.nan, 2.0], [1, 0, 1, 0]),
])
def test_mask_rules(profile, rule, values, cloudy):
    masked = PROFILES[profile].rule(rule)(np.array(values))
    assert masked.astype(int).tolist() == cloudy
