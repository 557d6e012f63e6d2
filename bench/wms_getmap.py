"""WMS GetMap latency: the gateway over HTTP vs mapscript in-process vs the ``mapserv`` CGI.

``python -m bench.wms_getmap`` — 256 x 256 PNG tiles of CGS_S2_NDVI and CGS_S2_RADIOMETRY in
EPSG:3857 on one date, over a fixed list of web-mercator tiles inside the archive (zoom 12 to
16), asked three ways, sequentially, and timed per request:

* gateway: gunicorn with 1 worker, one keep-alive ``requests.Session``;
* in-process: the mapfile loaded once here, ``clone()`` + OWSRequest + OWSDispatch + msIO
  buffer per request (what the gateway does, without HTTP and without its own logic);
* CGI: ``/usr/lib/cgi-bin/mapserv`` executed per request (``QUERY_STRING`` with ``MAP=``).

Every answer must be a 256 x 256 PNG; in the warm-up pass the three ways must give the same
pixels for each request.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import struct
import subprocess
import warnings
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

import mapscript
import numpy as np
import rasterio
import requests
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import box

from bench.common import (
    Answer,
    LeanClient,
    Report,
    Stats,
    WsgiInProcess,
    archive,
    bind,
    gateway,
    http_get,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
    standalone_mapfile,
)
from services.index import ProductIndex
from services.registry import load

LAYERS = ("CGS_S2_NDVI", "CGS_S2_RADIOMETRY")
DATE = "2018-07-03"  # cloud-free in the default demo archive: every tile is fully drawn
ZOOMS = (12, 13, 14, 15, 16)  # ≈ 38, 19, 9.6, 4.8, 2.4 m per pixel on the ground at 51° N
TILES_PER_ZOOM = 3
SIZE = 256
CGI_BINARY = Path("/usr/lib/cgi-bin/mapserv")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ORIGIN = 20037508.342789244  # half the width of the EPSG:3857 world
TARGET_INPROCESS = 1.15
COMMAND = "python -m bench.wms_getmap"

Bbox = tuple[float, float, float, float]


# -- what is asked -------------------------------------------------------------------------


def tiles(footprint: Bbox, crs: str, zooms: tuple[int, ...] = ZOOMS,
          per_zoom: int = TILES_PER_ZOOM) -> list[tuple[int, Bbox]]:
    """Web-mercator XYZ tiles lying wholly inside ``footprint`` (in ``crs``), ``per_zoom`` of
    them per zoom level spread evenly over the candidates: a deterministic list."""
    to_mercator = Transformer.from_crs(crs, "EPSG:3857", always_xy=True)
    minx, miny, maxx, maxy = footprint
    xs, ys = to_mercator.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    inner = (max(xs[0], xs[2]), max(ys[0], ys[1]), min(xs[1], xs[3]), min(ys[2], ys[3]))
    chosen = []
    for zoom in zooms:
        side = 2 * ORIGIN / 2**zoom
        columns = range(math.ceil((inner[0] + ORIGIN) / side),
                        math.floor((inner[2] + ORIGIN) / side))
        rows = range(math.ceil((ORIGIN - inner[3]) / side),
                     math.floor((ORIGIN - inner[1]) / side))
        candidates = [(r, c) for r in rows for c in columns]
        if len(candidates) > per_zoom > 1:
            step = (len(candidates) - 1) / (per_zoom - 1)
            candidates = [candidates[round(i * step)] for i in range(per_zoom)]
        for row, column in candidates[:per_zoom]:
            x0, y1 = column * side - ORIGIN, ORIGIN - row * side
            chosen.append((zoom, (x0, y1 - side, x0 + side, y1)))
    return chosen


def getmap(layer: str, bbox: Bbox, date: str) -> dict[str, str]:
    return {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer,
            "STYLES": "", "CRS": "EPSG:3857", "BBOX": ",".join(f"{v:.6f}" for v in bbox),
            "WIDTH": str(SIZE), "HEIGHT": str(SIZE), "FORMAT": "image/png",
            "TRANSPARENT": "TRUE", "TIME": date}


def requests_for(index: ProductIndex, grid_crs: str, date: str = DATE
                 ) -> list[tuple[str, int, dict[str, str]]]:
    """(layer, zoom, GetMap parameters) of every request of one pass."""
    footprints = []
    for layer in LAYERS:
        dates = index.layer_dates(layer)
        if date not in dates:
            raise SystemExit(f"{layer} has no product on {date}; the benchmark expects the "
                             "default demo archive")
        footprints.append(box(*index.layer_summaries()[1][layer][1]))  # grid CRS extent
    common = footprints[0].intersection(footprints[1]).bounds
    return [(layer, zoom, getmap(layer, bbox, date))
            for layer in LAYERS for zoom, bbox in tiles(common, grid_crs)]


# -- the ways of answering -----------------------------------------------------------------


class InProcess:
    """mapscript in this process: load once, ``clone()`` + OWSRequest + OWSDispatch per call."""

    def __init__(self, mapfile: Path):
        self.template = mapscript.mapObj(str(mapfile))

    def map_for(self, params: Mapping[str, str]) -> mapscript.mapObj:
        return self.template.clone()

    def __call__(self, params: Mapping[str, str]) -> Answer:
        map_ = self.map_for(params)
        request = mapscript.OWSRequest()
        for name, value in params.items():
            request.addParameter(name, value)
        mapscript.msIO_installStdoutToBuffer()
        try:
            try:
                map_.OWSDispatch(request)
            except mapscript.MapServerError:
                pass  # the exception report is in the buffer; the check rejects it
            finally:
                mapscript.msResetErrorList()
            table = mapscript.msIO_getAndStripStdoutBufferMimeHeaders()
            headers = {} if table is None else _hash(table)
            body = mapscript.msIO_getStdoutBufferBytes() or b""
        finally:
            mapscript.msIO_resetHandlers()
        return Answer(int(headers.get("Status", "200").split()[0]),
                      headers.get("Content-Type", ""), body)


class TunedInProcess(InProcess):
    """In-process with changes the findings suggest for the gateway (``--variants``): a
    template trimmed to the requested layers, raster datasets kept open between requests
    (``CLOSE_CONNECTION=DEFER``), the date selected in the tile index's SQL (as the gateway
    does) instead of MapServer's TIME filter."""

    def __init__(self, mapfile: Path, trim: bool = False, defer: bool = False,
                 date_filter: bool = False):
        super().__init__(mapfile)
        self.trim, self.date_filter = trim, date_filter
        self.trimmed: dict[str, mapscript.mapObj] = {}
        for i in range(self.template.numlayers) if defer else ():
            layer = self.template.getLayer(i)
            if layer.type == mapscript.MS_LAYER_RASTER and layer.tileindex:
                layer.setProcessingKey("CLOSE_CONNECTION", "DEFER")
                # GDAL shares open datasets by file name within a process: without another
                # spelling of the same paths ("//work/..."), the other in-process ways would
                # use, then really close, the datasets this one keeps open, and skew both.
                index = self.template.getLayerByName(layer.tileindex)
                if not index.data.startswith("SELECT fid, location,"):
                    raise RuntimeError(f"unexpected tile index SQL: {index.data}")
                index.data = index.data.replace("location,", "'/' || location AS location,", 1)

    def map_for(self, params: Mapping[str, str]) -> mapscript.mapObj:
        names = params["LAYERS"]
        if self.trim and names not in self.trimmed:
            self.trimmed[names] = _trimmed(self.template, names.split(","))
        map_ = (self.trimmed[names] if self.trim else self.template).clone()
        if self.date_filter:
            for name in names.split(","):
                index = map_.getLayerByName(map_.getLayerByName(name).tileindex)
                index.data = f"{index.data} AND date = '{params['TIME']}'"
        return map_


def _trimmed(template: mapscript.mapObj, names: list[str]) -> mapscript.mapObj:
    """A copy of ``template`` with only the layers ``names`` and their tile-index layers."""
    keep = set(names) | {template.getLayerByName(n).tileindex for n in names}
    map_ = template.clone()
    for i in reversed(range(map_.numlayers)):
        if map_.getLayer(i).name not in keep:
            map_.removeLayer(i)
    return map_


def _hash(table: mapscript.hashTableObj) -> dict[str, str]:
    result, key = {}, table.nextKey(None)
    while key:
        result[key] = table.get(key)
        key = table.nextKey(key)
    return result


def write_cgi_config(mapfile: Path, target: Path) -> Path:
    """A mapserver.conf letting the CGI open ``mapfile`` (and nothing else) through ``MAP=``."""
    escaped = "".join(f"\\{c}" if c in r".^$*+?{}[]\|()" else c for c in str(mapfile.resolve()))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# Generated by bench.wms_getmap: mapserv may open the benchmark mapfile.\n"
                      f'CONFIG\n  ENV\n    MS_MAP_PATTERN "^{escaped}$"\n  END\nEND\n')
    return target


class Cgi:
    """The ``mapserv`` CGI binary, executed once per request as a web server would."""

    def __init__(self, mapfile: Path, config: Path, binary: Path = CGI_BINARY):
        self.mapfile = mapfile.resolve()
        self.binary = str(binary)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PROJ_", "MS_"))}
        self.env = {**inherited, "REQUEST_METHOD": "GET", "GATEWAY_INTERFACE": "CGI/1.1",
                    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SCRIPT_NAME": "/mapserv",
                    "MAPSERVER_CONFIG_FILE": str(config)}

    def __call__(self, params: Mapping[str, str]) -> Answer:
        query = urlencode({"MAP": str(self.mapfile), **params})
        done = subprocess.run([self.binary], env={**self.env, "QUERY_STRING": query},
                              capture_output=True, check=False)
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")
                       if ": " in line)
        status = int(headers.get("Status", "200").split()[0]) if done.returncode == 0 else 500
        return Answer(status, headers.get("Content-Type", ""), body)


# -- checks --------------------------------------------------------------------------------


def check_png(way: str, number: int, answer: Answer) -> None:
    """A 200 answer carrying a SIZE x SIZE PNG (signature and IHDR; cheap, after every call)."""
    body = answer.body
    if answer.status != 200 or answer.content_type.split(";")[0] != "image/png" or \
            body[:8] != PNG_SIGNATURE or body[12:16] != b"IHDR":
        raise RuntimeError(f"{way}, request {number}: not a PNG (status {answer.status}, "
                           f"{answer.content_type}): {body[:300]!r}")
    width, height = struct.unpack(">II", body[16:24])
    if (width, height) != (SIZE, SIZE):
        raise RuntimeError(f"{way}, request {number}: PNG is {width} x {height}")


def decode(body: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a PNG has no georeference
        with rasterio.MemoryFile(io.BytesIO(body)) as memory, memory.open() as image:
            return image.read()


class SamePixels:
    """Records, for the first answer of each way to each request, the decoded image, and
    compares the ways: they must draw the same pixels (else they do not do the same work)."""

    def __init__(self) -> None:
        self.images: dict[tuple[str, int], np.ndarray] = {}
        self.opaque: list[float] = []

    def __call__(self, way: str, number: int, answer: Answer) -> None:
        check_png(way, number, answer)
        if (way, number) in self.images:
            return
        image = decode(answer.body)
        if image.shape[1:] != (SIZE, SIZE):
            raise RuntimeError(f"{way}, request {number}: image is {image.shape}")
        self.images[(way, number)] = image
        alpha = image[3] if image.shape[0] == 4 else np.full(image.shape[1:], 255)
        self.opaque.append(float((alpha > 0).mean()))
        if not (alpha > 0).any():
            raise RuntimeError(f"{way}, request {number}: fully transparent image")

    def differences(self, ways: list[str]) -> list[str]:
        found = []
        numbers = sorted({n for _, n in self.images})
        for way in ways[1:]:
            for n in numbers:
                a, b = self.images[(ways[0], n)], self.images[(way, n)]
                if a.shape != b.shape or not np.array_equal(a, b):
                    found.append(f"request {n}: {way} differs from {ways[0]}")
        return found


# -- the benchmark -------------------------------------------------------------------------


GATEWAY = "gateway (HTTP, gunicorn 1 worker)"
INPROCESS = "in-process mapscript"
CGI = "mapserv CGI (per request)"
WSGI = "breakdown: gateway app in-process (no HTTP)"
LEAN = "breakdown: gateway, http.client keep-alive"
VARIANTS = {  # name: TunedInProcess options
    "variant: in-process + SQL date filter": {"date_filter": True},
    "variant: in-process, trimmed template": {"trim": True},
    "variant: in-process + CLOSE_CONNECTION=DEFER": {"defer": True},
    "variant: in-process, all three": {"trim": True, "defer": True, "date_filter": True},
}


def run(repeat: int = 10, warmup: int = 1, breakdown: bool = False,
        variants: bool = False) -> Report:
    """Measure the three ways (plus the diagnostic ones asked for); the report also goes to
    bench/results/."""
    settings, env = archive()
    registry = load(settings.layers_dir)
    cases = requests_for(ProductIndex(settings.index), registry.layer(LAYERS[0])[0].grid.crs)
    mapfile = standalone_mapfile(settings, settings.var_dir / "bench-standalone.map")
    inprocess = InProcess(mapfile)
    cgi = Cgi(mapfile, write_cgi_config(mapfile,
                                                 settings.var_dir / "bench-mapserver.conf"))
    log(f"wms_getmap: {len(cases)} GetMap requests per pass, {warmup} warm-up + {repeat} timed"
        " passes per way")
    checker, load_before = SamePixels(), os.getloadavg()
    with gateway(env, workers=1) as url, requests.Session() as session:
        endpoint = f"{url}/ows"
        ways = {GATEWAY: [bind(http_get, session, endpoint, p) for _, _, p in cases],
                INPROCESS: [bind(inprocess, p) for _, _, p in cases],
                CGI: [bind(cgi, p) for _, _, p in cases]}
        if breakdown:
            wsgi, lean = WsgiInProcess(settings), LeanClient(url)
            ways[WSGI] = [bind(wsgi, "/ows", p) for _, _, p in cases]
            ways[LEAN] = [bind(lean, "/ows", p) for _, _, p in cases]
        for name, options in VARIANTS.items() if variants else ():
            tuned = TunedInProcess(mapfile, **options)
            ways[name] = [bind(tuned, p) for _, _, p in cases]
        timings = run_interleaved(ways, checker, warmup=warmup, repeat=repeat)
    report = _report(cases, timings, repeat)
    differences = checker.differences(list(ways))
    report.notes.append(f"all answers 200 image/png {SIZE}x{SIZE}, opaque share >= "
                        f"{min(checker.opaque):.2f}; " +
                        ("identical pixels in every way for every request" if not differences
                         else f"PIXEL DIFFERENCES: {'; '.join(differences[:5])}"))
    report.notes.append(load_note(load_before))
    path = save(report, {"requests": [{"layer": layer, "zoom": zoom, "params": params}
                                      for layer, zoom, params in cases],
                         "samples_ms": {n: [t * 1000 for t in v] for n, v in timings.items()}})
    log(f"results: {path}")
    return report


def _report(cases: list[tuple[str, int, dict[str, str]]], timings: dict[str, list[float]],
            repeat: int) -> Report:
    stats = {name: Stats.of(name, values) for name, values in timings.items()}
    per_layer = [Stats.of(f"  {name.split(' ')[0]} {layer}",
                          [t for i, t in enumerate(timings[name])
                           if cases[i % len(cases)][0] == layer])
                 for name in (GATEWAY, INPROCESS, CGI) for layer in LAYERS]
    report = Report("wms_getmap", COMMAND, list(stats.values()) + per_layer)
    report.ratios["gateway/in-process"] = ratio(stats[GATEWAY], stats[INPROCESS])
    report.ratios["gateway/CGI"] = ratio(stats[GATEWAY], stats[CGI])
    if WSGI in stats:
        report.ratios["gateway app, no HTTP/in-process"] = ratio(stats[WSGI], stats[INPROCESS])
        report.ratios["gateway, http.client/in-process"] = ratio(stats[LEAN], stats[INPROCESS])
    for name in VARIANTS:
        if name in stats:
            report.ratios[f"{name[9:]}/in-process"] = ratio(stats[name], stats[INPROCESS])
    report.targets = {"gateway/in-process": f"<= {TARGET_INPROCESS}", "gateway/CGI": "< 1"}
    report.met = {"gateway/in-process": report.ratios["gateway/in-process"] <= TARGET_INPROCESS,
                  "gateway/CGI": report.ratios["gateway/CGI"] < 1.0}
    report.notes.append(f"{len(cases)} requests x {repeat} passes per way; date {DATE}; "
                        f"EPSG:3857 tiles at zooms {ZOOMS}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed passes (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes (default 1)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the gateway app without HTTP and with a lean client")
    parser.add_argument("--variants", action="store_true",
                        help="also time in-process variants (trimmed template, DEFER, SQL filter)")
    args = parser.parse_args(argv)
    print(run(args.repeat, args.warmup, args.breakdown, args.variants).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
