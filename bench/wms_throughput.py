"""WMS GetMap under load: the gateway vs mapserv FastCGI behind nginx, at 1, 4 and 16 clients.

``python -m bench.wms_throughput`` — the GetMap requests of ``bench.wms_getmap`` (256 x 256 PNG
of CGS_S2_NDVI and CGS_S2_RADIOMETRY, EPSG:3857, zooms 12-16, one date), repeated to make a
pass, sent by N client threads (each its own keep-alive ``http.client`` connection) to:

* the gateway: gunicorn with ``config/gunicorn.conf.py`` and 2 workers (one a core);
* mapserv FastCGI: 2 ``mapserv`` processes (spawn-fcgi) behind nginx (2 workers), the same
  mapfile (``bench.fastcgi``).

Passes are interleaved across the ways for each client count. Per way and count: requests/s
(requests over the summed wall time of its passes) and the latency of each request under that
load (p50, p99). In the untimed pass both ways must give the same PNG bytes for every request.
``--gunicorn NAME=ARGS`` adds gateways with other gunicorn settings (``GUNICORN_CMD_ARGS``,
which override the config file), e.g. ``--gunicorn "no keep-alive=--keep-alive 0"``;
``--front-proxy`` adds the gateway behind the shipped ``deploy/nginx-eoscope.conf``;
``--without-pool`` a gateway whose web workers draw themselves (``EOSCOPE_RENDER_WORKERS=0``, the
model before the render pool). Sixteen keep-alive clients from one address, gathered on one
web worker, need more render places than a lone client gets by default (the benchmark compares
throughput and latency, not shedding), so its gateways run with
``EOSCOPE_ADMISSION_RENDER='[14,2]' EOSCOPE_ADMISSION_WAIT=30`` unless those are set.
"""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack
from urllib.parse import urlencode

from bench.common import (
    Report,
    Stats,
    archive,
    gateway_beside,
    load_note,
    log,
    percentile,
    save,
    standalone_mapfile,
)
from bench.fastcgi import PATH, front_proxy, mapserv_fastcgi
from bench.wms_getmap import LAYERS, check_png, requests_for
from bench.wmts_tiles import Pool
from services.index import ProductIndex
from services.registry import load

CLIENTS = (1, 4, 16)
WORKERS = 2
COPIES = 4  # the 26 requests of wms_getmap, 4 times a pass: 104 requests
GATEWAY = f"gateway (gunicorn {WORKERS} workers)"
FASTCGI = "mapserv FastCGI x2 behind nginx"
PROXIED = "gateway behind deploy/nginx-eoscope.conf"
UNPOOLED = "gateway without render pool"
ADMISSION = {"EOSCOPE_ADMISSION_RENDER": "[14,2]", "EOSCOPE_ADMISSION_WAIT": "30"}
COMMAND = "python -m bench.wms_throughput"
TARGET_RPS, TARGET_P99 = 1.0, 1.1


def targets_of(cases: list[dict[str, str]], path: str) -> list[str]:
    return [f"{path}?{urlencode(p)}" for p in cases]


def run(passes: int = 5, clients: tuple[int, ...] = CLIENTS,
        gunicorn: dict[str, str] | None = None, proxy: bool = False,
        without_pool: bool = False) -> Report:
    load_before = os.getloadavg()
    settings, env = archive()
    registry = load(settings.layers_dir)
    cases = [p for _, _, p in requests_for(ProductIndex(settings.index),
                                           registry.layer(LAYERS[0])[0].grid.crs)] * COPIES
    # 16 keep-alive clients from one address gather on one web worker: give them the render
    # places they need (this measures throughput and latency, not shedding)
    env = {**env, **{name: os.environ.get(name, value) for name, value in ADMISSION.items()}}
    gateways = {GATEWAY: {}, **{f"gateway, {name}": {"GUNICORN_CMD_ARGS": args}
                                for name, args in (gunicorn or {}).items()}}
    if without_pool:  # the web workers draw themselves (the model before the render pool)
        gateways[UNPOOLED] = {"EOSCOPE_RENDER_WORKERS": "0"}
    log(f"wms_throughput: {len(cases)} GetMap requests a pass, clients {clients}, "
        f"{passes} timed passes per way and client count; ways: {', '.join(gateways)}, {FASTCGI}")
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        for number, (name, extra) in enumerate(gateways.items()):
            urls[name] = stack.enter_context(gateway_beside(
                {**env, **extra}, settings.var_dir / f"bench-gateway-{number}", WORKERS))
        if proxy:
            urls[PROXIED] = stack.enter_context(
                front_proxy(urls[GATEWAY], settings.var_dir / "bench-front-proxy",
                            settings.tile_cache_dir))
        work = settings.var_dir / "bench-fastcgi"
        mapfile = standalone_mapfile(settings, work / "eoscope-standalone.map")
        urls[FASTCGI] = stack.enter_context(mapserv_fastcgi(mapfile, work))
        targets = {name: targets_of(cases, PATH if name == FASTCGI else "/ows") for name in urls}
        same_bytes = check_same_bytes(urls, targets)
        latencies: dict[tuple[str, int], list[float]] = {}
        wall: dict[tuple[str, int], float] = {}
        for count in clients:
            pools = {name: Pool(url, count) for name, url in urls.items()}
            try:
                for name, pool in pools.items():  # warm-up: connections open, caches warm
                    pool.run(targets[name])
                for _ in range(passes):
                    for name, pool in pools.items():
                        results, seconds = pool.run(targets[name])
                        for number, (answer, _) in enumerate(results):
                            check_png(name, number, answer)
                        latencies.setdefault((name, count), []).extend(s for _, s in results)
                        wall[(name, count)] = wall.get((name, count), 0.0) + seconds
            finally:
                for pool in pools.values():
                    pool.close()
            log(f"  {count} clients: " + ", ".join(
                f"{n} {len(latencies[(n, count)]) / wall[(n, count)]:.0f} req/s" for n in urls))
    report = _report(urls, clients, latencies, wall, len(cases), passes)
    report.notes.append(same_bytes)
    report.notes.append(load_note(load_before))
    path = save(report, {
        "throughput_rps": {f"{n} @{c}": len(latencies[(n, c)]) / wall[(n, c)]
                           for n, c in latencies},
        "p99_ms": {f"{n} @{c}": percentile(sorted(v), 99.0) * 1000
                   for (n, c), v in latencies.items()},
        "gunicorn_variants": gunicorn or {}})
    log(f"results: {path}")
    return report


def check_same_bytes(urls: dict[str, str], targets: dict[str, list[str]]) -> str:
    """Every way's answer to every request, once; the PNG bytes must be the same."""
    bodies = {}
    for name, url in urls.items():
        pool = Pool(url, 1)
        try:
            results, _ = pool.run(targets[name])
        finally:
            pool.close()
        for number, (answer, _) in enumerate(results):
            check_png(name, number, answer)
        bodies[name] = [a.body for a, _ in results]
    reference = bodies[FASTCGI]
    differing = {name: sum(a != b for a, b in zip(found, reference, strict=True))
                 for name, found in bodies.items() if name != FASTCGI}
    if any(differing.values()):
        raise RuntimeError(f"PNG bytes differ from {FASTCGI}: {differing}")
    return f"every way gave the same PNG bytes as {FASTCGI} for all {len(reference)} requests"


def _report(urls: dict[str, str], clients: tuple[int, ...],
            latencies: dict[tuple[str, int], list[float]], wall: dict[tuple[str, int], float],
            per_pass: int, passes: int) -> Report:
    report = Report("wms_throughput", COMMAND)
    rps = {key: len(v) / wall[key] for key, v in latencies.items()}
    p99 = {key: percentile(sorted(v), 99.0) for key, v in latencies.items()}
    for count in clients:
        for name in urls:
            report.stats.append(Stats.of(f"{name} @{count}: latency", latencies[(name, count)]))
        for name in urls:
            if name == FASTCGI:
                continue
            label = "gateway" if name == GATEWAY else name
            report.ratios[f"{label}/FastCGI req/s @{count}"] = \
                rps[(name, count)] / rps[(FASTCGI, count)]
            report.ratios[f"{label}/FastCGI p99 @{count}"] = \
                p99[(name, count)] / p99[(FASTCGI, count)]
        report.targets[f"gateway/FastCGI req/s @{count}"] = f">= {TARGET_RPS}"
        report.met[f"gateway/FastCGI req/s @{count}"] = \
            report.ratios[f"gateway/FastCGI req/s @{count}"] >= TARGET_RPS
    last = max(clients)
    report.targets[f"gateway/FastCGI p99 @{last}"] = f"<= {TARGET_P99}"
    report.met[f"gateway/FastCGI p99 @{last}"] = \
        report.ratios[f"gateway/FastCGI p99 @{last}"] <= TARGET_P99
    report.notes.append("req/s: " + "; ".join(
        f"@{c}: " + ", ".join(f"{n} {rps[(n, c)]:.0f}" for n in urls) for c in clients))
    report.notes.append("p99 ms: " + "; ".join(
        f"@{c}: " + ", ".join(f"{n} {p99[(n, c)] * 1000:.1f}" for n in urls) for c in clients))
    report.notes.append(f"{per_pass} requests x {passes} passes per way and client count, "
                        "passes interleaved; each client thread its own keep-alive connection")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)),
                        help="client counts, comma-separated (default 1,4,16)")
    parser.add_argument("--front-proxy", action="store_true",
                        help="also the gateway behind deploy/nginx-eoscope.conf")
    parser.add_argument("--gunicorn", action="append", default=[], metavar="NAME=ARGS",
                        help="also a gateway with these GUNICORN_CMD_ARGS (repeatable)")
    parser.add_argument("--without-pool", action="store_true",
                        help="also a gateway whose web workers draw (EOSCOPE_RENDER_WORKERS=0)")
    args = parser.parse_args(argv)
    variants = dict(v.split("=", 1) for v in args.gunicorn)
    clients = tuple(int(c) for c in args.clients.split(","))
    print(run(args.passes, clients, variants, args.front_proxy, args.without_pool).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
