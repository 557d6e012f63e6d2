"""CSW at /csw over HTTP: capabilities and responses valid against the CSW 2.0.2 schemas in
the pycsw wheel, KVP and POST XML GetRecords (BBOX, time, full text, properties), records
linked by parentIdentifier, ISO output, standards-shaped errors, and freshness: a product
ingested while the gateway runs is a record at once."""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from datetime import date
from pathlib import Path

import pytest
import requests
from lxml import etree

from services.catalogue.csw.view import collection_rows, connect
from services.catalogue.records import Hrefs
from services.demo import DemoSpec
from services.refresh import refresh
from tests.conftest import newest_held_back
from tests.helpers import assert_valid

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import pycsw

SCHEMAS = Path(pycsw.__file__).parent / "core" / "schemas" / "ogc"
CSW_202 = SCHEMAS / "csw" / "2.0.2" / "CSW-discovery.xsd"
OWS_10_EXCEPTIONS = SCHEMAS / "ows" / "1.0.0" / "owsExceptionReport.xsd"
OWS_20_EXCEPTIONS = SCHEMAS / "ows" / "2.0" / "owsExceptionReport.xsd"
CSW_30 = SCHEMAS / "cat" / "csw" / "3.0" / "cswAll.xsd"
GMD_XSD = (Path(pycsw.__file__).parent / "plugins" / "profiles" / "apiso" / "schemas" / "ogc" /
           "iso" / "19139" / "20060504" / "gmd" / "gmd.xsd")
NS = {"csw": "http://www.opengis.net/cat/csw/2.0.2", "dc": "http://purl.org/dc/elements/1.1/",
      "dct": "http://purl.org/dc/terms/", "ows": "http://www.opengis.net/ows",
      "ows20": "http://www.opengis.net/ows/2.0", "gmd": "http://www.isotc211.org/2005/gmd",
      "gco": "http://www.isotc211.org/2005/gco"}
NDVI = "TERRASCOPE_S2_NDVI_V2"
NDVI_URN = f"urn:eop:VITO:{NDVI}"


def kvp(gateway, **params: str) -> requests.Response:
    return requests.get(f"{gateway.url}/csw", params={"service": "CSW", "version": "2.0.2",
                                                      **params}, timeout=30)


def post(url: str, body: str) -> requests.Response:
    return requests.post(f"{url}/csw", data=body.encode(), timeout=30,
                         headers={"Content-Type": "application/xml"})


def get_records(filter_xml: str, max_records: int = 100, element_set: str = "full") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="{NS['csw']}" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2" resultType="results"
    maxRecords="{max_records}" outputSchema="{NS['csw']}">
  <csw:Query typeNames="csw:Record">
    <csw:ElementSetName>{element_set}</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter>{filter_xml}</ogc:Filter></csw:Constraint>
  </csw:Query>
</csw:GetRecords>"""


def identifiers(tree: etree._Element) -> list[str]:
    return tree.xpath("//csw:SearchResults/*/dc:identifier/text()", namespaces=NS)


def index_names(gateway, where: str = "1", params: tuple = ()) -> set[str]:
    with sqlite3.connect(gateway.settings.index) as db:
        rows = db.execute(f"SELECT collection, name FROM products WHERE {where}", params)
        return {f"urn:eop:VITO:{collection}:{name}" for collection, name in rows}


def test_capabilities_are_valid_and_list_the_operations(gateway):
    response = kvp(gateway, request="GetCapabilities")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    tree = assert_valid(response.content, CSW_202)
    operations = tree.xpath("//ows:OperationsMetadata/ows:Operation/@name", namespaces=NS)
    assert {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById",
            "GetDomain"} <= set(operations)
    assert "Transaction" not in operations and "Harvest" not in operations
    href = tree.xpath("//ows:Operation[@name='GetRecords']//ows:Post/@xlink:href",
                      namespaces={**NS, "xlink": "http://www.w3.org/1999/xlink"})
    assert href == [f"{gateway.url}/csw"]


def test_csw_30_responses_are_valid(gateway):
    def get(**params: str) -> bytes:
        response = requests.get(f"{gateway.url}/csw", params={"service": "CSW", **params},
                                timeout=30)
        assert response.status_code == 200
        return response.content

    capabilities = assert_valid(get(request="GetCapabilities"), CSW_30)
    assert capabilities.tag == "{http://www.opengis.net/cat/csw/3.0}Capabilities"
    assert capabilities.get("version") == "3.0.0"
    assert_valid(get(version="3.0.0", request="GetRecords", typenames="csw:Record",
                     elementSetName="full", q="NDVI"), CSW_30)
    record = assert_valid(get(version="3.0.0", request="GetRecordById", id=NDVI_URN,
                              elementSetName="full"), CSW_30)
    assert record.findtext("{http://purl.org/dc/elements/1.1/}identifier") == NDVI_URN


def test_config_parameter_is_ignored(gateway):
    plain = kvp(gateway, request="GetRecords", typenames="csw:Record", resultType="hits")
    chosen = kvp(gateway, request="GetRecords", typenames="csw:Record", resultType="hits",
                 config="/etc/passwd")
    assert chosen.status_code == 200
    matched = "//csw:SearchResults/@numberOfRecordsMatched"
    assert (etree.fromstring(chosen.content).xpath(matched, namespaces=NS) ==
            etree.fromstring(plain.content).xpath(matched, namespaces=NS))
    alone = requests.get(f"{gateway.url}/csw", params={"config": "/etc/passwd"}, timeout=30)
    assert alone.status_code == 200 and b"Capabilities" in alone.content


def test_every_product_and_collection_is_a_record(gateway):
    response = kvp(gateway, request="GetRecords", typenames="csw:Record", resultType="results",
                   elementSetName="brief", maxRecords="10")
    tree = assert_valid(response.content, CSW_202)
    results = tree.find("csw:SearchResults", NS)
    assert int(results.get("numberOfRecordsMatched")) == (
        gateway.index.product_count() + len(gateway.registry.collections))
    assert results.get("numberOfRecordsReturned") == "10" and results.get("nextRecord") == "11"
    assert identifiers(tree) == sorted(identifiers(tree))
    assert identifiers(tree)[0] == "urn:eop:VITO:" + sorted(gateway.registry.collections)[0]


def test_a_product_record_links_to_its_parent_layers_and_files(gateway):
    product = sorted(index_names(gateway, "collection = ?", (NDVI,)))[0]
    response = kvp(gateway, request="GetRecordById", id=product, elementSetName="full")
    tree = assert_valid(response.content, CSW_202)
    record = tree.find("csw:Record", NS)
    assert record.findtext("dc:identifier", namespaces=NS) == product
    assert record.findtext("dc:relation", namespaces=NS) == NDVI_URN
    assert record.findtext("dc:type", namespaces=NS) == "dataset"
    links: dict[str, list[str]] = {}
    for ref in record.findall("dct:references", NS):
        links.setdefault(ref.get("scheme"), []).append(ref.text)
    stamp = product.rsplit(":", 1)[1].split("_")[1]
    day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    assert links["OGC:WMS"] == [f"{gateway.url}/wms"]
    assert links["OGC:WCS"] == [f"{gateway.url}/wcs"]
    assert links["OGC:WMTS"] == [f"{gateway.url}/wmts/1.0.0/WMTSCapabilities.xml"]
    [preview] = links["WWW:LINK-1.0-http--image-thumbnail"]
    assert f"TIME={day}" in preview and "LAYERS=CGS_S2_NDVI" in preview
    coverage, data = links["WWW:DOWNLOAD-1.0-http--download"]
    assert f'time("{day}")' in coverage.replace("%22", '"')
    assert data.startswith(f"{gateway.url}/download/") and data.endswith("_NDVI_10M_V200.tif")
    image = requests.get(preview, timeout=60)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    tiff = requests.get(coverage, timeout=60)
    assert tiff.status_code == 200 and tiff.headers["Content-Type"].startswith("image/tiff")
    assert requests.get(data, timeout=60).status_code == 200


def test_a_collection_record_is_a_series_with_its_services(gateway):
    response = kvp(gateway, request="GetRecordById", id=NDVI_URN, elementSetName="full")
    record = assert_valid(response.content, CSW_202).find("csw:Record", NS)
    assert record.findtext("dc:type", namespaces=NS) == "series"
    assert record.findtext("dc:title", namespaces=NS) == "Sentinel-2 NDVI"
    schemes = sorted(ref.get("scheme") for ref in record.findall("dct:references", NS))
    assert schemes == ["OGC:WCS", "OGC:WMS", "OGC:WMTS"]
    lower = record.findtext("ows:BoundingBox/ows:LowerCorner", namespaces=NS).split()
    west, south, east, north = gateway.index.extent(NDVI)
    assert [float(v) for v in lower] == pytest.approx([south, west], abs=1e-6)


def test_iso_record_has_the_parent_identifier(gateway):
    product = sorted(index_names(gateway, "collection = ?", (NDVI,)))[-1]
    response = kvp(gateway, request="GetRecordById", id=product, elementSetName="full",
                   outputSchema=NS["gmd"])
    metadata = etree.fromstring(response.content).find("gmd:MD_Metadata", NS)
    assert metadata.findtext("gmd:fileIdentifier/gco:CharacterString", namespaces=NS) == product
    assert metadata.findtext("gmd:parentIdentifier/gco:CharacterString",
                             namespaces=NS) == NDVI_URN
    assert metadata.xpath("//gmd:linkage/gmd:URL/text()", namespaces=NS)
    with sqlite3.connect(gateway.settings.index) as db:
        (time,) = db.execute("SELECT time FROM products WHERE name = ?",
                             (product.rsplit(":", 1)[1],)).fetchone()
    period = metadata.find(".//gmd:temporalElement//{http://www.opengis.net/gml}TimePeriod", NS)
    assert [p.text for p in period] == [time, time]


@pytest.mark.parametrize("element_set", ["summary", "full"])
def test_iso_records_are_valid_against_gmd(gateway, element_set):
    response = kvp(gateway, request="GetRecords", typenames="gmd:MD_Metadata",
                   resultType="results", elementSetName=element_set, outputSchema=NS["gmd"],
                   constraintLanguage="CQL_TEXT", maxRecords="10",
                   constraint=f"dc:title like '%NDVI%' or apiso:ParentIdentifier = '{NDVI_URN}'")
    records = etree.fromstring(response.content).findall("csw:SearchResults/gmd:MD_Metadata", NS)
    assert len(records) == 1 + len(index_names(gateway, "collection = ?", (NDVI,)))
    for record in records:
        assert_valid(etree.tostring(record), GMD_XSD)


def test_post_bbox_and_parent_filter(gateway):
    west, south, east, north = gateway.index.extent(NDVI)
    lon, lat = (west + east) / 2, (south + north) / 2
    body = get_records(f"""<ogc:And>
      <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>
        <gml:Envelope srsName="urn:x-ogc:def:crs:EPSG:6.11:4326">
          <gml:lowerCorner>{lat - 0.001} {lon - 0.001}</gml:lowerCorner>
          <gml:upperCorner>{lat + 0.001} {lon + 0.001}</gml:upperCorner></gml:Envelope>
      </ogc:BBOX>
      <ogc:PropertyIsEqualTo><ogc:PropertyName>apiso:ParentIdentifier</ogc:PropertyName>
        <ogc:Literal>{NDVI_URN}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:And>""")
    tree = assert_valid(post(gateway.url, body).content, CSW_202)
    assert set(identifiers(tree)) == index_names(gateway, "collection = ?", (NDVI,))


def test_post_bbox_far_away_finds_nothing(gateway):
    body = get_records("""<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>
        <gml:Envelope><gml:lowerCorner>-40 -70</gml:lowerCorner>
        <gml:upperCorner>-30 -60</gml:upperCorner></gml:Envelope></ogc:BBOX>""")
    tree = assert_valid(post(gateway.url, body).content, CSW_202)
    assert tree.find("csw:SearchResults", NS).get("numberOfRecordsMatched") == "0"


def test_post_time_filter(gateway):
    dates = gateway.index.dates(NDVI)
    first, last = dates[1], dates[-2]
    body = get_records(f"""<ogc:And>
      <ogc:PropertyIsGreaterThanOrEqualTo>
        <ogc:PropertyName>apiso:TempExtent_begin</ogc:PropertyName>
        <ogc:Literal>{first}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo>
      <ogc:PropertyIsLessThanOrEqualTo><ogc:PropertyName>apiso:TempExtent_end</ogc:PropertyName>
        <ogc:Literal>{last}T23:59:59Z</ogc:Literal></ogc:PropertyIsLessThanOrEqualTo>
      <ogc:PropertyIsEqualTo><ogc:PropertyName>dc:type</ogc:PropertyName>
        <ogc:Literal>dataset</ogc:Literal></ogc:PropertyIsEqualTo></ogc:And>""")
    tree = assert_valid(post(gateway.url, body).content, CSW_202)
    expected = index_names(gateway, "date BETWEEN ? AND ?", (first, last))
    results = tree.find("csw:SearchResults", NS)
    assert int(results.get("numberOfRecordsMatched")) == len(expected) > 10
    assert results.get("numberOfRecordsReturned") == "10", "pages are at most 10 records"
    assert set(identifiers(tree)) < expected


def test_kvp_cql_full_text_and_sorting(gateway):
    response = kvp(gateway, request="GetRecords", typenames="csw:Record", resultType="results",
                   elementSetName="summary", constraintLanguage="CQL_TEXT",
                   constraint="csw:AnyText like '%fapar%'", sortBy="dc:date:D",
                   maxRecords="10")
    tree = assert_valid(response.content, CSW_202)
    found = identifiers(tree)
    assert found and all("FAPAR" in identifier for identifier in found)
    stamps = [f.rsplit(":", 1)[1].split("_")[1] for f in found if f.count(":") == 4]
    assert stamps == sorted(stamps, reverse=True)
    matched = int(tree.find("csw:SearchResults", NS).get("numberOfRecordsMatched"))
    assert matched == len(index_names(gateway, "collection = ?", ("TERRASCOPE_S2_FAPAR_V2",))) + 1


def test_get_domain_lists_record_types(gateway):
    response = kvp(gateway, request="GetDomain", propertyName="dc:type")
    tree = assert_valid(response.content, CSW_202)
    assert sorted(tree.xpath("//csw:Value/text()", namespaces=NS)) == ["dataset", "series"]


BAD_KVP = [
    ({"request": "GetRecords", "typenames": "csw:Bogus", "elementSetName": "full"},
     "InvalidParameterValue"),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "full",
      "outputSchema": "http://example.org/unsupported"}, "InvalidParameterValue"),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "full",
      "constraintLanguage": "CQL_TEXT", "constraint": "dc:title LIKE"}, None),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "full",
      "constraintLanguage": "FILTER", "constraint": "<ogc:Filter>"}, None),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "full",
      "maxRecords": "-5"}, "InvalidParameterValue"),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "full",
      "startPosition": "x"}, "InvalidParameterValue"),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementSetName": "bogus"}, None),
    ({"request": "GetRecordById"}, "MissingParameterValue"),
    ({"request": "GetRecordById", "id": NDVI_URN, "outputFormat": "application/bogus+xml"},
     "InvalidParameterValue"),
    ({"request": "Bogus"}, "InvalidParameterValue"),
    ({"request": "Transaction"}, "OperationNotSupported"),
    ({"request": "Harvest", "source": "http://example.org/csw",
      "resourceType": "http://www.opengis.net/cat/csw/2.0.2"}, None),
]


@pytest.mark.parametrize("params,code", BAD_KVP, ids=[str(i) for i in range(len(BAD_KVP))])
def test_bad_kvp_gets_an_exception_report(gateway, params, code):
    response = kvp(gateway, **params)
    assert response.status_code < 500
    tree = assert_valid(response.content, OWS_10_EXCEPTIONS)
    if code:
        assert tree.find("ows:Exception", NS).get("exceptionCode") == code


BAD_POST = [
    "<csw:GetRecords",
    get_records("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:nothing</ogc:PropertyName>"
                "<ogc:Literal>x</ogc:Literal></ogc:PropertyIsEqualTo>"),
    get_records("<ogc:PropertyIsLike wildCard='*' singleChar='?' escapeChar='\\'>"
                "<ogc:Function name='DummyFunction'><ogc:PropertyName>dc:title</ogc:PropertyName>"
                "</ogc:Function><ogc:Literal>x*</ogc:Literal></ogc:PropertyIsLike>"),
    get_records("<ogc:BBOX><ogc:PropertyName>dct:spatial</ogc:PropertyName><gml:Envelope>"
                "<gml:lowerCorner>47 -4</gml:lowerCorner><gml:upperCorner>52 1</gml:upperCorner>"
                "</gml:Envelope></ogc:BBOX>"),
    get_records("<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope>"
                "<gml:lowerCorner>a b</gml:lowerCorner><gml:upperCorner>1e309 nan</gml:upperCorner>"
                "</gml:Envelope></ogc:BBOX>"),
    get_records("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:title</ogc:PropertyName>"
                "<ogc:Literal>x' OR 1=1; DROP TABLE products; --</ogc:Literal>"
                "</ogc:PropertyIsEqualTo>").replace("results", "bogus"),
    get_records("").replace('typeNames="csw:Record"', 'typeNames="csw:SummaryRecord"'),
]


@pytest.mark.parametrize("body", BAD_POST, ids=[str(i) for i in range(len(BAD_POST))])
def test_bad_post_gets_an_exception_report(gateway, body):
    response = post(gateway.url, body)
    assert response.status_code < 500
    # a body that does not say CSW 2.0.2 is answered as CSW 3.0 (OWS 2.0), as pycsw does
    ows_20 = b"cat/csw/2.0.2" not in body.encode()
    assert_valid(response.content, OWS_20_EXCEPTIONS if ows_20 else OWS_10_EXCEPTIONS)


def test_sql_in_a_literal_is_a_value(gateway):
    body = get_records("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:title</ogc:PropertyName>"
                       "<ogc:Literal>x' OR 1=1; --</ogc:Literal></ogc:PropertyIsEqualTo>")
    tree = assert_valid(post(gateway.url, body).content, CSW_202)
    assert tree.find("csw:SearchResults", NS).get("numberOfRecordsMatched") == "0"
    assert gateway.index.product_count() > 0


def test_oversized_post_is_refused(gateway):
    response = post(gateway.url, "<a>" + "x" * (2 << 20) + "</a>")
    assert response.status_code < 500
    assert_valid(response.content, OWS_10_EXCEPTIONS)


def test_csw_30_errors_are_ows_20_with_http_400(gateway):
    response = requests.get(f"{gateway.url}/csw", timeout=30, params={
        "service": "CSW", "version": "3.0.0", "request": "GetRecords",
        "typenames": "csw:Record", "outputSchema": "http://example.org/unsupported"})
    assert response.status_code == 400
    exception = etree.fromstring(response.content).find("ows20:Exception", NS)
    assert exception.get("exceptionCode") == "InvalidParameterValue"
    assert exception.get("locator") == "outputschema"


def test_unknown_domain_is_empty_not_an_error(gateway):
    response = kvp(gateway, request="GetDomain", propertyName="nothing:here")
    assert response.status_code == 200
    assert_valid(response.content, CSW_202)


# freshness: a second small archive with its own gateway, one date held back
SPEC = DemoSpec(seed=11, size_km=1.0, dates=2, start=date(2019, 4, 1), end=date(2019, 4, 30))


@pytest.fixture
def growing(tmp_path):
    with newest_held_back(tmp_path, SPEC) as served_archive:
        yield served_archive


def test_an_ingested_product_is_found_at_once(growing):
    url, settings, registry, index, staging, newest = growing
    name = newest.product_name("NDVI")
    identifier = f"{NDVI_URN}:{name}"
    body = get_records(f"""<ogc:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\\">
        <ogc:PropertyName>dc:title</ogc:PropertyName><ogc:Literal>*{name[4:19]}*</ogc:Literal>
        </ogc:PropertyIsLike>""")
    assert identifiers(etree.fromstring(post(url, body).content)) == []

    shutil.copytree(staging, settings.archive, dirs_exist_ok=True)
    refresh([settings.archive], registry, index, settings)
    found = identifiers(assert_valid(post(url, body).content, CSW_202))
    assert identifier in found and all(name[4:19] in f for f in found)
    response = requests.get(f"{url}/csw", timeout=30, params={
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": identifier})
    assert identifiers(etree.fromstring(response.content)) == []  # not a SearchResults
    record = etree.fromstring(response.content).find("csw:SummaryRecord", NS)
    assert record.findtext("dc:identifier", namespaces=NS) == identifier


HOSTILE = ["", "-1", "1e309", "nan", "x" * 3000, "\x00", "<a>&amp;", "🛰", "'", "%",
           "../../etc/passwd", "text/html"]
HOSTILE_REQUESTS = {
    "getrecords": {"version": "2.0.2", "request": "GetRecords", "typenames": "csw:Record",
                   "resultType": "results", "elementSetName": "full", "outputFormat":
                   "application/xml", "maxRecords": "5", "startPosition": "1",
                   "constraintLanguage": "CQL_TEXT", "constraint": "dc:title like '%NDVI%'",
                   "sortBy": "dc:date:D", "outputSchema": NS["csw"]},
    "getrecords_30": {"version": "3.0.0", "request": "GetRecords", "typenames": "csw:Record",
                      "elementSetName": "full", "q": "NDVI", "bbox": "3,50,4,52",
                      "time": "2018-01-01/2019-01-01"},
    "getrecordbyid": {"version": "2.0.2", "request": "GetRecordById", "id": NDVI_URN,
                      "outputSchema": NS["gmd"], "outputFormat": "application/xml"},
    "getdomain": {"version": "2.0.2", "request": "GetDomain", "propertyName": "dc:type"},
    "describerecord": {"version": "2.0.2", "request": "DescribeRecord",
                       "typeName": "csw:Record", "outputFormat": "application/xml"},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_REQUESTS))
def test_hostile_values_get_xml_never_a_500(gateway, name):
    session = requests.Session()
    base = {"service": "CSW", **HOSTILE_REQUESTS[name]}
    failures = []
    for key in base:
        for value in HOSTILE:
            response = session.get(f"{gateway.url}/csw", params={**base, key: value}, timeout=30)
            content_type = response.headers["Content-Type"]
            if (response.status_code >= 500 or not response.content.lstrip().startswith(b"<")
                    or content_type not in ("application/xml", "application/json",
                                            "application/atom+xml")):
                failures.append(f"{key}={value[:20]!r}: {response.status_code} {content_type}")
    assert not failures, failures


def test_external_entities_are_not_resolved(gateway):
    body = get_records("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:title</ogc:PropertyName>"
                       "<ogc:Literal>&e;</ogc:Literal></ogc:PropertyIsEqualTo>")
    body = body.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM'
                        ' "file:///etc/passwd">]>')
    response = post(gateway.url, body)
    assert response.status_code < 500 and b"root:" not in response.content


def test_repository_item_is_a_dublin_core_record(gateway):
    response = kvp(gateway, request="GetRepositoryItem", id=NDVI_URN)
    assert response.status_code == 200
    record = etree.fromstring(response.content)
    assert record.tag == f"{{{NS['csw']}}}Record"
    assert record.findtext("dc:identifier", namespaces=NS) == NDVI_URN


def test_cite_style_paging_hits_and_validate(gateway):
    """ets-csw202 checks that hold on any data: default hits, nextRecord, validate."""
    query = ('<csw:Query typeNames="csw:Record"><csw:ElementSetName>summary'
             '</csw:ElementSetName></csw:Query></csw:GetRecords>')
    head = f'<csw:GetRecords xmlns:csw="{NS["csw"]}" service="CSW" version="2.0.2"'
    hits = assert_valid(post(gateway.url, f"{head}>{query}").content, CSW_202)
    results = hits.find("csw:SearchResults", NS)
    assert results.get("numberOfRecordsReturned") == "0" and len(results) == 0
    page = assert_valid(post(gateway.url, f'{head} resultType="results" startPosition="3"'
                                          f' maxRecords="5">{query}').content, CSW_202)
    results = page.find("csw:SearchResults", NS)
    assert (results.get("numberOfRecordsReturned"), results.get("nextRecord")) == ("5", "8")
    assert len(results.findall("csw:SummaryRecord", NS)) == 5
    none = assert_valid(post(gateway.url, f'{head} resultType="results" maxRecords="0">'
                                          f'{query}').content, CSW_202)
    assert none.find("csw:SearchResults", NS).get("nextRecord") == "1"
    validate = post(gateway.url, f'{head} resultType="validate">{query}')
    assert assert_valid(validate.content, CSW_202).tag == f"{{{NS['csw']}}}Acknowledgement"


def test_cite_style_get_record_by_id_and_sections(gateway):
    unknown = kvp(gateway, request="GetRecordById",
                  id="urn:uuid:ce8627a0-685c-11db-bd13-0800200c9a66")
    assert len(assert_valid(unknown.content, CSW_202)) == 0
    missing = assert_valid(kvp(gateway, request="GetRecordById").content, OWS_10_EXCEPTIONS)
    exception = missing.find("ows:Exception", NS)
    assert (exception.get("exceptionCode"), exception.get("locator")) == (
        "MissingParameterValue", "id")
    abbreviated = kvp(gateway, request="GetCapabilities", sections="")
    tree = assert_valid(abbreviated.content, CSW_202)
    assert tree.find("ows:ServiceIdentification", NS) is None
    assert tree.find("ows:OperationsMetadata", NS) is None


def test_csw_30_text_and_time_queries(gateway):
    def matched(**params: str) -> int:
        response = requests.get(f"{gateway.url}/csw", timeout=30, params={
            "service": "CSW", "version": "3.0.0", "request": "GetRecords",
            "typenames": "csw:Record", "elementSetName": "brief", **params})
        assert response.status_code == 200
        results = etree.fromstring(response.content).find(
            "{http://www.opengis.net/cat/csw/3.0}SearchResults")
        return int(results.get("numberOfRecordsMatched"))

    assert matched(q="FAPAR") == len(index_names(
        gateway, "collection = ?", ("TERRASCOPE_S2_FAPAR_V2",))) + 1
    day = gateway.index.dates(NDVI)[2]
    assert matched(time=f"{day}/{day}T23:59:59Z") == len(index_names(gateway, "date = ?",
                                                                     (day,)))


def test_many_ids_in_one_request(gateway):
    ids = "".join(f"<csw:Id>{n}</csw:Id>" for n in range(35_000))
    body = (f'<csw:GetRecordById xmlns:csw="{NS["csw"]}" service="CSW" version="2.0.2">{ids}'
            f"<csw:Id>{NDVI_URN}</csw:Id><csw:ElementSetName>brief</csw:ElementSetName>"
            "</csw:GetRecordById>")
    response = post(gateway.url, body)
    assert response.status_code == 200
    tree = assert_valid(response.content, CSW_202)
    assert tree.xpath("//dc:identifier/text()", namespaces=NS) == [NDVI_URN]


def test_a_query_past_its_budget_is_interrupted(gateway):
    rows = collection_rows(gateway.registry, "eoscope", gateway.url)
    db = connect(gateway.settings.index, rows, Hrefs(gateway.url, gateway.settings.archive),
                 budget=0.0)
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                   " WHERE i < 10000000) SELECT count(*) FROM n, product_records").fetchall()
    db.close()


@pytest.mark.parametrize("query", [
    "mode=opensearch&service=CSW&version=3.0.0&request=GetRecords&elementsetname=full"
    "&typenames=csw:Record&resulttype=results&q=NDVI",
    "mode=sru&operation=searchRetrieve&query=NDVI",
    "mode=oaipmh&verb=ListRecords&metadataPrefix=iso19139",
    "mode=oaipmh&verb=GetRecord&identifier=x&metadataPrefix=oai_dc",
    "mode=oaipmh&verb=ListRecords&resumptionToken=abc",
    "mode=bogus",
])
def test_pycsw_modes_answer_xml(gateway, query):
    response = requests.get(f"{gateway.url}/csw?{query}", timeout=30)
    assert response.status_code < 500
    etree.fromstring(response.content)
