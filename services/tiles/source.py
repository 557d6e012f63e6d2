"""MapProxy source type ``eoscope``: MapProxy's own WMS source (metatiles, TIME forwarding), but
the requests go to the gateway's OWS service in-process instead of over HTTP, so tiles come from
exactly the same MapServer layers and styles as WMS, with no loop back through the network and
no deadlock with a single worker.
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

from mapproxy.client.http import HTTPClientError
from mapproxy.config.configuration.source import (
    WMSSourceConfiguration,
    register_source_configuration,
)
from mapproxy.config.spec import mapproxy_yaml_spec

from services.ows.kvp import Params
from services.ows.service import Renderer
from services.tiles.encoding import encode_tiles_fast

SOURCE_TYPE = "eoscope"


class _Response(BytesIO):
    def __init__(self, body: bytes, content_type: str):
        super().__init__(body)
        self.headers = {"Content-type": content_type}


class InProcessClient:
    """An HTTP-client look-alike that MapProxy's WMS client calls with a GetMap URL."""

    def __init__(self, renderer: Renderer | None):
        self.renderer = renderer

    def open(self, url: str, data: bytes | None = None) -> _Response:
        if self.renderer is None:
            raise HTTPClientError("the eoscope source renders only inside the gateway")
        pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        response = self.renderer.handle(Params.from_pairs(pairs), "WMS")
        if response.status != 200:
            raise HTTPClientError(f"WMS answered {response.status}: {response.body[:300]!r}",
                                  response_code=response.status)
        return _Response(response.body, response.content_type)


def register_source_type(renderer: Renderer | None = None) -> None:
    """Make ``type: eoscope`` known to MapProxy's loader, rendering with ``renderer``.

    MapProxy's plugin registry is process-wide: the last gateway built in a process renders.
    Tiles cut from metatiles are encoded at eoscope's PNG level (services.tiles.encoding)."""
    encode_tiles_fast()

    class EoscopeSourceConfiguration(WMSSourceConfiguration):
        source_type = (SOURCE_TYPE,)

        def http_client(self, url):
            return InProcessClient(renderer), url

    sources_spec = next(iter(mapproxy_yaml_spec["sources"].values()))
    if SOURCE_TYPE not in sources_spec.specs:
        sources_spec.add_subspec(SOURCE_TYPE, dict(sources_spec.specs["wms"]))
    register_source_configuration(SOURCE_TYPE, EoscopeSourceConfiguration)
