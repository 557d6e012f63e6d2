"""Catalogue records (framework-free): identifiers, hrefs by access style, bands, links."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely import wkb
from shapely.geometry import box

from services.catalogue.records import (
    Hrefs,
    band_record,
    collection_record,
    iso_z,
    product_identifier,
    product_record,
    split_identifier,
)
from services.index.product import Product
from services.index.search import CollectionSummary
from services.registry import load
from services.settings import PROJECT_ROOT

ARCHIVE = Path("/data/archive")
NAME = "S2A_20180602T105031_31UES_TOC_V200"
FOLDER = ARCHIVE / "TERRASCOPE_Sentinel2/TOC_V2/2018/06/02" / NAME


@pytest.fixture(scope="module")
def toc():
    return load(PROJECT_ROOT / "layers").collections["TERRASCOPE_S2_TOC_V2"]


def product() -> Product:
    files = tuple((band, str(FOLDER / f"S2A_20180602T105031_31UES_{token}_V200.tif"), 100 + i)
                  for i, (band, token) in enumerate([("B02", "TOC-B02_10M"),
                                                     ("SCL", "SCENECLASSIFICATION_20M")]))
    return Product("TERRASCOPE_S2_TOC_V2", NAME, "S2A", "31UES", "2018-06-02T10:50:31Z",
                   "2018-06-02T10:50:31Z", "200", 12.5, "EPSG:32631", (3.6, 51.0, 3.7, 51.1),
                   wkb.dumps(box(3.6, 51.0, 3.7, 51.1)), str(FOLDER), files,
                   {"relativeOrbitNumber": 51, "orbitDirection": "DESCENDING"},
                   ingested_at="2026-01-01T00:00:00+00:00")


def test_identifiers():
    identifier = product_identifier("TERRASCOPE_S2_TOC_V2", NAME)
    assert identifier == f"urn:eop:VITO:TERRASCOPE_S2_TOC_V2:{NAME}"
    assert split_identifier(identifier) == ("TERRASCOPE_S2_TOC_V2", NAME)
    assert split_identifier("urn:eop:VITO:TERRASCOPE_S2_TOC_V2") == ("TERRASCOPE_S2_TOC_V2", "")
    assert split_identifier(NAME) == (None, NAME)


def test_times_with_milliseconds():
    assert iso_z("2018-06-02T10:50:31Z") == "2018-06-02T10:50:31.000Z"
    assert iso_z("2026-01-01T00:00:00+00:00") == "2026-01-01T00:00:00.000Z"


def test_hrefs_by_access_style():
    path = str(FOLDER / "a b.tif")
    http = Hrefs("https://eo.example", ARCHIVE)
    assert http.file(path) == ("https://eo.example/download/TERRASCOPE_Sentinel2/TOC_V2/2018/06/"
                               f"02/{NAME}/a%20b.tif")
    assert Hrefs("https://eo.example", ARCHIVE, "MEP").file(path) == Path(path).as_uri()
    assert http.file("/elsewhere/x.tif") == "file:///elsewhere/x.tif"  # never a download URL


def test_bands_carry_scaling(toc):
    band = band_record(toc.band("B04"), toc.grid.resolution)
    assert (band.scale_factor, band.offset, band.nodata, band.bit_per_value, band.resolution) \
        == (0.0001, 0.0, 32767, 16, 10.0)
    assert band_record(toc.band("SCL"), 10).resolution == 20.0


def test_product_record(toc):
    record = product_record(product(), toc, Hrefs("http://h", ARCHIVE))
    assert record.identifier == f"urn:eop:VITO:TERRASCOPE_S2_TOC_V2:{NAME}"
    assert record.properties == {"relativeOrbitNumber": 51, "orbitDirection": "DESCENDING"}
    assert [link.title for link in record.links["data"]] == ["TOC-B02_10M"]
    [related] = record.links["related"]
    assert (related.title, related.category, related.length) == \
        ("SCENECLASSIFICATION_20M", "QUALITY", 101)
    [preview] = record.links["previews"]
    assert preview.href.startswith("http://h/ows?SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0")
    assert "LAYERS=CGS_S2_RADIOMETRY" in preview.href and "TIME=2018-06-02" in preview.href
    assert {link.type for link in record.links["alternates"]} == \
        {"application/geo+json", "application/atom+xml"}
    assert record.geometry["type"] == "Polygon"


def test_collection_record(toc):
    summary = CollectionSummary("TERRASCOPE_S2_TOC_V2", 3, "2018-05-01T10:50:42Z",
                                "2018-07-31T10:40:07Z", (3.6, 51.0, 3.7, 51.1),
                                "2026-01-01T00:00:00+00:00")
    record = collection_record(toc, summary, Hrefs("http://h", ARCHIVE))
    assert record.identifier == "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
    assert (record.begin, record.end, record.product_count) == \
        ("2018-05-01T10:50:42.000Z", "2018-07-31T10:40:07.000Z", 3)
    assert record.title["nl"] and [b.name for b in record.bands][:2] == ["B02", "B03"]
    empty = collection_record(toc, None, Hrefs("http://h", ARCHIVE))
    assert empty.bbox is None and empty.geometry is None and "previews" not in empty.links
