"""The render pool (services/ows/render_pool.py): maps are drawn in processes of their own,
so a stuck or crashed render costs only its own request; its budget is enforced by killing
it; revalidating a map the client holds needs no drawing; capabilities documents are cached
per index version and still follow an ingest at once; the tile-index connection each render
process keeps follows an index file replaced."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.conftest import TINY_ARCHIVE, prepare, start_gateway, stop_gateway

NDVI = "TERRASCOPE_S2_NDVI_V2"
BUDGET = 2  # EOSCOPE_RENDER_TIMEOUT of this module's gateway, seconds


@pytest.fixture(scope="module")
def pool_gateway(tmp_path_factory):
    settings, env = prepare(tmp_path_factory.mktemp("pool"), TINY_ARCHIVE)
    process, url = start_gateway({**env, "EOSCOPE_RENDER_TIMEOUT": str(BUDGET),
                                  "EOSCOPE_RENDER_WORKERS": "1"}, workers=1)
    yield url, settings, process
    stop_gateway(process)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == pid and state != "Z":  # a dead child not yet reaped is gone
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def render_supervisor(gateway_pid: int) -> int:
    """The render pool's supervisor (a child of the gateway's master)."""
    supervisors = [p for p in _children(gateway_pid) if "render.conf.py" in _cmdline(p)]
    assert len(supervisors) == 1, "the gateway's master started one render pool"
    return supervisors[0]


def render_master(gateway_pid: int) -> int:
    """The pool's gunicorn master (the child of its supervisor)."""
    masters = _children(render_supervisor(gateway_pid))
    assert len(masters) == 1
    return masters[0]


def render_processes(gateway_pid: int) -> list[int]:
    """The pool's worker processes."""
    return _children(render_master(gateway_pid))


@contextmanager
def stopped(pids: list[int]):
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def getmap(url: str, **headers) -> requests.Response:
    return requests.get(f"{url}/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "CGS_S2_NDVI",
        "STYLES": "", "CRS": "EPSG:3857", "BBOX": "550000,6580000,560000,6590000",
        "WIDTH": "256", "HEIGHT": "256", "FORMAT": "image/png"}, headers=headers, timeout=60)


def wait_for_pool(url: str) -> None:
    deadline = time.monotonic() + 30
    while getmap(url).status_code != 200:
        assert time.monotonic() < deadline, "the pool never drew again"
        time.sleep(0.2)


def test_maps_are_drawn_outside_the_web_workers(pool_gateway):
    url, _, process = pool_gateway
    assert getmap(url).status_code == 200
    assert len(render_processes(process.pid)) == 1


def test_revalidating_a_map_needs_no_drawing(pool_gateway):
    url, _, process = pool_gateway
    first = getmap(url)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    with stopped(render_processes(process.pid)):  # nothing can be drawn now
        began = time.monotonic()
        again = getmap(url, **{"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
        assert time.monotonic() - began < BUDGET


def test_a_stuck_render_process_is_replaced_while_the_web_worker_answers(pool_gateway):
    url, _, process = pool_gateway
    wait_for_pool(url)
    answers: list[tuple[requests.Response, float]] = []

    def draw() -> None:
        began = time.monotonic()
        answers.append((getmap(url), time.monotonic() - began))

    with stopped(render_processes(process.pid)):  # beyond its budget, gunicorn kills it
        drawing = threading.Thread(target=draw)
        began = time.monotonic()
        drawing.start()
        time.sleep(0.3)
        health = requests.get(f"{url}/healthz", timeout=10)
        capabilities = requests.get(f"{url}/wmts/1.0.0/WMTSCapabilities.xml", timeout=10)
        assert health.status_code == 200 and capabilities.status_code == 200
        assert time.monotonic() - began < BUDGET, "the web worker answered while it waited"
        drawing.join(timeout=4 * BUDGET + 10)
    assert answers, "the waiting request was answered"
    waited, seconds = answers[0]
    assert waited.status_code in (200, 503) and b"Traceback" not in waited.content
    assert seconds < 3 * BUDGET + 5, "answered within the budget, not held"
    wait_for_pool(url)


def test_a_crashed_render_process_is_replaced(pool_gateway):
    url, _, process = pool_gateway
    wait_for_pool(url)
    for pid in render_processes(process.pid):
        os.kill(pid, signal.SIGKILL)
    wait_for_pool(url)
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200


def test_cached_capabilities_follow_the_index(pool_gateway):
    from services.index import ProductIndex

    url, settings, _ = pool_gateway
    capabilities = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}
    before = requests.get(f"{url}/wms", params=capabilities, timeout=60)
    assert requests.get(f"{url}/wms", params=capabilities, timeout=60).content == before.content
    index = ProductIndex(settings.index)
    oldest = index.dates(NDVI)[0]
    with sqlite3.connect(settings.index) as db:
        keys = db.execute("SELECT collection, name FROM products WHERE collection = ? AND "
                          "date = ?", (NDVI, oldest)).fetchall()
    assert index.remove(keys) == len(keys) > 0
    after = requests.get(f"{url}/wms", params=capabilities, timeout=60)
    assert after.status_code == 200 and after.content != before.content
    assert after.headers["ETag"] != before.headers["ETag"]
    assert oldest in layer_dates(before.content) and oldest not in layer_dates(after.content)


def layer_dates(capabilities: bytes) -> str:
    """The TIME dimension of CGS_S2_NDVI in a WMS 1.3.0 capabilities document."""
    return etree.fromstring(capabilities).xpath(
        "//*[local-name()='Layer'][*[local-name()='Name']='CGS_S2_NDVI']"
        "/*[local-name()='Dimension'][@name='time']/text()")[0]


def test_a_dead_pool_is_started_again(pool_gateway):
    url, _, process = pool_gateway
    wait_for_pool(url)
    master = render_master(process.pid)
    os.kill(master, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _children(render_supervisor(process.pid)) in ([], [master]):
        assert time.monotonic() < deadline, "no new pool master"
        time.sleep(0.2)
    assert render_master(process.pid) != master
    wait_for_pool(url)


def test_a_replaced_index_is_read_by_the_next_coverage(pool_gateway):
    """The render process keeps MapServer's tile-index connection open between requests
    (CLOSE_CONNECTION=DEFER); an index file replaced by another (a restore) is what the next
    request reads, not the old file through the kept connection."""
    from services.index import ProductIndex

    url, settings, _ = pool_gateway
    wait_for_pool(url)
    date = ProductIndex(settings.index).dates(NDVI)[-1]
    coverage = {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage",
                "COVERAGEID": "CGS_S2_NDVI", "FORMAT": "image/tiff", "SUBSET": f'time("{date}")'}
    before = requests.get(f"{url}/wcs", params=coverage, timeout=60)
    assert before.status_code == 200 and before.headers["Content-Type"] == "image/tiff"
    assert requests.get(f"{url}/wcs", params=coverage, timeout=60).content == before.content
    replacement = settings.index.with_name("restored.sqlite")
    with closing(sqlite3.connect(settings.index)) as source, \
            closing(sqlite3.connect(replacement)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # not the old file's WAL beside it
        copy.execute("DELETE FROM layer_sources WHERE layer = 'CGS_S2_NDVI' AND date = ?",
                     (date,))
        copy.commit()
    os.replace(replacement, settings.index)
    after = requests.get(f"{url}/wcs", params=coverage, timeout=60)
    assert after.status_code < 500
    assert after.content != before.content, "the coverage was drawn from the replaced index"
