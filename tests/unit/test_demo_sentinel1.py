"""The synthetic Sentinel-1 GRD sigma0 archive: names, layout, schedule, format, physics."""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from shapely import wkt
from shapely.geometry import Point

from services.demo.geometry import area_bounds
from services.demo.landscape import Cover, Landscape, build_landscape
from services.demo.phenology import Crop
from services.demo.sentinel1 import Sentinel1Acquisition, Sentinel1Spec, generate, plan
from services.demo.sentinel1.archive import demo_grid
from services.demo.sentinel1.backscatter import Conditions, prepare_ground, sigma0
from services.demo.spec import DemoSpec

# 1 km, four S1A dates 36 days apart (orbits 110 and 88) and three S1B ones (37 and 161)
TINY = Sentinel1Spec(size_km=1.0, start=date(2018, 4, 10), end=date(2018, 7, 31), step_days=18,
                     both_directions=True)
NAME = re.compile(
    r"^S1[AB]_IW_GRDH_SIGMA0_DV_\d{8}T\d{6}_(ASCENDING|DESCENDING)_(37|88|110|161)_[0-9A-F]{4}"
    r"_V110$"
)
ASCENDING_ORBITS, DESCENDING_ORBITS = {88, 161}, {37, 110}
ENL = 4.4


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[tuple]]:
    root = tmp_path_factory.mktemp("s1")
    calls: list[tuple] = []
    folders = generate(root, TINY, progress=lambda *args: calls.append(args))
    return root, folders, calls


@pytest.fixture(scope="module")
def landscape() -> Landscape:
    return build_landscape(demo_grid(TINY), TINY.seed)


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as dataset:
        return dataset.read(1)


def layer(root: Path, acquisition: Sentinel1Acquisition, band: str) -> Path:
    """The expected path, spelled out independently of the generator."""
    name = acquisition.product_name()
    day = acquisition.sensing_time.strftime("%Y/%m/%d")
    return root / "CGS_S1" / "CGS_S1_GRD_SIGMA0_L1" / day / name / f"{name}_{band}.tif"


def to_db(values: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(values)))


def test_product_names_match_terrascope() -> None:
    for spec in (Sentinel1Spec(), Sentinel1Spec(both_directions=True), TINY):
        names = [acquisition.product_name() for acquisition in plan(spec)]
        assert all(NAME.match(name) for name in names), names[:3]
        assert len(set(names)) == len(names)
    first = plan(Sentinel1Spec())[0]
    stamp = first.sensing_time.strftime("%Y%m%dT%H%M%S")
    assert first.product_name() == (
        f"S1A_IW_GRDH_SIGMA0_DV_{stamp}_ASCENDING_88_{first.unique_id}_V110"
    )


def test_unique_id_depends_on_seed_and_acquisition() -> None:
    ids = [acquisition.unique_id for acquisition in plan(Sentinel1Spec())]
    assert len(set(ids)) > len(ids) * 0.9  # 39 draws from 65536 values
    assert ids == [acquisition.unique_id for acquisition in plan(Sentinel1Spec())]
    assert ids != [acquisition.unique_id for acquisition in plan(Sentinel1Spec(seed=1))]


def test_schedule_orbits_directions_and_times() -> None:
    default, both = plan(Sentinel1Spec()), plan(Sentinel1Spec(both_directions=True))
    assert len(default) == 39  # 15 March .. 31 October, every 6 days
    assert {a.relative_orbit for a in both} == {37, 88, 110, 161}
    for acquisition in both:
        clock = acquisition.sensing_time.time()
        assert acquisition.sensing_time.utcoffset() == timedelta(0)
        if acquisition.relative_orbit in ASCENDING_ORBITS:
            assert acquisition.direction == "ASCENDING"
            assert time(17, 25) <= clock <= time(17, 35)
        else:
            assert acquisition.relative_orbit in DESCENDING_ORBITS
            assert acquisition.direction == "DESCENDING"
            assert time(5, 40) <= clock <= time(5, 55)
    days = [a.sensing_time.date() for a in default]
    assert all((later - earlier).days == 6 for earlier, later in pairwise(days))
    assert [a.direction for a in default[:4]] == ["ASCENDING", "DESCENDING"] * 2
    assert [a.platform for a in default[:4]] == ["S1A", "S1B"] * 2
    by_day = defaultdict(set)
    for acquisition in both:
        by_day[acquisition.sensing_time.date()].add(acquisition.direction)
    assert all(directions == {"ASCENDING", "DESCENDING"} for directions in by_day.values())
    assert {a.product_name() for a in default} <= {a.product_name() for a in both}


@pytest.mark.parametrize("both_directions", [False, True])
def test_each_platform_and_orbit_repeats_every_12_days(both_directions: bool) -> None:
    passes: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    for acquisition in plan(Sentinel1Spec(both_directions=both_directions)):
        passes[acquisition.platform, acquisition.relative_orbit].append(acquisition.sensing_time)
    assert len(passes) == (4 if both_directions else 2)
    for times in passes.values():
        gaps = {(later.date() - earlier.date()).days for earlier, later in pairwise(times)}
        assert gaps == {12}
        jitter = {abs((later - earlier) - timedelta(days=12)) for earlier, later in pairwise(times)}
        assert max(jitter) <= timedelta(seconds=10) and len(jitter) > 1


def test_folder_layout_and_progress(archive: tuple[Path, list[Path], list[tuple]]) -> None:
    root, folders, calls = archive
    acquisitions = plan(TINY)
    assert len(acquisitions) == 14
    assert folders == [layer(root, a, "VV").parent for a in acquisitions]
    for acquisition, folder in zip(acquisitions, folders, strict=True):
        name = acquisition.product_name()
        expected = {f"{name}_VV.tif", f"{name}_VH.tif", f"{name}_angle.tif", f"{name}.xml"}
        assert {path.name for path in folder.iterdir()} == expected
    written = {path.parent for path in root.rglob("*.tif")}
    assert written == set(folders)
    assert calls == [(i + 1, 14, a.product_name()) for i, a in enumerate(acquisitions)]


def test_raster_format(archive: tuple[Path, list[Path], list[tuple]]) -> None:
    root, _, _ = archive
    area = area_bounds(DemoSpec(size_km=TINY.size_km))
    assert all(edge % 20 == 0 for edge in (area.left, area.bottom, area.right, area.top))
    for acquisition in plan(TINY)[:2]:
        for band in ("VV", "VH", "angle"):
            with rasterio.open(layer(root, acquisition, band)) as dataset:
                assert dataset.crs.to_epsg() == 32631
                assert dataset.res == (10.0, 10.0)
                assert tuple(dataset.bounds) == (area.left, area.bottom, area.right, area.top)
                assert dataset.descriptions == (band,)
                assert dataset.profile["tiled"] and dataset.overviews(1)
                if band == "angle":
                    assert dataset.dtypes == ("int16",) and dataset.nodata == -32768
                    assert dataset.scales == (0.01,)
                else:
                    assert dataset.dtypes == ("float32",) and math.isnan(dataset.nodata)
                    values = dataset.read(1)
                    assert np.all(np.isfinite(values)) and np.all(values > 0)
                    assert np.median(values) < 1.0  # linear power, not dB


def test_incidence_angle_follows_the_swath(archive: tuple[Path, list[Path], list[tuple]]) -> None:
    root, _, _ = archive
    centre = {}
    for acquisition in plan(TINY):
        angle = read(layer(root, acquisition, "angle")) * 0.01
        assert 29.0 < angle.min() and angle.max() < 46.0 and np.ptp(angle) < 0.3
        east = angle[:, -1].mean() - angle[:, 0].mean()
        assert east > 0 if acquisition.direction == "ASCENDING" else east < 0
        centre[acquisition.relative_orbit] = float(angle.mean())
    # neighbouring tracks: the area is in the near range of one, the far range of the other
    assert centre[161] - centre[88] > 6 and centre[37] - centre[110] > 6


def test_water_darker_than_town(archive: tuple[Path, list[Path], list[tuple]],
                                landscape: Landscape) -> None:
    root, _, _ = archive
    water = landscape.water_fraction >= 0.999
    town = landscape.cover == Cover.BUILT_UP
    forest = landscape.cover == Cover.FOREST
    assert water.sum() > 200 and town.sum() > 200 and forest.sum() > 200
    for acquisition in plan(TINY):
        vv, vh = (read(layer(root, acquisition, band)) for band in ("VV", "VH"))
        assert -25 < to_db(vv[water]) < -16 and -30 < to_db(vh[water]) < -23
        assert -3 < to_db(vv[town]) < 4 and -11 < to_db(vh[town]) < -5
        assert -9.5 < to_db(vv[forest]) < -6.5 and -15.5 < to_db(vh[forest]) < -12.5
        assert to_db(vv[town]) - to_db(vv[water]) > 15
        assert to_db(vh[town]) - to_db(vh[water]) > 15


def test_vh_over_spring_crops_rises_into_summer(
    archive: tuple[Path, list[Path], list[tuple]], landscape: Landscape
) -> None:
    root, _, _ = archive
    orbit_88 = [a for a in plan(TINY) if a.relative_orbit == 88]
    first, last = orbit_88[0], orbit_88[-1]
    assert (first.sensing_time.month, last.sensing_time.month) == (4, 7)
    spring, summer = read(layer(root, first, "VH")), read(layer(root, last, "VH"))
    checked = 0
    for parcel in np.unique(landscape.parcel):
        pixels = (landscape.parcel == parcel) & (landscape.cover == Cover.CROPLAND)
        crop = landscape.parcels.crop[parcel]
        if pixels.sum() < 100 or crop not in (Crop.MAIZE, Crop.SUGAR_BEET, Crop.POTATO):
            continue
        bare, canopy = to_db(spring[pixels]), to_db(summer[pixels])
        assert bare < -20 and canopy > -18.5 and canopy - bare > 5, (Crop(crop).name, parcel)
        checked += 1
    assert checked >= 3


def test_speckle_statistics(archive: tuple[Path, list[Path], list[tuple]],
                            landscape: Landscape, tmp_path: Path) -> None:
    """Over open water (one noise-free level per image) the intensity is Gamma(ENL, 1/ENL):
    coefficient of variation 1/sqrt(ENL), independent between polarisations and dates."""
    root, _, _ = archive
    water = landscape.water_fraction >= 0.999
    normalised = {}
    for acquisition in plan(TINY):
        for band in ("VV", "VH"):
            values = read(layer(root, acquisition, band))[water].astype(np.float64)
            normalised[acquisition.product_name(), band] = values / values.mean()
    pooled = np.concatenate(list(normalised.values()))
    assert pooled.std() == pytest.approx(1 / math.sqrt(ENL), abs=0.015)
    names = [a.product_name() for a in plan(TINY)]
    across_pols = np.corrcoef(np.concatenate([normalised[n, "VV"] for n in names]),
                              np.concatenate([normalised[n, "VH"] for n in names]))[0, 1]
    across_dates = np.corrcoef(np.concatenate([normalised[n, "VV"] for n in names[:-2]]),
                               np.concatenate([normalised[n, "VV"] for n in names[2:]]))[0, 1]
    assert abs(across_pols) < 0.05 and abs(across_dates) < 0.05

    one_day = Sentinel1Spec(size_km=1.0, start=TINY.start, end=TINY.start, speckle=False)
    (folder,) = generate(tmp_path, one_day)
    clean = read(next(folder.glob("*_VV.tif")))[water]
    assert clean.std() / clean.mean() < 0.01


def test_same_spec_same_bytes(archive: tuple[Path, list[Path], list[tuple]],
                              tmp_path: Path) -> None:
    root, _, _ = archive

    def digests(base: Path) -> dict[str, str]:
        return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(base.rglob("*")) if p.is_file()}

    generate(tmp_path, TINY)
    first = digests(root)
    assert len(first) == 14 * 4 and digests(tmp_path) == first


def test_metadata_xml(archive: tuple[Path, list[Path], list[tuple]]) -> None:
    root, _, _ = archive
    to_lon_lat = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    for acquisition in plan(TINY)[:2]:
        path = layer(root, acquisition, "VV").parent / f"{acquisition.product_name()}.xml"
        document = ET.parse(path).getroot()
        assert document.findtext("identifier") == acquisition.product_name()
        assert document.findtext("platformShortName") == acquisition.platform
        assert document.findtext("sensorMode") == "IW"
        assert document.findtext("polarisations") == "VV VH"
        assert document.findtext("orbitDirection") == acquisition.direction
        assert document.findtext("relativeOrbit") == str(acquisition.relative_orbit)
        start = datetime.fromisoformat(document.findtext("sensingStart"))
        stop = datetime.fromisoformat(document.findtext("sensingStop"))
        assert start == acquisition.sensing_time and timedelta(0) < stop - start < timedelta(60)
        with rasterio.open(layer(root, acquisition, "VV")) as dataset:
            left, bottom, right, top = dataset.bounds
        (west, east), (south, north) = to_lon_lat.transform([left, right], [bottom, top])
        footprint = wkt.loads(document.findtext("footprintWKT"))
        assert footprint.contains(Point((west + east) / 2, (south + north) / 2))
        assert np.allclose(footprint.bounds, (west, south, east, north), atol=3e-4)
        full = wkt.loads(document.findtext("sliceFootprintWKT"))
        assert full.contains(footprint) and full.area > 10_000 * footprint.area  # ~270 x 200 km
        positions = [float(v) for v in document.findtext(".//{*}posList").split()]
        lat_lon = Point(positions[1], positions[0])  # GML EPSG:4326 is latitude first
        assert footprint.exterior.distance(lat_lon) < 1e-9


def test_noise_free_model_soil_moisture_and_incidence(landscape: Landscape) -> None:
    """Bare soil brightens when wet and at low incidence; a full canopy hides soil moisture."""
    ground = prepare_ground(landscape, TINY.seed)
    shape = landscape.grid.shape

    def model(day: float, moisture: float, incidence: float) -> dict[str, np.ndarray]:
        angles = np.full(shape, incidence, dtype=np.float32)
        return sigma0(ground, Conditions(day, moisture, 0.0), angles, np.zeros(shape, np.float32))

    maize = ((landscape.parcels.crop[landscape.parcel] == Crop.MAIZE)
             & (landscape.cover == Cover.CROPLAND) & (landscape.sealed_fraction == 0))
    wet_bare, dry_bare = model(130, 0.9, 38.0), model(130, 0.1, 38.0)
    wet_full, dry_full = model(215, 0.9, 38.0), model(215, 0.1, 38.0)
    bare_gain = to_db(wet_bare["VV"][maize]) - to_db(dry_bare["VV"][maize])
    canopy_gain = to_db(wet_full["VV"][maize]) - to_db(dry_full["VV"][maize])
    assert bare_gain > 4 and canopy_gain < bare_gain / 2
    steep, shallow = model(130, 0.5, 31.0), model(130, 0.5, 45.0)
    for band in ("VV", "VH"):
        assert np.all(steep[band] > shallow[band])


@pytest.mark.parametrize("change", [{"step_days": 4}, {"step_days": 0}, {"size_km": 0.1},
                                    {"end": date(2018, 3, 1)}, {"enl": 0.5}, {"seed": -1}])
def test_spec_validation(change: dict) -> None:
    with pytest.raises(ValueError):
        Sentinel1Spec(**change)
