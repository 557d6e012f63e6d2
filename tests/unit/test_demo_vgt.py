"""The synthetic PROBA-V, SPOT-VGT and Sentinel-3 SYN-VGT archives: layout, exact grids,
formats, physical consistency, clouds and determinism (tiny regions, two dates each)."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import rasterio

from services.demo.vgt import (
    ProbaVSpec,
    Sentinel3Spec,
    SpotVgtSpec,
    generate_probav,
    generate_sentinel3,
    generate_spotvgt,
)
from services.demo.vgt.grid import PROBAV_RESOLUTION, VGT_RESOLUTION, Tile, region_grid
from services.demo.vgt.sky import Weather
from services.demo.vgt.spotvgt import platform

COAST = (3.0, 51.1, 3.5, 51.6)  # Flemish and Zeeland coast: land and sea
PROBAV = ProbaVSpec(region=COAST, s10_dekads=2, s1_days=2)
SPOTVGT = SpotVgtSpec(region=COAST, dekads=(date(2004, 3, 1), date(2004, 7, 1)))
SENTINEL3 = Sentinel3Spec(region=COAST, dekads=2)

PROBAV_FILE = re.compile(r"^PROBAV_(?P<syn>S10|S1)_TOC_X18Y02_(?P<day>\d{8})_333M_V101_"
                         r"(?P<layer>RADIOMETRY|NDVI|SM)\.tif$")
SPOTVGT_FILE = re.compile(r"^SPOTVGT_S10_TOC_X18Y02_(?P<day>\d{8})_1KM_V001_(?P<layer>NDVI|SM)"
                          r"\.tif$")
SENTINEL3_FILE = re.compile(r"^S3_SY_2_V10_(?P<day>\d{8})_(?P<layer>NDVI|SM)_V100\.tif$")
CLOUD, CLEAR = 0b011, 0b000


def generate_all(root: Path) -> dict[str, list]:
    calls: dict[str, list] = {"probav": [], "spotvgt": [], "sentinel3": []}
    for name, generate, spec in [("probav", generate_probav, PROBAV),
                                 ("spotvgt", generate_spotvgt, SPOTVGT),
                                 ("sentinel3", generate_sentinel3, SENTINEL3)]:
        folders = generate(root, spec, progress=lambda *call, n=name: calls[n].append(call))
        calls[name + "_folders"] = folders
    return calls


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list]]:
    root = tmp_path_factory.mktemp("vgt")
    return root, generate_all(root)


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as dataset:
        return dataset.read()


def probav_files(root: Path, synthesis: str, layer: str) -> list[Path]:
    files = root.glob(f"TIFFDERIVED/PROBAV_L3_{synthesis}_TOC_333M/*/*/*_{layer}.tif")
    return sorted(files)


def test_probav_layout_names_and_progress(archive) -> None:
    root, calls = archive
    expected = []
    for syn, day in [("S10", "20180501"), ("S10", "20180511"), ("S1", "20180601"),
                     ("S1", "20180602")]:
        folder = root / "TIFFDERIVED" / f"PROBAV_L3_{syn}_TOC_333M" / day / \
            f"PROBAV_{syn}_TOC_{day}_333M_V101"
        expected.append(folder)
        tifs = sorted(p.name for p in folder.glob("*.tif"))
        matches = [PROBAV_FILE.match(name) for name in tifs]
        assert all(matches) and len(tifs) == 3
        assert {(m["syn"], m["day"]) for m in matches} == {(syn, day)}
        assert (folder / f"PROBAV_{syn}_TOC_X18Y02_{day}_333M_V101.xml").is_file()
    assert calls["probav_folders"] == expected
    assert calls["probav"] == [
        (1, 4, "PROBAV_S10_TOC_X18Y02_20180501_333M_V101"),
        (2, 4, "PROBAV_S10_TOC_X18Y02_20180511_333M_V101"),
        (3, 4, "PROBAV_S1_TOC_X18Y02_20180601_333M_V101"),
        (4, 4, "PROBAV_S1_TOC_X18Y02_20180602_333M_V101"),
    ]


def test_spotvgt_and_sentinel3_layout(archive) -> None:
    root, calls = archive
    spot = [root / "TIFFDERIVED/SPOTVGT_L3_S10_TOC_1KM" / day / f"SPOTVGT_S10_TOC_{day}_1KM_V001"
            for day in ("20040301", "20040701")]
    assert calls["spotvgt_folders"] == spot
    for folder in spot:
        tifs = sorted(p.name for p in folder.glob("*.tif"))
        matches = [SPOTVGT_FILE.match(name) for name in tifs]
        assert len(tifs) == 2 and all(matches)
        assert {m["day"] for m in matches} == {folder.parent.name}
        assert (folder / f"SPOTVGT_S10_TOC_X18Y02_{folder.parent.name}_1KM_V001.xml").is_file()
    s3 = [root / "TERRASCOPE_Sentinel3/SY_2_V10_V1" / f"2018/05/{dd}" /
          f"S3_SY_2_V10_201805{dd}_V100" for dd in ("01", "11")]
    assert calls["sentinel3_folders"] == s3
    for folder in s3:
        tifs = sorted(p.name for p in folder.glob("*.tif"))
        assert len(tifs) == 2 and all(SENTINEL3_FILE.match(n) for n in tifs)
        assert (folder / f"{folder.name}.xml").is_file()
    assert [c[2] for c in calls["sentinel3"]] == ["S3_SY_2_V10_20180501_V100",
                                                   "S3_SY_2_V10_20180511_V100"]


def _on_grid(transform, resolution: Fraction) -> None:
    assert transform.a == float(resolution) and transform.e == -float(resolution)
    assert transform.b == 0 and transform.d == 0
    centre_lon = (transform.c + transform.a / 2) / float(resolution)
    centre_lat = (transform.f + transform.e / 2) / float(resolution)
    assert abs(centre_lon - round(centre_lon)) < 1e-6
    assert abs(centre_lat - round(centre_lat)) < 1e-6


def test_grids_are_exact(archive) -> None:
    root, _ = archive
    for path in probav_files(root, "S10", "NDVI") + probav_files(root, "S1", "SM"):
        with rasterio.open(path) as dataset:
            _on_grid(dataset.transform, PROBAV_RESOLUTION)
            assert dataset.crs.to_epsg() == 4326
            west, south, east, north = dataset.bounds
            assert west <= COAST[0] and south <= COAST[1] and east >= COAST[2]
            assert north >= COAST[3] and east - COAST[2] < 1 / 336
    for path in root.glob("**/*_NDVI*.tif"):
        if "PROBAV" not in path.name:
            with rasterio.open(path) as dataset:
                _on_grid(dataset.transform, VGT_RESOLUTION)
                assert dataset.crs.to_epsg() == 4326


def test_full_tile_grid() -> None:
    tile = Tile(18, 2)
    assert tile.name == "X18Y02"
    for resolution, size in [(PROBAV_RESOLUTION, 3360), (VGT_RESOLUTION, 1120)]:
        grid = tile.grid(resolution)
        assert (grid.width, grid.height) == (size, size)
        half = resolution / 2
        assert (grid.west, grid.north) == (-half, 55 + half)
        assert grid.transform.c == float(Fraction(-1, 2 * resolution.denominator))
        assert grid.transform.f == float(55 + half)
        assert grid.lons()[0] == 0.0 and grid.lats()[0] == 55.0
    assert tile.grid(PROBAV_RESOLUTION).transform.c == -1 / 672


def test_formats(archive) -> None:
    root, _ = archive
    with rasterio.open(probav_files(root, "S10", "RADIOMETRY")[0]) as dataset:
        assert dataset.count == 4 and dataset.dtypes == ("int16",) * 4
        assert dataset.nodata == -1 and dataset.scales == (0.0005,) * 4
        assert dataset.descriptions == ("RED", "NIR", "BLUE", "SWIR")
    for path in [*probav_files(root, "S1", "NDVI"), *root.glob("**/*_NDVI_V100.tif")]:
        with rasterio.open(path) as dataset:
            assert dataset.dtypes == ("uint8",) and dataset.nodata == 255
            assert dataset.scales == (0.004,) and dataset.offsets == (-0.08,)
    with rasterio.open(probav_files(root, "S1", "SM")[0]) as dataset:
        assert dataset.dtypes == ("uint8",)


def _probav_bands(ndvi_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ndvi = read(ndvi_path)[0]
    radiometry = read(Path(str(ndvi_path).replace("_NDVI", "_RADIOMETRY")))
    sm = read(Path(str(ndvi_path).replace("_NDVI", "_SM")))[0]
    return ndvi, radiometry, sm


def test_probav_ndvi_consistent_with_radiometry(archive) -> None:
    root, _ = archive
    for path in probav_files(root, "S10", "NDVI") + probav_files(root, "S1", "NDVI"):
        ndvi, radiometry, _ = _probav_bands(path)
        land = ndvi != 255
        assert ndvi[land].max() <= 250
        red, nir = radiometry[0].astype(float), radiometry[1].astype(float)
        expected = np.clip((nir - red) / (nir + red), -0.08, 0.92)
        physical = ndvi * 0.004 - 0.08
        assert np.all(np.abs(physical - expected)[land] <= 0.002 + 1e-9)
        assert (radiometry[:, land] > 0).all()


def test_land_bit_matches_ndvi_nodata(archive) -> None:
    root, _ = archive
    for ndvi_path in list(root.glob("**/*_NDVI*.tif")):
        ndvi = read(ndvi_path)[0]
        sm = read(Path(str(ndvi_path).replace("_NDVI", "_SM")))[0]
        land = (sm >> 3) & 1 == 1
        assert np.array_equal(land, ndvi != 255)
        assert 0.3 < land.mean() < 0.8  # the test region holds both


def test_clouds_flagged_bright_and_low_ndvi(archive) -> None:
    root, _ = archive
    for path in probav_files(root, "S1", "NDVI"):
        ndvi, radiometry, sm = _probav_bands(path)
        status, land = sm & 0b111, ndvi != 255
        cloud, clear = status == CLOUD, (status == CLEAR) & land
        assert cloud.mean() > 0.1 and clear.mean() > 0.1
        blue = radiometry[2] * 0.0005
        assert blue[cloud].mean() > 0.25 and blue[clear].mean() < 0.08
        cloudy_ndvi = ndvi[cloud & land].mean() * 0.004 - 0.08  # valid, but low
        clear_ndvi = ndvi[clear].mean() * 0.004 - 0.08
        assert cloudy_ndvi < 0.25 and clear_ndvi > 0.5 and clear_ndvi - cloudy_ndvi > 0.4
        assert set(np.unique(sm >> 4)) <= {0b1111, 0b0111}  # BLUE saturates in thick cloud


def _cloud_share(paths: list[Path], mask: int) -> float:
    return float(np.mean([np.isin(read(p)[0] & mask, (0b10, 0b11)).mean() for p in paths]))


def test_daily_products_cloudier_than_dekadal(archive) -> None:
    root, _ = archive
    s1 = _cloud_share(probav_files(root, "S1", "SM"), 0b111)
    s10 = _cloud_share(probav_files(root, "S10", "SM"), 0b111)
    assert s1 > 0.3 and s10 < 0.1 and s1 > 3 * s10
    spot = _cloud_share(sorted(root.glob("**/SPOTVGT_*_SM.tif")), 0b11)
    sentinel3 = _cloud_share(sorted(root.glob("**/S3_*_SM_V100.tif")), 0b11)
    assert spot < 0.15 and sentinel3 < 0.15


def _first_centre(transform) -> tuple[int, int]:
    """Column and row of the first pixel centre, in units of the pixel size."""
    return round(transform.c / transform.a + 0.5), round(transform.f / -transform.e - 0.5)


def test_missions_share_the_weather(archive) -> None:
    """Clouds come from one 1 km sky per region: where a 333 m pixel centre is a 1 km one,
    PROBA-V and Sentinel-3 flag the same clouds on the same dekad."""
    root, _ = archive
    probav = next(root.glob("**/PROBAV_S10_TOC_X18Y02_20180511_333M_V101_SM.tif"))
    sentinel3 = next(root.glob("**/S3_SY_2_V10_20180511_SM_V100.tif"))
    with rasterio.open(probav) as fine, rasterio.open(sentinel3) as coarse:
        (col_f, row_f), (col_c, row_c) = _first_centre(fine.transform), _first_centre(
            coarse.transform)
        fine_sm, coarse_sm = fine.read(1), coarse.read(1)
    rows = 3 * (row_c - np.arange(coarse_sm.shape[0]))
    cols = 3 * (col_c + np.arange(coarse_sm.shape[1]))
    inside_rows, inside_cols = (row_f - rows >= 0) & (row_f - rows < fine_sm.shape[0]), (
        cols - col_f >= 0) & (cols - col_f < fine_sm.shape[1])
    sampled = fine_sm[np.ix_(row_f - rows[inside_rows], cols[inside_cols] - col_f)]
    fine_cloud = np.isin(sampled & 0b111, (0b010, 0b011))
    coarse_cloud = np.isin(coarse_sm[np.ix_(inside_rows, inside_cols)] & 0b11, (0b10, 0b11))
    assert sampled.size > 0.9 * coarse_sm.size and coarse_cloud.sum() > 20
    assert np.array_equal(fine_cloud, coarse_cloud)


def test_summer_ndvi_above_spring(archive) -> None:
    root, _ = archive
    means = []
    for day in ("20040301", "20040701"):
        folder = next(root.glob(f"TIFFDERIVED/SPOTVGT_L3_S10_TOC_1KM/{day}/*"))
        ndvi = read(next(folder.glob("*_NDVI.tif")))[0]
        sm = read(next(folder.glob("*_SM.tif")))[0]
        clear_land = (ndvi != 255) & ((sm & 0b111) == 0)
        means.append(ndvi[clear_land].mean() * 0.004 - 0.08)
    spring, summer = means
    assert 0.2 < spring < summer - 0.15 and summer < 0.92


def test_metadata(archive) -> None:
    root, _ = archive
    xml = next(root.glob("**/PROBAV_S10_TOC_X18Y02_20180511_333M_V101.xml"))
    meta = ET.parse(xml).getroot()
    assert meta.findtext("CompositeStart") == "2018-05-11"
    assert meta.findtext("CompositeEnd") == "2018-05-20"
    assert meta.findtext("Tile") == "X18Y02" and "clipped" in meta.findtext("Coverage")
    assert meta.find("Resolution").get("exact") == "1/336"
    spot = ET.parse(next(root.glob("**/SPOTVGT_S10_TOC_X18Y02_20040701_1KM_V001.xml")))
    assert spot.getroot().findtext("Platform") == "SPOT-5"
    assert spot.getroot().findtext("CompositeEnd") == "2004-07-10"
    assert platform(date(1999, 6, 1)) == ("SPOT-4", "VGT1")
    assert platform(date(2003, 2, 1)) == ("SPOT-5", "VGT2")
    s3 = ET.parse(next(root.glob("**/S3_SY_2_V10_20180501_V100.xml"))).getroot()
    assert s3.findtext("CompositeEnd") == "2018-05-10"


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic(archive, tmp_path: Path) -> None:
    root, _ = archive
    generate_all(tmp_path)
    assert _digests(tmp_path) == _digests(root)
    other = tmp_path / "other"
    generate_sentinel3(other, Sentinel3Spec(region=COAST, dekads=2, seed=7))
    first = "TERRASCOPE_Sentinel3/SY_2_V10_V1/2018/05/11/S3_SY_2_V10_20180511_V100/" \
            "S3_SY_2_V10_20180511_NDVI_V100.tif"
    assert (other / first).read_bytes() != (root / first).read_bytes()


def test_region_across_tiles(tmp_path: Path) -> None:
    spec = SpotVgtSpec(region=(9.8, 49.8, 10.2, 50.2), dekads=(date(2010, 6, 1),))
    calls = []
    folders = generate_spotvgt(tmp_path, spec, progress=lambda *call: calls.append(call))
    assert [c[2] for c in calls] == ["SPOTVGT_S10_TOC_X18Y02_20100601_1KM_V001",
                                     "SPOTVGT_S10_TOC_X19Y02_20100601_1KM_V001"]
    assert len(folders) == 1
    with rasterio.open(next(folders[0].glob("*X19Y02*_NDVI.tif"))) as dataset:
        assert dataset.transform.c == 10 - 1 / 224
        east_width = dataset.width
    grid = region_grid(spec.region, VGT_RESOLUTION)
    with rasterio.open(next(folders[0].glob("*X18Y02*_SM.tif"))) as dataset:
        assert dataset.width + east_width == grid.width
    assert east_width == 23  # pixel centres at 10.0° E .. 10.2° E, i.e. 1120/112 .. 1142/112


def test_snow_is_rare_and_wintry() -> None:
    weather = Weather(2018, (5.6, 50.1, 6.1, 50.5), 10.5)
    winter = [date(2010, 12, 1 + i) for i in range(30)] + [date(2011, 1, 1 + i) for i in range(31)]
    snowy = [(weather.day(day).snow > 0).any() for day in winter]
    assert 0 < sum(snowy) < 0.35 * len(winter)
    assert not any((weather.day(date(2010, 6, 1 + i)).snow > 0).any() for i in range(20))


def test_specs_are_validated() -> None:
    with pytest.raises(ValueError, match="dekad"):
        ProbaVSpec(s10_start=date(2018, 5, 2))
    with pytest.raises(ValueError, match="west < east"):
        ProbaVSpec(region=(5.0, 50.0, 4.0, 51.0))
    with pytest.raises(ValueError, match="flew"):
        ProbaVSpec(s1_start=date(2021, 1, 1))
    with pytest.raises(ValueError, match="flew"):
        SpotVgtSpec(dekads=(date(2015, 6, 1),))
    with pytest.raises(ValueError):
        Sentinel3Spec(dekads=0)
    with pytest.raises(ValueError, match="exceed"):
        Sentinel3Spec(region=(0.0, 40.0, 20.0, 50.0))
    assert ProbaVSpec().s10_dates[-1] == date(2018, 6, 21)
    assert len(SpotVgtSpec().dekads) == 6
