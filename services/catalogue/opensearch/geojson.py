"""OpenSearch GeoJSON responses (OGC 17-047), shaped as Terrascope's catalogue answers."""

from __future__ import annotations

from datetime import UTC, datetime

from services.catalogue.records import CollectionRecord, ProductRecord

CONTEXT = "http://schemas.opengis.net/os-geojson/1.0/os-geojson.jsonld"
PROFILES = [{"href": "http://www.opengis.net/spec/owc-geojson/1.0/req/core"},
            {"href": "http://www.opengis.net/spec/os-geojson/1.0/req/core"}]
MEDIA = "application/geo+json"
WORLD = (-180.0, -90.0, 180.0, 90.0)
# profile properties Terrascope puts under productInformation (the rest: acquisitionParameters)
PRODUCT_INFORMATION = ("processingMode", "timeliness", "productGroupId")
# Terrascope's echo of the request under OpenSearch names (queries.request[0])
ECHO_NAMES = {"bbox": "geo:box", "geometry": "geo:geometry", "start": "time:start",
              "end": "time:end", "sortKeys": "sru:sortKeys",
              "accessedFrom": "referrer:accessedFrom",
              "collection": "eo:parentIdentifier", "uid": "geo:uid", "lat": "geo:lat",
              "lon": "geo:lon", "radius": "geo:radius", "cloudCover": "eo:cloudCover",
              "productType": "eo:productType", "tileId": "eo:tileId", "platform": "eo:platform",
              "clientId": "referrer:clientId", "count": "count", "startIndex": "startIndex"}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feature_collection(page: dict, features: list[dict], title: str) -> dict:
    """The envelope: ``page`` gives id, totalResults, startIndex, itemsPerPage, echo, links."""
    echo = {ECHO_NAMES.get(k, k): v for k, v in page["echo"].items()}
    echo["startIndex"] = page["startIndex"]
    return {
        "@context": CONTEXT, "type": "FeatureCollection", "id": page["id"],
        "totalResults": page["totalResults"], "startIndex": page["startIndex"],
        "itemsPerPage": len(features), "queries": {"request": [echo]},
        "properties": {
            "title": title, "subtitle": f"Number of results: {page['totalResults']}",
            "creator": "eoscope OpenSearch Service",
            "authors": [{"type": "Agent", "name": "eoscope"}], "updated": now(), "lang": "en",
            "links": {**page["links"], "profiles": PROFILES}},
        "features": features}


def product_feature(record: ProductRecord) -> dict:
    acquisition = {
        "platform": {"platformShortName": record.platform,
                     "platformSerialIdentifier": record.platform_serial},
        "instrument": {"instrumentShortName": record.instrument,
                       "sensorType": record.sensor_type},
        "acquisitionParameters": {
            "acquisitionType": "NOMINAL", "beginningDateTime": record.begin,
            "endingDateTime": record.end,
            **({"tileId": record.tile} if record.tile else {}),
            **{k: v for k, v in record.properties.items() if k not in PRODUCT_INFORMATION}}}
    information = {**{k: v for k, v in record.properties.items() if k in PRODUCT_INFORMATION},
                   "productType": record.product_type, "availabilityTime": record.published,
                   "productVersion": record.version, "processingCenter": "eoscope",
                   "processingDate": record.published, "resolution": [record.resolution],
                   "referenceSystemIdentifier": record.crs}
    if record.cloud_cover is not None:
        information["cloudCover"] = record.cloud_cover
    return {
        "type": "Feature", "id": record.identifier, "geometry": record.geometry,
        "bbox": list(record.bbox),
        "properties": {
            "date": record.begin, "updated": record.published, "available": record.published,
            "published": record.published, "status": "ARCHIVED",
            "parentIdentifier": record.parent_identifier, "title": record.title,
            "identifier": record.identifier, "acquisitionInformation": [acquisition],
            "productInformation": information,
            "additionalAttributes": {"resolution": record.resolution},
            "links": {role: [link.as_dict() for link in links]
                      for role, links in record.links.items()}}}


def collection_feature(record: CollectionRecord, lang: str = "en") -> dict:
    bbox = record.bbox or WORLD
    geometry = record.geometry or {
        "type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90],
                                            [-180, -90]]]}
    date = f"{record.begin}/" if record.begin else None  # an open end: ongoing
    links = {role: [link.as_dict() for link in links] for role, links in record.links.items()}
    return {
        "type": "Feature", "id": record.identifier, "geometry": geometry, "bbox": list(bbox),
        "properties": {
            "identifier": record.identifier, "title": record.title.get(lang, record.title["en"]),
            "abstract": record.abstract.get(lang, record.abstract["en"]),
            "date": date, "updated": record.updated or now(), "lang": lang,
            "keyword": list(record.keywords), "productType": record.product_type,
            "acquisitionInformation": [{
                "platform": {"platformShortName": record.platform},
                "instrument": {"instrumentShortName": record.instrument,
                               "sensorType": record.sensor_type},
                "acquisitionParameters": {"beginningDateTime": record.begin,
                                          "endingDateTime": record.end}}],
            "productInformation": {"format": "geotiff", "resolution": [record.resolution],
                                   "referenceSystemIdentifier": record.crs,
                                   "productCount": record.product_count},
            "bands": [b.as_dict() for b in record.bands],
            "layers": list(record.layers),
            "links": links}}
