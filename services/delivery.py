"""How a finished answer reaches a web client, in one place for every endpoint: XML, JSON and
text are gzipped when the client accepts it, and a successful GET of a whole body (capabilities,
GetMap, records, time series) carries an ETag, answers ``If-None-Match`` with 304 and, unless the
service set its own policy (tiles, downloads, the viewer), ``Cache-Control: no-cache``, so a
browser revalidates every time and new products are seen at once. The ETag is the identity
body's (or the service's own), the gzipped form's that tag with ``-gzip``; a large document's
gzipped form is made once and kept (16 of them), so a 1.8 MB capabilities document of 10,000
dates is not compressed again for every client."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

COMPRESSED_TYPES = ("text/", "application/xml", "application/json", "application/geo+json",
                    "application/ld+json", "application/problem+json", "application/vnd.ogc",
                    "application/atom+xml", "application/opensearchdescription+xml")
MIN_COMPRESSED_BYTES = 1024
MIN_KEPT_BYTES, KEPT_BODIES = 64 * 1024, 16  # large documents' gzipped forms kept, per process
_KEPT: OrderedDict[str, bytes] = OrderedDict()
_KEPT_LOCK = threading.Lock()


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
    compress = compressible(response)
    if compress:
        response.vary.add("Accept-Encoding")
        body = response.get_data()  # documents are bounded; a streamed one is buffered here
    tagged = request.method in ("GET", "HEAD") and response.status_code == 200 \
        and not response.is_streamed
    if tagged and "ETag" not in response.headers:
        response.add_etag()  # of the identity body; its gzipped form adds "-gzip"
    if compress and len(body) >= MIN_COMPRESSED_BYTES and "gzip" in request.accept_encodings:
        tag, weak = response.get_etag()
        response.set_data(_gzipped(body, None if weak else tag))
        response.headers["Content-Encoding"] = "gzip"
        if tag:  # each coding its own tag (as Apache's mod_deflate)
            response.set_etag(gzipped_tag(tag), weak=weak)
    if tagged:
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response


def _gzipped(body: bytes, strong_tag: str | None) -> bytes:
    """``body`` gzipped; a large one (a capabilities document of many dates) is compressed
    once and kept, under its strong tag or its digest, for the next client that asks."""
    if len(body) < MIN_KEPT_BYTES:
        return gzip.compress(body, compresslevel=5, mtime=0)
    key = strong_tag or hashlib.sha1(body).hexdigest()
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
            return kept
    compressed = gzip.compress(body, compresslevel=5, mtime=0)
    with _KEPT_LOCK:
        _KEPT[key] = compressed
        while len(_KEPT) > KEPT_BODIES:
            _KEPT.popitem(last=False)
    return compressed
