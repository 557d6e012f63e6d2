"""Load: N concurrent clients for T seconds across protocols against the real gateway, compared
with one client in the same run; shows what admission control sheds and what it keeps fast.

``python -m bench.load [--seconds 30] [--clients 1,4,32] [--render-workers 2,0]`` — the
benchmark archive (bench/common.py), the gateway under gunicorn with ``config/gunicorn.conf.py``
as shipped (2 workers, admission defaults, a render pool of ``--render-workers`` processes; with
several sizes every phase runs once per size, ``0`` being the web workers drawing themselves,
the baseline of the pool) and ``EOSCOPE_TRUSTED_PROXIES=["127.0.0.1"]``, each client
naming itself with its own ``X-Forwarded-For`` (as behind a reverse proxy), so the per-client
share applies per client and not to the whole benchmark.

Each client is a thread with one keep-alive ``http.client`` connection, looping without pause
over a fixed mix (starting at its own offset): 4 warm WMTS tiles (``tiles``), one WMS GetMap of
1024 x 1024 (``render``), one OpenSearch product search (``catalogue``), one point time series
over a year (``timeseries``) and one WMS GetCapabilities (``cheap``). A shed request (429/503)
is not retried: the client goes on with the next request of its mix. Reported per phase and
class: answers, p50/p99 of the 200s, 429, 503, other statuses, connection errors, and the shed
counts of ``/metrics`` over the phase. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from bench.common import RESULTS_DIR, archive, gateway, log, percentile
from bench.wmts_tiles import DATE, LAYER, footprint_tiles, spread
from services.index import ProductIndex
from services.registry import load

WORKERS = 2
NDVI = "TERRASCOPE_S2_NDVI_V2"


@dataclass
class Outcome:
    klass: str
    status: int | str   # HTTP status, or "error" (connection refused, reset, timeout)
    seconds: float
    started: float      # time.monotonic() at the request's start
    client: int = 0


def request_mix(index: ProductIndex, bounds: tuple[float, float, float, float]
                ) -> list[tuple[str, str]]:
    """(class, target) of one round of a client's loop."""
    west, south, east, north = bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    tiles = spread(footprint_tiles(bounds, 14), 4)
    mix = [("tiles", f"/wmts/{LAYER}/default/GoogleMapsCompatible/{DATE}/{t.z:02d}/{t.row}/"
                     f"{t.col}.png") for t in tiles]
    getmap = {"SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetMap", "LAYERS": LAYER,
              "STYLES": "", "SRS": "EPSG:4326", "BBOX": f"{west},{south},{east},{north}",
              "WIDTH": "1024", "HEIGHT": "1024", "FORMAT": "image/png", "TIME": DATE}
    search = {"collection": f"urn:eop:VITO:{NDVI}", "bbox": f"{west},{south},{east},{north}",
              "start": "2018-01-01T00:00:00Z", "end": "2018-12-31T23:59:59Z", "count": "20"}
    series = {"lon": f"{lon:.5f}", "lat": f"{lat:.5f}", "startDate": "2018-01-01",
              "endDate": "2018-12-31"}
    mix[2:2] = [("render", f"/ows?{urlencode(getmap)}")]
    mix += [("catalogue", f"/catalogue/products?{urlencode(search)}"),
            ("timeseries", f"/timeseries/v1.0/ts/{NDVI}/point?{urlencode(series)}"),
            ("cheap", "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")]
    return mix


class Client:
    """One client: a keep-alive connection, reopened after an error or a close."""

    def __init__(self, url: str, name: str):
        parts = urlsplit(url)
        self.host, self.port, self.name = parts.hostname, parts.port, name
        self.connection: http.client.HTTPConnection | None = None

    def get(self, target: str) -> int | str:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            self.connection.request("GET", target, headers={"X-Forwarded-For": self.name})
            response = self.connection.getresponse()
            response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status
        except (OSError, http.client.HTTPException):
            self.close()
            return "error"

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def drive(url: str, mix: list[tuple[str, str]], clients: int, seconds: float,
          during: Callable[[float], None] | None = None) -> list[Outcome]:
    """``clients`` threads looping over ``mix`` for ``seconds``; ``during(start)`` runs in the
    calling thread meanwhile (a fault to inject). Returns every outcome."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def loop(number: int) -> None:
        client = Client(url, f"10.{number // 250}.{number % 250}.1")
        position, mine = number, []
        while time.monotonic() < stop:
            klass, target = mix[position % len(mix)]
            position += 1
            began = time.monotonic()
            status = client.get(target)
            mine.append(Outcome(klass, status, time.monotonic() - began, began, number))
        client.close()
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    if during is not None:
        during(start)
    for thread in threads:
        thread.join()
    return outcomes


def shed_counts(url: str) -> Counter:
    """``eoscope_requests_shed_total`` by (class, reason), from /metrics."""
    client = Client(url, "10.255.255.1")
    counts: Counter = Counter()
    connection = http.client.HTTPConnection(client.host, client.port, timeout=30)
    connection.request("GET", "/metrics")
    for line in connection.getresponse().read().decode().splitlines():
        if line.startswith("eoscope_requests_shed_total{"):
            labels = dict(part.split("=") for part in line[line.index("{") + 1:
                                                          line.index("}")].split(","))
            counts[labels["service_class"].strip('"'), labels["reason"].strip('"')] += \
                float(line.rsplit(" ", 1)[1])
    connection.close()
    return counts


@dataclass
class ClassFigures:
    answers: int = 0
    ok: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def row(self) -> dict[str, object]:
        ok = sorted(s * 1000 for s in self.ok)
        other = sum(n for s, n in self.statuses.items() if s not in (200, 429, 503, "error"))
        return {"answers": self.answers, "ok": len(ok), "p50_ms": percentile(ok, 50),
                "p99_ms": percentile(ok, 99), "429": self.statuses[429],
                "503": self.statuses[503], "other": other, "errors": self.statuses["error"],
                "5xx_not_shed": sum(n for s, n in self.statuses.items()
                                    if isinstance(s, int) and s >= 500 and s != 503)}


def figures(outcomes: list[Outcome]) -> dict[str, dict[str, object]]:
    by_class: dict[str, ClassFigures] = defaultdict(ClassFigures)
    for outcome in outcomes:
        figure = by_class[outcome.klass]
        figure.answers += 1
        figure.statuses[outcome.status] += 1
        if outcome.status == 200:
            figure.ok.append(outcome.seconds)
    return {klass: figure.row() for klass, figure in sorted(by_class.items())}


def table(phase: str, rows: dict[str, dict[str, object]], shed: Counter, seconds: float) -> str:
    lines = [f"-- {phase}",
             f"{'class':11} {'answers':>7} {'req/s':>6} {'ok':>6} {'p50 ms':>8} {'p99 ms':>8}"
             f" {'429':>5} {'503':>5} {'other':>5} {'errors':>6}  shed by /metrics"]
    for klass, row in rows.items():
        shed_here = ", ".join(f"{reason} {int(n)}" for (k, reason), n in sorted(shed.items())
                              if k == klass and n)
        lines.append(f"{klass:11} {row['answers']:7d} {row['answers'] / seconds:6.1f}"
                     f" {row['ok']:6d} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f}"
                     f" {row['429']:5d} {row['503']:5d} {row['other']:5d} {row['errors']:6d}"
                     f"  {shed_here}")
    return "\n".join(lines)


def prepared() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The benchmark archive's environment (trusting loopback as a proxy) and the mix."""
    settings, env = archive()
    registry, index = load(settings.layers_dir), ProductIndex(settings.index)
    bounds = index.extent(registry.layer(LAYER)[0].id)
    return {**env, "EOSCOPE_TRUSTED_PROXIES": '["127.0.0.1"]'}, request_mix(index, bounds)


def warm(url: str, mix: list[tuple[str, str]]) -> None:
    """Every request of the mix once (fills the tile cache); each must be a 200."""
    client = Client(url, "10.255.255.2")
    for klass, target in mix:
        status = client.get(target)
        if status != 200:
            raise SystemExit(f"warm-up: {klass} {target} answered {status}")
    client.close()


def run(seconds: float, phases: list[int], render_workers: list[int]) -> dict[str, object]:
    """Every phase for each render pool size (0: draw in the web workers), one gateway each."""
    load_before = os.getloadavg()
    env, mix = prepared()
    results: dict[str, object] = {"seconds": seconds, "workers": WORKERS,
                                  "mix": [klass for klass, _ in mix], "models": {}}
    for pool in render_workers:
        print(f"== render pool of {pool} process(es)" if pool else
              "== no render pool: the web workers draw", flush=True)
        results["models"][str(pool)] = model = {"phases": {}}
        with gateway({**env, "EOSCOPE_RENDER_WORKERS": str(pool)}, workers=WORKERS) as url:
            warm(url, mix)
            for clients in phases:
                before = shed_counts(url)
                outcomes = drive(url, mix, clients, seconds)
                shed = shed_counts(url) - before
                rows = figures(outcomes)
                model["phases"][str(clients)] = {"classes": rows, "shed": {
                    f"{k}/{r}": n for (k, r), n in shed.items()}}
                print(table(f"{clients} client(s), {seconds:.0f} s", rows, shed, seconds),
                      flush=True)
        base, top = model["phases"][str(phases[0])], model["phases"][str(phases[-1])]
        model["p99_ratio_vs_baseline"] = {
            klass: top["classes"][klass]["p99_ms"] / base["classes"][klass]["p99_ms"]
            for klass in top["classes"] if klass in base["classes"]
            and base["classes"][klass]["ok"] and top["classes"][klass]["ok"]}
        print("p99 ratio, top phase over the 1-client baseline: " + ", ".join(
            f"{k} {v:.2f}" for k, v in model["p99_ratio_vs_baseline"].items()))
    results["load_average"] = [load_before[0], os.getloadavg()[0]]
    print(f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    save("load", results)
    return results


def save(name: str, results: dict[str, object]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    log(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", default="1,4,32",
                        help="comma-separated client counts, the first is the baseline")
    parser.add_argument("--render-workers", default="2",
                        help="comma-separated render pool sizes to run every phase with; 0 "
                        "draws in the web workers (the model before the pool)")
    args = parser.parse_args(argv)
    run(args.seconds, [int(n) for n in args.clients.split(",")],
        [int(n) for n in args.render_workers.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
