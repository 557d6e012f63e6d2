"""How a finished answer reaches a web client, in one place for every endpoint: XML, JSON and
text are gzipped when the client accepts it, and a successful GET of a whole body (capabilities,
GetMap, records, time series) carries an ETag, answers ``If-None-Match`` with 304 and, unless the
service set its own policy (tiles, downloads, the viewer), ``Cache-Control: no-cache``, so a
browser revalidates every time and new products are seen at once."""

from __future__ import annotations

import gzip

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


def gzipped_tag(tag: str) -> str:
    """The tag of the gzipped form of the representation tagged ``tag``."""
    return f"{tag}-gzip"


def deliver(request: Request, response: WsgiResponse) -> WsgiResponse:
    """``response`` as it should go to the client that sent ``request``."""
    if compressible(response):
        response.vary.add("Accept-Encoding")
        body = response.get_data()  # documents are bounded; a streamed one is buffered here
        if len(body) >= MIN_COMPRESSED_BYTES and "gzip" in request.accept_encodings:
            response.set_data(gzip.compress(body, compresslevel=5, mtime=0))
            response.headers["Content-Encoding"] = "gzip"
            tag, weak = response.get_etag()
            if tag:  # a tag the service set: each coding its own (as Apache's mod_deflate)
                response.set_etag(gzipped_tag(tag), weak=weak)
    if request.method in ("GET", "HEAD") and response.status_code == 200 \
            and not response.is_streamed:
        if "ETag" not in response.headers:
            response.add_etag()  # of the bytes sent, so gzip and identity differ as they must
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response
