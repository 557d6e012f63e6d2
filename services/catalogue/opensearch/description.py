"""OpenSearch description documents, in XML (OpenSearch 1.1 with the Parameter extension, Geo,
Time and EO) and in JSON (the same content as Terrascope's ``description`` answers: ``Url[]``
with ``Parameter[]``, each with ``name``, ``value`` and ``Option[]``)."""

from __future__ import annotations

from lxml import etree

from services.catalogue.opensearch.params import (
    COLLECTIONS,
    PRODUCTS,
    Parameter,
    applies_to,
    parameters,
)
from services.catalogue.records import collection_identifier
from services.registry import Collection, Registry

OS = "http://a9.com/-/spec/opensearch/1.1/"
NSMAP = {None: OS, "param": "http://a9.com/-/spec/opensearch/extensions/parameters/1.0/",
         "geo": "http://a9.com/-/opensearch/extensions/geo/1.0/",
         "time": "http://a9.com/-/opensearch/extensions/time/1.0/",
         "eo": "http://a9.com/-/opensearch/extensions/eo/1.0/",
         "dct": "http://purl.org/dc/terms/", "sru": "http://a9.com/-/opensearch/extensions/sru/2.0/",
         "referrer": "http://a9.com/-/opensearch/extensions/referrer/1.0/"}
FORMATS = (("application/atom+xml", "atom"), ("application/geo+json", "geojson"))


def _options(parameter: Parameter, registry: Registry) -> list[dict[str, str]]:
    if parameter.name == "productType":
        values = sorted({c.product_type for c in registry.collections.values()})
    elif parameter.name == "platform":
        values = sorted({c.platform for c in registry.collections.values()})
    elif parameter.name == "collection":
        values = [collection_identifier(c) for c in registry.collections]
    else:
        values = list(parameter.options)
    return [{"value": v, "label": v} for v in values]


def _urls(base_url: str, collection: Collection | None, registry: Registry) -> list[dict]:
    """One Url per (resource, format): collections (general document only), then products."""
    urls = []
    kinds = [PRODUCTS] if collection else [COLLECTIONS, PRODUCTS]
    for kind in kinds:
        for media, _ in FORMATS:
            entries = []
            for p in parameters(registry, collection):
                if kind not in p.applies or p.name == "httpAccept" or \
                        (collection and not applies_to(p.name, collection)):
                    continue
                fixed = collection and p.name == "collection"
                value = collection_identifier(collection.id) if fixed else f"{{{p.term}?}}"
                if p.name == "collection" and not fixed:
                    value = f"{{{p.term}}}"
                entries.append({"name": p.name, "value": value, "title": p.title,
                                "Option": [] if fixed else _options(p, registry)})
            template = "&".join(f"{p['name']}={p['value']}" for p in entries)
            urls.append({"type": media, "rel": "results" if kind == PRODUCTS else "collection",
                         "template": f"{base_url}/catalogue/{kind}?{template}"
                                     f"&httpAccept={media}",
                         "indexOffset": 1, "pageOffset": 1, "Parameter": entries})
    return urls


def document(base_url: str, collection: Collection | None, registry: Registry) -> dict:
    """The description as JSON."""
    name = collection.id if collection else "eoscope"
    return {"type": "OpenSearchDescription", "ShortName": "eoscope",
            "LongName": f"eoscope OpenSearch catalogue: {name}"[:48],
            "Description": (collection.abstract.en if collection else
                            "Earth-observation collections and products (OpenSearch Geo, Time"
                            " and EO; GeoJSON per OGC 17-047 and Atom)."),
            "Tags": "eoscope OpenSearch EO", "Contact": "operators@example.org",
            "SyndicationRight": "open", "Language": "en", "OutputEncoding": "UTF-8",
            "InputEncoding": "UTF-8", "Url": _urls(base_url, collection, registry)}


def xml(base_url: str, collection: Collection | None, registry: Registry) -> bytes:
    """The description as an OpenSearch 1.1 XML document."""
    content = document(base_url, collection, registry)
    root = etree.Element(f"{{{OS}}}OpenSearchDescription", nsmap=NSMAP)
    for key in ("ShortName", "LongName", "Description", "Tags", "Contact"):
        etree.SubElement(root, f"{{{OS}}}{key}").text = content[key]
    param = NSMAP["param"]
    for url in content["Url"]:
        element = etree.SubElement(root, f"{{{OS}}}Url", type=url["type"], rel=url["rel"],
                                   template=url["template"], indexOffset="1", pageOffset="1")
        for p in url["Parameter"]:
            parameter = etree.SubElement(element, f"{{{param}}}Parameter", name=p["name"],
                                         value=p["value"], title=p["title"], minimum="0")
            for option in p["Option"]:
                etree.SubElement(parameter, f"{{{param}}}Option", value=option["value"],
                                 label=option["label"])
    example = etree.SubElement(root, f"{{{OS}}}Query", role="example")
    example.set("searchTerms", "NDVI")
    for key in ("SyndicationRight", "Language", "OutputEncoding", "InputEncoding"):
        etree.SubElement(root, f"{{{OS}}}{key}").text = content[key]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
