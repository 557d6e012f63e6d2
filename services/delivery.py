"""How a finished answer reaches a web client, in one place for every endpoint: XML, JSON and
text are gzipped when the client accepts it, and a successful GET of a whole body (capabilities,
GetMap, records, time series) carries an ETag, answers ``If-None-Match`` with 304 and, unless the
service set its own policy (tiles, downloads, the viewer), ``Cache-Control: no-cache``, so a
browser revalidates every time and new products are seen at once."""

from __future__ import annotations

import gzip
import hashlib
import json

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

COMPRESSED_TYPES = ("text/", "application/xml", "application/json", "application/geo+json",
                    "application/ld+json", "application/problem+json", "application/vnd.ogc",
                    "application/atom+xml", "application/opensearchdescription+xml")
MIN_COMPRESSED_BYTES = 1024


def compressible(response: WsgiResponse) -> bool:
    mimetype = response.mimetype or ""
    return (not response.direct_passthrough  # a file sent as it is, ranges and all
            and "Content-Encoding" not in response.headers
            and (mimetype.startswith(COMPRESSED_TYPES) or mimetype.endswith(("+xml", "+json"))))


def deliver(request: Request, response: WsgiResponse) -> WsgiResponse:
    """``response`` as it should go to the client that sent ``request``."""
    if compressible(response):
        response.vary.add("Accept-Encoding")
        body = response.get_data()  # documents are bounded; a streamed one is buffered here
        if len(body) >= MIN_COMPRESSED_BYTES and "gzip" in request.accept_encodings:
            response.set_data(gzip.compress(body, compresslevel=5, mtime=0))
            response.headers["Content-Encoding"] = "gzip"
    if request.method in ("GET", "HEAD") and response.status_code == 200 \
            and not response.is_streamed:
        if "ETag" not in response.headers:
            response.add_etag()  # of the bytes sent, so gzip and identity differ as they must
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response


def state_tag(request: Request, state: tuple) -> str:
    """An ETag known before any work: a digest of the request's query and of the state its
    answer is drawn from (index version, registry, mapfile, …). A GetMap answered 304 on it
    costs no rendering; any change of the state or the query changes the tag."""
    query = sorted(request.args.items(multi=True))
    return hashlib.sha256(json.dumps([query, list(state)], default=str).encode()).hexdigest()[:32]


def not_modified(request: Request, tag: str) -> WsgiResponse | None:
    """304 when the client already holds ``tag``, else None."""
    if request.method not in ("GET", "HEAD") or not request.if_none_match.contains(tag):
        return None
    response = WsgiResponse(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response
