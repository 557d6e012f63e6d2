"""What an OWS answer depends on, known before it is drawn: the index version, the registry and
generated configuration, the request's parameters and the address it advertises. From those
come a weak ETag for every GET (a client revalidating a GetMap or a capabilities document it
already holds gets 304 without anything being drawn) and a small cache of capabilities
documents (asked often, by every client, and the same until an ingest).

Weak, because gzip and identity bodies of one answer share the tag (RFC 9110 §8.8.1).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from services.ows.kvp import Params
from services.ows.service import Renderer, Response

CACHED_REQUESTS = {"GETCAPABILITIES", "CAPABILITIES"}
WAIT_FOR_DRAWING = 30.0  # seconds a request waits for the same document drawn for another


def request_tag(state: tuple, params: Params, default_service: str,
                online_resource: str | None) -> str:
    """The validator of a GET whose answer is a function of ``state`` (index version,
    registry fingerprint, configuration stamp) and the request."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(repr((state, default_service, online_resource,
                        sorted((k.upper(), v) for k, v in params.items))).encode())
    return digest.hexdigest()


class CapabilitiesCache:
    """A :class:`Renderer` that keeps the last ``size`` capabilities documents drawn by
    ``renderer`` for the ``state()`` they were drawn in; everything else passes through.
    Requests for a document being drawn wait for it rather than draw it again (the first
    clients after a start or an ingest arrive together)."""

    def __init__(self, renderer: Renderer, state: Callable[[], tuple], size: int = 32):
        self.renderer, self.state, self.size = renderer, state, size
        self._documents: OrderedDict[str, Response] = OrderedDict()
        self._drawing: dict[str, threading.Event] = {}  # documents being drawn now
        self._lock = threading.Lock()

    def handle(self, params: Params, default_service: str = "WMS",
               post: tuple[bytes, str] | None = None, online_resource: str | None = None
               ) -> Response:
        if post is not None or (params.get("REQUEST") or "").upper() not in CACHED_REQUESTS:
            return self.renderer.handle(params, default_service, post, online_resource)
        key = request_tag(self.state(), params, default_service, online_resource)
        for _ in range(2):  # a document being drawn for another request is waited for once
            with self._lock:
                if key in self._documents:
                    self._documents.move_to_end(key)
                    return self._documents[key]
                drawing = self._drawing.get(key)
                if drawing is None:
                    drawing = self._drawing[key] = threading.Event()
                    break
            drawing.wait(WAIT_FOR_DRAWING)
        else:
            drawing = None  # still not there: draw it for this request too
        try:
            answer = self.renderer.handle(params, default_service, post, online_resource)
        finally:
            with self._lock:
                if drawing is not None and self._drawing.get(key) is drawing:
                    del self._drawing[key]
            if drawing is not None:
                drawing.set()
        if answer.status == 200:
            with self._lock:
                self._documents[key] = answer
                while len(self._documents) > self.size:
                    self._documents.popitem(last=False)
        return answer
