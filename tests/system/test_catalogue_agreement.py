"""One engine: the same query (collection, box, time window, cloud cover) counted by STAC,
OGC API Records, OpenSearch and CSW gives the index's count (CSW has no cloud cover queryable:
it is compared on the box and the time window)."""

from __future__ import annotations

import requests
from lxml import etree

NDVI = "TERRASCOPE_S2_NDVI_V2"
URN = f"urn:eop:VITO:{NDVI}"
CSW = {"csw": "http://www.opengis.net/cat/csw/2.0.2"}


def stac(gateway, box, start, end, cloud=None) -> int:
    params = {"collections": NDVI, "bbox": ",".join(map(str, box)),
              "datetime": f"{start}/{end}", "limit": 1}
    if cloud is not None:
        params["filter"] = f"eo:cloud_cover <= {cloud}"
    return requests.get(f"{gateway.url}/stac/search", params=params,
                        timeout=60).json()["numberMatched"]


def records(gateway, box, start, end, cloud=None) -> int:
    params = {"f": "json", "bbox": ",".join(map(str, box)), "datetime": f"{start}/{end}",
              "limit": 1}
    if cloud is not None:
        params["filter"] = f"eo:cloud_cover <= {cloud}"
    return requests.get(f"{gateway.url}/ogcapi/collections/{NDVI}/items", params=params,
                        timeout=120).json()["numberMatched"]


def opensearch(gateway, box, start, end, cloud=None) -> int:
    params = {"collection": URN, "bbox": ",".join(map(str, box)), "start": start, "end": end,
              "count": 0}
    if cloud is not None:
        params["cloudCover"] = f"{cloud}]"
    return requests.get(f"{gateway.url}/catalogue/products", params=params,
                        timeout=60).json()["totalResults"]


def csw(gateway, box, start, end) -> int:
    west, south, east, north = box
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="{CSW['csw']}" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2" resultType="hits">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
  <csw:Constraint version="1.1.0"><ogc:Filter><ogc:And>
    <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>
      <gml:Envelope srsName="urn:x-ogc:def:crs:EPSG:6.11:4326">
        <gml:lowerCorner>{south} {west}</gml:lowerCorner>
        <gml:upperCorner>{north} {east}</gml:upperCorner></gml:Envelope></ogc:BBOX>
    <ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>apiso:TempExtent_begin</ogc:PropertyName>
      <ogc:Literal>{start}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo>
    <ogc:PropertyIsLessThanOrEqualTo><ogc:PropertyName>apiso:TempExtent_end</ogc:PropertyName>
      <ogc:Literal>{end}</ogc:Literal></ogc:PropertyIsLessThanOrEqualTo>
    <ogc:PropertyIsEqualTo><ogc:PropertyName>apiso:ParentIdentifier</ogc:PropertyName>
      <ogc:Literal>{URN}</ogc:Literal></ogc:PropertyIsEqualTo>
  </ogc:And></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>"""
    answer = requests.post(f"{gateway.url}/csw", data=body.encode(), timeout=60,
                           headers={"Content-Type": "application/xml"})
    results = etree.fromstring(answer.content).find("csw:SearchResults", CSW)
    return int(results.get("numberOfRecordsMatched"))


def test_one_query_counts_the_same_in_the_four_catalogues(gateway):
    west, south, east, north = gateway.index.extent(NDVI)
    lon, lat = (west + east) / 2, (south + north) / 2
    box = (lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
    dates = gateway.index.dates(NDVI)
    start, end = f"{dates[1]}T00:00:00Z", f"{dates[-2]}T23:59:59Z"
    expected = len([d for d in dates if dates[1] <= d <= dates[-2]])
    assert 0 < expected < len(dates)
    counts = {name: count(gateway, box, start, end)
              for name, count in (("stac", stac), ("records", records),
                                  ("opensearch", opensearch), ("csw", csw))}
    assert set(counts.values()) == {expected}, counts
    clouded = {name: count(gateway, box, start, end, 40)
               for name, count in (("stac", stac), ("records", records),
                                   ("opensearch", opensearch))}
    assert len(set(clouded.values())) == 1 and 0 < clouded["stac"] < expected, clouded
