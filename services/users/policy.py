"""The service classes the access policy is about: which requests are viewing, which are
data, and the service name usage is counted under.

- view: WMS, WMTS and XYZ tiles, the viewer, CSW, OpenSearch, MEP, STAC, time series, WCS
  capabilities and descriptions, a WCS GetCoverage naming an output of at most
  ``wcs_open_pixels`` pixels, process lists and descriptions;
- data: ``/download``, any other WCS GetCoverage (native resolution: the archive's values),
  ``/ogcapi`` execution and jobs, ``/wps`` Execute and its status documents;
- always open: the landing page and ``/healthz``.
"""

from __future__ import annotations

import math

from werkzeug.wrappers import Request

from services.ows.kvp import Params

VIEW, DATA = "view", "data"
ALWAYS_OPEN = {"landing", "health", None}
VIEW_ENDPOINTS = {"wmts": "wmts", "xyz": "tiles", "csw": "csw", "catalogue": "opensearch",
                  "mep": "mep", "stac": "stac", "timeseries": "timeseries", "viewer": "viewer"}


def classify(endpoint: str | None, values: dict, request: Request, wcs_open_pixels: int
             ) -> tuple[str | None, str | None]:
    """(the service the request is counted under, its class: view, data or None for always
    open). The query is read once, and only for /ows and /wps."""
    if endpoint in ALWAYS_OPEN:
        return None, None
    if endpoint == "download":
        return "download", DATA
    if endpoint == "wps_output":
        return "wps", DATA
    if endpoint == "ogcapi":
        rest = values.get("rest", "").strip("/")
        return "ogcapi", DATA if rest.startswith("jobs") or rest.endswith("execution") else VIEW
    if endpoint not in ("ows", "wps"):
        return VIEW_ENDPOINTS.get(endpoint, endpoint), VIEW
    params = Params.from_pairs(request.args.items(multi=True))
    operation = (params.get("REQUEST") or "").lower()
    if endpoint == "wps":
        return "wps", DATA if operation == "execute" or request.method == "POST" else VIEW
    service = (params.get("SERVICE") or values.get("service", "WMS")).lower()
    if service == "wcs" and operation == "getcoverage":
        pixels = _named_pixels(params)
        return service, VIEW if pixels is not None and pixels <= wcs_open_pixels else DATA
    return service, VIEW


def service_class(endpoint: str | None, values: dict, request: Request,
                  wcs_open_pixels: int) -> str | None:
    """view, data, or None (always open)."""
    return classify(endpoint, values, request, wcs_open_pixels)[1]


def _named_pixels(params: Params) -> float | None:
    """The output pixels a GetCoverage names itself (WCS 1.0 WIDTH/HEIGHT, WCS 2.0
    SCALESIZE); None when it does not (native resolution, a resolution or a scale factor)."""
    width, height = params.get("WIDTH"), params.get("HEIGHT")
    sizes: list[str] = [width, height] if width and height else []
    scalesize = params.get("SCALESIZE")
    if scalesize:
        sizes = [part.rpartition("(")[2].rstrip(")") for part in scalesize.split(",")]
        if len(sizes) != 2:
            return None
    try:
        values = [float(s) for s in sizes]
    except ValueError:
        return None
    if len(values) != 2 or not all(math.isfinite(v) and v > 0 for v in values):
        return None
    return values[0] * values[1]
