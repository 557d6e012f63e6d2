"""The synthetic Terrascope archive: layout, file format, consistency and determinism."""

from __future__ import annotations

import hashlib
from datetime import date, time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from services.demo import Acquisition, DemoSpec, generate, plan

TINY = DemoSpec(size_km=1.0, dates=5)
TINY_OVERLAP = DemoSpec(size_km=1.0, dates=2, overlap=True, seed=7)
MASKED_SCL = (0, 3, 8, 9, 10)
DERIVED = ("NDVI", "FAPAR", "LAI", "FCOVER")
# file layer -> (dtype, nodata, scale, offset, pixel size)
EXPECTED_FORMAT = {
    "TOC-B02_10M": ("int16", 32767, 1e-4, 0.0, 10),
    "TOC-B03_10M": ("int16", 32767, 1e-4, 0.0, 10),
    "TOC-B04_10M": ("int16", 32767, 1e-4, 0.0, 10),
    "TOC-B08_10M": ("int16", 32767, 1e-4, 0.0, 10),
    "SCENECLASSIFICATION_20M": ("uint8", 0, 1.0, 0.0, 20),
    "NDVI_10M": ("uint8", 255, 0.004, -0.08, 10),
    "FAPAR_10M": ("uint8", 255, 0.005, 0.0, 10),
    "LAI_10M": ("uint8", 255, 1 / 30, 0.0, 10),
    "FCOVER_10M": ("uint8", 255, 0.004, 0.0, 10),
}
VALID_MAX = {"NDVI": 250, "FAPAR": 200, "LAI": 250, "FCOVER": 250}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    generate(root, TINY)
    return root


@pytest.fixture(scope="module")
def overlap_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overlap")
    generate(root, TINY_OVERLAP)
    return root


def file_path(root: Path, acquisition: Acquisition, layer: str) -> Path:
    """The expected path, spelled out independently of the generator's naming module."""
    stamp = acquisition.sensing_time.strftime("%Y%m%dT%H%M%S")
    prefix = f"{acquisition.platform}_{stamp}_{acquisition.tile}"
    day = acquisition.sensing_time.strftime("%Y/%m/%d")
    collection = root / "TERRASCOPE_Sentinel2"
    if layer.startswith("TOC-") or layer.startswith("SCENE"):
        return collection / "TOC_V2" / day / f"{prefix}_TOC_V200" / f"{prefix}_{layer}_V200.tif"
    product = layer.split("_")[0]
    folder = collection / f"{product}_V2" / day / f"{prefix}_{product}_V200"
    if product != "NDVI":
        folder = folder / "10M"
    return folder / f"{prefix}_{layer}_V200.tif"


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as dataset:
        return dataset.read(1)


def read_scl_at_10m(root: Path, acquisition: Acquisition) -> np.ndarray:
    scl = read(file_path(root, acquisition, "SCENECLASSIFICATION_20M"))
    return np.repeat(np.repeat(scl, 2, axis=0), 2, axis=1)


def digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_plan_spreads_alternating_acquisitions_over_the_season() -> None:
    spec = DemoSpec()
    acquisitions = plan(spec)
    assert len(acquisitions) == spec.dates
    days = [a.sensing_time.date() for a in acquisitions]
    assert days == sorted(set(days))
    assert days[0] >= spec.start and days[-1] <= spec.end
    assert [a.platform for a in acquisitions[:4]] == ["S2A", "S2B", "S2A", "S2B"]
    assert all(time(10, 40) <= a.sensing_time.time() <= time(10, 55) for a in acquisitions)
    assert {a.tile for a in acquisitions} == {"31UES"}
    covers = [a.cloud_cover for a in acquisitions]
    assert max(covers) >= 0.98 and min(covers) == 0.0
    assert sum(0.05 <= c <= 0.70 for c in covers) > len(covers) / 2
    assert acquisitions[0].product_name("NDVI").endswith("_31UES_NDVI_V200")


def test_plan_is_deterministic_and_depends_on_the_seed() -> None:
    assert plan(TINY) == plan(TINY)
    assert plan(TINY) != plan(DemoSpec(size_km=1.0, dates=5, seed=1))


def test_invalid_specs_are_rejected() -> None:
    with pytest.raises(ValueError):
        DemoSpec(resolution=60)
    with pytest.raises(ValueError):
        DemoSpec(dates=10, start=date(2018, 6, 1), end=date(2018, 6, 5))


def test_same_spec_gives_identical_bytes(archive: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    folders = generate(tmp_path, TINY, progress=lambda i, n, name: calls.append((i, n, name)))
    assert digests(tmp_path) == digests(archive)
    assert len(folders) == TINY.dates * 5 and all(folder.is_dir() for folder in folders)
    names = [a.product_name("TOC") for a in plan(TINY)]
    assert calls == [(i + 1, TINY.dates, name) for i, name in enumerate(names)]


def test_layout_and_file_names(archive: Path) -> None:
    expected = {file_path(archive, a, layer) for a in plan(TINY) for layer in EXPECTED_FORMAT}
    written = {path for path in archive.rglob("*") if path.is_file()}
    assert written == expected


def test_files_are_cloud_optimized_geotiffs_with_scaling(archive: Path) -> None:
    acquisition = plan(TINY)[0]
    for layer, (dtype, nodata, scale, offset, pixel) in EXPECTED_FORMAT.items():
        with rasterio.open(file_path(archive, acquisition, layer)) as dataset:
            assert dataset.crs.to_epsg() == 32631
            assert dataset.dtypes[0] == dtype
            assert dataset.nodata == nodata
            assert dataset.res == (pixel, pixel)
            assert dataset.profile["tiled"] and dataset.block_shapes[0] == (256, 256)
            assert dataset.overviews(1), layer
            assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert dataset.compression.name.lower() == "deflate"
            assert dataset.scales[0] == pytest.approx(scale)
            assert dataset.offsets[0] == pytest.approx(offset)
            assert dataset.bounds.left == 545000 and dataset.bounds.top == 5660000


def test_ndvi_is_computed_from_the_written_bands(archive: Path) -> None:
    for acquisition in plan(TINY):
        red = read(file_path(archive, acquisition, "TOC-B04_10M")).astype(float)
        nir = read(file_path(archive, acquisition, "TOC-B08_10M")).astype(float)
        ndvi_dn = read(file_path(archive, acquisition, "NDVI_10M"))
        valid = ndvi_dn != 255
        if not valid.any():
            continue
        expected = np.clip(np.rint(((nir - red) / (nir + red) + 0.08) / 0.004), 0, 250)
        assert np.abs(ndvi_dn[valid] - expected[valid]).max() <= 1
        unmasked = ~np.isin(read_scl_at_10m(archive, acquisition), MASKED_SCL)
        np.testing.assert_array_equal(valid, unmasked)


def test_cloudy_and_shadow_pixels_are_nodata_in_derived_products(archive: Path) -> None:
    clouds_seen = 0
    for acquisition in plan(TINY):
        masked = np.isin(read_scl_at_10m(archive, acquisition), MASKED_SCL)
        clouds_seen += int(masked.sum())
        for product in DERIVED:
            values = read(file_path(archive, acquisition, f"{product}_10M"))
            assert (values[masked] == 255).all(), product
            assert (values[values != 255] <= VALID_MAX[product]).all(), product
    assert clouds_seen > 0


def test_clouds_stay_bright_in_reflectance(archive: Path) -> None:
    for acquisition in plan(TINY):
        scl = read_scl_at_10m(archive, acquisition)
        blue = read(file_path(archive, acquisition, "TOC-B02_10M")) * 1e-4
        if (scl == 9).any():
            assert np.median(blue[scl == 9]) > 0.3
        if (scl == 4).any():
            assert np.median(blue[scl == 4]) < 0.06


def test_a_fully_cloudy_date_exists(archive: Path) -> None:
    fully = [
        a
        for a in plan(TINY)
        if np.isin(read(file_path(archive, a, "SCENECLASSIFICATION_20M")), (8, 9)).mean() >= 0.98
    ]
    assert fully
    assert (read(file_path(archive, fully[0], "NDVI_10M")) == 255).all()


def test_clear_reflectance_is_physically_plausible(archive: Path) -> None:
    clear = [a for a in plan(TINY) if a.cloud_cover == 0.0]
    assert clear
    red, nir, scl = [], [], []
    for acquisition in plan(TINY):
        classes = read_scl_at_10m(archive, acquisition)
        unmasked = ~np.isin(classes, MASKED_SCL)
        if acquisition in clear:
            assert unmasked.all()
            assert (read(file_path(archive, acquisition, "FAPAR_10M")) != 255).mean() > 0.9
        red.append(read(file_path(archive, acquisition, "TOC-B04_10M"))[unmasked] * 1e-4)
        nir.append(read(file_path(archive, acquisition, "TOC-B08_10M"))[unmasked] * 1e-4)
        scl.append(classes[unmasked])
    b04, b08, classes = np.concatenate(red), np.concatenate(nir), np.concatenate(scl)
    ndvi = (b08 - b04) / (b08 + b04)
    assert 0.0 < b04.min() and b08.max() < 0.8
    dense, bare, water = ndvi > 0.8, (ndvi < 0.25) & (classes == 5), classes == 6
    assert dense.any() and bare.any() and water.any()
    assert np.median(b04[dense]) < 0.045 and 0.35 < np.median(b08[dense]) < 0.6
    assert 0.1 < np.median(b04[bare]) < 0.22 and 0.15 < np.median(b08[bare]) < 0.32
    assert np.median(b08[water]) < 0.03 and np.median(ndvi[water]) < 0


def test_overlap_gives_two_products_with_identical_pixels(overlap_archive: Path) -> None:
    acquisitions = plan(TINY_OVERLAP)
    assert len(acquisitions) == 2 * TINY_OVERLAP.dates
    for first, second in zip(acquisitions[::2], acquisitions[1::2], strict=True):
        assert (first.tile, second.tile) == ("31UES", "31UFS")
        assert first.sensing_time == second.sensing_time
        for layer in EXPECTED_FORMAT:
            with (
                rasterio.open(file_path(overlap_archive, first, layer)) as west,
                rasterio.open(file_path(overlap_archive, second, layer)) as east,
            ):
                assert west.bounds.left < 599980 == east.bounds.left
                assert (east.transform.c - west.transform.c) % west.res[0] == 0
                shared = from_bounds(*east.bounds, transform=west.transform)
                np.testing.assert_array_equal(west.read(1, window=shared), east.read(1), layer)
