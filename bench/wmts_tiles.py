"""WMTS tiles: warm-tile throughput (gateway vs MapProxy alone vs nginx over the same cache files)
and cold-tile latency (first request of a tile vs a WMS GetMap of its bbox and of its metatile).

``python -m bench.wmts_tiles`` — CGS_S2_NDVI on the benchmark archive (bench/common.py).

Warm tiles: a fixed set of N (default 200) Web Mercator tiles at zooms 13 to 15 whose centres lie
in the archive's footprint, on one cloud-free date, are requested once through the gateway (that
fills MapProxy's file cache), then served ``--passes`` times by each of:

* gateway: ``services.gateway`` under gunicorn, 2 workers (gthread, config/gunicorn.conf.py),
  REST URLs ``/wmts/{layer}/default/GoogleMapsCompatible/{date}/{z}/{row}/{col}.png``;
* MapProxy alone: ``mapproxy.wsgiapp.make_wsgi_app(<the generated mapproxy.yaml>)`` under the
  same gunicorn settings, MapProxy's own REST URLs (same paths, no eoscope logic in front);
* nginx: the cache directory as static files (2 worker processes, sendfile, keep-alive), URLs
  being the files' paths in MapProxy's ``tc`` layout.

Each pass sends all N requests through a pool of 4 threads, each with its own keep-alive
connection (``http.client``: a lean client, so the client's own CPU cost on this small machine
skews the servers' comparison as little as possible); passes are interleaved across the ways.
Reported: requests/s (N x passes over the summed wall time of the passes) and per-request latency
under that load. Every answer must be a 200 ``image/png`` of 256 x 256 (signature and IHDR,
checked after every call); in the warm-up pass the three ways must return the same bytes for
each tile (the same cache file) and no tile may be blank.

Cold tiles: the cache of a second cloud-free date is deleted, then for M tiles at zooms 14 and
15, each in its own block of 4 x 4, sequentially: the first request of the tile through the
gateway (MapProxy asks the in-process source for the tile's metatile, of the size the
generated configuration gives requests, ``REQUEST_META_SIZE`` in services/tiles/config.py,
splits it if it is more than one tile and writes the files), then WMS GetMaps through the
gateway of the tile's bbox (256 x 256) and of its metatile's bbox (what MapProxy asks MapServer
for; MapProxy clips it to the layer's coverage, so near the edges it asks for less).
``--cold-rounds`` rounds, the cache deleted before each; the date's files are read once
beforehand so that the OS page cache favours no way.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import shutil
import struct
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.common import (
    Answer,
    Report,
    Stats,
    archive,
    find_nginx,
    gateway,
    load_note,
    log,
    ratio,
    running,
    save,
    static_server,
)
from bench.fastcgi import front_proxy
from bench.wms_getmap import PNG_SIGNATURE, decode
from services.index import ProductIndex
from services.registry import load
from services.settings import PROJECT_ROOT
from services.tiles.config import REQUEST_META_SIZE
from tests.conftest import free_port

LAYER = "CGS_S2_NDVI"
DATE = "2018-07-03"        # cloud-free in the default demo archive: warm tiles
COLD_DATE = "2018-07-23"   # cloud-free too: cold tiles
GRID = "GoogleMapsCompatible"
ZOOMS = (13, 14, 15)
COLD_ZOOMS = (15, 14)
META = REQUEST_META_SIZE[0]  # the metatile MapProxy draws for a tile asked for
BLOCK = 4                  # cold tiles: one per block of BLOCK x BLOCK tiles
SIZE = 256
HALF = math.pi * 6378137   # half the width of the Web Mercator world, metres
WORKERS = 2
CONCURRENCY = 4
COMMAND = "python -m bench.wmts_tiles"
MAPPROXY_CONFIG_ENV = "EOSCOPE_BENCH_MAPPROXY_CONFIG"

GATEWAY = f"warm: gateway (gunicorn {WORKERS} workers)"
MAPPROXY = f"warm: MapProxy alone (gunicorn {WORKERS} workers)"
FRONT = "warm: gateway behind deploy/nginx-eoscope.conf"
FRONT_RATIO = "warm gateway behind its front proxy/static, req/s"
NGINX = "warm: nginx static files (2 workers)"
STATIC_PY = "warm: python http.server static files (threads)"
COLD_TILE = "cold: first tile request through the gateway"
COLD_WMS = "cold: WMS GetMap of the tile bbox, 256x256"
COLD_RATIO = "cold tile/GetMap of its metatile, median"
COLD_META = f"cold: WMS GetMap of the metatile, {META * SIZE}x{META * SIZE}"


# -- which tiles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    z: int
    col: int
    row: int

    @property
    def side(self) -> float:
        return 2 * HALF / 2 ** self.z

    def bbox(self, n: int = 1) -> tuple[float, float, float, float]:
        """EPSG:3857 bbox of the n x n tiles from this one to the south-east."""
        x0, y1 = -HALF + self.col * self.side, HALF - self.row * self.side
        return x0, y1 - n * self.side, x0 + n * self.side, y1

    @property
    def metatile(self) -> Tile:
        return self.block(META)

    def block(self, n: int) -> Tile:
        """The north-west tile of the n x n block this one is in."""
        return Tile(self.z, self.col // n * n, self.row // n * n)

    def rest_path(self, date: str) -> str:
        return f"/wmts/{LAYER}/default/{GRID}/{date}/{self.z:02d}/{self.row}/{self.col}.png"


def _tile_of(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 2 ** z
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def footprint_tiles(bounds: tuple[float, float, float, float], z: int) -> list[Tile]:
    """Tiles of level z whose centre lies in the lon/lat ``bounds``, row by row."""
    west, south, east, north = bounds
    x0, y0 = _tile_of(west, north, z)
    x1, y1 = _tile_of(east, south, z)
    return [Tile(z, col, row)
            for row in range(math.floor(y0 - 0.5) + 1, math.ceil(y1 - 0.5))
            for col in range(math.floor(x0 - 0.5) + 1, math.ceil(x1 - 0.5))]


def spread(items: list, count: int) -> list:
    """``count`` of ``items`` evenly spaced (all of them if there are no more)."""
    if len(items) <= count:
        return list(items)
    step = (len(items) - 1) / max(count - 1, 1)
    return [items[round(i * step)] for i in range(count)]


def warm_set(bounds, count: int) -> list[Tile]:
    """All footprint tiles of the coarser zooms, then the finest spread to make ``count``."""
    chosen: list[Tile] = []
    for z in ZOOMS[:-1]:
        chosen += footprint_tiles(bounds, z)
    chosen += spread(footprint_tiles(bounds, ZOOMS[-1]), count - len(chosen))
    return chosen[:count]


def cold_set(bounds, count: int) -> list[Tile]:
    """Footprint tiles, one per block, of COLD_ZOOMS (two thirds at the first)."""
    chosen: list[Tile] = []
    for i, z in enumerate(COLD_ZOOMS):
        seen: dict[Tile, Tile] = {}
        for tile in footprint_tiles(bounds, z):
            seen.setdefault(tile.block(BLOCK), tile)
        want = count - len(chosen) if i == len(COLD_ZOOMS) - 1 else math.ceil(count * 2 / 3)
        chosen += spread(list(seen.values()), want)
    return chosen


# -- checks ----------------------------------------------------------------------------------


def png_size(way: str, what: str, answer: Answer) -> tuple[int, int]:
    body = answer.body
    if answer.status != 200 or answer.content_type.split(";")[0] != "image/png" or \
            body[:8] != PNG_SIGNATURE or body[12:16] != b"IHDR":
        raise RuntimeError(f"{way}, {what}: not a PNG (status {answer.status}, "
                           f"{answer.content_type}): {body[:300]!r}")
    return struct.unpack(">II", body[16:24])


def check_png(way: str, what: str, answer: Answer, size: int = SIZE) -> None:
    if png_size(way, what, answer) != (size, size):
        raise RuntimeError(f"{way}, {what}: PNG is {png_size(way, what, answer)}, not {size}²")


def opaque_share(body: bytes) -> float:
    image = decode(body)
    return float((image[3] > 0).mean()) if image.shape[0] == 4 else 1.0


# -- a keep-alive client per thread -----------------------------------------------------------


class Pool:
    """``concurrency`` threads, each with its own keep-alive HTTP connection to one server."""

    def __init__(self, url: str, concurrency: int = CONCURRENCY):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.local = threading.local()
        self.executor = ThreadPoolExecutor(concurrency)

    def _get(self, target: str) -> tuple[Answer, float]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=120)
        started = time.perf_counter()
        try:
            connection.request("GET", target)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # an idle keep-alive connection closed by the server (gunicorn: after 2 s)
            connection.close()
            started = time.perf_counter()
            connection.request("GET", target)
            response = connection.getresponse()
        answer = Answer(response.status, response.getheader("Content-Type", ""),
                        response.read())
        return answer, time.perf_counter() - started

    def run(self, targets: list[str]) -> tuple[list[tuple[Answer, float]], float]:
        """All targets through the pool: (answer, seconds) in order, and the wall time."""
        started = time.perf_counter()
        results = list(self.executor.map(self._get, targets))
        return results, time.perf_counter() - started

    def close(self) -> None:
        self.executor.shutdown()


# -- the servers -----------------------------------------------------------------------------


def mapproxy_app():
    """gunicorn's app factory for 'MapProxy alone' (the config from the environment). The
    ``eoscope`` source type only has to be known: warm tiles never reach a source. The
    generated configuration's time dimension is a placeholder, so the layers' dates are
    MapProxy's dimension values as the gateway sets them (``services.tiles.app._build``)."""
    from services.index.live import LiveLayers
    from services.settings import Settings
    from services.tiles.app import _build
    from services.tiles.source import register_source_type

    register_source_type(None)
    return _build(Path(os.environ[MAPPROXY_CONFIG_ENV]),
                  LiveLayers(ProductIndex(Settings().index)))


@contextmanager
def mapproxy_alone(config: Path, env: dict[str, str], log_dir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn",
               "-c", str(PROJECT_ROOT / "config/gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
               "--access-logfile", "/dev/null", "bench.wmts_tiles:mapproxy_app()"]
    with running(command, {**os.environ, **env, MAPPROXY_CONFIG_ENV: str(config)},
                 f"{url}/wmts/1.0.0/WMTSCapabilities.xml", "MapProxy",
                 log_dir / "mapproxy-alone.log"):
        yield url


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class Warm:
    latencies: dict[str, list[float]]
    wall: dict[str, float]
    requests: dict[str, int]

    def rps(self, way: str) -> float:
        return self.requests[way] / self.wall[way]


def cache_locations(config: Path, tiles: list[Tile], date: str, root: Path) -> list[str]:
    """The URL path of each tile's file under the cache directory, from MapProxy's own cache
    object (the layout of the generated configuration, dimensions as ``time-<date>``)."""
    from mapproxy.cache.tile import Tile as MapProxyTile
    from mapproxy.config.loader import load_configuration

    from services.tiles.source import register_source_type

    register_source_type(None)
    caches = load_configuration(str(config)).caches[f"{LAYER}_cache"].caches()
    managers = [m for grid, _extent, m in caches if grid.name == GRID]
    if not managers:
        raise RuntimeError(f"no {GRID} cache for {LAYER} in {config}")
    paths = []
    for tile in tiles:
        location = Path(managers[0].cache.tile_location(
            MapProxyTile((tile.col, tile.row, tile.z)), dimensions={"time": date}))
        paths.append("/" + location.relative_to(root).as_posix())
    return paths


def measure_warm(pools: dict[str, Pool], targets: dict[str, list[str]], passes: int,
                 tiles: list[Tile]) -> Warm:
    """One checked warm-up pass (same bytes in every way), then ``passes`` timed passes,
    interleaved across the ways."""
    bodies: dict[str, list[bytes]] = {}
    for way, pool in pools.items():
        results, _ = pool.run(targets[way])
        for tile, (answer, _) in zip(tiles, results, strict=True):
            check_png(way, f"tile {tile}", answer)
        bodies[way] = [answer.body for answer, _ in results]
    first = next(iter(bodies))
    for way, got in bodies.items():
        differ = [t for t, a, b in zip(tiles, bodies[first], got, strict=True) if a != b]
        if differ:
            raise RuntimeError(f"{way} returns other bytes than {first} for {len(differ)} "
                               f"tiles, e.g. {differ[0]}")
    blank = [t for t, body in zip(tiles, bodies[first], strict=True) if opaque_share(body) < 0.2]
    if blank:
        raise RuntimeError(f"{len(blank)} warm tiles are (nearly) blank, e.g. {blank[0]}")
    warm = Warm({w: [] for w in pools}, dict.fromkeys(pools, 0.0), dict.fromkeys(pools, 0))
    for _ in range(passes):
        for way, pool in pools.items():
            results, wall = pool.run(targets[way])
            for tile, (answer, seconds) in zip(tiles, results, strict=True):
                check_png(way, f"tile {tile}", answer)
                warm.latencies[way].append(seconds)
            warm.wall[way] += wall
            warm.requests[way] += len(results)
    return warm


def getmap(tile: Tile, date: str, n: int = 1) -> str:
    return "/wms?" + urlencode({
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
        "STYLES": "", "CRS": "EPSG:3857", "BBOX": ",".join(f"{v:.6f}" for v in tile.bbox(n)),
        "WIDTH": SIZE * n, "HEIGHT": SIZE * n, "FORMAT": "image/png", "TRANSPARENT": "TRUE",
        "TIME": date})


def timed(pool: Pool, target: str) -> tuple[Answer, float]:
    return pool.executor.submit(pool._get, target).result()


def measure_cold(url: str, tiles: list[Tile], date: str, cache_dir: Path, rounds: int,
                 bounds) -> dict[str, list[float]]:
    """First request of each tile after the date's cache is deleted, then the two GetMaps."""
    pool = Pool(url, concurrency=1)
    timings: dict[str, list[float]] = {COLD_TILE: [], COLD_WMS: [], COLD_META: []}
    try:
        # read the date's files once (OS page cache) with one GetMap over the whole footprint
        whole = "/wms?" + urlencode({
            "SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetMap", "LAYERS": LAYER,
            "STYLES": "", "SRS": "EPSG:4326", "BBOX": ",".join(map(str, bounds)),
            "WIDTH": 2 * SIZE, "HEIGHT": 2 * SIZE, "FORMAT": "image/png", "TIME": date})
        check_png("gateway", "GetMap of the footprint", timed(pool, whole)[0], 2 * SIZE)
        for _ in range(rounds):
            shutil.rmtree(cache_dir, ignore_errors=True)
            for tile in tiles:
                answer, seconds = timed(pool, tile.rest_path(date))
                check_png("gateway cold", f"tile {tile}", answer)
                if opaque_share(answer.body) < 0.2:
                    raise RuntimeError(f"cold tile {tile} is (nearly) blank")
                timings[COLD_TILE].append(seconds)
                answer, seconds = timed(pool, getmap(tile, date))
                check_png("gateway WMS", f"GetMap of {tile}", answer)
                timings[COLD_WMS].append(seconds)
                answer, seconds = timed(pool, getmap(tile.metatile, date, META))
                check_png("gateway WMS", f"GetMap of metatile {tile.metatile}", answer,
                          META * SIZE)
                timings[COLD_META].append(seconds)
            warm_again, _ = timed(pool, tiles[0].rest_path(date))
            check_png("gateway", "cached tile", warm_again)
        if not any(cache_dir.rglob("*.png")):
            raise RuntimeError(f"no tile was written under {cache_dir}: were they cold?")
    finally:
        pool.close()
    return timings


def run(count: int = 200, passes: int = 5, cold_count: int = 12, cold_rounds: int = 3
        ) -> Report:
    load_before = os.getloadavg()
    settings, env = archive()
    registry, index = load(settings.layers_dir), ProductIndex(settings.index)
    collection = registry.layer(LAYER)[0]
    for date in (DATE, COLD_DATE):
        if date not in index.layer_dates(LAYER):
            raise SystemExit(f"{LAYER} has no product on {date}; the benchmark expects the "
                             "default demo archive")
    bounds = index.extent(collection.id)
    tiles, cold = warm_set(bounds, count), cold_set(bounds, cold_count)
    config, cache_root = settings.mapproxy_config, settings.tile_cache_dir
    paths = [t.rest_path(DATE) for t in tiles]
    per_zoom = ", ".join(f"z{z}: {sum(t.z == z for t in tiles)}" for z in ZOOMS)
    log(f"wmts_tiles: {len(tiles)} warm tiles ({per_zoom}), {passes} timed passes per way; "
        f"{len(cold)} cold tiles x {cold_rounds} rounds")
    work = settings.var_dir / "bench-wmts"
    with gateway(env, workers=WORKERS) as url:
        # fill the cache for the warm date (metatiles rendered once, through the gateway)
        filler = Pool(url)
        started = time.perf_counter()
        for tile, (answer, _) in zip(tiles, filler.run(paths)[0], strict=True):
            check_png("gateway (filling the cache)", f"tile {tile}", answer)
        filler.close()
        log(f"warm tiles cached in {time.perf_counter() - started:.1f} s")
        static_paths = cache_locations(config, tiles, DATE, cache_root)
        missing = [p for p in static_paths if not (cache_root / p.lstrip("/")).exists()]
        if missing:
            raise RuntimeError(f"{len(missing)} tiles are not in the cache, e.g. {missing[0]}")
        with mapproxy_alone(config, env, work) as mapproxy_url, \
                static_server(cache_root, work / "static", static_paths[0]) as (by_nginx, s_url):
            static = NGINX if by_nginx else STATIC_PY
            pools = {GATEWAY: Pool(url), MAPPROXY: Pool(mapproxy_url), static: Pool(s_url)}
            targets = {GATEWAY: paths, MAPPROXY: paths, static: static_paths}
            with ExitStack() as stack:
                if find_nginx():  # the shipped front proxy, answering hits from the files
                    front = stack.enter_context(front_proxy(url, work / "front", cache_root))
                    pools[FRONT], targets[FRONT] = Pool(front), paths
                try:
                    warm = measure_warm(pools, targets, passes, tiles)
                finally:
                    for pool in pools.values():
                        pool.close()
        cold_file = cache_root / cache_locations(config, cold[:1], COLD_DATE, cache_root)[0][1:]
        cold_dir = next(p for p in cold_file.parents if p.name == f"time-{COLD_DATE}")
        cold_timings = measure_cold(url, cold, COLD_DATE, cold_dir, cold_rounds, bounds)
    report = _report(warm, cold_timings, static, len(tiles), passes, cold, cold_rounds)
    report.notes.append(load_note(load_before))
    path = save(report, {
        "throughput_rps": {way: warm.rps(way) for way in warm.wall},
        "warm_tiles": [[t.z, t.col, t.row] for t in tiles],
        "cold_tiles": [[t.z, t.col, t.row] for t in cold],
        "samples_ms": {n: [s * 1000 for s in v]
                       for n, v in {**warm.latencies, **cold_timings}.items()}})
    log(f"results: {path}")
    return report


def _report(warm: Warm, cold: dict[str, list[float]], static: str, count: int, passes: int,
            cold_tiles: list[Tile], cold_rounds: int) -> Report:
    stats = {name: Stats.of(name, values)
             for name, values in {**warm.latencies, **cold}.items()}
    short = {COLD_TILE: "first tile request", COLD_WMS: "GetMap 256",
             COLD_META: f"GetMap {META * SIZE}"}
    per_zoom = [Stats.of(f"  cold, z{z}: {short[name]}",
                         [t for i, t in enumerate(cold[name])
                          if cold_tiles[i % len(cold_tiles)].z == z])
                for z in COLD_ZOOMS for name in cold
                if any(t.z == z for t in cold_tiles)]  # a small --cold-tiles may skip a zoom
    report = Report("wmts_tiles", COMMAND, list(stats.values()) + per_zoom)
    report.ratios["warm gateway/MapProxy, req/s"] = warm.rps(GATEWAY) / warm.rps(MAPPROXY)
    report.ratios["warm gateway/static, req/s"] = warm.rps(GATEWAY) / warm.rps(static)
    report.ratios["warm gateway/MapProxy, median latency"] = ratio(stats[GATEWAY],
                                                                   stats[MAPPROXY])
    report.ratios["warm gateway/static, median latency"] = ratio(stats[GATEWAY], stats[static])
    report.ratios["cold tile/GetMap 256, median"] = ratio(stats[COLD_TILE], stats[COLD_WMS])
    report.ratios[COLD_RATIO] = ratio(stats[COLD_TILE], stats[COLD_META])
    report.targets = {"warm gateway/static, req/s": ">= 0.5", COLD_RATIO: "<= 1.5"}
    if FRONT in warm.wall:
        report.ratios[FRONT_RATIO] = warm.rps(FRONT) / warm.rps(static)
        report.targets[FRONT_RATIO] = ">= 0.5"
    report.met = {name: (report.ratios[name] >= float(target[2:]) if target.startswith(">=")
                         else report.ratios[name] <= float(target[2:]))
                  for name, target in report.targets.items()}
    report.notes.append("throughput: " + ", ".join(
        f"{way.split(': ')[1]} {warm.rps(way):.0f} req/s" for way in warm.wall))
    report.notes.append(
        f"warm: {count} tiles x {passes} passes per way, {CONCURRENCY} client threads with "
        f"keep-alive connections, date {DATE}, zooms {ZOOMS}; every answer a 256x256 PNG, the "
        "same bytes in every way")
    report.notes.append(
        f"{static.split(': ')[1]} is measured through the same Python client on the same 2 "
        "cores: its figure is a floor of what it can do, so gateway/static overstates the "
        "gateway (the real gap is wider)")
    report.notes.append(
        f"cold: {len(cold_tiles)} tiles (zooms {COLD_ZOOMS}, one per {BLOCK} x {BLOCK} block) x "
        f"{cold_rounds} "
        f"rounds, sequential, date {COLD_DATE}, cache deleted before each round")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", type=int, default=200, help="warm tiles (default 200)")
    parser.add_argument("--passes", type=int, default=5, help="timed warm passes (default 5)")
    parser.add_argument("--cold-tiles", type=int, default=12, help="cold tiles (default 12)")
    parser.add_argument("--cold-rounds", type=int, default=3, help="cold rounds (default 3)")
    args = parser.parse_args(argv)
    print(run(args.tiles, args.passes, args.cold_tiles, args.cold_rounds).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
