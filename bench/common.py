"""What every benchmark shares: the cached demo archive, the gateway, timing and statistics.

The archive (default :class:`DemoSpec`: 10 x 10 km at 10 m, 24 dates) is generated once under
``var/bench/`` (or ``$EOSCOPE_BENCH_DIR``) and reused; ingest and the mapfile are redone on
every run with ``eoscope ingest`` (cheap, and they follow the code under test).
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from services.demo import DemoSpec
from services.demo.region import RegionSpec
from services.index import ProductIndex
from services.index.live import LiveLayers
from services.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port, prepare, settings_for, start_gateway, stop_gateway

SPEC = DemoSpec()
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


def bench_dir() -> Path:
    return Path(os.environ.get("EOSCOPE_BENCH_DIR") or PROJECT_ROOT / "var" / "bench")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def archive(spec: DemoSpec | RegionSpec = SPEC, subfolder: str = ""
            ) -> tuple[Settings, dict[str, str]]:
    """The benchmark archive of ``spec`` (in ``subfolder`` of the bench folder), generated only
    the first time, then re-ingested by each run so it follows the code under test."""
    root = bench_dir() / subfolder if subfolder else bench_dir()
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == repr(spec):
        settings, env = settings_for(root)
        # the operator's command: ingest, then regenerate every service configuration
        done = subprocess.run([sys.executable, "-m", "services.cli", "ingest"], cwd=PROJECT_ROOT,
                              env={**os.environ, **env}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"eoscope ingest failed:\n{done.stderr[-3000:]}")
        return settings, env
    log(f"generating the benchmark archive in {root} (once) ...")
    for name in ("archive", "var", "mapfiles", "generated", ".complete"):
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = prepare(root, spec)
    marker.write_text(repr(spec))
    log(f"archive ready in {time.perf_counter() - started:.0f} s")
    return result


@contextmanager
def gateway(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """The real gateway under gunicorn (``workers`` processes); yields its base URL."""
    process, url = start_gateway(env, workers)
    try:
        yield url
    finally:
        stop_gateway(process)


def standalone_mapfile(settings: Settings, target: Path) -> Path:
    """The gateway's mapfile as plain MapServer needs it. The generated mapfile holds only the
    registry (the gateway sets each request's date on the tile index), so here each layer's
    tile index selects all its products and the layer gets its dates as ``wms_timeextent`` and
    ``wms_timedefault`` (MapServer's own TIME filter), as an operator of MapServer alone would
    write them. Text edits: mapscript 8.0's ``save()`` drops the styles' COLORRANGE."""
    facts = LiveLayers(ProductIndex(settings.index)).facts()
    lines, layer = [], None
    for line in settings.mapfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["NAME"] and layer is None:
            layer = words[1].strip('"')
        elif words[:1] == ["LAYER"]:
            layer = None
        if words[:1] == ["DATA"] and line.endswith(" AND date = ''\""):
            line = line.removesuffix(" AND date = ''\"") + '"'
        lines.append(line)
        if words[:1] == ['"wms_timeitem"'] and layer in facts:
            indent = line[:len(line) - len(line.lstrip())]
            dates = ",".join(facts[layer].dates)
            lines += [f'{indent}"wms_timeextent" "{dates}"',
                      f'{indent}"wms_timedefault" "{facts[layer].latest}"',
                      f'{indent}"wcs_timeposition" "{dates}"']
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return target


def wait_until_up(process: subprocess.Popen, url: str, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    parts = urlsplit(url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited, see {log_path}")
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            connection.request("GET", parts.path or "/")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        finally:
            connection.close()
    process.kill()
    raise RuntimeError(f"{what} did not answer {url} within 60 s, see {log_path}")


def find_nginx() -> str | None:
    """Debian's nginx (``nginx-light``, installed by ``deploy/setup.sh --test``), if any."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)


def nginx_command(nginx: str, work: Path, conf: Path) -> list[str]:
    """nginx in the foreground with its prefix, error log and configuration under ``work``."""
    return [nginx, "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf),
            "-g", "daemon off;"]


@contextmanager
def running(command: list[str], env: dict[str, str], probe: str, what: str, log_path: Path
            ) -> Iterator[subprocess.Popen]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_until_up(process, probe, what, log_path)
        yield process
    finally:
        stop_gateway(process)  # terminate, then kill after 15 s


@contextmanager
def gateway_beside(env: dict[str, str], work: Path, workers: int = 1) -> Iterator[str]:
    """The gateway like :func:`gateway`, but its pid file and log in ``work``, so that several
    run side by side on one archive (``env`` may set ``GUNICORN_CMD_ARGS``); yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn",
               "-c", str(PROJECT_ROOT / "config/gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--access-logfile", "/dev/null",
               "--pid", str(work / "gateway.pid"), "services.gateway:create_app()"]
    with running(command, {**os.environ, **env}, f"{url}/healthz", "gateway",
                 work / "gateway.log"):
        yield url


# -- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Latency statistics of one way of doing the work, in milliseconds."""

    name: str
    samples: int
    median_ms: float
    p90_ms: float
    mean_ms: float
    min_ms: float

    @classmethod
    def of(cls, name: str, seconds: Sequence[float]) -> Stats:
        ms = sorted(s * 1000.0 for s in seconds)
        return cls(name, len(ms), statistics.median(ms), percentile(ms, 90.0),
                   statistics.fmean(ms), ms[0])


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of already sorted ``values``."""
    if not values:
        return float("nan")
    rank = (len(values) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


@dataclass(frozen=True)
class Answer:
    """What a way of serving a request gave back (HTTP status, media type, body)."""

    status: int
    content_type: str
    body: bytes


Case = Callable[[], Answer]
"""One request done one way; returns the answer, which is checked outside the timed part."""
Check = Callable[[str, int, Answer], None]
"""Called with (way, case number, answer) after every call; raises if the answer is wrong."""


def run_interleaved(ways: dict[str, Sequence[Case]], check: Check, warmup: int, repeat: int
                    ) -> dict[str, list[float]]:
    """Time every case of every way, ``repeat`` passes after ``warmup`` untimed ones.

    Passes are interleaved (all cases way A, all cases way B, ... then again) so that drift of
    the machine (other load, CPU frequency) hits every way alike; calls are sequential. Every
    answer, timed or not, goes through ``check``: a benchmark that times errors is worthless."""
    for _ in range(warmup):
        for name, cases in ways.items():
            for number, case in enumerate(cases):
                check(name, number, case())
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, cases in ways.items():
            for number, case in enumerate(cases):
                started = time.perf_counter()
                answer = case()
                timings[name].append(time.perf_counter() - started)
                check(name, number, answer)
    return timings


def http_get(session: requests.Session, url: str, params: Mapping[str, object]) -> Answer:
    response = session.get(url, params=params, timeout=120)
    return Answer(response.status_code, response.headers.get("Content-Type", ""),
                  response.content)


class LeanClient:
    """A minimal keep-alive HTTP client (``http.client``): separates the client's own cost
    (``requests`` adds ~0.5 ms a request, more for big bodies) from the gateway's."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)

    def __call__(self, path: str, params: Mapping[str, object], body: bytes | None = None
                 ) -> Answer:
        """GET ``path`` with ``params``, or POST ``body`` (JSON) to it."""
        target = f"{path}?{urlencode(params, doseq=True)}"
        method, headers = ("GET", {}) if body is None else \
            ("POST", {"Content-Type": "application/json"})
        try:
            self.connection.request(method, target, body, headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # gunicorn closes idle keep-alive connections (after 2 s); reconnect, as requests does
            self.connection.close()
            self.connection.request(method, target, body, headers)
            response = self.connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())

    def close(self) -> None:
        self.connection.close()


class WsgiInProcess:
    """The gateway's WSGI application called in this process: all of its logic, no HTTP."""

    def __init__(self, settings: Settings):
        from werkzeug.test import Client

        from services.gateway import create_app

        self.client = Client(create_app(settings))

    def __call__(self, path: str, params: Mapping[str, object]) -> Answer:
        response = self.client.get(path, query_string=urlencode(params, doseq=True))
        return Answer(response.status_code, response.headers.get("Content-Type", ""),
                      response.get_data())


def bind(function: Callable[..., Answer], *args: object) -> Case:
    """``function(*args)`` as a case (one closure per request, built before timing)."""
    return lambda: function(*args)


def ratio(a: Stats, b: Stats) -> float:
    """Median of ``a`` over median of ``b``."""
    return a.median_ms / b.median_ms


# -- reporting -----------------------------------------------------------------------------


@dataclass
class Report:
    """One benchmark's results: statistics per way, ratios against the targets, notes."""

    benchmark: str
    command: str
    stats: list[Stats] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    met: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        lines = [f"## {self.benchmark}   ({self.command})",
                 f"{'way':50} {'n':>5} {'median ms':>10} {'p90 ms':>9} {'mean ms':>9}"
                 f" {'min ms':>8}"]
        for s in self.stats:
            lines.append(f"{s.name:50} {s.samples:5d} {s.median_ms:10.2f} {s.p90_ms:9.2f}"
                         f" {s.mean_ms:9.2f} {s.min_ms:8.2f}")
        for name, value in self.ratios.items():
            target = self.targets.get(name)
            verdict = "" if target is None else \
                f"   target {target}: {'met' if self.met.get(name) else 'MISSED'}"
            lines.append(f"ratio {name:44} {value:6.3f}{verdict}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def machine() -> dict[str, object]:
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "loadavg": os.getloadavg()}


def load_note(before: tuple[float, float, float]) -> str:
    """The 1-minute load average before and after a run: others' work skews timings."""
    after = os.getloadavg()[0]
    busy = " (the machine was busy: expect noise)" if max(before[0], after) > 1.0 else ""
    return f"load average {before[0]:.2f} before, {after:.2f} after{busy}"


def save(report: Report, extra: dict[str, object] | None = None) -> Path:
    """Write ``report`` as JSON to bench/results/<benchmark>-<UTC time>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{report.benchmark}-{stamp}.json"
    document = {"benchmark": report.benchmark, "command": report.command, "when": stamp,
                "machine": machine(), "stats": [asdict(s) for s in report.stats],
                "ratios": report.ratios, "targets": report.targets, "met": report.met,
                "notes": report.notes, **(extra or {})}
    path.write_text(json.dumps(document, indent=2))
    return path


STATIC_HTTP = """
sendfile on;
tcp_nopush on;
keepalive_timeout 65;
keepalive_requests 1000000;
types {{ image/png png; application/xml xml; }}
{extra}
default_type application/octet-stream;
server {{
    listen 127.0.0.1:{port};
    root {root};
}}
"""


def nginx_conf(work: Path, http: str, connections: int = 1024) -> str:
    """An nginx configuration for the benchmarks: the directives ``http`` of its http block,
    with what they all share: 2 worker processes running as the current user (they read
    private temporary folders), no access log, pid, error log and temporary folders under
    ``work``."""
    return f"""# Generated by the benchmarks (bench/).
user {getpass.getuser()};
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{textwrap.indent(http.strip(), "    ")}
}}
"""

PY_STATIC = """import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
"""


@contextmanager
def static_server(root: Path, work: Path, probe: str, gzip_static: bool = False
                  ) -> Iterator[tuple[bool, str]]:
    """nginx over ``root`` if it is installed (with ``gzip_static``: ``name.gz`` files sent to
    clients that accept gzip), else Python's ThreadingHTTPServer; yields (whether nginx, base
    URL)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    work.mkdir(parents=True, exist_ok=True)
    nginx = find_nginx()
    if nginx:
        conf = work / "nginx.conf"
        conf.write_text(nginx_conf(work, STATIC_HTTP.format(
            port=port, root=root, extra="gzip_static on;" if gzip_static else ""), 512))
        command = nginx_command(nginx, work, conf)
    else:
        log("nginx is not installed: the static baseline is Python's http.server")
        command = [sys.executable, "-c", PY_STATIC, str(port), str(root)]
    with running(command, dict(os.environ), url + probe, "static files", work / "server.log"):
        yield nginx is not None, url
