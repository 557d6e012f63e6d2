"""The WSGI side of the viewer: its page and bundle, its configuration and the overlay.

Routes (below the gateway's ``/viewer``)::

    GET /viewer/                 the page (index.html of the build), with the URL's view state
    GET /viewer/config.json      layers, groups, endpoints, base map, overlay (from the registry)
    GET /viewer/overlay.geojson  the demo archive's streets, town and water (lon/lat)
    GET /viewer/<file>           the bundle (viewer.js, viewer.css) and the translations
"""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.utils import redirect, safe_join, send_file
from werkzeug.wrappers import Request, Response

from services.registry import Registry
from services.settings import Settings
from services.viewer.config import viewer_config
from services.viewer.overlay import OVERLAY_FILE

PROBLEM = "application/problem+json"


class ViewerApp:
    def __init__(self, settings: Settings, registry: Registry):
        self.dist = Path(settings.viewer_dist)
        self.overlay = Path(settings.archive) / OVERLAY_FILE
        self.config = json.dumps(viewer_config(registry, settings), ensure_ascii=False)

    def __call__(self, request: Request, rest: str | None = None) -> Response:
        if rest is None:  # /viewer: relative links need the slash; the view state is kept
            query = request.query_string.decode("latin-1")
            return redirect(f"{request.script_root}/viewer/" + (f"?{query}" if query else ""),
                            code=301)
        if rest == "config.json":
            return _no_cache(Response(self.config, content_type="application/json"))
        if rest == "overlay.geojson":
            return self._overlay(request)
        return self._static(request, rest or "index.html")

    def _overlay(self, request: Request) -> Response:
        if not self.overlay.is_file():
            return _problem(404, f"no overlay at {OVERLAY_FILE} in the archive; write the demo "
                                 "one with `python -m services.viewer.overlay ARCHIVE`, or set "
                                 "EOSCOPE_VIEWER_OVERLAY_URL")
        return send_file(self.overlay, request.environ, mimetype="application/geo+json",
                         max_age=0)

    def _static(self, request: Request, name: str) -> Response:
        if not (self.dist / "index.html").is_file():
            return _problem(503, f"the viewer is not built ({self.dist} has no index.html): "
                                 "run `make viewer` (npm ci and the esbuild build in viewer/)")
        path = safe_join(str(self.dist), name)
        if path is None or not Path(path).is_file():
            return _problem(404, f"no viewer file {name}")
        return send_file(path, request.environ, max_age=0, etag=True, conditional=True)


def _no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-cache"
    return response


def _problem(status: int, detail: str) -> Response:
    return Response(json.dumps({"type": "about:blank", "status": status, "detail": detail,
                                "title": "Viewer unavailable" if status == 503 else "Not Found"}),
                    status=status, content_type=PROBLEM)
