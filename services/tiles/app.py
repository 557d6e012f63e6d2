"""The tile service: MapProxy's WMTS (KVP and REST) at /wmts and XYZ/TMS URLs at /tiles, with the
fixes eoscope needs on top of MapProxy 7.0:

- KVP GetCapabilities fails once a layer has a dimension (``dimension_keys`` missing from the
  KVP template context): the KVP capabilities class is given it;
- requests are checked first (services.tiles.checks) so errors carry the OGC codes, locators and
  statuses (REST: 404), and Sections is honoured;
- GoogleMapsCompatible is declared with the CRS URN and well-known scale set the OGC tests want;
- Terrascope's ``EPSG:3857`` tile matrix set (TileMatrix ids ``EPSG:3857:{z}``) is served as an
  alias of GoogleMapsCompatible, sharing its cache;
- XYZ/TMS URLs with the date in the path (MapProxy's TMS service has no dimensions);
- the ``Time`` dimension's values are the index's dates at request time (a
  :class:`LiveDimension` replaces the placeholder of the generated configuration), so an
  ingested date is served without regenerating or reloading anything.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import yaml
from mapproxy.layer import Dimension
from mapproxy.service.wmts import Capabilities, WMTSServer
from mapproxy.wsgiapp import make_wsgi_app
from werkzeug.exceptions import ServiceUnavailable

from services.errors import Dialect, OGCException, TileOutOfRange, render, render_rest
from services.index.live import LiveLayers
from services.ows.kvp import Params
from services.ows.service import Renderer
from services.ows.timeparam import contains
from services.tiles.capabilities import edit, keep_sections
from services.tiles.checks import (
    CAPABILITIES_PATH,
    TileCatalog,
    catalog_of,
    check_kvp,
    check_rest_tile,
    requested_sections,
)
from services.tiles.config import TIME, WEBMERCATOR
from services.tiles.source import register_source_type

ALIAS = "EPSG:3857"           # Terrascope's tile matrix set id
ALIAS_MATRIX = re.compile(r"^EPSG:3857:(\d+)$")
XML_MEDIA = ("application/xml", "text/xml", "application/*", "text/*", "*/*")
WsgiResult = Iterable[bytes]


class _KvpCapabilities(Capabilities):
    def template_context(self):
        context = super().template_context()
        context["dimension_keys"] = {TIME.lower(): TIME}
        return context


CAPABILITIES_KEPT = 16  # capabilities documents kept (per address and sections)


class LiveDimension(Dimension):
    """A dimension whose values are read when asked for: a layer's dates in the index."""

    def __init__(self, identifier: str, values: Callable[[], tuple[str, ...]]):
        list.__init__(self)
        self.identifier = identifier
        self._values = values

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __contains__(self, value: object) -> bool:
        values = self._values()  # sorted, oldest first: bisection
        return contains(values, value) if isinstance(value, str) else value in values

    def __getitem__(self, index):
        return self._values()[index]

    @property
    def default(self) -> str:
        values = self._values()
        return values[-1] if values else ""


class TileService:
    """MapProxy built from the generated configuration, rebuilt when the file changes."""

    def __init__(self, config: Path, renderer: Renderer, layers: LiveLayers,
                 public_url: str | None = None):
        self.config = config
        self.public_url = public_url
        self.layers = layers
        register_source_type(renderer)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._app = None
        self._matrices: dict[str, tuple[str, ...]] = {}
        self._sizes: dict[str, tuple[tuple[int, int], ...]] = {}
        self._names: tuple[str, ...] = ()
        self._abstracts: dict[str, str] = {}
        self._catalog: tuple[object, object, TileCatalog] | None = None
        self._documents: dict[tuple, tuple[str, tuple, bytes]] = {}
        self._documents_for: object = None

    def app(self):
        self._refresh()
        return self._app

    def catalog(self) -> TileCatalog:
        """The layers and their dates as the index has them now; built once per index version
        and configuration (a tile request's cost must not grow with the dates)."""
        self._refresh()
        facts = self.layers.facts()
        cached = self._catalog
        if cached is None or cached[0] is not facts or cached[1] != self._stamp:
            catalog = TileCatalog({name: facts[name].dates for name in self._names
                                   if name in facts}, self._matrices, self._sizes)
            self._catalog = cached = (facts, self._stamp, catalog)
        return cached[2]

    def _refresh(self) -> None:
        try:
            stat = os.stat(self.config)
        except FileNotFoundError:
            raise ServiceUnavailable(f"no tile configuration at {self.config}: run "
                                     "`eoscope generate`") from None
        stamp = (stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._app = _build(self.config, self.layers)
                self._sizes = _grid_sizes(self._app)
                config = yaml.safe_load(self.config.read_text())
                self._matrices = catalog_of(config).matrices
                self._names = tuple(layer["name"] for layer in config.get("layers", []))
                self._abstracts = {layer["name"]: layer.get("md", {}).get("abstract", "")
                                   for layer in config.get("layers", [])}
                self._stamp = stamp

    def wmts(self, environ: dict, start_response: Callable) -> WsgiResult:
        """/wmts: KVP when there is a query and no path, else REST."""
        path = environ.get("PATH_INFO", "")[len("/wmts"):]
        if path in ("", "/"):
            return self._kvp(environ, start_response)
        return self._rest(_alias_path(path), environ, start_response)

    def _kvp(self, environ: dict, start_response: Callable) -> WsgiResult:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = Params.from_pairs(_alias_pairs(pairs))
        try:
            params.check_unrepeated()
            params = check_kvp(params, self.catalog())
        except OGCException as error:
            return _answer(render(error, Dialect.OWS_11), start_response)
        environ = {**environ, "PATH_INFO": "/service", "QUERY_STRING": urlencode(params.items)}
        if (params.get("REQUEST") or "").lower() == "getcapabilities":
            return self._capabilities(environ, start_response, requested_sections(params))
        return self.app()(environ, start_response)

    def _rest(self, path: str, environ: dict, start_response: Callable) -> WsgiResult:
        if path == CAPABILITIES_PATH:
            accept = environ.get("HTTP_ACCEPT", "")
            if accept and not any(m in accept for m in XML_MEDIA):
                start_response("406 Not Acceptable", [("Content-Type", "text/plain")])
                return [b"capabilities are available as application/xml only\n"]
            return self._capabilities({**environ, "PATH_INFO": "/wmts" + path},
                                      start_response, None)
        try:
            path = check_rest_tile(path, self.catalog())
        except OGCException as error:
            return _answer(render_rest(error, Dialect.OWS_11), start_response)

        def not_found_for_errors(status, headers, exc_info=None):
            if status.startswith("400"):
                status = "404 Not Found"
            return start_response(status, headers, exc_info)

        return self.app()({**environ, "PATH_INFO": "/wmts" + path}, not_found_for_errors)

    def _capabilities(self, environ: dict, start_response: Callable,
                      sections: set[str] | None) -> WsgiResult:
        """MapProxy's capabilities, edited; the document is kept per index version,
        configuration, address and request (rendering it grows with the dates)."""
        base = (self.public_url or _base_url(environ)).rstrip("/")
        facts = self.layers.facts()
        self._refresh()
        key = (self._stamp, base, environ.get("PATH_INFO"), environ.get("QUERY_STRING"),
               None if sections is None else frozenset(sections))  # KVP and REST differ
        with self._lock:
            if self._documents_for is not facts:
                self._documents, self._documents_for = {}, facts
            kept = self._documents.get(key)
        if kept is None:
            kept = self._render_capabilities(environ, base, sections)
            if kept[0].startswith("200"):
                with self._lock:
                    if len(self._documents) >= CAPABILITIES_KEPT:  # Host headers vary
                        self._documents.clear()
                    self._documents[key] = kept
        status, headers, body = kept
        start_response(status, list(headers))
        return [body]

    def _render_capabilities(self, environ: dict, base: str, sections: set[str] | None
                             ) -> tuple[str, tuple, bytes]:
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app()(environ, capture))
        if captured["status"].startswith("200"):
            body = edit(body, WEBMERCATOR, ALIAS, self._abstracts, base)
            if sections is not None:
                body = keep_sections(body, sections)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if captured["status"].startswith("200"):  # hashed once per kept document
            headers.append(("ETag", f'"{hashlib.sha1(body).hexdigest()}"'))
        return captured["status"], (*headers, ("Content-Length", str(len(body)))), body

    def xyz(self, environ: dict, start_response: Callable, layer: str, date: str, z: int, x: int,
            y: int, extension: str, tms: bool = False) -> WsgiResult:
        """/tiles/{layer}/{date}/{z}/{x}/{y}.png (XYZ) or /tiles/tms/... (row from the south)."""
        levels = self.catalog().levels(WEBMERCATOR)
        error = None
        if not 0 <= z < levels:  # before 2 ** z: a huge z would take the worker's memory
            error = TileOutOfRange(f"zoom {z} is not one of 0 to {levels - 1}", "TileMatrix")
        elif not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            error = TileOutOfRange(f"tile {x}/{y} is outside zoom {z} (0 to {2 ** z - 1})",
                                   "TileRow" if 0 <= x < 2 ** z else "TileCol")
        if error:
            return _answer(render_rest(error, Dialect.OWS_11), start_response)
        row = (2 ** z - 1 - y) if tms else y
        path = f"/{layer}/default/{WEBMERCATOR}/{date}/{z}/{row}/{x}.{extension}"
        environ = {**environ, "QUERY_STRING": "", "wsgi.input": BytesIO()}
        return self._rest(path, environ, start_response)


def _base_url(environ: dict) -> str:
    """The gateway's address as the client sees it."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"


def _answer(rendered, start_response: Callable) -> WsgiResult:
    start_response(f"{rendered.status} {'Not Found' if rendered.status == 404 else 'Bad Request'}",
                   [("Content-Type", rendered.content_type),
                    ("Content-Length", str(len(rendered.body)))])
    return [rendered.body]


def _build(config: Path, layers: LiveLayers):
    app = make_wsgi_app(str(config), ignore_config_warnings=False)
    for handler in set(app.handlers.values()):
        servers = list(getattr(handler, "services", {}).values()) or [handler]
        for server in servers:  # OWSServer wraps the KVP ones
            if type(server) is WMTSServer:  # the KVP server; the REST one is a subclass
                server.capabilities_class = _KvpCapabilities
            if isinstance(server, WMTSServer):
                _live_dimensions(server, layers)
    return app


def _grid_sizes(app) -> dict[str, tuple[tuple[int, int], ...]]:
    """Each WMTS tile matrix set's (MatrixWidth, MatrixHeight) per level, as MapProxy has it."""
    sizes: dict[str, tuple[tuple[int, int], ...]] = {}
    for handler in set(app.handlers.values()):
        for server in list(getattr(handler, "services", {}).values()) or [handler]:
            for matrix_set in getattr(server, "matrix_sets", ()):
                sizes[matrix_set.name] = tuple(
                    (int(w), int(h)) for w, h in matrix_set.grid.grid_sizes.values())
    return sizes


def _live_dimensions(server: WMTSServer, layers: LiveLayers) -> None:
    for name, wmts_layer in server.layers.items():
        for tile_layer in wmts_layer.layers.values():
            if tile_layer.dimensions and TIME.lower() in tile_layer.dimensions:
                tile_layer.dimensions[TIME.lower()] = LiveDimension(
                    TIME, lambda name=name: layers.dates(name))


def _alias_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """KVP: TileMatrixSet=EPSG:3857 & TileMatrix=EPSG:3857:z → GoogleMapsCompatible & z."""
    result = []
    for key, value in pairs:
        if key.lower() == "tilematrixset" and value == ALIAS:
            value = WEBMERCATOR
        elif key.lower() == "tilematrix" and (level := ALIAS_MATRIX.match(value)):
            value = level[1]
        result.append((key, value))
    return result


def _alias_path(path: str) -> str:
    """REST: .../EPSG:3857/{Time}/EPSG:3857:z/... → .../GoogleMapsCompatible/{Time}/z/..."""
    parts = path.split("/")
    if ALIAS in parts:
        parts = [WEBMERCATOR if p == ALIAS else p for p in parts]
        parts = [m[1] if (m := ALIAS_MATRIX.match(p)) else p for p in parts]
    return "/".join(parts)
