"""Admission control: how many requests of each service class a worker process works on at
once, how many may wait for a slot, and how much of a class one client may hold.

A request of a class whose slots are all taken waits (at most ``queue`` of them, for at most
``wait`` seconds, first come first served) for one to free; beyond that it is shed at once with
503 and ``Retry-After``. When a class is full, a client that already holds its share of the
class's slots and queue gets 429 and ``Retry-After`` instead of waiting, while other clients
still queue; while a slot is free anyone may take it, and a lone client may wait for all but
the class's last place (a user's burst of tiles or GetMaps is not refused for being one
user's). The counts are per worker process (gunicorn runs several): a worker's threads share
them. Framework-free: the gateway maps its endpoint and request to a class and a client, then
holds a slot while the service works.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from urllib.parse import parse_qsl

from services.errors import ServiceUnavailable, TooManyRequests

RENDER_REQUESTS = {"GETMAP", "GETCOVERAGE", "GETFEATUREINFO", "GETLEGENDGRAPHIC"}
# gateway endpoint → service class; /ows, /wmts and /csw are refined by REQUEST below
ENDPOINT_CLASSES = {
    "xyz": "tiles", "wmts": "tiles", "ows": "render",
    "csw": "catalogue", "catalogue": "catalogue", "mep": "catalogue", "stac": "catalogue",
    "download": "catalogue",
    "timeseries": "timeseries",
    "ogcapi": "processing", "wps": "processing", "wps_output": "processing",
}
EXEMPT = {"health", "metrics"}  # never bounded: what operators and balancers probe
CLASS_KEY, CLIENT_KEY = "eoscope.service_class", "eoscope.client"  # set in the WSGI environ


@dataclass(frozen=True)
class ClassLimit:
    """One class's bounds in one worker process."""

    in_flight: int   # requests worked on at once
    queue: int       # requests that may wait for a slot
    client_share: float = 0.5  # of in_flight + queue one client may hold (at least 1)

    @property
    def per_client(self) -> int:
        return max(1, int((self.in_flight + self.queue) * self.client_share))


def service_class(endpoint: str | None, request_name: str | None, method: str = "GET") -> str:
    """The class of a request: ``render``, ``tiles``, ``catalogue``, ``timeseries``,
    ``processing`` or ``cheap`` (capabilities, descriptions, the landing page, the viewer,
    /healthz, /metrics)."""
    name = (request_name or "").upper()
    klass = ENDPOINT_CLASSES.get(endpoint or "", "cheap")
    if endpoint == "ows" and name not in RENDER_REQUESTS and method != "POST":
        return "cheap"  # a POSTed (XML) OWS request counts as a render
    if endpoint == "wmts" and name not in ("GETTILE", "GETFEATUREINFO", ""):
        return "cheap"
    return klass


def request_name(query_string: str) -> str | None:
    """The KVP ``REQUEST`` of a query string (any case), if any."""
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key.upper() == "REQUEST":
            return value
    return None


def client_of(environ: dict, trusted_proxies: tuple[str, ...]) -> str:
    """The client a WSGI request counts against (cached in the environ)."""
    if CLIENT_KEY not in environ:
        environ[CLIENT_KEY] = client_address(environ.get("REMOTE_ADDR"),
                                             environ.get("HTTP_X_FORWARDED_FOR"),
                                             trusted_proxies)
    return environ[CLIENT_KEY]


def client_address(remote_addr: str | None, forwarded_for: str | None,
                   trusted_proxies: tuple[str, ...]) -> str:
    """The client a request counts against: the peer address, or the last address of
    ``X-Forwarded-For`` not itself a trusted proxy when the peer is one."""
    peer = remote_addr or "unknown"
    if not forwarded_for or not _trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    if not trusted_proxies or not _is_address(address):
        return False
    return any(ip_address(address) in ip_network(net, strict=False) for net in trusted_proxies)


@dataclass
class _ClassState:
    limit: ClassLimit
    running: int = 0
    waiting: int = 0
    by_client: Counter = field(default_factory=Counter)
    line: deque = field(default_factory=deque)  # the waiting requests, first come first


@dataclass(frozen=True)
class Shed:
    """Why a request was refused (what the metrics count)."""

    klass: str
    reason: str  # "overload" (503) or "client_share" (429)


class Admission:
    """The slots of every class in this process; at most ``total`` requests of the bounded
    classes held at once (working or waiting). ``on_shed`` is told of each refusal."""

    def __init__(self, limits: Mapping[str, ClassLimit], total: int, wait: float,
                 retry_after: int, trusted_proxies: tuple[str, ...] = (),
                 on_shed: Callable[[Shed], None] | None = None):
        self.total, self.wait, self.retry_after = total, wait, retry_after
        self.trusted_proxies, self.on_shed = trusted_proxies, on_shed
        self._states = {name: _ClassState(limit) for name, limit in limits.items()}
        self._held = 0
        self._lock = threading.Condition()

    @classmethod
    def from_settings(cls, settings, on_shed: Callable[[Shed], None] | None = None
                      ) -> Admission:
        """From :class:`services.settings.Settings` (its ``admission`` limits)."""
        limits = settings.admission
        classes = {name: ClassLimit(*getattr(limits, name), limits.client_share)
                   for name in ("render", "tiles", "catalogue", "timeseries", "processing")}
        return cls(classes, limits.total, limits.wait, limits.retry_after,
                   settings.trusted_proxies, on_shed)

    def request(self, endpoint: str | None, environ: dict):
        """The slot a WSGI request to a gateway ``endpoint`` needs (a context manager); its
        class and client are left in the environ for the access log and the metrics."""
        name = request_name(environ.get("QUERY_STRING", ""))
        if endpoint == "wmts" and environ.get("PATH_INFO", "").endswith(".xml"):
            name = "GetCapabilities"  # the RESTful capabilities document
        klass = service_class(endpoint, name, environ.get("REQUEST_METHOD", "GET"))
        environ[CLASS_KEY] = klass
        client = client_of(environ, self.trusted_proxies)
        return self.slot(klass if endpoint not in EXEMPT else "cheap", client)

    @contextmanager
    def slot(self, klass: str, client: str) -> Iterator[None]:
        """Hold one of ``klass``'s slots for ``client`` while the body runs; raise
        :class:`TooManyRequests` or :class:`ServiceUnavailable` when there is none."""
        state = self._states.get(klass)
        if state is None:  # an unbounded class
            yield
            return
        self._acquire(klass, state, client)
        try:
            yield
        finally:
            with self._lock:
                state.running -= 1
                self._leave(state, client)
                self._lock.notify_all()

    def _acquire(self, klass: str, state: _ClassState, client: str) -> None:
        limit = state.limit
        with self._lock:
            if state.by_client[client] >= limit.per_client and \
                    state.running >= limit.in_flight and \
                    self._others_need_room(state, client):  # over its share, would wait
                self._refuse(Shed(klass, "client_share"), TooManyRequests(
                    f"this client already has {state.by_client[client]} {klass} requests in "
                    f"progress (the limit is {limit.per_client}); retry later",
                    retry_after=self.retry_after))
            if self._held >= self.total or (state.running >= limit.in_flight
                                            and state.waiting >= limit.queue):
                self._refuse(Shed(klass, "overload"), self._overload(klass, limit))
            state.by_client[client] += 1
            self._held += 1
            deadline = time.monotonic() + self.wait
            state.waiting += 1
            ticket = object()
            state.line.append(ticket)
            try:  # a freed slot goes to the longest waiting (no tail of unlucky wake-ups)
                while state.running >= limit.in_flight or state.line[0] is not ticket:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._leave(state, client)
                        self._refuse(Shed(klass, "overload"), self._overload(klass, limit))
                    self._lock.wait(remaining)
            finally:
                state.waiting -= 1
                state.line.remove(ticket)
                self._lock.notify_all()  # the next in line may go now, or see it is first
            state.running += 1

    @staticmethod
    def _others_need_room(state: _ClassState, client: str) -> bool:
        """Whether other clients hold places of the class, or only its last place is left
        (kept for a newcomer): a lone client (QGIS fetching tiles in parallel over a few
        keep-alive connections) may otherwise use the whole class."""
        places = state.limit.in_flight + state.limit.queue
        held = state.running + state.waiting
        return len(state.by_client) > (client in state.by_client) or places - held <= 1

    def _leave(self, state: _ClassState, client: str) -> None:
        """``client`` no longer holds (or waits for) a slot of ``state``'s class."""
        self._held -= 1
        state.by_client[client] -= 1
        if state.by_client[client] <= 0:
            del state.by_client[client]

    def _overload(self, klass: str, limit: ClassLimit) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"the server is busy with {klass} requests ({limit.in_flight} in progress, "
            f"{limit.queue} waiting); retry later", retry_after=self.retry_after)

    def _refuse(self, shed: Shed, error: Exception) -> None:
        if self.on_shed is not None:
            self.on_shed(shed)
        raise error
