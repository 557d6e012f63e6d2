"""What the gateway tells operators about each request: Prometheus metrics and one JSON access
log line per request, both keyed by a request id and the request's service class.

Metrics live in prometheus_client. Under gunicorn (several worker processes) they are kept in
multiprocess mode: ``config/gunicorn.conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
folder before the workers start, every worker writes its samples there, ``/metrics`` (any
worker) adds them up, and a worker's live gauges are dropped when it exits. Collectors that
read state at scrape time (the job store, the product index, and any other helper's) are
registered on prometheus_client's default ``REGISTRY`` and exposed beside them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from services.admission import CLASS_KEY, Shed, client_of

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# In multiprocess mode the request metrics are summed from the folder, not read from REGISTRY
# (which then holds only scrape-time collectors); in one process they live in REGISTRY.
_TARGET = None if MULTIPROCESS else REGISTRY
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter("eoscope_requests", "Requests answered, by service class and HTTP status",
                   ["service_class", "status"], registry=_TARGET)
LATENCY = Histogram("eoscope_request_duration_seconds", "Time from the request to the last "
                    "byte of the answer, by service class", ["service_class"], buckets=BUCKETS,
                    registry=_TARGET)
IN_FLIGHT = Gauge("eoscope_requests_in_flight", "Requests being answered now",
                  registry=_TARGET, multiprocess_mode="livesum")
SHED = Counter("eoscope_requests_shed", "Requests refused by admission control, by service "
               "class and reason (overload: 503, client_share: 429)",
               ["service_class", "reason"], registry=_TARGET)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ACCESS = logging.getLogger("eoscope.access")


def record_shed(shed: Shed) -> None:
    SHED.labels(shed.klass, shed.reason).inc()


def request_id(given: str | None) -> str:
    """The client's ``X-Request-Id`` if it is sane (1-128 of ``A-Za-z0-9._:-``), else a new
    one."""
    if given and REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class StateCollector:
    """Scrape-time gauges: jobs by status from the job store, products by collection and the
    version of the product index."""

    def __init__(self, job_counts: Callable[[], dict[str, int]],
                 product_counts: Callable[[], dict[str, int]], index_version: Callable[[], int]):
        self.job_counts, self.product_counts = job_counts, product_counts
        self.index_version = index_version

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("eoscope_jobs", "Processing jobs in the job store, by status",
                                 labels=["status"])
        for status, count in sorted(_or_empty(self.job_counts).items()):
            jobs.add_metric([status], count)
        yield jobs
        products = GaugeMetricFamily("eoscope_index_products", "Products in the product index,"
                                     " by collection", labels=["collection"])
        for collection, count in sorted(_or_empty(self.product_counts).items()):
            products.add_metric([collection], count)
        yield products
        try:
            version = self.index_version()
        except Exception:  # noqa: BLE001 — a missing index is what /healthz reports
            return
        yield GaugeMetricFamily("eoscope_index_version", "Version of the product index "
                                "(changes on every ingest)", value=version)


def _or_empty(read: Callable[[], dict[str, int]]) -> dict[str, int]:
    try:
        return read()
    except Exception:  # noqa: BLE001 — an unreadable store gives no samples, not a failed scrape
        return {}


_registered: dict[str, object] = {}


def register_once(name: str, collector: object) -> None:
    """Put a scrape-time collector on the default REGISTRY, replacing the one registered under
    ``name`` before (a second gateway in one process)."""
    if name in _registered:
        REGISTRY.unregister(_registered[name])
    REGISTRY.register(collector)
    _registered[name] = collector


class _DefaultRegistry:
    def collect(self):
        yield from REGISTRY.collect()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """Every metric of every worker in the format the scraper's ``Accept`` asks for (Prometheus
    text 0.0.4 by default, OpenMetrics on request), and its media type."""
    encode, media_type = choose_encoder(accept or "")
    if not MULTIPROCESS:
        return encode(REGISTRY), media_type
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(_DefaultRegistry())
    return encode(registry), media_type


if MULTIPROCESS:  # per-process collectors would show one worker only
    from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR

    for _collector in (GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR):
        try:
            REGISTRY.unregister(_collector)
        except KeyError:
            pass


def access_logger(destination: str) -> logging.Logger | None:
    """The JSON access logger writing to ``destination`` ('-' standard error, a path, '' none)."""
    if not destination:
        return None
    if not ACCESS.handlers:
        handler = (logging.StreamHandler(sys.stderr) if destination == "-"
                   else logging.FileHandler(destination))
        handler.setFormatter(logging.Formatter("%(message)s"))
        ACCESS.addHandler(handler)
        ACCESS.setLevel(logging.INFO)
        ACCESS.propagate = False
    return ACCESS


class Observer:
    """WSGI wrapping of the gateway: request id in and out, metrics, one access log line."""

    def __init__(self, access_log: str, trusted_proxies: tuple[str, ...]):
        self.log = access_logger(access_log)
        self.trusted_proxies = trusted_proxies

    def __call__(self, environ: dict, start_response: Callable,
                 app: Callable[[dict, Callable], Iterable[bytes]]) -> Iterable[bytes]:
        started = time.perf_counter()
        rid = request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["eoscope.request_id"] = rid
        answer: dict = {}

        def start(status: str, headers: list, exc_info=None):
            answer["status"] = status.split(" ", 1)[0]
            answer["length"] = next((v for k, v in headers if k.lower() == "content-length"),
                                    None)
            headers.append(("X-Request-Id", rid))
            return start_response(status, headers, exc_info)

        IN_FLIGHT.inc()
        try:
            body = app(environ, start)
        except BaseException:
            IN_FLIGHT.dec()
            raise
        finish = lambda sent: self._finish(environ, answer, started, sent)  # noqa: E731
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):  # sendfile: keep it
            length = answer.get("length")
            finish(int(length) if length and length.isdigit() else None)
            return body
        return _Counted(body, finish)

    def _finish(self, environ: dict, answer: dict, started: float, sent: int | None) -> None:
        IN_FLIGHT.dec()
        duration = time.perf_counter() - started
        klass = environ.get(CLASS_KEY, "none")
        status = answer.get("status", "000")
        REQUESTS.labels(klass, status).inc()
        LATENCY.labels(klass).observe(duration)
        if self.log is None:
            return
        self.log.info(json.dumps({
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": environ["eoscope.request_id"],
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status) if status.isdigit() else None,
            "bytes": sent,
            "duration_ms": round(duration * 1000, 2),
            "client": client_of(environ, self.trusted_proxies),
            "service_class": klass,
            "pid": os.getpid(),
        }))  # ASCII: no U+2028 or NEL in a path can split a line for a log reader


class _Counted:
    """An answer's body that counts the bytes sent and reports when the server closes it."""

    def __init__(self, body: Iterable[bytes], finish: Callable[[int], None]):
        self.body, self.finish, self.sent, self.closed = body, finish, 0, False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.finish(self.sent)
