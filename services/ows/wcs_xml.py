"""A WCS 2.0 GetCoverage posted as XML (OGC 09-110r4 §8.4.2, the XML/POST binding 09-148r1),
read into its KVP equivalent, so it takes the same path as a GET: the date chosen from the
index, the size limits with every scaling form, the one-pixel handling.

Read: ``CoverageId``, ``format``, ``mediaType``, ``DimensionTrim``/``DimensionSlice``, the
scaling extension (OGC 12-039: ``ScaleByFactor``, ``ScaleAxesByFactor``, ``ScaleToSize``,
``ScaleToExtent``) and the CRS extension (OGC 11-053: ``subsettingCrs``, ``outputCrs``). Any
other element is refused, so nothing reaches MapServer unchecked.
"""

from __future__ import annotations

from lxml import etree

from services.errors import Dialect, InvalidEncodingSyntax, OperationNotSupported
from services.ows.kvp import Params

WCS = "http://www.opengis.net/wcs/2.0"
WCS_1 = ("http://www.opengis.net/wcs", "http://www.opengis.net/wcs/1.1",
         "http://www.opengis.net/wcs/1.1.1")
SCALING = "http://www.opengis.net/wcs/scaling/1.0"
CRS = "http://www.opengis.net/wcs/crs/1.0"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _local(element: etree._Element) -> tuple[str, str]:
    name = etree.QName(element)
    return name.namespace or "", name.localname


def _text(element: etree._Element, namespace: str, name: str, required: bool = True
          ) -> str | None:
    found = element.find(f"{{{namespace}}}{name}")
    if found is None or not (found.text or "").strip():
        if required:
            raise InvalidEncodingSyntax(f"{_local(element)[1]} has no {name}", "request")
        return None
    return found.text.strip()


def error_dialect(body: bytes) -> Dialect:
    """The exception shape an XML WCS request's errors take: its version's."""
    head = body[:4000]
    if b"opengis.net/wcs/1.1" in head:
        return Dialect.OWS_11
    return Dialect.WCS_100 if b'"http://www.opengis.net/wcs"' in head else Dialect.OWS_20


def getcoverage_kvp(body: bytes) -> Params | None:
    """The KVP form of a WCS 2.0 XML GetCoverage; None if ``body`` is another request. A WCS
    1.0 or 1.1 GetCoverage is OperationNotSupported."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None  # MapServer's path reports it (InvalidEncodingSyntax)
    namespace, name = _local(root)
    if name == "GetCoverage" and namespace in WCS_1:
        # its size (GridOffsets, a GridEnvelope) would reach MapServer unestimated
        raise OperationNotSupported("a WCS 1.0 or 1.1 GetCoverage is offered as KVP (GET) "
                                    "only; in XML, send a WCS 2.0 GetCoverage", "request")
    if (namespace, name) != (WCS, "GetCoverage"):
        return None
    pairs = [("SERVICE", "WCS"), ("VERSION", root.get("version") or "2.0.1"),
             ("REQUEST", "GetCoverage")]
    for child in root:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        pairs += _pairs_of(child)
    return Params.from_pairs(pairs)


def _pairs_of(element: etree._Element) -> list[tuple[str, str]]:
    namespace, name = _local(element)
    if namespace == WCS and name in ("CoverageId", "format", "mediaType"):
        return [(name.upper(), (element.text or "").strip())]
    if namespace == WCS and name == "DimensionTrim":
        axis = _text(element, WCS, "Dimension")
        low = _text(element, WCS, "TrimLow", required=False) or "*"
        high = _text(element, WCS, "TrimHigh", required=False) or "*"
        return [("SUBSET", f"{axis}({_quoted(low)},{_quoted(high)})")]
    if namespace == WCS and name == "DimensionSlice":
        axis = _text(element, WCS, "Dimension")
        return [("SUBSET", f"{axis}({_quoted(_text(element, WCS, 'SlicePoint'))})")]
    if namespace == WCS and name == "Extension":
        return [pair for child in element if isinstance(child.tag, str)
                for pair in _extension(child)]
    raise OperationNotSupported(f"{name} is not supported in an XML GetCoverage here; use KVP",
                                name)


def _extension(element: etree._Element) -> list[tuple[str, str]]:
    namespace, name = _local(element)
    if namespace == CRS and name in ("subsettingCrs", "outputCrs"):
        return [(name.upper(), (element.text or "").strip())]
    if namespace == SCALING and name == "ScaleByFactor":
        return [("SCALEFACTOR", _text(element, SCALING, "scaleFactor"))]
    if namespace == SCALING and name in ("ScaleAxesByFactor", "ScaleToSize", "ScaleToExtent"):
        key, child, fields = {
            "ScaleAxesByFactor": ("SCALEAXES", "ScaleAxis", ("scaleFactor",)),
            "ScaleToSize": ("SCALESIZE", "TargetAxisSize", ("targetSize",)),
            "ScaleToExtent": ("SCALEEXTENT", "TargetAxisExtent", ("low", "high")),
        }[name]
        axes = [f"{_text(axis, SCALING, 'axis')}("
                f"{':'.join(_text(axis, SCALING, field) for field in fields)})"
                for axis in element.findall(f"{{{SCALING}}}{child}")]
        if not axes:
            raise InvalidEncodingSyntax(f"{name} names no axis", "request")
        return [(key, ",".join(axes))]
    raise OperationNotSupported(f"the extension {name} is not supported in an XML GetCoverage "
                                "here; use KVP", name)


def _quoted(value: str) -> str:
    """A subset value as KVP writes it: numbers and ``*`` bare, anything else quoted."""
    if value == "*":
        return value
    try:
        float(value)
    except ValueError:
        return f'"{value}"'
    return value
