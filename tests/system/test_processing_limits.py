"""The job limits and the runner's restart, over HTTP on a gateway of its own whose job runner
is external (EOSCOPE_JOBS_RUNNER=external): no runner → 503, a client with its share of jobs
and a full queue → 429, both with Retry-After; a task estimated above a Dask worker's memory →
413 before it starts; a runner started after another died mid-job marks that job failed. No
Dask cluster starts here (the runner never gets a job that maps tasks)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from services import supervise
from services.processing.store import JobStore
from services.settings import PROJECT_ROOT
from tests.conftest import start_gateway, stop_gateway
from tests.processing_truth import BBOX, PROBAV, own_job_store, window

ECHO = {"inputs": {"message": "hi"}}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module")
def limited(tiny_archive, tmp_path_factory):
    settings, env = tiny_archive
    root = tmp_path_factory.mktemp("limits")
    env = own_job_store(settings, env, root, EOSCOPE_JOBS_RUNNER="external",
                        EOSCOPE_LIMIT_MAX_JOBS_QUEUED="2", EOSCOPE_LIMIT_MAX_JOBS_PER_CLIENT="1",
                        EOSCOPE_DASK_WORKER_MEMORY="100000", EOSCOPE_RETRY_AFTER="7")
    process, url = start_gateway(env, workers=1)
    try:
        yield f"{url}/ogcapi", JobStore(root / "var" / "jobs.sqlite"), env
    finally:
        stop_gateway(process)


def execute(api: str) -> requests.Response:
    return requests.post(f"{api}/processes/echo/execution", json=ECHO, headers=ASYNC,
                         timeout=30)


def execute_from(api: str, address: str) -> tuple[int, dict, dict]:
    """An async echo sent from another loopback address (another client); status, headers
    and the JSON body."""
    host, port = api.removeprefix("http://").split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30,
                                            source_address=(address, 0))
    try:
        connection.request("POST", "/ogcapi/processes/echo/execution", json.dumps(ECHO),
                           {"Content-Type": "application/json", **ASYNC})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read())
    finally:
        connection.close()


def test_a_task_above_a_workers_memory_is_refused_before_it_starts(limited, tiny_archive):
    api, store, _env = limited
    start, end, _products = window(tiny_archive[0].index)
    inputs = {"collection": PROBAV, "bbox": BBOX, "start": start, "end": end}
    jobs = store.list()[0]
    refused = requests.post(f"{api}/processes/histogram/execution", json={"inputs": inputs},
                            headers=ASYNC, timeout=30)
    assert refused.status_code == 413, refused.text
    assert "memory limit of 0.1 MB" in refused.json()["detail"]
    assert store.list()[0] == jobs   # never became a job


def test_no_runner_then_a_full_queue_then_a_restart(limited):
    api, store, env = limited
    unavailable = execute(api)
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "7"
    assert unavailable.json()["code"] == "NoApplicableCode"  # the one error table's 503

    store.beat(pid=os.getpid())   # a runner is alive (but takes no job)
    accepted = execute(api)
    assert accepted.status_code == 201, accepted.text
    busy = execute(api)   # this client's one job waits: its share (1)
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "7"
    assert busy.headers["Content-Type"].startswith("application/problem+json")
    assert "of your jobs" in busy.json()["detail"]
    other, _headers, _body = execute_from(api, "127.0.0.2")   # another client still may
    assert other == 201
    full, headers, body = execute_from(api, "127.0.0.3")   # but now the queue is full (2)
    assert full == 429 and headers["Retry-After"] == "7"
    assert "2 jobs are queued or running" in body["detail"]

    location = accepted.headers["Location"]
    assert store.claim(max_running=1)   # that runner starts the job, then dies (kill -9)
    assert requests.get(location, timeout=10).json()["status"] == "running"
    runner = subprocess.Popen([sys.executable, "-m", "services.processing.runner"],
                              cwd=PROJECT_ROOT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 30
        while (info := requests.get(location, timeout=10).json())["status"] == "running":
            assert time.monotonic() < deadline, info
            time.sleep(0.2)
        assert info["status"] == "failed" and "interrupted" in info["message"]
        failed = requests.get(f"{location}/results", timeout=10)
        assert failed.status_code == 400
    finally:
        runner.terminate()
        runner.wait(timeout=15)


def test_a_supervised_runner_is_started_again(limited):
    _api, store, env = limited
    earlier = {os.getpid(), _beating(store)}   # the fake beat, or the previous test's runner
    supervisor = supervise.spawn([sys.executable, "-m", "services.processing.runner",
                                  "--with-parent"], cwd=PROJECT_ROOT, env={**os.environ, **env})
    try:
        first = _runner_pid(store, other_than=earlier)
        os.kill(first, signal.SIGKILL)
        second = _runner_pid(store, other_than=earlier | {first})
        assert second != first and supervisor.poll() is None
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=20)
    time.sleep(0.5)
    assert not os.path.exists(f"/proc/{second}") or \
        open(f"/proc/{second}/stat").read().split()[2] == "Z"


def _beating(store: JobStore) -> int | None:
    with sqlite3.connect(store.path) as db:
        row = db.execute("SELECT pid FROM runner WHERE id = 1").fetchone()
    return row[0] if row else None


def _runner_pid(store: JobStore, other_than: set, timeout: float = 30) -> int:
    """The pid of the runner that beats next, once it is not one of ``other_than``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _beating(store)
        if pid is not None and pid not in other_than:
            return pid
        time.sleep(0.2)
    raise AssertionError("no new runner heartbeat")
