"""The synthetic Sentinel-5P L3 archive: layout, grid, format, plausibility and determinism."""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import rasterio

from services.demo.sentinel5p import HOTSPOTS, Sentinel5pSpec, generate
from services.demo.sentinel5p.grid import window_for
from services.demo.sentinel5p.orbits import overpasses

ANTWERP_REGION = (3.5, 50.5, 5.5, 52.0)
DAYS = (date(2018, 6, 4), date(2018, 6, 5))  # the seed leaves both mostly clear there
TINY = Sentinel5pSpec(region=ANTWERP_REGION, start=DAYS[0], days=2)
GASES = ("NO2", "SO2", "CO")
FOLDER = re.compile(
    r"TERRASCOPE_Sentinel5P/L3_(NO2|SO2|CO)_TD_V1/(\d{4})/(\d{2})/(\d{2})/"
    r"S5P_OFFL_L3_\1_TD_\2\3\4_V100$")
L2_NAME = re.compile(r"S5P_OFFL_L2__(NO2___|SO2___|CO____)_(\d{8}T\d{6})_(\d{8}T\d{6})_"
                     r"(\d{5})_01_\d{6}_\d{8}T\d{6}$")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[tuple]]:
    root = tmp_path_factory.mktemp("s5p")
    calls: list[tuple] = []
    folders = generate(root, TINY, progress=lambda *args: calls.append(args))
    return root, folders, calls


def files(root: Path, gas: str, day: date) -> tuple[Path, Path, Path]:
    """Data, weight and metadata paths, spelled out independently of the generator."""
    stamp = day.strftime("%Y%m%d")
    folder = (root / "TERRASCOPE_Sentinel5P" / f"L3_{gas}_TD_V1" / day.strftime("%Y/%m/%d")
              / f"S5P_OFFL_L3_{gas}_TD_{stamp}_V100")
    return (folder / f"S5P_{gas}_TD_{stamp}_{gas}_V100.tif",
            folder / f"S5P_{gas}_TD_{stamp}_WEIGHT_V100.tif",
            folder / f"S5P_OFFL_L3_{gas}_TD_{stamp}_V100.xml")


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as dataset:
        return dataset.read(1)


def test_folders_names_and_progress(archive) -> None:
    root, folders, calls = archive
    expected = [files(root, gas, day)[0].parent for day in DAYS for gas in GASES]
    assert folders == expected
    for folder in folders:
        assert FOLDER.search(folder.relative_to(root).as_posix())
    for gas in GASES:
        for day in DAYS:
            data, weight, metadata = files(root, gas, day)
            assert sorted(p.name for p in data.parent.iterdir()) == sorted(
                [data.name, weight.name, metadata.name])
    assert [call[:2] for call in calls] == [(i, 6) for i in range(1, 7)]
    assert [call[2] for call in calls] == [folder.name for folder in folders]


def test_grid_edges_are_exact(archive) -> None:
    root, _, _ = archive
    for path in files(root, "NO2", DAYS[0])[:2]:
        with rasterio.open(path) as dataset:
            transform, crs, shape = dataset.transform, dataset.crs, dataset.shape
        assert crs.to_epsg() == 4326
        assert transform.a == pytest.approx(0.05, abs=1e-12)
        assert transform.e == pytest.approx(-0.05, abs=1e-12)
        assert transform.b == 0 and transform.d == 0
        i, j = (transform.c + 180) / 0.05, (89 - transform.f) / 0.05
        assert abs(transform.c - (-180 + round(i) * 0.05)) < 1e-9
        assert abs(transform.f - (89 - round(j) * 0.05)) < 1e-9
        assert (round(i), round(j), shape) == (3670, 740, (30, 40))


def test_region_snaps_outward_to_pixel_edges() -> None:
    window = window_for((3.51, 50.52, 5.49, 51.98))
    assert window == window_for(ANTWERP_REGION)
    assert window_for((-180, -89, 180, 89)).shape == (3560, 7200)
    west, south, east, north = window_for((-25, 34, 45, 72)).bounds()
    assert (west, south, east, north) == (-25.0, 34.0, 45.0, 72.0)


def test_float32_and_nan_exactly_where_weight_is_zero(archive) -> None:
    root, _, _ = archive
    for gas in GASES:
        for day in DAYS:
            data_path, weight_path, _ = files(root, gas, day)
            with rasterio.open(data_path) as data, rasterio.open(weight_path) as weight:
                assert data.dtypes == ("float32",) and weight.dtypes == ("float32",)
                assert math.isnan(data.nodata) and weight.nodata is None
                values, weights = data.read(1), weight.read(1)
            assert np.isfinite(weights).all() and (weights >= 0).all()
            np.testing.assert_array_equal(np.isnan(values), weights == 0)


def test_no2_at_antwerp_stands_out(archive) -> None:
    root, _, _ = archive
    antwerp = next(spot for spot in HOTSPOTS if spot.name == "Antwerp")
    window = window_for(ANTWERP_REGION)
    near = (np.abs(window.lats() - antwerp.lat) < 0.1)[:, None] & (
        np.abs(window.lons() - antwerp.lon) < 0.15)[None, :]
    seen = 0
    for day in DAYS:
        no2 = read(files(root, "NO2", day)[0])
        if np.isnan(no2[near]).all():
            continue  # clouded over
        seen += 1
        cleanest = np.nanpercentile(no2, 10)
        assert np.nanmax(no2[near]) > max(1e-4, 2.5 * cleanest)
    assert seen >= 1


def test_plausible_magnitudes(archive) -> None:
    root, _, _ = archive
    stack = {gas: np.stack([read(files(root, gas, day)[0]) for day in DAYS]) for gas in GASES}
    no2, so2, co = stack["NO2"], stack["SO2"], stack["CO"]
    assert 5e-6 < np.nanpercentile(no2, 10) < 8e-5 and np.nanmax(no2) < 6e-4
    assert abs(np.nanmedian(so2)) < 2e-5 and (so2 < 0).any()
    assert -3e-4 < np.nanpercentile(so2, 1) and np.nanpercentile(so2, 99) < 4e-4
    assert 0.02 < np.nanmin(co) and np.nanmax(co) < 0.04
    assert np.nanstd(co) > 1e-4  # noise and gradients, not a constant


def test_days_differ(archive) -> None:
    root, _, _ = archive
    for gas in GASES:
        first, second = (read(files(root, gas, day)[0]) for day in DAYS)
        weights = [read(files(root, gas, day)[1]) for day in DAYS]
        assert not np.array_equal(first, second, equal_nan=True)
        assert not np.array_equal(*weights)


def test_metadata_lists_the_days_orbits(archive) -> None:
    root, _, _ = archive
    for gas in GASES:
        data, weight, metadata = files(root, gas, DAYS[0])
        product = ET.parse(metadata).getroot()
        assert product.get("identifier") == data.parent.name
        assert [f.text for f in product.iter("file")] == [data.name, weight.name]
        sources = product.findall("additionalAttributes/sourceData/source")
        orbits = [int(source.get("orbit")) for source in sources]
        assert len(orbits) in (14, 15) and orbits == list(range(orbits[0], orbits[0] + len(orbits)))
        for source in sources:
            match = L2_NAME.fullmatch(source.text)
            assert match and match.group(1).rstrip("_") == gas
            assert int(match.group(4)) == int(source.get("orbit"))
            assert match.group(2)[:8] <= "20180604" <= match.group(3)[:8]


def test_same_spec_same_bytes(archive, tmp_path: Path) -> None:
    root, _, _ = archive
    generate(tmp_path, TINY)

    def digests(base: Path) -> dict[str, str]:
        return {p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(base.rglob("*")) if p.is_file()}

    assert digests(tmp_path) == digests(root)


def test_pixels_do_not_depend_on_region_or_start(archive, tmp_path: Path) -> None:
    root, _, _ = archive
    shifted = Sentinel5pSpec(region=(4.0, 51.0, 6.0, 52.5), start=DAYS[1], days=1,
                             gases=("NO2",))
    generate(tmp_path, shifted)
    mine = read(files(root, "NO2", DAYS[1])[0])[:20, 10:]  # rows 52.0..51.0, lons 4.0..5.5
    theirs = read(files(tmp_path, "NO2", DAYS[1])[0])[10:, :30]
    np.testing.assert_array_equal(mine, theirs)


def test_swaths_overlap_more_at_high_latitude() -> None:
    def overlaps(region: tuple[float, float, float, float]) -> np.ndarray:
        window = window_for(region)
        lons, lats = window.lons(), window.lats()
        return sum(o.coverage(lons, lats)[0] for o in overpasses(DAYS[0]))

    assert overlaps((20.0, 69.0, 22.0, 70.0)).min() >= 2.0
    assert overlaps((20.0, 36.0, 22.0, 37.0)).max() <= 2.0
    equator = overlaps((-60.0, -1.0, 60.0, 1.0))
    assert (equator == 0).any() and equator.max() <= 1.0  # gaps between swaths


@pytest.mark.parametrize("changes", [
    {"region": (5.0, 50.0, 4.0, 52.0)},
    {"region": (0.0, 80.0, 1.0, 90.0)},
    {"days": 0},
    {"gases": ("NO2", "O3")},
    {"gases": ("CO", "CO")},
    {"gases": ()},
    {"seed": -1},
])
def test_spec_rejects_nonsense(changes: dict) -> None:
    with pytest.raises(ValueError):
        Sentinel5pSpec(**changes)
