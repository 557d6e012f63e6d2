"""Jobs on Dask when things go wrong, over HTTP on a gateway of its own (one Dask worker, no
retry of a task whose worker dies: ``distributed.scheduler.allowed-failures`` 0, a run-time
limit of 10 s): a Dask worker killed (``kill -9``) mid-job fails the job with a message, and
the next job runs on the worker Dask's nanny starts again; a job past its run time is failed
and its tasks stopped; progress shows in /jobs/{id}; PyWPS's status documents are swept."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import psutil
import pytest
import requests

from services.processing.retention import STATUS_DATABASE, forget_wps
from services.processing.store import JobStore
from tests.conftest import start_gateway, stop_gateway
from tests.processing_truth import own_job_store

ASYNC = {"Prefer": "respond-async"}
FINISHED = {"successful", "failed", "dismissed"}


@pytest.fixture(scope="module")
def dask_gateway(tiny_archive, tmp_path_factory):
    settings, env = tiny_archive
    root = tmp_path_factory.mktemp("dask")
    env = own_job_store(settings, env, root, EOSCOPE_DASK_WORKERS="1",
                        EOSCOPE_LIMIT_MAX_JOB_SECONDS="10",
                        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    process, url = start_gateway(env, workers=1)
    try:
        yield url, JobStore(root / "var" / "jobs.sqlite"), root / "var" / "wps"
    finally:
        stop_gateway(process)


def submit(url: str, message: str, pause: int) -> str:
    answer = requests.post(f"{url}/ogcapi/processes/echo/execution", headers=ASYNC, timeout=30,
                           json={"inputs": {"message": message, "pause": pause}})
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"]


def wait_until(location: str, done, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while not done(info := requests.get(location, timeout=10).json()):
        assert time.monotonic() < deadline, info
        time.sleep(0.1)
    return info


def dask_workers(store: JobStore) -> list[psutil.Process]:
    """The worker processes of the runner's LocalCluster (its spawned children)."""
    with sqlite3.connect(store.path) as db:
        runner, = db.execute("SELECT pid FROM runner WHERE id = 1").fetchone()
    return [child for child in psutil.Process(runner).children()
            if "spawn_main" in " ".join(child.cmdline())]


def test_a_killed_dask_worker_fails_the_job_with_a_message(dask_gateway):
    url, store, _wps = dask_gateway
    location = submit(url, "doomed", pause=20)
    running = wait_until(location, lambda info: info["status"] in FINISHED
                         or "tasks done" in info["message"] or info["progress"] > 0)
    assert running["status"] == "running", running   # its one-second tasks are on the worker
    workers = dask_workers(store)
    assert len(workers) == 1, workers
    os.kill(workers[0].pid, signal.SIGKILL)
    info = wait_until(location, lambda info: info["status"] in FINISHED, timeout=30)
    assert info["status"] == "failed" and "a Dask worker died" in info["message"], info
    assert requests.get(f"{location}/results", timeout=10).status_code == 400

    again = wait_until(submit(url, "alive", pause=1), lambda i: i["status"] in FINISHED)
    assert again["status"] == "successful", again   # on the worker the nanny started again
    assert requests.get(f"{url}/ogcapi/jobs/{again['jobID']}/results",
                        timeout=10).json()["echo"] == "alive"


def test_a_job_past_its_run_time_fails_and_shows_its_progress(dask_gateway):
    url, _store, _wps = dask_gateway
    location = submit(url, "slow", pause=30)
    running = wait_until(location, lambda info: info["progress"] > 0
                         or info["status"] in FINISHED)
    assert running["status"] == "running" and 0 < running["progress"] < 100, running
    assert "pausing" in running["message"]
    info = wait_until(location, lambda info: info["status"] in FINISHED, timeout=30)
    assert info["status"] == "failed" and "ran longer than the limit of 10 s" in info["message"]
    started, finished = (time.mktime(time.strptime(info[key][:19], "%Y-%m-%dT%H:%M:%S"))
                         for key in ("started", "finished"))
    assert finished - started < 15, info   # stopped soon after its 10 s, not after 30 s


def test_wps_status_documents_are_swept(dask_gateway):
    url, store, wps = dask_gateway
    status = requests.get(f"{url}/wps", timeout=30, params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "echo",
        "DataInputs": "message=kept", "storeExecuteResponse": "true", "status": "true"})
    assert status.status_code == 200 and b"statusLocation" in status.content, status.text
    deadline = time.monotonic() + 30
    while b"ProcessSucceeded" not in (document := requests.get(
            status.text.split('statusLocation="')[1].split('"')[0], timeout=10).content):
        assert time.monotonic() < deadline, document
        time.sleep(0.2)
    documents = sorted(path.name for path in (wps / "outputs").iterdir())
    assert documents and forget_wps(wps, older_than_days=1) == []   # young: kept
    store.own_output(documents[0], "someone")
    assert sorted(forget_wps(wps, older_than_days=0)) == documents
    store.disown_outputs(documents)   # what the runner's sweep does with the names
    assert store.output_owner(documents[0]) is None
    assert not list((wps / "outputs").iterdir())
    with sqlite3.connect(wps / STATUS_DATABASE) as db:
        assert db.execute("SELECT count(*) FROM pywps_requests WHERE time_end IS NOT NULL"
                          ).fetchone()[0] == 0
