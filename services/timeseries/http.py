"""The thin WSGI adapter: werkzeug request → :class:`Request` → :class:`Response`.

Routes (below the gateway's ``/timeseries``)::

    GET  /timeseries/v1.0/ts                                the layer list
    GET  /timeseries/v1.0/ts/{layer}                        one layer's dates and bounds
    GET  /timeseries/v1.0/ts/{layer}/point?lon&lat&startDate&endDate
    POST /timeseries/v1.0/ts/{layer}/geometry?startDate&endDate
    POST /timeseries/v1.0/ts/{layer}/geometries?startDate&endDate
    POST /timeseries/v1.0/ts/{layer}/geometries/histogram?startDate&endDate

An ``OPTIONS`` request is answered with the methods of the route; CORS headers (and browsers'
preflights) are the gateway's (services.cors), as for every endpoint.
"""

from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)
from werkzeug.http import parse_accept_header
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from services.timeseries.errors import http_problem
from services.timeseries.service import PROBLEM, Request, TimeSeriesService

PREFIX = "/timeseries/v1.0/ts"


class TimeSeriesApp:
    def __init__(self, service: TimeSeriesService):
        self.service = service
        self.routes = Map([
            Rule(PREFIX, endpoint="layers", methods=["GET"]),
            Rule(f"{PREFIX}/<layer>", endpoint="layer", methods=["GET"]),
            Rule(f"{PREFIX}/<layer>/point", endpoint="point", methods=["GET"]),
            Rule(f"{PREFIX}/<layer>/geometry", endpoint="geometry", methods=["POST"]),
            Rule(f"{PREFIX}/<layer>/geometries", endpoint="geometries", methods=["POST"]),
            Rule(f"{PREFIX}/<layer>/geometries/histogram", endpoint="histogram",
                 methods=["POST"]),
        ], strict_slashes=False, redirect_defaults=False)

    def __call__(self, request: WsgiRequest) -> WsgiResponse:
        adapter = self.routes.bind_to_environ(request.environ)
        try:
            if request.method == "OPTIONS":
                return _preflight(adapter.allowed_methods())
            operation, values = adapter.match()
            body = request.get_data() if request.method == "POST" else b""
            answer = self.service.handle(Request(
                operation, values.get("layer"), request.args.to_dict(flat=True), body,
                _accepted(request)))
            response = WsgiResponse(answer.body, status=answer.status,
                                    content_type=answer.content_type)
        except NotFound:
            response = _problem(404, f"no time series resource at {request.path}; the layer "
                                     f"list is at {PREFIX}")
        except MethodNotAllowed as error:
            response = _problem(405, f"{request.method} is not allowed on {request.path}")
            response.headers["Allow"] = ", ".join(error.valid_methods or ())
        except RequestEntityTooLarge:
            response = _problem(413, f"the request body is larger than "
                                     f"{request.max_content_length} bytes")
        except HTTPException as error:
            response = _problem(error.code or 400, error.description or error.name)
        return response


def _accepted(request: WsgiRequest) -> str | None:
    return _format_accepted(request.headers.get("Accept"))


@lru_cache(maxsize=64)
def _format_accepted(accept: str | None) -> str | None:
    """The output format an Accept header prefers (werkzeug's parse, ~0.15 ms: clients send
    the same few headers, so the answer is remembered)."""
    best = parse_accept_header(accept, MIMEAccept).best_match(["application/json", "text/csv"])
    return {"application/json": "json", "text/csv": "csv"}.get(best or "")


def _preflight(methods: list[str]) -> WsgiResponse:
    if not methods:
        return _problem(404, "no time series resource here")
    response = WsgiResponse(status=204)
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def _problem(status: int, detail: str) -> WsgiResponse:
    return WsgiResponse(http_problem(status, detail), status=status, content_type=PROBLEM)
