"""Run one OGC request through MapServer (mapscript), in-process.

The mapfile is loaded once and reloaded when it changes on disk. It is regenerated only when
the registry changes (:mod:`services.refresh`: ``eoscope ingest`` or ``eoscope reload`` after
a change to ``layers/*.yaml``, or ``eoscope generate``); new products alone leave it as it
is, since dates and extents are read from the index. Each request works on a clone, since
``OWSDispatch`` mutates the map it is given.

The tile indexes' OGR connection (the product index) is kept open between requests
(``CLOSE_CONNECTION=DEFER`` in the mapfile): opening it cost ≈7 % of a GetCoverage and more
of a GetMap (the OGR SQLite driver registers its SQL functions on every open). It is closed
when the mapfile is reloaded and when the index file is replaced, so a request never reads
an index that is no longer there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mapscript

Tweak = Callable[[mapscript.mapObj], None]


@dataclass(frozen=True)
class MapServerResponse:
    status: int
    content_type: str
    headers: dict[str, str]
    body: bytes


class NoResponse(Exception):
    """MapServer produced nothing at all (e.g. an unparsable POST body)."""


class MapServer:
    """A mapfile, kept loaded, and a way to dispatch requests against it."""

    def __init__(self, mapfile: Path):
        self.mapfile = mapfile
        self.generation = 0  # counts reloads, so callers can drop what they derived
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._template: mapscript.mapObj | None = None
        self._single: dict[str, mapscript.mapObj] = {}
        self._kept: tuple[str, ...] = ()  # the files the kept OGR connections read
        self._kept_stamp: tuple | None = None

    def template(self, layer: str | None = None) -> mapscript.mapObj:
        """The loaded map, reloaded if the file changed (never modify it: clone). With
        ``layer``: a copy holding only that layer and its tile index, cheaper to clone."""
        stat = os.stat(self.mapfile)
        stamp = (stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._template = mapscript.mapObj(str(self.mapfile))
                self._single = {}
                self._stamp = stamp
                self.generation += 1
                self._kept = _ogr_files(self._template)
            self._follow_kept_files()
            if layer is None or self._template.getLayerByName(layer) is None:
                return self._template
            if layer not in self._single:
                self._single[layer] = _only(self._template, layer)
            return self._single[layer]

    def _follow_kept_files(self) -> None:
        """Close the kept connections when a file they read was replaced (or the mapfile
        reloaded: its files may be others)."""
        stamp = (self._stamp, *(_identity(path) for path in self._kept))
        if stamp != self._kept_stamp:
            mapscript.msConnPoolCloseUnreferenced()
            self._kept_stamp = stamp

    def dispatch(self, params: Sequence[tuple[str, str]], tweaks: Sequence[Tweak] = (),
                 post: tuple[bytes, str] | None = None, layer: str | None = None
                 ) -> MapServerResponse:
        """Run an OGC request; ``tweaks`` may adjust the request's own copy of the map.
        ``layer`` says the request concerns that one layer only (not capabilities)."""
        map_ = self.template(layer).clone()
        for tweak in tweaks:
            tweak(map_)
        request = mapscript.OWSRequest()
        for name, value in params:
            request.addParameter(name, value)
        if post:
            request.loadParamsFromPost(post[0].decode("utf-8", "replace"), post[1])
        mapscript.msIO_installStdoutToBuffer()
        try:
            try:
                map_.OWSDispatch(request)
            except mapscript.MapServerError:
                pass  # the exception report is already in the buffer; see stack notes
            finally:
                mapscript.msResetErrorList()
            try:
                headers = _headers(mapscript.msIO_getAndStripStdoutBufferMimeHeaders())
            except mapscript.MapServerError:
                raise NoResponse("MapServer wrote no response to this request") from None
            body = mapscript.msIO_getStdoutBufferBytes()
        finally:
            mapscript.msIO_resetHandlers()
        status = int(headers.pop("Status", "200").split()[0])
        content_type = headers.pop("Content-Type", "application/octet-stream")
        return MapServerResponse(status, content_type, headers, body or b"")


def _ogr_files(map_: mapscript.mapObj) -> tuple[str, ...]:
    layers = (map_.getLayer(i) for i in range(map_.numlayers))
    return tuple(sorted({layer.connection for layer in layers
                         if layer.connectiontype == mapscript.MS_OGR and layer.connection}))


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_dev


def _only(template: mapscript.mapObj, layer: str) -> mapscript.mapObj:
    single = template.clone()
    keep = {layer, f"{layer}_index", f"{layer}_areas_index"}  # its tile indexes (sources, areas)
    for i in reversed(range(single.numlayers)):
        if single.getLayer(i).name not in keep:
            single.removeLayer(i)
    return single


def _headers(table: mapscript.hashTableObj | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if table is None:
        return headers
    key = table.nextKey(None)
    while key:
        headers[key] = table.get(key)
        key = table.nextKey(key)
    return headers
