"""The process catalogue, the job store and the service's bounds, without HTTP: every process
module is self-describing, its example passes its own schema, the store survives a runner
restart, and the limits answer 413/429/503 before any work starts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.errors import (
    InvalidParameterValue,
    MissingParameterValue,
    RequestTooLarge,
    ServerBusy,
    ServiceUnavailable,
)
from services.processing import catalog
from services.processing.context import Context
from services.processing.doorbell import Doorbell, ring
from services.processing.service import ProcessingService
from services.processing.store import FAILED, RUNNING, Busy, JobStore
from services.registry import load
from services.settings import PROJECT_ROOT, Limits, Settings

CATALOG = catalog.load()
LANGUAGES = ("en", "nl", "fr")


@pytest.mark.parametrize("process", CATALOG.processes.values(), ids=lambda p: p.id)
def test_every_process_describes_itself(process):
    metadata = process.metadata
    for key in ("title", "description"):
        assert set(metadata[key]) >= set(LANGUAGES)
    for port in [*metadata["inputs"].values(), *metadata["outputs"].values()]:
        assert set(port["title"]) >= set(LANGUAGES) and "schema" in port
    assert process.check(metadata["example"]["inputs"]) == metadata["example"]["inputs"]


def test_inputs_are_checked_against_the_schema():
    histogram = CATALOG.get("histogram")
    example = dict(histogram.metadata["example"]["inputs"])
    with pytest.raises(MissingParameterValue, match="'collection' is required"):
        histogram.check({k: v for k, v in example.items() if k != "collection"})
    with pytest.raises(InvalidParameterValue, match="input 'bins'"):
        histogram.check({**example, "bins": 70000})
    with pytest.raises(InvalidParameterValue, match="unknown input 'colour'"):
        histogram.check({**example, "colour": "red"})
    with pytest.raises(InvalidParameterValue, match="JSON object"):
        histogram.check(["not", "an", "object"])


def test_a_restarted_runner_marks_interrupted_jobs_failed(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite")
    waiting = store.create("echo", {"message": "a"}, max_queued=5)
    running = store.create("echo", {"message": "b"}, max_queued=5)
    assert store.claim(max_running=1).id == waiting.id
    assert store.claim(max_running=1) is None       # one at a time
    assert store.interrupt_running() == 1           # what the runner does at start-up
    assert store.get(waiting.id).status == FAILED
    assert "interrupted" in store.get(waiting.id).message
    assert store.claim(max_running=1).id == running.id
    assert store.get(running.id).status == RUNNING


def test_dismiss_drops_the_result(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.create("echo", {"message": "a"}, max_queued=5)
    store.claim(max_running=1)
    assert store.finish(job.id, "application/json", b"{}")
    assert store.dismiss(job.id) and store.get(job.id).result is None
    assert store.dismiss("nope") is None


def test_old_finished_jobs_are_forgotten(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite")
    done = store.create("echo", {"message": "a"}, max_queued=5)
    waiting = store.create("echo", {"message": "b"}, max_queued=5)
    store.fail(done.id, "x")
    assert store.forget(older_than_days=1) == 0
    assert store.forget(older_than_days=-1) == 1    # "finished before tomorrow"
    assert store.get(done.id) is None and store.get(waiting.id) is not None


def service(tmp_path: Path, **limits) -> ProcessingService:
    settings = Settings(var_dir=tmp_path, limits=Limits(**limits))
    registry = load(PROJECT_ROOT / "layers")
    return ProcessingService.create(settings, registry)


def test_no_runner_is_503_and_a_full_queue_429(tmp_path: Path):
    jobs = service(tmp_path, max_jobs_queued=1)
    with pytest.raises(ServiceUnavailable):
        jobs.submit("echo", {"message": "hi"})
    jobs.store.beat(pid=1)
    jobs.submit("echo", {"message": "hi"})
    with pytest.raises(ServerBusy) as busy:
        jobs.submit("echo", {"message": "again"})
    assert busy.value.http_status == 429
    assert ServiceUnavailable("x").http_status == 503


class _Search:
    """An index that matches more products than the limit allows."""

    def search(self, query):
        return 10_000, []


def test_too_many_products_is_refused_before_work(tmp_path: Path):
    context = Context(load(PROJECT_ROOT / "layers"), _Search(), Limits(max_process_products=3))
    histogram = CATALOG.get("histogram")
    with pytest.raises(RequestTooLarge, match="10000 products match") as large:
        histogram.plan(histogram.metadata["example"]["inputs"], context)
    assert large.value.http_status == 413


def test_a_client_gets_its_share_of_the_queue(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite")
    store.create("echo", {"message": "a"}, max_queued=5, client="1.2.3.4", max_per_client=1)
    with pytest.raises(Busy, match="1 of your jobs"):
        store.create("echo", {"message": "b"}, max_queued=5, client="1.2.3.4",
                     max_per_client=1)
    store.create("echo", {"message": "c"}, max_queued=5, client="5.6.7.8", max_per_client=1)


def test_a_job_past_its_run_time_fails(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.create("echo", {"message": "a"}, max_queued=5)
    store.claim(max_running=1)
    assert store.fail_overdue(max_seconds=60) == []
    assert store.fail_overdue(max_seconds=-1) == [job.id]
    assert "ran longer than the limit" in store.get(job.id).message
    assert store.get(job.id).status == FAILED


def test_the_doorbell_wakes_the_runner(tmp_path: Path):
    bell = Doorbell(tmp_path / "jobs.sqlite")
    try:
        assert not bell.wait(0.01)
        ring(tmp_path / "jobs.sqlite")
        ring(tmp_path / "jobs.sqlite")
        started = time.monotonic()
        assert bell.wait(5.0) and time.monotonic() - started < 1.0
        assert not bell.wait(0.01)   # both rings were consumed
    finally:
        bell.close()
    ring(tmp_path / "jobs.sqlite")   # nobody listens: no error


def test_a_task_above_a_workers_memory_is_refused(tmp_path: Path):
    jobs = ProcessingService.create(Settings(var_dir=tmp_path, dask_worker_memory=1000),
                                    load(PROJECT_ROOT / "layers"))
    with pytest.raises(RequestTooLarge, match="memory limit") as large:
        jobs.check_memory(1001)
    assert large.value.http_status == 413
    jobs.check_memory(1000)
