"""Admission control's rules without a server: classes, clients, slots, queue, shares."""

from __future__ import annotations

import threading
import time

import pytest

from services.admission import Admission, ClassLimit, client_address, service_class
from services.errors import ServiceUnavailable, TooManyRequests


@pytest.mark.parametrize(("endpoint", "name", "method", "expected"), [
    ("ows", "GetMap", "GET", "render"),
    ("ows", "getcoverage", "GET", "render"),
    ("ows", "GetCapabilities", "GET", "cheap"),
    ("ows", None, "POST", "render"),
    ("wmts", "GetTile", "GET", "tiles"),
    ("wmts", "GetCapabilities", "GET", "cheap"),
    ("xyz", None, "GET", "tiles"),
    ("catalogue", None, "GET", "catalogue"),
    ("timeseries", None, "POST", "timeseries"),
    ("ogcapi", None, "GET", "processing"),
    ("health", None, "GET", "cheap"),
    ("viewer", None, "GET", "cheap"),
    (None, None, "GET", "cheap"),
])
def test_service_class(endpoint, name, method, expected):
    assert service_class(endpoint, name, method) == expected


@pytest.mark.parametrize(("endpoint", "path", "query", "expected"), [
    ("wmts", "/wmts/1.0.0/WMTSCapabilities.xml", "", "cheap"),
    ("wmts", "/wmts/CGS_S2_NDVI/default/g/2018-07-03/14/5/6.png", "", "tiles"),
    ("ows", "/ows", "service=WMS&request=GetMap", "render"),
    ("health", "/healthz", "", "cheap"),
])
def test_request_class_from_the_environ(endpoint, path, query, expected):
    admission = Admission({}, total=1, wait=0, retry_after=1)
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET",
               "REMOTE_ADDR": "127.0.0.1"}
    with admission.request(endpoint, environ):
        pass
    assert environ["eoscope.service_class"] == expected
    assert environ["eoscope.client"] == "127.0.0.1"


def test_forwarded_for_counts_only_behind_a_trusted_proxy():
    assert client_address("10.0.0.9", "203.0.113.5", ()) == "10.0.0.9"
    assert client_address("10.0.0.9", "203.0.113.5", ("10.0.0.0/8",)) == "203.0.113.5"
    # the last hop not itself a proxy: a client cannot choose its address by prepending one
    assert client_address("10.0.0.9", "1.2.3.4, 203.0.113.5, 10.0.0.7",
                          ("10.0.0.0/8",)) == "203.0.113.5"
    assert client_address("10.0.0.9", "not-an-address", ("10.0.0.0/8",)) == "10.0.0.9"
    assert client_address("192.0.2.1", "203.0.113.5", ("10.0.0.0/8",)) == "192.0.2.1"


def _hold(admission: Admission, klass: str, client: str, release: threading.Event,
          entered: threading.Event) -> threading.Thread:
    def run():
        with admission.slot(klass, client):
            entered.set()
            release.wait(5)
    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(5)
    return thread


def test_over_slots_and_queue_is_503_with_retry_after():
    sheds = []
    admission = Admission({"render": ClassLimit(1, 0)}, total=10, wait=0.1, retry_after=3,
                          on_shed=sheds.append)
    release = threading.Event()
    holder = _hold(admission, "render", "a", release, threading.Event())
    with pytest.raises(ServiceUnavailable) as refused, admission.slot("render", "b"):
        pass
    assert refused.value.http_status == 503 and refused.value.retry_after == 3
    assert "1 in progress" in refused.value.message
    assert [(s.klass, s.reason) for s in sheds] == [("render", "overload")]
    with admission.slot("cheap", "b"):  # an unbounded class still passes
        pass
    release.set()
    holder.join()
    with admission.slot("render", "b"):  # the slot is free again
        pass


def test_a_waiting_request_gets_the_slot_when_it_frees():
    admission = Admission({"render": ClassLimit(1, 1)}, total=10, wait=5, retry_after=1)
    release = threading.Event()
    holder = _hold(admission, "render", "a", release, threading.Event())
    threading.Timer(0.2, release.set).start()
    started = time.monotonic()
    with admission.slot("render", "b"):
        waited = time.monotonic() - started
    holder.join()
    assert 0.1 < waited < 4


def test_a_waiting_request_is_shed_after_the_wait():
    admission = Admission({"render": ClassLimit(1, 1)}, total=10, wait=0.2, retry_after=1)
    release = threading.Event()
    holder = _hold(admission, "render", "a", release, threading.Event())
    with pytest.raises(ServiceUnavailable), admission.slot("render", "b"):
        pass
    release.set()
    holder.join()
    assert admission._held == 0 and not admission._states["render"].by_client


def test_one_client_over_its_share_of_a_full_class_is_429_while_others_pass():
    admission = Admission({"render": ClassLimit(3, 1, client_share=0.5)}, total=10, wait=5,
                          retry_after=1)
    release = threading.Event()
    # the class has room: over its share (2 of 4), the client still takes the free places
    holders = [_hold(admission, "render", "greedy", release, threading.Event())
               for _ in range(3)]
    with pytest.raises(TooManyRequests) as refused, admission.slot("render", "greedy"):
        pass  # full now: the greedy client may not wait too
    assert refused.value.http_status == 429
    served = []

    def polite():
        with admission.slot("render", "polite"):
            served.append("polite")

    other = threading.Thread(target=polite)
    other.start()  # queued behind the greedy client's two, not refused
    release.set()
    for thread in [*holders, other]:
        thread.join()
    assert served == ["polite"]


def test_a_lone_client_may_wait_for_all_but_the_last_place():
    # QGIS fetching one map as parallel tiles over a few keep-alive connections is one client
    admission = Admission({"render": ClassLimit(1, 4, client_share=0.5)}, total=10, wait=5,
                          retry_after=1)
    release = threading.Event()
    holders = [_hold(admission, "render", "qgis", release, threading.Event())]
    deadline = time.monotonic() + 5
    waiters = [threading.Thread(target=_wait_for_slot, args=(admission, "qgis"))
               for _ in range(3)]   # over its share of 2, but alone: they wait, not 429
    for waiter in waiters:
        waiter.start()
    while admission._states["render"].waiting < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert admission._states["render"].waiting == 3
    with pytest.raises(TooManyRequests), admission.slot("render", "qgis"):
        pass   # the last place is kept for another client
    release.set()
    for thread in [*holders, *waiters]:
        thread.join()
    assert admission._held == 0


def _wait_for_slot(admission: Admission, client: str) -> None:
    with admission.slot("render", client):
        pass


def test_the_total_bound_covers_every_class():
    admission = Admission({"render": ClassLimit(5, 0), "tiles": ClassLimit(5, 0)}, total=1,
                          wait=0.1, retry_after=1)
    release = threading.Event()
    holder = _hold(admission, "render", "a", release, threading.Event())
    with pytest.raises(ServiceUnavailable), admission.slot("tiles", "b"):
        pass
    release.set()
    holder.join()


def test_waiting_requests_get_freed_slots_in_the_order_they_came():
    admission = Admission({"render": ClassLimit(1, 8)}, total=20, wait=10, retry_after=1)
    release = threading.Event()
    holder = _hold(admission, "render", "a", release, threading.Event())
    order: list[int] = []

    def wait_then_work(number: int) -> None:
        with admission.slot("render", f"client-{number}"):
            order.append(number)

    waiters = []
    for number in range(6):
        waiter = threading.Thread(target=wait_then_work, args=(number,))
        waiter.start()
        waiters.append(waiter)
        deadline = time.monotonic() + 5
        while admission._states["render"].waiting < number + 1:  # in line before the next
            assert time.monotonic() < deadline
            time.sleep(0.005)
    release.set()
    for waiter in [holder, *waiters]:
        waiter.join(5)
    assert order == list(range(6))
