"""Every size the gateway estimates before work starts, against what it really returns over
HTTP: WCS 2.0 GetCoverage (every scaling form, subsets in the coverage's CRS and in others),
WCS 1.0 (WIDTH/HEIGHT, RESX/RESY, in another response CRS), WCS 1.1 (GRIDOFFSETS), WMS
GetMap, WMTS and XYZ tiles, and the time series' dates and products. The estimate is computed
here with the same framework-free estimators the checks use (services/ows/wcs.py,
services/timeseries/) on the coverage's extent from the index; the output is read with
rasterio. An estimate below the work is a defect; above it, within the factors
docs/operators.md states (Errors and limits)."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re

import pytest
import rasterio
import requests
from PIL import Image
from shapely.geometry import box, shape

from services.index.live import LiveLayers
from services.ows import wcs
from services.ows.kvp import Params
from services.timeseries import TimeSeriesService
from services.timeseries.params import date_range

NDVI = "CGS_S2_NDVI"              # EPSG:32631, 10 m
PROBAV = "PROBAV_S1_TOC_333M_NDVI"  # EPSG:4326, 1/336°
S1 = "CGS_S1_GRD_SIGMA0_VV"
CRS = "http://www.opengis.net/def/crs/EPSG/0/"


def tiff_size(response: requests.Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text[-300:]
    with rasterio.MemoryFile(response.content) as memory, memory.open() as dataset:
        return dataset.width, dataset.height


def show(kind: str, estimate: tuple[int, int], work: tuple[int, int]) -> None:
    """The factor a side, printed for ``pytest -s`` (the figures docs/operators.md gives)."""
    print(f"estimate ÷ work, {kind}: " + " × ".join(
        f"{e / w:.3f}" for e, w in zip(estimate, work, strict=True)))


def close_above(estimate: tuple[int, int], work: tuple[int, int]) -> bool:
    """Each axis estimated at least as large, and at most 3 % + 2 pixels larger: MapServer
    rounds a fractional size down or to the nearest, the estimate up; a SCALEEXTENT's
    ``low:high`` counts both ends (MapServer one); a subset in another CRS is estimated by the
    box round its edges in the coverage's CRS, a little larger than MapServer's."""
    return all(w <= e <= w * 1.03 + 2 for e, w in zip(estimate, work, strict=True))


def wcs20_estimate(gateway, items: list[tuple[str, str]]) -> tuple[int, int]:
    params = Params(tuple(items))
    coverage = params.get("COVERAGEID")
    grid = gateway.registry.layer(coverage)[0].grid
    extent = grid.snap(LiveLayers(gateway.index).facts()[coverage].extent)
    return wcs.estimated_size(params, wcs.parse_subsets(params), extent, grid.step, grid.crs)


def wcs20(coverage: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("SERVICE", "WCS"), ("VERSION", "2.0.1"), ("REQUEST", "GetCoverage"),
            ("COVERAGEID", coverage), ("FORMAT", "image/tiff"), *extra]


def lonlat(*subsets: str) -> list[tuple[str, str]]:
    return [("SUBSETTINGCRS", f"{CRS}4326"), *(("SUBSET", s) for s in subsets)]


WCS20_REQUESTS = {
    "whole": wcs20(NDVI),
    "SCALEFACTOR 0.5": wcs20(NDVI, ("SCALEFACTOR", "0.5")),
    "SCALEFACTOR 0.33": wcs20(NDVI, ("SCALEFACTOR", "0.33")),
    "SCALEFACTOR 1.7": wcs20(NDVI, ("SCALEFACTOR", "1.7")),
    "SCALEAXES": wcs20(NDVI, ("SCALEAXES", "x(0.5),y(2)")),
    "SCALEAXES one axis": wcs20(NDVI, ("SCALEAXES", "x(0.37)")),
    "SCALESIZE": wcs20(NDVI, ("SCALESIZE", "x(100),y(50)")),
    "SCALESIZE one axis": wcs20(NDVI, ("SCALESIZE", "x(77)")),
    "SCALEEXTENT": wcs20(NDVI, ("SCALEEXTENT", "x(0:99),y(0:49)")),
    "SCALEEXTENT one axis": wcs20(NDVI, ("SCALEEXTENT", "x(10:60)")),
    "native subset": wcs20(NDVI, ("SUBSET", "x(545100,545900)"), ("SUBSET", "y(5658100,5658500)")),
    "native subset off the grid": wcs20(NDVI, ("SUBSET", "x(545105,545907)"),
                                        ("SUBSET", "y(5658133,5658555)")),
    "native subset scaled": wcs20(NDVI, ("SUBSET", "x(545105,545907)"),
                                  ("SUBSET", "y(5658133,5658555)"), ("SCALEFACTOR", "0.3")),
    "subset beyond the coverage": wcs20(NDVI, ("SUBSET", "x(544000,545500)")),
    "subset beyond, scaled": wcs20(NDVI, ("SUBSET", "x(544000,545500)"),
                                   ("SCALEFACTOR", "0.5")),
    "subset round the coverage": wcs20(NDVI, ("SUBSET", "x(540000,550000)"),
                                       ("SUBSET", "y(5650000,5670000)")),
    "lon/lat subset": wcs20(NDVI, *lonlat("Lat(51.07,51.08)", "Long(3.64,3.66)")),
    "lon/lat subset inside": wcs20(NDVI, *lonlat("Lat(51.075,51.085)", "Long(3.645,3.66)")),
    "lon/lat subset scaled": wcs20(NDVI, *lonlat("Lat(51.07,51.08)", "Long(3.64,3.66)"),
                                   ("SCALEFACTOR", "0.5")),
    "Web Mercator subset": wcs20(NDVI, ("SUBSETTINGCRS", f"{CRS}3857"),
                                 ("SUBSET", "x(405500,407000)"),
                                 ("SUBSET", "y(6633000,6635000)")),
    "output in lon/lat": wcs20(NDVI, ("OUTPUTCRS", f"{CRS}4326")),
    "output in Web Mercator, sized": wcs20(NDVI, ("OUTPUTCRS", f"{CRS}3857"),
                                           ("SCALESIZE", "x(100),y(100)")),
    "degree grid": wcs20(PROBAV),
    "degree grid subset": wcs20(PROBAV, ("SUBSET", "Long(3.6,3.8)"),
                                ("SUBSET", "Lat(50.9,51.0)")),
    "degree grid, UTM subset": wcs20(PROBAV, ("SUBSETTINGCRS", f"{CRS}32631"),
                                     ("SUBSET", "x(540000,560000)"),
                                     ("SUBSET", "y(5640000,5660000)")),
    "radar": wcs20(S1, ("SCALEFACTOR", "0.7")),
}


@pytest.mark.parametrize("items", WCS20_REQUESTS.values(), ids=WCS20_REQUESTS.keys())
def test_wcs20_estimate_is_the_coverage_returned(gateway, items):
    estimate = wcs20_estimate(gateway, items)
    work = tiff_size(requests.get(f"{gateway.url}/ows", params=items, timeout=60))
    show(f"WCS 2.0 {dict(items).get('COVERAGEID')} {items[5:]}", estimate, work)
    assert close_above(estimate, work), (estimate, work)


WCS10_BBOX = ("BBOX", "545000,5658000,545500,5658500")
WCS10_REQUESTS = {
    "WIDTH/HEIGHT": [WCS10_BBOX, ("WIDTH", "77"), ("HEIGHT", "33")],
    "RESX/RESY": [WCS10_BBOX, ("RESX", "10"), ("RESY", "10")],
    "RESX/RESY off the BBOX": [WCS10_BBOX, ("RESX", "7"), ("RESY", "13")],
    "both (MapServer takes WIDTH/HEIGHT)": [WCS10_BBOX, ("WIDTH", "300"), ("HEIGHT", "300"),
                                            ("RESX", "10"), ("RESY", "10")],
    "BBOX beyond the coverage": [("BBOX", "544000,5657000,545500,5658500"), ("RESX", "10"),
                                 ("RESY", "10")],
    "lon/lat response, sized": [WCS10_BBOX, ("RESPONSE_CRS", "EPSG:4326"), ("WIDTH", "120"),
                                ("HEIGHT", "80")],
    "lon/lat response, RESX in degrees": [WCS10_BBOX, ("RESPONSE_CRS", "EPSG:4326"),
                                          ("RESX", "0.0001"), ("RESY", "0.0001")],
    "Web Mercator response": [WCS10_BBOX, ("RESPONSE_CRS", "EPSG:3857"), ("RESX", "5"),
                              ("RESY", "5")],
}


@pytest.mark.parametrize("extra", WCS10_REQUESTS.values(), ids=WCS10_REQUESTS.keys())
def test_wcs10_estimate_is_the_coverage_returned(gateway, extra):
    items = [("SERVICE", "WCS"), ("VERSION", "1.0.0"), ("REQUEST", "GetCoverage"),
             ("COVERAGE", NDVI), ("CRS", "EPSG:32631"), ("FORMAT", "GEOTIFF_FLOAT32"), *extra]
    grid = gateway.registry.layer(NDVI)[0].grid
    extent = LiveLayers(gateway.index).facts()[NDVI].extent
    estimate = wcs.wcs10_estimated_size(wcs.wcs10_sizes(Params(tuple(items)), extent,
                                                        grid.crs))
    work = tiff_size(requests.get(f"{gateway.url}/ows", params=items, timeout=60))
    show(f"WCS 1.0 {extra}", estimate, work)
    assert close_above(estimate, work), (estimate, work)


def test_wcs10_width_beside_a_coarse_resx_counts_in_the_pixel_limit(gateway):
    """MapServer takes WIDTH/HEIGHT when RESX/RESY come too: 9000 × 9000 was let through on
    the 50 × 50 that RESX/RESY make."""
    response = requests.get(f"{gateway.url}/ows", timeout=60, params=[
        ("SERVICE", "WCS"), ("VERSION", "1.0.0"), ("REQUEST", "GetCoverage"),
        ("COVERAGE", NDVI), ("CRS", "EPSG:32631"), ("FORMAT", "GEOTIFF_FLOAT32"), WCS10_BBOX,
        ("WIDTH", "9000"), ("HEIGHT", "9000"), ("RESX", "10"), ("RESY", "10")])
    assert response.status_code == 413
    assert b"9000 x 9000" in response.content


def multipart_tiff_size(response: requests.Response) -> tuple[int, int]:
    """The size of the GeoTIFF part of a WCS 1.1 multipart answer."""
    assert response.status_code == 200, response.text[-300:]
    message = email.message_from_bytes(
        f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode() +
        response.content, policy=email.policy.HTTP)
    tiff = next(part for part in message.iter_parts() if part.get_content_type() ==
                "image/tiff")
    with rasterio.MemoryFile(tiff.get_payload(decode=True)) as memory, \
            memory.open() as dataset:
        return dataset.width, dataset.height


UTM = "urn:ogc:def:crs:EPSG::32631"
WCS11_REQUESTS = {
    "native resolution": [("BOUNDINGBOX", f"545000,5658000,545500,5658500,{UTM}")],
    "GRIDOFFSETS": [("BOUNDINGBOX", f"545000,5658000,545500,5658500,{UTM}"),
                    ("GRIDOFFSETS", "7,-13")],
    "off the grid": [("BOUNDINGBOX", f"545005,5658000,545500,5658533,{UTM}"),
                     ("GRIDOFFSETS", "10,-10")],
    "fine": [("BOUNDINGBOX", f"545000,5658000,545500,5658500,{UTM}"),
             ("GRIDOFFSETS", "0.5,-0.5")],
    "lat/lon": [("BOUNDINGBOX", "51.07,3.64,51.08,3.66,urn:ogc:def:crs:EPSG::4326"),
                ("GRIDOFFSETS", "0.00013,0.00021")],
}


@pytest.mark.parametrize("extra", WCS11_REQUESTS.values(), ids=WCS11_REQUESTS.keys())
def test_wcs11_estimate_is_the_coverage_returned(gateway, extra):
    items = [("SERVICE", "WCS"), ("VERSION", "1.1.0"), ("REQUEST", "GetCoverage"),
             ("IDENTIFIER", NDVI), ("FORMAT", "image/tiff"), *extra]
    grid = gateway.registry.layer(NDVI)[0].grid
    estimate = wcs.wcs11_estimated_size(Params(tuple(items)), grid.step, grid.crs)
    work = multipart_tiff_size(requests.get(f"{gateway.url}/ows", params=items, timeout=60))
    show(f"WCS 1.1 {extra}", estimate, work)
    assert estimate == work


def test_wcs11_grid_offsets_count_against_the_pixel_limit(gateway):
    """GRIDOFFSETS=0.07 over 500 m was 7143 × 7143 pixels (204 MB), below MapServer's MAXSIZE
    a side and never checked against the pixel limit."""
    response = requests.get(f"{gateway.url}/ows", timeout=60, params={
        "SERVICE": "WCS", "VERSION": "1.1.0", "REQUEST": "GetCoverage", "IDENTIFIER": NDVI,
        "FORMAT": "image/tiff", "BOUNDINGBOX": f"545000,5658000,545500,5658500,{UTM}",
        "GRIDOFFSETS": "0.07,-0.07"})
    assert response.status_code == 413
    assert b"7143 x 7143" in response.content and b"ExceptionReport" in response.content


@pytest.mark.parametrize("version, crs, bbox, width, height", [
    ("1.3.0", "EPSG:3857", "405000,6630000,410000,6637000", 64, 90),
    ("1.3.0", "EPSG:4326", "51.06,3.63,51.09,3.68", 333, 200),
    ("1.1.1", "EPSG:32631", "545000,5658000,547000,5660000", 4096, 17),
])
def test_wms_estimate_is_the_image_returned(gateway, version, crs, bbox, width, height):
    """WIDTH × HEIGHT, checked against MaxWidth/MaxHeight, is the image drawn."""
    response = requests.get(f"{gateway.url}/ows", timeout=60, params={
        "SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "LAYERS": NDVI,
        "STYLES": "", "CRS" if version == "1.3.0" else "SRS": crs, "BBOX": bbox,
        "WIDTH": width, "HEIGHT": height, "FORMAT": "image/png"})
    assert response.status_code == 200, response.text[-300:]
    assert Image.open(io.BytesIO(response.content)).size == (width, height)


def test_tiles_are_one_tile_whatever_the_level(gateway):
    """A tile's cost is one 256 × 256 image (its level, row and column checked against the
    matrix first)."""
    date = gateway.index.layer_dates(NDVI)[-1]
    for path in (f"/tiles/{NDVI}/{date}/0/0/0.png", f"/tiles/{NDVI}/{date}/14/5431/8366.png",
                 f"/wmts/{NDVI}/default/GoogleMapsCompatible/{date}/10/339/522.png"):
        response = requests.get(f"{gateway.url}{path}", timeout=60)
        assert response.status_code == 200, path
        assert Image.open(io.BytesIO(response.content)).size == (256, 256), path


def test_time_series_dates_and_products_are_the_estimates(gateway):
    """What the estimate counts — the dates and the products of each — is what the answer
    holds (provenance names the products read; the reader may stop before a date's last
    product, never read one the estimate left out). The pixels read are checked against
    the estimate in tests/unit/test_process_and_series_estimates.py."""
    service = TimeSeriesService(gateway.registry, gateway.settings.index)
    try:
        layer = service.table.resolve(NDVI)
        geometry = {"type": "Polygon", "coordinates": [[[3.645, 51.072], [3.66, 51.072],
                                                        [3.66, 51.085], [3.645, 51.072]]]}
        args = {"startDate": "1970-01-01", "endDate": "2099-12-31", "provenance": "true"}
        plan = service.plan(layer, [shape(geometry)], date_range(args))
        response = requests.post(f"{gateway.url}/timeseries/v1.0/ts/{NDVI}/geometry",
                                 params=args, data=json.dumps(geometry), timeout=60)
        assert response.status_code == 200, response.text
        read = response.json()["products"]
        assert sorted(read) == sorted(plan.by_date)
        for day, names in read.items():
            assert set(names) <= {s.name for s in plan.by_date[day]}, day
        # and a point over all time, refused by the old calendar-day limit, is cheap
        point = service.plan(layer, [box(3.65, 51.08, 3.65, 51.08).centroid],
                             date_range(args))
        assert point.estimate <= 2 * len(gateway.index.layer_dates(NDVI)) * 2
    finally:
        service.close()


def test_catalogue_pages_are_their_page_sizes(gateway):
    """A search's cost is its page: what OpenSearch ``count``, STAC ``limit`` (at most 1000)
    and CSW ``maxRecords`` (at most 10, pycsw's page) allow, never more; a download's is the
    file's length the catalogue gives (tests/system/test_download.py)."""
    collection = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
    for count, start in ((1, 1), (4, 1), (4, 5), (1000, 1)):
        document = requests.get(f"{gateway.url}/catalogue/products", timeout=60, params={
            "collection": collection, "count": count, "startIndex": start}).json()
        assert len(document["features"]) == min(count, document["totalResults"] - start + 1)
    for limit in (2, 5000):
        document = requests.get(f"{gateway.url}/stac/search", params={"limit": limit},
                                timeout=60).json()
        assert len(document["features"]) == min(limit, 1000, document["numberMatched"])
    for records in (3, 50):
        body = requests.get(f"{gateway.url}/csw", timeout=60, params={
            "service": "CSW", "version": "2.0.2", "request": "GetRecords",
            "typeNames": "csw:Record", "resultType": "results", "elementSetName": "brief",
            "maxRecords": records}).text
        matched = int(re.search(r'numberOfRecordsMatched="(\d+)"', body)[1])
        returned = int(re.search(r'numberOfRecordsReturned="(\d+)"', body)[1])
        assert returned == min(records, 10, matched)


def test_wcs1_getcoverage_in_xml_is_not_offered(gateway):
    """A WCS 1.1 GetCoverage posted as XML reached MapServer with its GridOffsets never
    estimated (0.07 m over 500 m: a 204 MB answer); WCS 1.x is KVP only."""
    body = f"""<GetCoverage xmlns="http://www.opengis.net/wcs/1.1"
      xmlns:ows="http://www.opengis.net/ows/1.1" service="WCS" version="1.1.0">
      <ows:Identifier>{NDVI}</ows:Identifier>
      <DomainSubset><ows:BoundingBox crs="{UTM}"><ows:LowerCorner>545000 5658000</ows:LowerCorner>
        <ows:UpperCorner>545500 5658500</ows:UpperCorner></ows:BoundingBox></DomainSubset>
      <Output format="image/tiff"><GridCRS><GridBaseCRS>{UTM}</GridBaseCRS>
        <GridOffsets>0.07 -0.07</GridOffsets></GridCRS></Output></GetCoverage>"""
    response = requests.post(f"{gateway.url}/ows", data=body.encode(), timeout=60,
                             headers={"Content-Type": "application/xml"})
    assert response.status_code == 501
    assert b'exceptionCode="OperationNotSupported"' in response.content
    assert b"opengis.net/ows/1.1" in response.content
