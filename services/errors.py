"""One table of exceptions: OGC exception code → HTTP status, rendered per protocol.

Every error a client can cause is one of these; each protocol adapter renders it in its
standard's shape (WMS 1.1.1/1.3.0 ServiceExceptionReport, OWS 1.1/2.0 ExceptionReport, WCS
1.0.0, JSON problem). MapServer's own reports are mapped to a status by the same table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from xml.sax.saxutils import escape, quoteattr

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# OGC exception code → HTTP status. Codes not listed are client errors (400).
HTTP_STATUS: dict[str, int] = {
    "NoSuchCoverage": 404,        # WCS 2.0 core, OGC 09-110r4 table 18
    "InvalidAxisLabel": 404,
    "InvalidSubsetting": 404,
    "TileOutOfRange": 400,
    "OperationNotSupported": 501,
    "RequestTooLarge": 413,
    "NoApplicableCode": 500,
    "NoSuchProcess": 404,         # OGC API - Processes 1.0 (OGC 18-062r2) and WPS
    "NoSuchJob": 404,
    "ResultNotReady": 404,
    "ServerBusy": 429,            # too many jobs queued: 429 + Retry-After
    "ServiceUnavailable": 503,    # no job runner, or a synchronous run too long: + Retry-After
}

# OGC API - Processes exception types (OGC 18-062r2 §7.x); other codes are "about:blank"-like
# URIs under the OGC exceptions register.
OGCAPI_PROCESSES = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
PROBLEM_TYPES: dict[str, str] = {
    "NoSuchProcess": OGCAPI_PROCESSES + "no-such-process",
    "NoSuchJob": OGCAPI_PROCESSES + "no-such-job",
    "ResultNotReady": OGCAPI_PROCESSES + "result-not-ready",
    "InvalidParameterValue": OGCAPI_PROCESSES + "invalid-parameter-value",
    "MissingParameterValue": OGCAPI_PROCESSES + "missing-parameter-value",
}


def problem_type(code: str) -> str:
    return PROBLEM_TYPES.get(code, f"http://www.opengis.net/def/exceptions/ogcapi-1/1.0/{code}")


class OGCException(Exception):
    """A client-visible error: an OGC code, a locator (the parameter at fault), a message."""

    code = "NoApplicableCode"
    headers: tuple[tuple[str, str], ...] = ()   # extra response headers (challenges, waits)

    def __init__(self, message: str, locator: str | None = None):
        super().__init__(message)
        self.message = message
        self.locator = locator

    @property
    def http_status(self) -> int:
        return status_for(self.code)


def _exception(name: str, code: str | None = None) -> type[OGCException]:
    return type(name, (OGCException,), {"code": code or name, "__module__": __name__})


InvalidParameterValue = _exception("InvalidParameterValue")
MissingParameterValue = _exception("MissingParameterValue")
OperationNotSupported = _exception("OperationNotSupported")
InvalidFormat = _exception("InvalidFormat")
InvalidCRS = _exception("InvalidCRS")
InvalidSRS = _exception("InvalidSRS")
LayerNotDefined = _exception("LayerNotDefined")
StyleNotDefined = _exception("StyleNotDefined")
InvalidDimensionValue = _exception("InvalidDimensionValue")
NoSuchCoverage = _exception("NoSuchCoverage")
InvalidAxisLabel = _exception("InvalidAxisLabel")
InvalidSubsetting = _exception("InvalidSubsetting")
NoApplicableCode = _exception("NoApplicableCode")
InvalidEncodingSyntax = _exception("InvalidEncodingSyntax")
TileOutOfRange = _exception("TileOutOfRange")
VersionNegotiationFailed = _exception("VersionNegotiationFailed")
InvalidScaleFactor = _exception("InvalidScaleFactor")      # WCS 2.0 Scaling, OGC 12-039
InvalidExtent = _exception("InvalidExtent")
ScaleAxisUndefined = _exception("ScaleAxisUndefined")
NoSuchProcess = _exception("NoSuchProcess")
NoSuchJob = _exception("NoSuchJob")
ResultNotReady = _exception("ResultNotReady")
ServerBusy = _exception("ServerBusy")


class RequestTooLarge(OGCException):
    """More pixels than the advertised limits: InvalidParameterValue, HTTP 413."""

    code = "InvalidParameterValue"

    @property
    def http_status(self) -> int:
        return 413


class ServiceUnavailable(OGCException):
    """The service cannot answer now (e.g. no product index, or overloaded): NoApplicableCode,
    HTTP 503 with Retry-After (seconds)."""

    code = "NoApplicableCode"
    retry_after = 30
    status = 503

    def __init__(self, message: str, locator: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message, locator)
        if retry_after is not None:
            self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return self.status


class TooManyRequests(ServiceUnavailable):
    """This client holds more than its share of the server: NoApplicableCode, HTTP 429 with
    Retry-After (RFC 6585)."""

    status = 429


class Unauthenticated(OGCException):
    """No credentials where the access policy asks for them, or credentials that do not hold
    (a bad token, key or password): HTTP 401 with a ``WWW-Authenticate`` challenge per scheme
    (``challenges``, e.g. Bearer and Basic). NoApplicableCode: no OGC standard has a code."""

    def __init__(self, message: str, challenges: tuple[str, ...] = ()):
        super().__init__(message)
        self.headers = tuple(("WWW-Authenticate", c) for c in challenges)

    @property
    def http_status(self) -> int:
        return 401


class Forbidden(OGCException):
    """Known credentials that may not do this (a disabled account): HTTP 403."""

    @property
    def http_status(self) -> int:
        return 403


class QuotaExceeded(OGCException):
    """A user's quota is used up: HTTP 429 with ``Retry-After`` (seconds until it refills);
    the message names the quota."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, "quota")
        self.retry_after = max(1, int(retry_after))
        self.headers = (("Retry-After", str(self.retry_after)),)

    @property
    def http_status(self) -> int:
        return 429


def status_for(code: str | None) -> int:
    return HTTP_STATUS.get(code or "", 400)


class Dialect(Enum):
    """The exception report shapes we speak."""

    WMS_111 = "wms111"
    WMS_130 = "wms130"
    WCS_100 = "wcs100"
    OWS_10 = "ows10"   # CSW 2.0.2
    OWS_11 = "ows11"   # WMTS 1.0, WCS 1.1
    OWS_20 = "ows20"   # WCS 2.0


@dataclass(frozen=True)
class Rendered:
    status: int
    content_type: str
    body: bytes


def _xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (a client's NUL, echoed)."""
    return _NOT_XML.sub("\ufffd", text)


def render(error: OGCException, dialect: Dialect) -> Rendered:
    """The standard-shaped report for ``error``."""
    message = escape(_xml_text(error.message))
    locator = f" locator={quoteattr(_xml_text(error.locator))}" if error.locator else ""
    if dialect in (Dialect.WMS_111, Dialect.WMS_130, Dialect.WCS_100):
        version, namespace, content_type = {
            Dialect.WMS_111: ("1.1.1", "", "application/vnd.ogc.se_xml"),
            Dialect.WMS_130: ("1.3.0", ' xmlns="http://www.opengis.net/ogc"', "text/xml"),
            Dialect.WCS_100: ("1.2.0", ' xmlns="http://www.opengis.net/ogc"', "text/xml"),
        }[dialect]
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ServiceExceptionReport'
                f' version="{version}"{namespace}>\n<ServiceException code="{error.code}"'
                f'{locator}>{message}</ServiceException>\n</ServiceExceptionReport>\n')
    else:
        namespace, version = {Dialect.OWS_10: ("http://www.opengis.net/ows", "1.2.0"),
                              Dialect.OWS_11: ("http://www.opengis.net/ows/1.1", "1.1.0"),
                              Dialect.OWS_20: ("http://www.opengis.net/ows/2.0", "2.0.1")}[dialect]
        lang = "" if dialect is Dialect.OWS_10 else ' xml:lang="en"'  # not in OWS 1.0's schema
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport'
                f' xmlns:ows="{namespace}" version="{version}"{lang}>\n'
                f'<ows:Exception exceptionCode="{error.code}"{locator}>'
                f"<ows:ExceptionText>{message}</ows:ExceptionText></ows:Exception>\n"
                f"</ows:ExceptionReport>\n")
        content_type = "application/xml"
    return Rendered(error.http_status, content_type, body.encode("utf-8"))


def render_rest(error: OGCException, dialect: Dialect) -> Rendered:
    """A RESTful binding's answer: the same report, with HTTP 404 (WMTS 1.0 §10.2)."""
    rendered = render(error, dialect)
    return Rendered(404, rendered.content_type, rendered.body)


def problem_json(error: OGCException) -> Rendered:
    """An RFC 9457 problem document (OGC API, time series, MEP, downloads)."""
    status = error.http_status
    document = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                "detail": error.message, "code": error.code}
    if error.locator:
        document["locator"] = error.locator
    return Rendered(status, "application/problem+json", json.dumps(document).encode("utf-8"))


def opensearch_json(error: OGCException) -> Rendered:
    """An OGC 17-047 exceptions document (OpenSearch)."""
    entry = {"exceptionCode": error.code, "exceptionText": error.message}
    if error.locator:
        entry["locator"] = error.locator
    return Rendered(error.http_status, "application/json",
                    json.dumps({"exceptions": [entry]}).encode("utf-8"))
