"""The gateway: one WSGI application mounting every service by path prefix.

``create_app(settings)`` builds everything once (registry, index, services); importing this
module reads no file. gunicorn runs ``services.gateway:create_app()``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from services import registry as registry_module
from services.admission import Admission
from services.catalogue.csw import CswApp
from services.catalogue.download import DownloadService
from services.catalogue.mep import MepCatalog
from services.catalogue.opensearch import OpenSearchService
from services.catalogue.stac.service import StacService
from services.cors import add_headers, preflight
from services.delivery import deliver, gzipped_tag
from services.error_shapes import error_response
from services.errors import (
    InvalidParameterValue,
    OGCException,
    RequestTooLarge,
    ServiceUnavailable,
)
from services.index import ProductIndex
from services.index.live import LiveLayers
from services.index.search import ProductSearch
from services.observability import Observer, StateCollector, exposition, record_shed, register_once
from services.ows.kvp import Params, first_repeated
from services.ows.mapserver import MapServer
from services.ows.render_pool import RenderClient
from services.ows.service import OwsService, Renderer
from services.ows.service import Response as OwsResponse
from services.ows.validators import CapabilitiesCache, request_tag
from services.processing.ogcapi import OgcApiMount
from services.processing.service import ProcessingService
from services.processing.wps import WpsMount
from services.settings import Settings
from services.tiles.app import TileService
from services.timeseries import TimeSeriesApp, TimeSeriesService
from services.users import current
from services.users.gate import AccessGate
from services.viewer import ViewerApp

LOG = logging.getLogger("eoscope.gateway")
MAX_POST_BYTES = 1 << 20


class Gateway:
    """Routes requests to the services; every error leaves as a standards-shaped response."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.access = AccessGate(settings)   # users, policy, quotas, usage (services/users)
        self.registry = registry_module.load(settings.layers_dir)
        self.index = ProductIndex(settings.index, create=False)
        self.live = LiveLayers(self.index)
        drawer: Renderer = RenderClient(settings.render_socket, settings.render_timeout) \
            if settings.render_socket else \
            OwsService(self.registry, self.index, MapServer(settings.mapfile), settings.limits,
                       self.live)  # drawn by the render pool, or here (no pool: in-process)
        self.ows = CapabilitiesCache(drawer, self._ows_state)
        self.tiles = TileService(settings.mapproxy_config, self.ows, self.live,
                                 settings.public_url)
        self.timeseries = TimeSeriesApp(TimeSeriesService(self.registry, settings.index))
        self.csw = CswApp(settings, self.registry, settings.index)
        self.opensearch = OpenSearchService(self.registry, ProductSearch(settings.index),
                                            settings.archive)
        self.downloads = DownloadService(ProductSearch(settings.index), settings.archive)
        self.mep = MepCatalog(self.registry, ProductSearch(settings.index))
        self.processing = ProcessingService.create(settings, self.registry)
        self._pygeoapi: OgcApiMount | None = None  # pygeoapi, loaded on the first /ogcapi request
        self.wps = WpsMount(settings, self.processing)
        self.pages = Environment(loader=PackageLoader("services", "templates"),
                                 autoescape=select_autoescape())
        self.viewer = ViewerApp(settings, self.registry)
        self.stac = StacService(self.registry, ProductSearch(settings.index), settings.archive)
        public = self.registry.without(settings.access.restricted_collections)
        self.anonymous_catalogues = {   # restricted collections hidden from anonymous users
            "opensearch": OpenSearchService(public, ProductSearch(settings.index),
                                            settings.archive),
            "mep": MepCatalog(public, ProductSearch(settings.index)),
            "stac": StacService(public, ProductSearch(settings.index), settings.archive),
        } if public is not self.registry else {}
        self.admission = Admission.from_settings(settings, on_shed=record_shed)
        self.observer = Observer(settings.access_log, settings.trusted_proxies)
        register_once("eoscope_state", StateCollector(
            self.processing.store.counts, self.index.product_counts, self.index.version))
        self.routes = Map([
            Rule("/", endpoint="landing"),
            Rule("/healthz", endpoint="health"),
            Rule("/metrics", endpoint="metrics"),
            Rule("/ows", endpoint="ows", defaults={"service": "WMS"}),
            Rule("/wms", endpoint="ows", defaults={"service": "WMS"}),
            Rule("/wcs", endpoint="ows", defaults={"service": "WCS"}),
            Rule("/csw", endpoint="csw"),
            Rule("/catalogue", endpoint="catalogue"),
            Rule("/catalogue/<path:resource>", endpoint="catalogue"),
            Rule("/catalogue/mep/v2/", endpoint="mep"),
            Rule("/catalogue/mep/v2/<path:rest>", endpoint="mep"),
            Rule("/download/<path:path>", endpoint="download"),
            Rule("/timeseries", endpoint="timeseries"),
            Rule("/timeseries/<path:rest>", endpoint="timeseries"),
            Rule("/wmts", endpoint="wmts"),
            Rule("/wmts/<path:rest>", endpoint="wmts"),
            Rule("/ogcapi", endpoint="ogcapi"),
            Rule("/ogcapi/<path:rest>", endpoint="ogcapi"),
            Rule("/wps", endpoint="wps"),
            Rule("/wps/outputs/<name>", endpoint="wps_output"),
            Rule("/tiles/<layer>/<date>/<int:z>/<int:x>/<int:y>.<extension>", endpoint="xyz"),
            Rule("/tiles/tms/<layer>/<date>/<int:z>/<int:x>/<int:y>.<extension>",
                 endpoint="xyz", defaults={"tms": True}),
            Rule("/stac", endpoint="stac", methods=["GET", "HEAD", "POST"]),
            Rule("/stac/<path:rest>", endpoint="stac", methods=["GET", "HEAD", "POST"]),
            Rule("/viewer", endpoint="viewer"),
            Rule("/viewer/", endpoint="viewer", defaults={"rest": ""}),
            Rule("/viewer/<path:rest>", endpoint="viewer"),
        ], strict_slashes=False, redirect_defaults=False)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self.observer(environ, start_response, self._handle)  # metrics, access log

    def _handle(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_POST_BYTES
        endpoint, values = None, {}
        preflighted = preflight(request, self.settings.cors_origins)
        if preflighted is not None:
            return preflighted(environ, start_response)
        try:
            endpoint, values = self.routes.bind_to_environ(environ).match()
            with self.admission.request(endpoint, environ):  # a slot, or 503/429 at once
                self._admit(endpoint, request, values)
                response = getattr(self, f"_{endpoint}")(request, **values)
        except RequestRedirect as redirect:  # e.g. a doubled slash: 308 with its Location
            response = redirect.get_response(environ)
        except OGCException as error:
            response = error_response(endpoint, values, request, error)
        except sqlite3.Error as error:  # the index went away or broke during the request
            LOG.warning("product index unreadable on %s: %s", request.path, error)
            response = error_response(endpoint, values, request, ServiceUnavailable(
                "the product index cannot be read; try again later"))
        except NotFound:
            response = _json({"type": "about:blank", "title": "Not Found", "status": 404,
                              "detail": f"no service at {request.path}"}, 404)
        except HTTPException as error:
            response = _json({"type": "about:blank", "title": error.name,
                              "status": error.code, "detail": error.description}, error.code)
        except Exception:  # noqa: BLE001 — the one place that turns a bug into a clean answer
            LOG.exception("unhandled error on %s", request.url)
            response = _json({"type": "about:blank", "title": "Internal Server Error",
                              "status": 500, "detail": "see the server log"}, 500)
        self.access.record(request, response)
        add_headers(request, response, self.settings.cors_origins)
        return deliver(request, response)(environ, start_response)

    def _admit(self, endpoint: str, request: Request, values: dict) -> None:
        """What every request must pass before a service sees it: credentials where the
        access policy asks for them and quotas not used up (services/users), a product index
        to answer from, a body within bounds (chunked too), no repeated query key (for the
        services that do not check their own)."""
        self.access.admit(endpoint, request, values)
        if endpoint != "health" and self._index_problem(deep=False):
            raise ServiceUnavailable("the product index is not available; try again later")
        _bounded_body(request.environ)
        if endpoint in ("catalogue", "mep", "timeseries", "download"):
            name = first_repeated(k for k, _ in request.args.items(multi=True))
            if name is not None:
                raise InvalidParameterValue(f"parameter {name} is given more than once", name)

    def _index_problem(self, deep: bool = True) -> str | None:
        """Why the product index cannot be served from (None: it can). Never creates it."""
        if not self.settings.index.is_file():
            return "no product index: run `eoscope ingest`"
        if deep:
            try:
                self.index.version()
            except (sqlite3.Error, OSError):
                return "the product index cannot be read: run `eoscope ingest`"
        return None

    def _visible(self, name: str):
        """The catalogue ``name`` as the request's user may see it."""
        if current() is None and name in self.anonymous_catalogues:
            return self.anonymous_catalogues[name]
        return getattr(self, name)

    def _landing(self, request: Request) -> WsgiResponse:
        page = self.pages.get_template("landing.html").render(
            base=request.host_url.rstrip("/"), registry=self.registry,
            products=self.index.product_count())
        return WsgiResponse(page, content_type="text/html; charset=utf-8")

    def _health(self, request: Request) -> WsgiResponse:
        problem = self._index_problem()
        if problem:
            response = _json({"status": "unavailable", "reason": problem}, 503)
            response.headers["Retry-After"] = str(ServiceUnavailable.retry_after)
            return response
        checks = {"registry": len(self.registry.layers),
                  "registry_fingerprint": self.registry.fingerprint,
                  "layers_with_products": len(self.live.facts()),
                  "products": self.index.product_count(),
                  "mapfile": Path(self.settings.mapfile).exists(),
                  "mapproxy": Path(self.settings.mapproxy_config).exists()}
        ok = checks["mapfile"] and checks["mapproxy"]
        return _json({"status": "ok" if ok else "unavailable", "checks": checks},
                     200 if ok else 503)

    def _metrics(self, request: Request) -> WsgiResponse:
        body, media_type = exposition(request.headers.get("Accept"))
        return WsgiResponse(body, content_type=media_type)

    def _wmts(self, request: Request, rest: str = "") -> WsgiResponse:
        return WsgiResponse.from_app(self.tiles.wmts, request.environ)

    def _xyz(self, request: Request, tms: bool = False, **tile) -> WsgiResponse:
        return WsgiResponse.from_app(
            lambda environ, start: self.tiles.xyz(environ, start, tms=tms, **tile),
            request.environ)

    def _csw(self, request: Request) -> WsgiResponse:
        return WsgiResponse.from_app(self.csw, request.environ)

    def _stac(self, request: Request, rest: str = "") -> WsgiResponse:
        base = (self.settings.public_url or request.url_root).rstrip("/")
        body = request.get_data() if request.method == "POST" else b""
        answer = self._visible("stac").handle(rest, request.method,
                                              request.args.to_dict(flat=True), body, base)
        return WsgiResponse(answer.body, status=answer.status, content_type=answer.content_type)

    def _catalogue(self, request: Request, resource: str = "description") -> WsgiResponse:
        base = (self.settings.public_url or request.url_root).rstrip("/")
        answer = self._visible("opensearch").handle(resource, request.args.to_dict(flat=True),
                                                    base, request.headers.get("Accept"))
        return WsgiResponse(answer.body, status=answer.status, content_type=answer.content_type)

    def _mep(self, request: Request, rest: str = "") -> WsgiResponse:
        answer = self._visible("mep").handle(rest, request.args.to_dict(flat=True))
        return WsgiResponse(answer.body, status=answer.status, content_type=answer.content_type)

    def _download(self, request: Request, path: str) -> WsgiResponse:
        return self.downloads(request, path)

    def _timeseries(self, request: Request, rest: str = "") -> WsgiResponse:
        return self.timeseries(request)

    def _viewer(self, request: Request, rest: str | None = None) -> WsgiResponse:
        return self.viewer(request, rest)

    def _ogcapi(self, request: Request, rest: str = "") -> WsgiResponse:
        if self._pygeoapi is None:  # a worker that serves no process never imports pygeoapi
            self._pygeoapi = OgcApiMount(self.settings, registry=self.registry, ows=self.ows)
        return WsgiResponse.from_app(self._pygeoapi, request.environ)

    def _wps(self, request: Request) -> WsgiResponse:
        return self.wps(request)

    def _wps_output(self, request: Request, name: str) -> WsgiResponse:
        return self.wps.output(request, name)

    def _ows(self, request: Request, service: str) -> WsgiResponse:
        params = Params.from_pairs(request.args.items(multi=True))
        post = None
        if request.method == "POST":
            if request.mimetype == "application/x-www-form-urlencoded":
                params = Params.from_pairs(list(params.items) +
                                           list(request.form.items(multi=True)))
            else:
                post = (request.get_data(), request.mimetype or "application/xml")
        base = self.settings.public_url or request.host_url
        online_resource = f"{base.rstrip('/')}{request.path}?"
        tag = request_tag(self._ows_state(), params, service, online_resource) \
            if request.method in ("GET", "HEAD") else None
        held = next((t for t in (tag, gzipped_tag(tag)) if request.if_none_match.contains_weak(t)),
                    None) if tag else None
        if held:  # the client has this answer already: known before drawing it
            unchanged = WsgiResponse(status=304, headers={"Cache-Control": "no-cache"})
            unchanged.set_etag(held, weak=True)
            return unchanged
        response = _wsgi(self.ows.handle(params, service, post, online_resource))
        if tag and response.status_code == 200:
            response.set_etag(tag, weak=True)
        return response

    def _ows_state(self) -> tuple:
        """What every OWS answer depends on besides its request (services/ows/validators)."""
        try:
            generated = Path(self.settings.mapfile).stat().st_mtime_ns
        except OSError:
            generated = None
        return self.index.version(), self.registry.fingerprint, generated


def _bounded_body(environ: dict) -> None:
    """Read a POST/PUT body (chunked or not) up to the limit, so every service sees a known
    length; a larger one is RequestTooLarge (413)."""
    if environ.get("REQUEST_METHOD") not in ("POST", "PUT"):
        return
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_POST_BYTES:
        raise RequestTooLarge(f"the request body is larger than {MAX_POST_BYTES} bytes", "body")
    body = environ["wsgi.input"].read(MAX_POST_BYTES + 1)
    if len(body) > MAX_POST_BYTES:
        raise RequestTooLarge(f"the request body is larger than {MAX_POST_BYTES} bytes", "body")
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = BytesIO(body), str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


def _wsgi(response: OwsResponse) -> WsgiResponse:
    result = WsgiResponse(response.body, status=response.status)
    result.headers["Content-Type"] = response.content_type
    for name, value in response.headers:
        result.headers[name] = value
    return result


def _json(document: dict, status: int) -> WsgiResponse:
    media = "application/problem+json" if status >= 400 else "application/json"
    return WsgiResponse(json.dumps(document), status=status, content_type=media)


def create_app(settings: Settings | None = None) -> Gateway:
    """Build the gateway from deployment settings (default: the environment)."""
    return Gateway(settings or Settings())
