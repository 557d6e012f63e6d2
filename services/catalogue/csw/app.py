"""The WSGI adapter: every request runs ``pycsw.server.Csw`` with eoscope's fixed
configuration and the records of the live product index.

Unlike pycsw's own ``wsgi.py``, no request parameter chooses a configuration (a ``config``
parameter is dropped), POST bodies are bounded, and an unexpected failure is answered with an
OWS exception report, never a traceback.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable
from functools import partial
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode
from wsgiref.util import application_uri
from xml.sax.saxutils import escape

from services.catalogue.csw.config import pycsw_config, with_url
from services.catalogue.csw.iso import complete_iso
from services.catalogue.csw.repository import IndexRepository, RecordSource
from services.catalogue.csw.view import collection_rows, connect
from services.catalogue.records import Hrefs
from services.numbers import strict_integer
from services.ows.kvp import first_repeated
from services.registry import Registry
from services.settings import Settings
from services.xmlbody import plain_xml

with warnings.catch_warnings():  # pycsw 2.6.2 imports the deprecated cgi and pkg_resources
    warnings.simplefilter("ignore", DeprecationWarning)
    from pycsw.server import Csw

LOG = logging.getLogger("eoscope.csw")
MAX_POST_BYTES = 1 << 20
OWS = {"2.0.2": ("http://www.opengis.net/ows", "1.2.0"),      # OWS 1.0, CSW 2.0.2
       "3.0.0": ("http://www.opengis.net/ows/2.0", "3.0.0")}  # OWS 2.0, CSW 3.0
REPORT = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<ows:ExceptionReport xmlns:ows="{ns}" version="{version}">'
          '<ows:Exception exceptionCode="{code}" locator="{locator}"><ows:ExceptionText>{text}'
          '</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')
# as pycsw answers a client error: CSW 2.0.2 (OWS 1.0) with 200, CSW 3.0 (OWS 2.0) with 400
_CLIENT_ERROR = {"2.0.2": "200 OK", "3.0.0": "400 Bad Request"}
# KVP integers pycsw passes on unchecked (a negative maxRecords would lift the page limit)
MINIMUM = {"maxrecords": 0, "startposition": 1}
# parameters that make pycsw send results elsewhere (e-mail, FTP): an outbound request
REFUSED = frozenset({"responsehandler"})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# what a response may be labelled as; pycsw copies a client's outputFormat into the header
MEDIA_TYPES = frozenset({"application/xml", "text/xml", "application/json",
                         "application/atom+xml"})


class CswApp:
    """CSW 2.0.2 and 3.0 at one endpoint (``/csw`` under the gateway)."""

    def __init__(self, settings: Settings, registry: Registry, index_path: Path):
        self.settings = settings
        self.registry = registry
        self.index_path = index_path
        self.config = pycsw_config(settings, tuple(dict.fromkeys(
            c.platform for c in registry.collections.values())))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status, content_type, body = self.respond(environ)
        start_response(status, [("Content-Type", content_type),
                                ("Content-Length", str(len(body)))])
        return [body]

    def respond(self, environ: dict) -> tuple[str, str, bytes]:
        """(status, content type, body) of one request."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        version = _version(pairs, environ)
        if environ.get("REQUEST_METHOD") == "POST" and not 0 <= length <= MAX_POST_BYTES:
            return _report(_CLIENT_ERROR[version], "NoApplicableCode", "request",
                           f"a POST body must be 0 to {MAX_POST_BYTES} bytes", version)
        problem = _bad_parameter(pairs)
        if problem:
            return _report(_CLIENT_ERROR[version], "InvalidParameterValue", *problem, version)
        env = _fixed_environ(environ, pairs, length)
        body = env["wsgi.input"].getvalue() if env.get("REQUEST_METHOD") == "POST" else None
        if body is not None and not plain_xml(body):
            version = "2.0.2" if b"cat/csw/2.0.2" in body else "3.0.0"  # as pycsw would
            return _report(_CLIENT_ERROR[version], "NoApplicableCode", "request",
                           "the request body is not well-formed XML without a DOCTYPE", version)
        try:
            return self._dispatch(env)
        except Exception:  # noqa: BLE001 — a bug must still answer in the standard's shape
            LOG.exception("CSW request failed: %s", env.get("QUERY_STRING"))
            return _report("500 Internal Server Error", "NoApplicableCode", "request",
                           "the catalogue failed on this request; see the server log", version)

    def _dispatch(self, env: dict) -> tuple[str, str, bytes]:
        """Run pycsw on the request with the fixed configuration and the index's records."""
        base = (self.settings.public_url or application_uri(env)).rstrip("/")
        base = base.removesuffix("/csw")
        csw = Csw(with_url(self.config, f"{base}/csw"), env)
        rows = collection_rows(self.registry, self.settings.contact_organization, base)
        hrefs = Hrefs(base, self.settings.archive)
        csw.context.eoscope_records = RecordSource(partial(connect, self.index_path, rows,
                                                           hrefs))
        csw.orm = "sqlalchemy"  # named :pvalueN parameters (pycsw assumes Django with a custom
        #                        repository, whose %s markers sqlite3 does not know)
        try:
            status, body = csw.dispatch_wsgi()
        finally:
            repository = getattr(csw, "repository", None)
            if isinstance(repository, IndexRepository):
                repository.close()
        content_type = csw.contenttype
        if isinstance(content_type, bytes):
            content_type = content_type.decode()
        if csw.exception or content_type not in MEDIA_TYPES:
            content_type = "application/xml"
        body = body if isinstance(body, bytes) else body.encode()
        times = repository.times if isinstance(repository, IndexRepository) else {}
        return status, content_type, complete_iso(body, times)


def _version(pairs: list[tuple[str, str]], environ: dict) -> str:
    """The CSW version a request speaks (pycsw's rule: 2.0.2 if it says so, else 3.0)."""
    values = " ".join(v for k, v in pairs if k.lower() in ("version", "acceptversions"))
    return "2.0.2" if "2.0.2" in values or environ.get("REQUEST_METHOD") == "POST" else "3.0.0"


def _bad_parameter(pairs: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(locator, message) of a KVP value pycsw would choke on: a character XML cannot carry
    (pycsw echoes values into its XML), or a bad page number."""
    repeated = first_repeated(k for k, _ in pairs)
    if repeated is not None:
        return repeated.lower(), f"{repeated} is given more than once"
    for key, value in pairs:
        name = key.lower()
        if _NOT_XML.search(key + value):
            return name, f"{key} holds a character XML 1.0 cannot carry"
        if name in REFUSED:
            return name, f"{key} is not supported: results are returned in the response"
        if name in MINIMUM and value != "":
            number = strict_integer(value)
            if number is None or number < MINIMUM[name]:
                return name, f"{name} must be an integer of at least {MINIMUM[name]}"
    return None


def _fixed_environ(environ: dict, pairs: list[tuple[str, str]], length: int) -> dict:
    """The request as pycsw sees it: no ``config`` parameter, the body read within bounds."""
    env = dict(environ)
    env["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if k.lower() != "config"])
    if environ.get("REQUEST_METHOD") == "POST":
        body = environ["wsgi.input"].read(length) if length else b""
        env["wsgi.input"], env["CONTENT_LENGTH"] = BytesIO(body), str(len(body))
    return env


def _report(status: str, code: str, locator: str, text: str,
            version: str) -> tuple[str, str, bytes]:
    ns, report_version = OWS[version]
    body = REPORT.format(ns=ns, version=report_version, code=code, locator=locator,
                         text=escape(text))
    return status, "application/xml", body.encode()
