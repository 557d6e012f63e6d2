"""Which standard's shape an error takes at each gateway endpoint, for the errors the gateway
itself raises before a service sees the request (no index, a body too large, a repeated key):
OGC XML exception reports for /ows, /wmts, /tiles, /csw and /wps, OGC 17-047 exceptions JSON for
OpenSearch, problem JSON for the rest."""

from __future__ import annotations

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from services.errors import (
    Dialect,
    OGCException,
    Rendered,
    ServiceUnavailable,
    opensearch_json,
    problem_json,
    render,
)
from services.ows.kvp import Params
from services.ows.service import dialect_of

XML_DIALECTS = {"wmts": Dialect.OWS_11, "xyz": Dialect.OWS_11, "csw": Dialect.OWS_10,
                "wps": Dialect.OWS_11, "wps_output": Dialect.OWS_11}   # WPS 1.0.0: OWS 1.1


def rendered(endpoint: str | None, values: dict, request: Request,
             error: OGCException) -> Rendered:
    if endpoint == "ows":
        params = Params.from_pairs(request.args.items(multi=True))
        return render(error, dialect_of(params.get("SERVICE") or values.get("service", "WMS"),
                                        params))
    if endpoint in XML_DIALECTS:
        return render(error, XML_DIALECTS[endpoint])
    if endpoint == "catalogue":
        return opensearch_json(error)
    return problem_json(error)


def error_response(endpoint: str | None, values: dict, request: Request,
                   error: OGCException) -> WsgiResponse:
    answer = rendered(endpoint, values, request, error)
    response = WsgiResponse(answer.body, status=answer.status)
    response.headers["Content-Type"] = answer.content_type
    if isinstance(error, ServiceUnavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    for name, value in error.headers:   # WWW-Authenticate challenges, a quota's Retry-After
        response.headers.add(name, value)
    return response
