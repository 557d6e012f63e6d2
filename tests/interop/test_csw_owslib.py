"""OWSLib's CatalogueServiceWeb against /csw: OWSLib 0.35 (the project's) for CSW 2.0.2
searches, ISO records and errors, and QGIS MetaSearch's own calls with QGIS's OWSLib (Debian's
0.27.2) in a subprocess, classified with MetaSearch's link types."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import warnings

import pytest
from owslib.catalogue.csw3 import CatalogueServiceWeb as Csw3
from owslib.csw import CatalogueServiceWeb
from owslib.fes import (
    And,
    BBox,
    PropertyIsEqualTo,
    PropertyIsGreaterThanOrEqualTo,
    PropertyIsLessThanOrEqualTo,
    PropertyIsLike,
    SortBy,
    SortProperty,
)
from owslib.fes2 import PropertyIsLike as Like2
from owslib.iso import MD_Metadata
from owslib.ows import ExceptionReport

from tests.interop.conftest import client_env

pytestmark = pytest.mark.interop

NDVI = "TERRASCOPE_S2_NDVI_V2"
NDVI_URN = f"urn:eop:VITO:{NDVI}"
GMD = "http://www.isotc211.org/2005/gmd"
QGIS_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def csw(gateway) -> CatalogueServiceWeb:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CatalogueServiceWeb(f"{gateway.url}/csw", timeout=60)


def products(gateway, where: str = "1", params: tuple = ()) -> set[str]:
    with sqlite3.connect(gateway.settings.index) as db:
        rows = db.execute(f"SELECT collection, name FROM products WHERE {where}", params)
        return {f"urn:eop:VITO:{collection}:{name}" for collection, name in rows}


def centre(gateway) -> tuple[float, float]:
    west, south, east, north = gateway.index.extent(NDVI)
    return (west + east) / 2, (south + north) / 2


def test_capabilities(csw):
    assert csw.version == "2.0.2"
    assert csw.identification.title == "eoscope catalogue"
    names = {operation.name for operation in csw.operations}
    assert {"GetRecords", "GetRecordById", "GetDomain", "DescribeRecord"} <= names


def test_bbox_and_full_text(csw, gateway):
    lon, lat = centre(gateway)
    box = BBox([lat - 0.001, lon - 0.001, lat + 0.001, lon + 0.001],
               crs="urn:ogc:def:crs:EPSG::4326")
    csw.getrecords2(constraints=[And([box, PropertyIsLike("csw:AnyText", "%Sentinel-2 NDVI%")])],
                    maxrecords=10, esn="full")
    assert csw.results["matches"] == len(products(gateway, "collection = ?", (NDVI,))) + 1
    collection = csw.records[NDVI_URN]
    assert collection.type == "series"
    assert {"OGC:WMS", "OGC:WMTS", "OGC:WCS"} <= {r["scheme"] for r in collection.references}
    bbox = collection.bbox  # OWSLib turns the lat/lon corners into x = lon, y = lat
    assert float(bbox.minx) <= lon <= float(bbox.maxx)
    assert float(bbox.miny) <= lat <= float(bbox.maxy)


def test_parent_and_time_with_sorting_and_paging(csw, gateway):
    dates = gateway.index.dates(NDVI)
    first, last = dates[0], dates[-2]
    expected = products(gateway, "collection = ? AND date BETWEEN ? AND ?", (NDVI, first, last))
    constraint = And([PropertyIsEqualTo("apiso:ParentIdentifier", NDVI_URN),
                      PropertyIsGreaterThanOrEqualTo("apiso:TempExtent_begin", first),
                      PropertyIsLessThanOrEqualTo("apiso:TempExtent_end", f"{last}T23:59:59Z")])
    found: list[str] = []
    start = 1
    while start:
        csw.getrecords2(constraints=[constraint], esn="brief", maxrecords=2,
                        startposition=start, sortby=SortBy([SortProperty("dc:date", "DESC")]))
        assert csw.results["matches"] == len(expected)
        found += list(csw.records)
        start = csw.results["nextrecord"] or 0
    assert set(found) == expected and len(found) == len(expected)
    assert found == sorted(found, key=lambda i: i.rsplit(":", 1)[1].split("_")[1], reverse=True)


def test_iso_record_with_parent_and_online_resources(csw, gateway):
    identifier = sorted(products(gateway, "collection = ?", (NDVI,)))[0]
    csw.getrecordbyid([identifier], outputschema=GMD)
    record = csw.records[identifier]
    assert isinstance(record, MD_Metadata)
    assert record.identifier == identifier and record.parentidentifier == NDVI_URN
    protocols = {online.protocol for online in record.distribution.online}
    assert {"OGC:WMS", "OGC:WCS", "OGC:WMTS", "WWW:DOWNLOAD-1.0-http--download"} <= protocols


def test_get_domain(csw):
    csw.getdomain("dc:type", dtype="property")
    assert sorted(csw.results["values"]) == ["dataset", "series"]


def test_a_bad_type_name_raises_the_exception_report(csw):
    with pytest.raises(ExceptionReport, match="csw:Bogus"):
        csw.getrecords2(typenames="csw:Bogus")


METASEARCH = r"""
import json, sys
sys.path.insert(0, "/usr/share/qgis/python/plugins")
import owslib
from owslib.csw import CatalogueServiceWeb
from owslib.fes import BBox, PropertyIsLike
from MetaSearch import link_types
url, west, south, east, north, keywords = sys.argv[1:]
# MetaSearch's search(): a lat/lon EPSG:4326 box and AnyText, both required, 10 full records
constraints = [[BBox([south, west, north, east], crs="urn:ogc:def:crs:EPSG::4326"),
                PropertyIsLike("csw:AnyText", keywords)]]
catalog = CatalogueServiceWeb(url, timeout=60)
catalog.getrecords2(constraints=constraints, maxrecords=10, esn="full")
wms = [t.upper() for t in link_types.WMSWMST_LINK_TYPES]
wcs = [t.upper() for t in link_types.WCS_LINK_TYPES]
records = {}
for identifier, record in catalog.records.items():
    services = {}  # MetaSearch's find_services(): the last link of each kind wins
    for link in record.uris + record.references:
        kind = (link.get("scheme") or link.get("protocol") or "").upper()
        if kind in wms:
            services["wms"] = link["url"]
        if kind in wcs:
            services["wcs"] = link["url"]
    records[identifier] = {"type": record.type, "title": record.title,
                           "bbox": bool(record.bbox), "services": services}
first = sorted(records)[0]
check = CatalogueServiceWeb(url, timeout=60)
check.getrecordbyid([first])
print(json.dumps({"owslib": owslib.__version__, "matches": catalog.results["matches"],
                  "records": records, "by_id": list(check.records)}))
"""


def test_qgis_metasearch_search_and_services(gateway, tmp_path):
    west, south, east, north = gateway.index.extent(NDVI)
    done = subprocess.run(
        [QGIS_PYTHON, "-c", METASEARCH, f"{gateway.url}/csw", str(west), str(south), str(east),
         str(north), "%Sentinel-2 NDVI%"], capture_output=True, text=True, timeout=120,
        env=client_env(tmp_path / "home"))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["owslib"] != "0.35.0"  # QGIS's own OWSLib, not the project's
    assert result["matches"] == len(products(gateway, "collection = ?", (NDVI,))) + 1
    collection = result["records"][NDVI_URN]
    assert collection["type"] == "series" and collection["bbox"]
    assert collection["services"] == {"wms": f"{gateway.url}/wms", "wcs": f"{gateway.url}/wcs"}
    assert result["by_id"] == [sorted(result["records"])[0]]


def test_csw_30_with_owslib(gateway):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csw3 = Csw3(f"{gateway.url}/csw", timeout=60)
    assert csw3.version == "3.0.0"
    assert {"GetRecords", "GetRecordById", "GetDomain"} <= {o.name for o in csw3.operations}
    csw3.getrecords(constraints=[Like2("csw:AnyText", "%LAI%")], esn="full", maxrecords=10)
    assert csw3.results["matches"] == len(products(gateway, "collection = ?",
                                                   ("TERRASCOPE_S2_LAI_V2",))) + 1
    assert "urn:eop:VITO:TERRASCOPE_S2_LAI_V2" in csw3.records
