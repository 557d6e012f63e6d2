"""odc-stac and stackstac, unchanged, load a week of Sentinel-2 NDVI found with pystac-client on
the gateway's /stac into an xarray cube read over the items' /download hrefs, and the cube equals
the files in physical units (rasterio reads + the registry's DN→value rule, Band.to_physical)."""

from __future__ import annotations

from datetime import date

import numpy as np
import odc.stac
import pytest
import rasterio
import stackstac
from odc.geo.geobox import GeoBox
from pystac_client import Client

from services.demo import DemoSpec
from tests.conftest import served

pytestmark = pytest.mark.interop

COLLECTION = "TERRASCOPE_S2_NDVI_V2"
WEEK = DemoSpec(seed=11, size_km=1.0, dates=3, start=date(2018, 6, 4), end=date(2018, 6, 10))


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """A gateway serving a week of Sentinel-2 (three acquisitions), and the NDVI items."""
    with served(tmp_path_factory.mktemp("week"), WEEK) as (url, registry, _index):
        items = list(Client.open(f"{url}/stac").search(
            collections=[COLLECTION], datetime="2018-06-04/2018-06-10").items())
        yield items, registry.collections[COLLECTION].band("NDVI")


def truth(items, band) -> tuple[np.ndarray, np.ndarray, GeoBox]:
    """time × y × x physical NDVI from the files on disk (NaN where not valid), the digital
    numbers, and the files' grid."""
    cube, numbers = [], []
    for item in sorted(items, key=lambda i: i.datetime):
        local = item.assets["NDVI"].extra_fields["alternate"]["local"]["href"]
        with rasterio.open(local.removeprefix("file://")) as dataset:
            dn = dataset.read(1)
            grid = GeoBox(dataset.shape, dataset.transform, dataset.crs)
        cube.append(np.where(band.valid(dn), band.to_physical(dn), np.nan))
        numbers.append(dn)
    values = np.stack(cube)
    assert np.isfinite(values).any() and np.isnan(values).any()  # clouds were masked
    return values, np.stack(numbers), grid


def test_the_items_carry_what_the_loaders_need(week):
    items, band = week
    assert len(items) == WEEK.dates
    asset = items[0].assets["NDVI"].to_dict()
    assert asset["proj:shape"] and len(asset["proj:transform"]) == 6
    (raster,) = asset["raster:bands"]
    assert (raster["scale"], raster["offset"], raster["nodata"]) == (
        band.scale, band.offset, band.nodata)


def test_odc_stac_loads_the_week_as_the_files_hold_it(week):
    items, band = week
    expected, _dn, grid = truth(items, band)
    cube = odc.stac.load(items, bands=["NDVI"], geobox=grid, chunks={}, groupby="time",
                         resampling="nearest").NDVI.compute()
    assert cube.shape == expected.shape
    dn = cube.values  # odc-stac keeps digital numbers: the raster:bands rule gives the values
    (raster,) = items[0].assets["NDVI"].extra_fields["raster:bands"]
    physical = np.where(dn == cube.attrs["nodata"], np.nan,
                        dn * raster["scale"] + raster["offset"])
    physical = np.where(band.valid(dn), physical, np.nan)
    np.testing.assert_allclose(physical, expected, rtol=0, atol=1e-9)


def test_stackstac_loads_the_week_in_physical_units(week):
    items, band = week
    expected, dn, grid = truth(items, band)
    left, bottom, right, top = grid.extent.boundingbox
    cube = stackstac.stack([i.to_dict() for i in items], assets=["NDVI"],
                           epsg=grid.crs.epsg, resolution=abs(grid.resolution.x),
                           bounds=(left, bottom, right, top), snap_bounds=False,
                           resampling=rasterio.enums.Resampling.nearest, rescale=True,
                           dtype="float64", fill_value=np.nan).sel(band="NDVI").compute()
    values = cube.values
    assert values.shape == expected.shape
    # stackstac masks the files' nodata and applies raster:bands scale and offset itself
    valid = np.isfinite(expected)
    np.testing.assert_allclose(values[valid], expected[valid], rtol=0, atol=1e-9)
    assert (dn == band.nodata).any() and np.isnan(values[dn == band.nodata]).all()
