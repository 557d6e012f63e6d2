"""terracatalogueclient 0.1.19, unchanged, pointed at eoscope by its config's catalogue URL:
collections, product searches with its parameters, counts, errors and downloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from terracatalogueclient import Catalogue, ProductFileType
from terracatalogueclient.config import CatalogueConfig
from terracatalogueclient.exceptions import SearchException

from services.demo import plan
from tests.conftest import TINY

pytestmark = pytest.mark.interop
NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"
TOC = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
PLAN = sorted(plan(TINY), key=lambda a: a.sensing_time)


@pytest.fixture(scope="module")
def catalogue(gateway, tmp_path_factory) -> Catalogue:
    ini = tmp_path_factory.mktemp("tcc") / "eoscope.ini"
    ini.write_text(f"[Catalogue]\nURL = {gateway.url}/catalogue/\n")
    return Catalogue(CatalogueConfig.from_file(str(ini)))


def test_collections(catalogue, gateway):
    collections = list(catalogue.get_collections())
    assert {c.id for c in collections} == \
        {f"urn:eop:VITO:{c}" for c in gateway.registry.collections}
    ndvi = next(c for c in collections if c.id == NDVI)
    assert ndvi.geometry.bounds == pytest.approx(ndvi.bbox)
    assert list(catalogue.get_collections(platform="Sentinel-2"))


def test_products_with_its_parameters(catalogue):
    products = list(catalogue.get_products(NDVI, start=dt.date(2018, 5, 1),
                                           end=dt.date(2018, 8, 1), tileId=PLAN[0].tile))
    assert [p.title for p in products] == [a.product_name("NDVI") for a in PLAN]
    assert products[0].beginningDateTime == PLAN[0].sensing_time.replace(tzinfo=None)
    assert products[0].id == f"{NDVI}:{PLAN[0].product_name('NDVI')}"
    assert len(products[0].data) == 1 and products[0].previews
    clear = list(catalogue.get_products(NDVI, cloudCover=(0, 50)))
    assert all(p.properties["productInformation"]["cloudCover"] <= 50 for p in clear)
    assert len(list(catalogue.get_products(NDVI, limit=2))) == 2
    late = list(catalogue.get_products(NDVI, start=PLAN[3].sensing_time))
    assert [p.title for p in late] == [a.product_name("NDVI") for a in PLAN[3:]]
    assert list(catalogue.get_products(NDVI, geometry="POLYGON((3 50,5 50,5 52,3 52,3 50))",
                                       orbitDirection="DESCENDING"))


def test_paging_through_small_pages(catalogue):
    products = list(catalogue.get_products(NDVI, count=2))
    assert len(products) == len(PLAN)


def test_count(catalogue):
    assert catalogue.get_product_count(NDVI) == len(PLAN)
    assert catalogue.get_product_count(NDVI, tileId="99XXX") == 0


def test_errors(catalogue):
    with pytest.raises(SearchException):
        list(catalogue.get_products(NDVI, test="test"))
    with pytest.raises(SearchException):
        list(catalogue.get_products(NDVI, orbitDirection="test"))
    with pytest.raises(SearchException):
        list(catalogue.get_products(NDVI, geometry="polygon"))


def test_download_data_and_related_files(catalogue, gateway, tmp_path: Path):
    product = next(catalogue.get_products(TOC, limit=1))
    catalogue.download_product(product, str(tmp_path), ProductFileType.DATA |
                               ProductFileType.RELATED)
    folder = tmp_path / product.title
    downloaded = sorted(p.name for p in folder.iterdir())
    expected = sorted(Path(f.href).name for f in product.data + product.related)
    assert downloaded == expected and len(expected) == 5
    source = next(gateway.settings.archive.rglob(expected[0]))
    assert (folder / expected[0]).read_bytes() == source.read_bytes()


def test_mep_links_are_local_paths(catalogue):
    product = next(catalogue.get_products(NDVI, accessedFrom="MEP", limit=1))
    assert all(f.get_protocol() == "file" and Path(f.href[7:]).is_file() for f in product.data)
