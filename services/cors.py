"""Cross-origin reads (CORS), in one place for every endpoint: every service of the gateway only
reads (a POST asks a time series or a CSW query, it changes nothing), so browsers on the
configured origins (``EOSCOPE_CORS_ORIGINS``, default ``*``) may call any of them."""

from __future__ import annotations

from collections.abc import Sequence

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

METHODS = "GET, HEAD, POST, OPTIONS"
HEADERS = ("Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Range, "
           "Authorization, X-API-Key, X-Request-Id")   # credentials (services/users)
EXPOSED = ("Content-Disposition, Content-Length, ETag, Last-Modified, Retry-After, Warning, "
           "WWW-Authenticate, X-Request-Id")


def allowed(origin: str | None, origins: Sequence[str]) -> str | None:
    """The Access-Control-Allow-Origin value for a request from ``origin``, or None."""
    if "*" in origins:
        return "*"
    return origin if origin and origin in origins else None


def preflight(request: Request, origins: Sequence[str]) -> WsgiResponse | None:
    """The answer to a browser's preflight (OPTIONS with Access-Control-Request-Method)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = WsgiResponse(status=204)
    if allowed(request.headers.get("Origin"), origins):
        response.headers["Access-Control-Allow-Methods"] = METHODS
        response.headers["Access-Control-Allow-Headers"] = HEADERS
        response.headers["Access-Control-Max-Age"] = "3600"
    return response


def add_headers(request: Request, response: WsgiResponse, origins: Sequence[str]) -> None:
    value = allowed(request.headers.get("Origin"), origins)
    if value is None:  # MapProxy's own '*' too
        response.headers.pop("Access-Control-Allow-Origin", None)
        return
    response.headers["Access-Control-Allow-Origin"] = value
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if value != "*":
        response.vary.add("Origin")
