"""WMS and WCS at /ows: our checks first (limits, TIME, WCS 2.0 time subsets), then MapServer.

Framework-free: ``OwsService.handle`` takes parsed parameters and returns a :class:`Response`;
the gateway adapts it to WSGI.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import mapscript
from lxml import etree
from rasterio.errors import RasterioError

from services import xmlbody
from services.errors import (
    Dialect,
    InvalidEncodingSyntax,
    InvalidParameterValue,
    NoApplicableCode,
    NoSuchCoverage,
    OGCException,
    RequestTooLarge,
    render,
    status_for,
)
from services.index import ProductIndex
from services.index.live import LiveLayers
from services.ows import exception_image, featureinfo, live, onepixel, unreadable, wcs, wcs_xml
from services.ows.fixes import wcs10_origin_at_pixel_centre, wcs20_exact_grid
from services.ows.kvp import Params
from services.ows.mapserver import MapServer, MapServerResponse, NoResponse, Tweak
from services.ows.reports import clean_report
from services.ows.timeparam import latest_of, select
from services.registry import Registry
from services.settings import Limits

_EXCEPTION_ROOT = re.compile(rb"<(?:\w+:)?(?:ServiceExceptionReport|ExceptionReport)\b")
_EXCEPTION_CODE = re.compile(rb'(?:code|exceptionCode)="([A-Za-z-]+)"')
_WMS_MAP_REQUESTS = {"getmap", "map", "getfeatureinfo", "feature_info"}


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = field(default=())


class Renderer(Protocol):
    """What draws OWS requests: :class:`OwsService` itself, or the render pool's client
    (:class:`services.ows.render_pool.RenderClient`)."""

    def handle(self, params: Params, default_service: str = "WMS",
               post: tuple[bytes, str] | None = None, online_resource: str | None = None
               ) -> Response: ...


def dialect_of(service: str, params: Params) -> Dialect:
    version = params.get("VERSION") or params.get("WMTVER") or ""
    if service.upper() == "WCS":
        version = version or (params.get("ACCEPTVERSIONS") or "2.0.1").split(",")[0]
        if version.startswith("1.0"):
            return Dialect.WCS_100
        return Dialect.OWS_11 if version.startswith("1.1") else Dialect.OWS_20
    return Dialect.WMS_111 if version.startswith("1.1") or version.startswith("1.0") \
        else Dialect.WMS_130


class OwsService:
    """WMS 1.1.1/1.3.0 and WCS 1.0.0/2.0.1 over the generated mapfile."""

    def __init__(self, registry: Registry, index: ProductIndex, mapserver: MapServer,
                 limits: Limits, layers: LiveLayers | None = None):
        self.registry = registry
        self.index = index
        self.mapserver = mapserver
        self.limits = limits
        self.live = layers or LiveLayers(index)
        self.unreadable = unreadable.UnreadableSources()

    def layer_dates(self, layer: str) -> tuple[str, ...]:
        """A layer's dates, oldest first, from the index as it is now (cached per index
        version; not copied: a request's cost must not grow with the dates)."""
        return self.live.dates(layer)

    def _only_layer(self, service: str, request: str, params: Params) -> str | None:
        """The one registry layer a request is about, when it is about one only."""
        if request in _WMS_MAP_REQUESTS:
            names = set((params.get("LAYERS") or "").split(",") +
                        (params.get("QUERY_LAYERS") or params.get("LAYERS") or "").split(","))
        elif request == "getlegendgraphic":
            names = {params.get("LAYER") or ""}
        elif service.upper() == "WCS" and request in ("getcoverage", "describecoverage"):
            names = {params.get("COVERAGEID") or params.get("COVERAGE") or ""}
        else:
            return None
        return names.pop() if len(names) == 1 and names <= set(self.registry.layers) else None

    def handle(self, params: Params, default_service: str = "WMS",
               post: tuple[bytes, str] | None = None, online_resource: str | None = None
               ) -> Response:
        """Answer one request; ``online_resource`` is the URL prefix capabilities advertise."""
        if post is not None and not xmlbody.has_doctype(post[0]):
            try:
                as_kvp = wcs_xml.getcoverage_kvp(post[0])
            except OGCException as error:
                rendered = render(error, wcs_xml.error_dialect(post[0]))
                return Response(rendered.status, rendered.content_type, rendered.body)
            if as_kvp is not None:  # an XML GetCoverage takes the KVP path: dates, limits
                params, post = as_kvp, None
        if not params.get("SERVICE") and post is None:
            params = params.replaced("SERVICE", default_service)
        service = params.get("SERVICE") or _service_of(post) or default_service
        dialect = dialect_of(service, params)
        request = (params.get("REQUEST") or "").lower()
        wms = service.upper() == "WMS"
        as_image = exception_image.image_mode(request, params) if wms else None
        info = featureinfo.wanted(request, params) if wms else None
        asked = exception_image.xml_instead(params) if as_image else \
            featureinfo.as_gml(params) if info else params
        try:
            _check_request(params, post)
            enlarged = self._one_pixel(service, request, params)
            response = self._handle(service, request, enlarged.params if enlarged else asked,
                                    post, online_resource)
            if enlarged and response.status == 200:
                response = _cropped(response, enlarged)
            if info and response.status == 200:
                response = _feature_info(info, response, params)
        except OGCException as error:
            rendered = render(error, dialect)
            response = Response(rendered.status, rendered.content_type, rendered.body)
        if as_image and response.status >= 400 and "xml" in response.content_type:
            drawn = exception_image.draw(as_image, exception_image.message_of(response.body),
                                         params, self.limits.max_map_side)
            if drawn:
                return Response(200, drawn[0], drawn[1])
        return response

    def _one_pixel(self, service: str, request: str, params: Params
                   ) -> onepixel.Enlarged | None:
        """A WCS 2.0 GetCoverage one pixel wide or high, enlarged for MapServer (or None)."""
        if service.upper() != "WCS" or request != "getcoverage" or \
                dialect_of(service, params) is not Dialect.OWS_20:
            return None
        coverage = self._coverage(params, "COVERAGEID")
        facts = self.live.facts()
        if coverage is None or coverage not in facts:
            return None
        grid = self.registry.layer(coverage)[0].grid
        return onepixel.plan(params, wcs.parse_subsets(params), grid.snap(facts[coverage].extent),
                             grid.step, grid.crs)

    def _handle(self, service: str, request: str, params: Params,
                post: tuple[bytes, str] | None, online_resource: str | None) -> Response:
        extra_headers: list[tuple[str, str]] = []
        chosen: dict[str, str | None] | None = None
        if post is None and service.upper() not in ("WMS", "WCS"):
            raise InvalidParameterValue(f"SERVICE={service} is not offered here (WMS, WCS)",
                                        "service")
        if service.upper() == "WMS" and request in _WMS_MAP_REQUESTS:
            self._check_image_size(params)
            params, chosen, extra_headers = self._wms_time(params, request)
        elif service.upper() == "WCS" and request != "getcoverage":
            # SUBSET is GetCoverage's; clients that keep it in a base URL (GDAL) send it along
            params = Params(tuple((k, v) for k, v in params.items if not wcs.is_subset_key(k)))
        elif service.upper() == "WCS":
            if dialect_of(service, params) is Dialect.OWS_20:
                params, chosen = self._wcs20_coverage(params)
            else:
                params, chosen = self._wcs10_coverage(params)
        tweaks = [t for t in (_online_resource(online_resource),
                              _language(params.get("LANGUAGE"))) if t]
        if service.upper() == "WCS":
            tweaks.append(_max_size(self.limits.max_coverage_side))
        layer = self._only_layer(service, request, params)
        result = self._dispatch(params, tweaks, post, chosen, layer)
        if chosen and "xml" in result.content_type and unreadable.draw_failed(result.body[:4000]):
            locations = [s for name, date in chosen.items() if date
                         for s in self.index.layer_locations(name, date)]
            if self.unreadable.find(locations):  # skip them and draw the rest
                result = self._dispatch(params, tweaks, post, chosen, layer)
        corrected = self._corrector(dialect_of(service, params)) \
            if request == "describecoverage" else None
        return _answer(result, extra_headers, corrected)

    def _corrector(self, dialect: Dialect) -> Callable[[bytes], bytes] | None:
        """How a DescribeCoverage answer is corrected for MapServer's grid errors
        (ows/fixes.py)."""
        if dialect is Dialect.WCS_100:
            return wcs10_origin_at_pixel_centre
        if dialect is Dialect.OWS_20:
            grids = {name: c.grid for name, (c, _layer) in self.registry.layers.items()}
            return lambda description: wcs20_exact_grid(description, grids)
        return None

    def _dispatch(self, params: Params, tweaks: list[Tweak], post: tuple[bytes, str] | None,
                  chosen: dict[str, str | None] | None, layer: str | None) -> MapServerResponse:
        facts = self.live.facts()
        tweak = live.advertise(self.registry, facts) if chosen is None else \
            live.select(self.registry, facts, chosen, self.unreadable.known())
        try:
            return self.mapserver.dispatch(params.items, [tweak, *tweaks], post, layer=layer)
        except NoResponse as error:
            if post:
                raise InvalidEncodingSyntax("the request body is not a valid OGC XML request",
                                            "request") from error
            raise NoApplicableCode(str(error)) from error

    # -- WMS -----------------------------------------------------------------------------

    def _check_image_size(self, params: Params) -> None:
        limit = self.limits.max_map_side
        for name in ("WIDTH", "HEIGHT"):
            value = params.integer(name)
            if value is None:
                continue
            if value <= 0:
                raise InvalidParameterValue(f"{name} must be positive, got {value}", name)
            if value > limit:
                raise RequestTooLarge(
                    f"{name}={value} is more than the advertised Max{name.title()} ({limit})",
                    name)

    def _wms_time(self, params: Params, request: str):
        """The date each requested layer shows: the latest its TIME selects (a date, an
        interval or a list), or its latest date without TIME (with WMS's Warning header)."""
        names = (params.get("LAYERS") or "").split(",")
        if request in ("getfeatureinfo", "feature_info"):
            names += (params.get("QUERY_LAYERS") or "").split(",")
        layers = sorted({n for n in names if n in self.registry.layers})
        if not layers:
            return params, {}, []
        dates = {layer: self.layer_dates(layer) for layer in layers}
        time = params.get("TIME")
        if time is None or time == "":
            chosen = {layer: (d[-1] if d else None) for layer, d in dates.items()}
            default = max((d for d in chosen.values() if d), default=None)
            headers = [("Warning", f"99 Default value used: time={default} ISO8601")] \
                if default else []
            return params, chosen, headers
        union = dates[layers[0]] if len(layers) == 1 else \
            sorted({d for values in dates.values() for d in values})
        selected = select(time, union).dates
        chosen = {layer: latest_of(values, selected) for layer, values in dates.items()}
        return params.without("TIME"), chosen, []

    # -- WCS -----------------------------------------------------------------------------

    def _coverage(self, params: Params, name: str) -> str | None:
        coverage = params.get(name)
        if coverage and coverage in self.registry.layers and \
                "wcs" in self.registry.layer(coverage)[1].services:
            return coverage
        return None  # unknown ids: MapServer answers NoSuchCoverage

    def _wcs20_coverage(self, params: Params):
        coverage = self._coverage(params, "COVERAGEID")
        subsets = wcs.parse_subsets(params)
        if coverage is None:
            return params, {}
        time_subsets = [s for s in subsets if s.is_time]
        dates = self.layer_dates(coverage)
        if not dates:
            raise NoSuchCoverage(f"coverage {coverage} has no products yet", "coverageId")
        date = wcs.select_date(time_subsets[0] if time_subsets else None, dates)
        collection = self.registry.layer(coverage)[0]
        extent = collection.grid.snap(self.live.facts()[coverage].extent)
        wcs.check_size(params, subsets, extent, collection.grid.step, collection.grid.crs,
                       self.limits)
        time_texts = {s.text for s in time_subsets}
        kept = Params(tuple((k, v) for k, v in params.items
                            if not (wcs.is_subset_key(k) and v in time_texts)))
        return kept, {coverage: date}

    def _wcs10_coverage(self, params: Params):
        if dialect_of("WCS", params) is Dialect.OWS_11:
            self._check_wcs11_size(params, self._coverage(params, "IDENTIFIER"))
        coverage = self._coverage(params, "COVERAGE")
        self._check_wcs10_size(params, coverage)
        if coverage is None:
            return params, None
        dates = self.layer_dates(coverage)
        time = params.get("TIME")
        if time:
            return params.without("TIME"), {coverage: select(time, dates).dates[-1]}
        return params, {coverage: dates[-1] if dates else None}

    def _check_wcs11_size(self, params: Params, coverage: str | None) -> None:
        """The grid a WCS 1.1 GetCoverage's BOUNDINGBOX and GRIDOFFSETS (or the coverage's
        resolution) make, within the limits (MapServer checks only its MAXSIZE a side)."""
        grid = self.registry.layer(coverage)[0].grid if coverage else None
        size = wcs.wcs11_estimated_size(params, grid.step if grid else None,
                                        grid.crs if grid else None)
        if size is None:
            return
        width, height = size
        side, most = self.limits.max_coverage_side, self.limits.max_coverage_pixels
        if max(width, height) > side or width * height > most:
            raise RequestTooLarge(f"the coverage asked for is {width} x {height} pixels; the "
                                  f"limits are {side} a side and {most} in all", "GridOffsets")

    def _check_wcs10_size(self, params: Params, coverage: str | None) -> None:
        """WIDTH/HEIGHT and the sizes RESX/RESY make of the BBOX (or of the coverage) within
        the limits: each one, and the largest of each axis in the pixel limit, since MapServer
        may take either (it takes WIDTH/HEIGHT when both are given)."""
        side, most = self.limits.max_coverage_side, self.limits.max_coverage_pixels
        facts = self.live.facts().get(coverage) if coverage else None
        sizes = wcs.wcs10_sizes(params, facts.extent if facts else None,
                                self.registry.layer(coverage)[0].grid.crs if coverage else None)
        for name, value in sizes.items():
            if not value <= side:  # also inf, for RESX=1e-320
                made = f"{name}={value} is" if name in ("WIDTH", "HEIGHT") else \
                    f"{name}={params.get(name, '')[:40]} makes {value:.0f} pixels,"
                raise RequestTooLarge(f"{made} more than {side}", name)
        width, height = wcs.wcs10_estimated_size(sizes)
        if width and height and width * height > most:
            raise RequestTooLarge(f"{width} x {height} pixels is more than {most}", "WIDTH")


def _answer(result: MapServerResponse, headers: list[tuple[str, str]],
            corrected: Callable[[bytes], bytes] | None) -> Response:
    """MapServer's answer as ours: an exception report cleaned and given the status of its
    code (and none of the request's extra headers)."""
    status, body = result.status, result.body
    if "xml" in result.content_type and _EXCEPTION_ROOT.search(body[:2000]):
        body, headers = clean_report(body), []
        if status == 200:
            code = _EXCEPTION_CODE.search(body[:4000])
            status = status_for(code[1].decode() if code else None)
            if status >= 500:
                status = 400  # MapServer's uncoded reports answer the request's content
    if status == 200 and corrected is not None:
        body = corrected(body)
    return Response(status, result.content_type, body,
                    tuple(headers) + tuple(result.headers.items()))


def _check_request(params: Params, post: tuple[bytes, str] | None) -> None:
    """What no request may have: a repeated key, a remote style, a body with a DOCTYPE."""
    params.check_unrepeated(allowed={"SUBSET"})
    _check_no_remote_styles(params)
    if post and xmlbody.has_doctype(post[0]):
        raise InvalidEncodingSyntax("the request body must not have a DOCTYPE", "request")


def _cropped(response: Response, enlarged: onepixel.Enlarged) -> Response:
    try:
        body = onepixel.crop(response.body, enlarged.window)
    except RasterioError:
        raise NoApplicableCode("the one-pixel coverage could not be cut out") from None
    headers = tuple((k, v) for k, v in response.headers if k.lower() != "content-length")
    return Response(200, response.content_type, body, headers)


def _service_of(post: tuple[bytes, str] | None) -> str | None:
    """The service an XML POST body is for (so its errors take that service's shape)."""
    if post and b"opengis.net/wcs" in post[0][:4000]:
        return "WCS"
    return None


def _feature_info(kind: str, response: Response, params: Params) -> Response:
    """MapServer's GML feature info written as GeoJSON or HTML."""
    try:
        media, body = featureinfo.render(kind, response.body,
                                         params.get("CRS") or params.get("SRS") or "")
    except etree.XMLSyntaxError:
        raise NoApplicableCode("the feature info could not be read") from None
    return Response(200, media, body, response.headers)


def _check_no_remote_styles(params: Params) -> None:
    """SLD and SLD_BODY would make MapServer fetch URLs of the client's choosing (SSRF) and
    style with rules nobody checked: styles are the ones the capabilities list."""
    for name in ("SLD", "SLD_BODY", "REMOTE_OWS_URL", "REMOTE_OWS_TYPE"):
        if params.get(name) is not None:
            raise InvalidParameterValue(f"{name} is not supported: use one of the STYLES the "
                                        "capabilities list", name)


def _online_resource(url: str | None) -> Tweak | None:
    if not url:
        return None

    def tweak(map_: mapscript.mapObj) -> None:
        map_.web.metadata.set("ows_onlineresource", url)
    return tweak


LANGUAGES = {"en": "en", "eng": "en", "nl": "nl", "dut": "nl", "nld": "nl",
             "fr": "fr", "fre": "fr", "fra": "fr"}


def _language(requested: str | None) -> Tweak | None:
    """``LANGUAGE=nl`` (or ``fr``): layer titles and abstracts from the registry's translations
    (the mapfile carries them as ``ows_title.nl`` …); unknown languages fall back to English."""
    language = LANGUAGES.get((requested or "").lower())
    if language in (None, "en"):
        return None

    def tweak(map_: mapscript.mapObj) -> None:
        for i in range(map_.numlayers):
            metadata = map_.getLayer(i).metadata
            for key in ("ows_title", "ows_abstract"):
                translated = metadata.get(f"{key}.{language}")
                if translated:
                    metadata.set(key, translated)
    return tweak


def _max_size(side: int) -> Tweak:
    def tweak(map_: mapscript.mapObj) -> None:
        map_.maxsize = side
    return tweak
