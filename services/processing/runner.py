"""The job runner: one process outside the web workers that claims queued jobs from the job
store and runs them on Dask (``eoscope jobs``, or spawned once by the gateway's gunicorn
master, see config/gunicorn.conf.py).

The Dask client connects to ``EOSCOPE_DASK_SCHEDULER`` (or ``DASK_SCHEDULER_ADDRESS``) if set,
else starts a LocalCluster here on the first job (its workers with a memory limit). At
start-up, jobs a previous runner left running are marked failed. A dismissed job's tasks, and
those of a job that ran past its time limit (failed), are cancelled within a fraction of a
second. A web worker that queues a job rings the runner's doorbell, so it is claimed at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from services import supervise
from services.errors import OGCException
from services.index.keeper import IndexKeeper
from services.processing.context import Output
from services.processing.doorbell import Doorbell
from services.processing.retention import forget_wps, wps_dir
from services.processing.service import ProcessingService
from services.processing.store import RUNNING, Job
from services.settings import Settings

LOG = logging.getLogger("eoscope.jobs")
POLL = 0.1      # seconds between looks at the store when the doorbell does not ring
BEAT = 2.0
OVERDUE = 1.0   # seconds between looks for jobs past their run time
LOOK = 0.25     # seconds between a running job's progress writes and looks at its status
UNTRIMMED = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
INLINE_BYTES = 64_000_000   # a job's only task estimated below this runs in the runner
SWEEP = 3600.0   # seconds between deletions of old finished jobs


class Stopped(Exception):
    """The job was dismissed, or failed for running too long, while it ran."""


class Cluster:
    """The Dask client, made on first use (a runner without jobs starts no cluster)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        with self._lock:
            if self._client is None:
                from distributed import Client, LocalCluster

                address = self.settings.dask_scheduler or os.environ.get(
                    "DASK_SCHEDULER_ADDRESS")
                if address:
                    self._client = Client(address)
                else:
                    import dask

                    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which
                    # also makes glibc map and unmap every large array afresh: a histogram
                    # of a file took twice as long as in a plain process
                    with dask.config.set({UNTRIMMED: None}):
                        cluster = LocalCluster(n_workers=self.settings.dask_workers,
                                               threads_per_worker=1, processes=True,
                                               memory_limit=self.settings.dask_worker_memory,
                                               dashboard_address=None)
                    self._client = Client(cluster)
                LOG.info("dask: %s", self._client)
            return self._client

    def close(self) -> None:
        if self._client is not None:
            cluster = self._client.cluster
            self._client.close()
            if cluster is not None:
                cluster.close()


def dask_mapper(cluster: Cluster, service: ProcessingService, job_id: str,
                task_bytes: int | None = None) -> Callable[[Callable, Sequence], list]:
    """``map`` for a job: tasks on the cluster, their results gathered once all are done;
    every ``LOOK`` seconds the progress is written and the job looked at, so its tasks stop
    as soon as it is no longer running (dismissed, or failed past its run time), and the
    first failed task fails the job.

    One task of a job whose tasks are estimated small (``task_bytes`` at most
    ``INLINE_BYTES``) runs here, in the runner's job thread: a Dask round trip (~30 ms) is
    most of a small synchronous execution's time. Processes without an estimate always use
    the cluster."""

    def mapper(function: Callable, items: Sequence) -> list:
        if not items:
            return []
        if len(items) == 1 and task_bytes is not None and task_bytes <= INLINE_BYTES:
            if service.store.status(job_id) != RUNNING:
                raise Stopped(job_id)
            return [function(items[0])]
        from distributed import wait

        client = cluster.client()
        futures = client.map(function, list(items), pure=False)
        reported = 0
        while True:   # one look every LOOK seconds, not a round trip to the scheduler a task
            if service.store.status(job_id) != RUNNING:
                client.cancel(futures)
                raise Stopped(job_id)
            failed = [future for future in futures if future.status == "error"]
            if failed:   # fail fast: the first task's error, the others stopped
                error = failed[0].exception()
                client.cancel(futures)
                raise error
            done = sum(future.done() for future in futures)
            if done != reported:
                service.store.progress(job_id, 100 * done // len(futures),
                                       f"{done} of {len(futures)} tasks done")
                reported = done
            try:
                wait(futures, timeout=LOOK)
                break
            except TimeoutError:
                continue
        return client.gather(futures)

    return mapper


def execute(job: Job, service: ProcessingService, cluster: Cluster) -> None:
    try:
        process = service.process(job.process)
        work = process.plan(process.check(job.inputs), service.context)
        context = replace(service.context, reporter=lambda percent, message: service.store.
                          progress(job.id, percent, message), mapper=dask_mapper(
                              cluster, service, job.id, process.task_memory(work)))
        result = process.run(work, context)
        if isinstance(result, Output):
            service.store.finish(job.id, result.mimetype, result.data)
        else:
            service.store.finish(job.id, "application/json", json.dumps(result).encode())
        LOG.info("job %s (%s) finished", job.id, job.process)
    except Stopped:
        LOG.info("job %s (%s) stopped (%s), its tasks cancelled", job.id, job.process,
                 service.store.status(job.id))
    except OGCException as error:
        service.store.fail(job.id, f"{error.code}: {error.message}")
    except _killed_worker() as error:
        LOG.error("job %s (%s): %s", job.id, job.process, error)
        service.store.fail(job.id, "NoApplicableCode: a Dask worker died while running this "
                           "job's tasks (out of memory?), more often than the scheduler "
                           "retries; try again, or narrow the inputs")
    except Exception:  # noqa: BLE001 — a process bug fails its job, not the runner
        LOG.exception("job %s (%s) failed", job.id, job.process)
        service.store.fail(job.id, "NoApplicableCode: the process failed; see the job "
                           "runner's log")


def _killed_worker() -> type[Exception]:
    from distributed.scheduler import KilledWorker

    return KilledWorker


def sweep(service: ProcessingService, settings: Settings) -> None:
    """Delete the finished jobs, and PyWPS's status documents, older than the retention."""
    days = settings.jobs_keep_days
    forgotten = service.store.forget(days)
    documents = forget_wps(wps_dir(settings), days)
    service.store.disown_outputs(documents)   # their owners (job ownership) go with them
    if forgotten or documents:
        LOG.info("%d finished jobs and %d WPS status documents older than %g days deleted",
                 forgotten, len(documents), days)


def serve(settings: Settings, stop: threading.Event, parent: int | None = None) -> None:
    """Claim and run jobs until ``stop`` is set (or the parent process is gone)."""
    service = ProcessingService.create(settings)
    doorbell = Doorbell(settings.jobs)
    interrupted = service.store.interrupt_running()
    if interrupted:
        LOG.warning("%d jobs left running by a previous runner marked failed", interrupted)
    running = settings.limits.max_jobs_running
    keeper = IndexKeeper(settings.index)   # the index's WAL kept alive (services/index/keeper)
    cluster = Cluster(settings)
    active: set[Future] = set()
    last_beat = last_sweep = last_overdue = 0.0
    with ThreadPoolExecutor(running, thread_name_prefix="job") as pool:
        while not stop.is_set():
            if parent is not None and os.getppid() != parent:
                LOG.warning("the process that started the job runner is gone; it stops")
                break
            try:
                if time.monotonic() - last_beat > BEAT:
                    service.store.beat(os.getpid())
                    keeper.hold()
                    last_beat = time.monotonic()
                if time.monotonic() - last_sweep > SWEEP:
                    sweep(service, settings)
                    last_sweep = time.monotonic()
                if active and time.monotonic() - last_overdue > OVERDUE:
                    for job_id in service.store.fail_overdue(settings.limits.max_job_seconds):
                        LOG.warning("job %s ran past its time limit: failed", job_id)
                    last_overdue = time.monotonic()
                active = {f for f in active if not f.done()}
                while len(active) < running and (job := service.store.claim(running)):
                    active.add(pool.submit(execute, job, service, cluster))
            except sqlite3.Error:   # a locked or briefly unreadable store: try again
                LOG.exception("job store error; retrying")
                stop.wait(1.0)
            doorbell.wait(POLL)
    doorbell.close()
    keeper.release()
    cluster.close()


def spawn(settings: Settings | None = None) -> subprocess.Popen | None:
    """Start the runner, supervised (services/supervise.py: started again whenever it dies;
    the new one marks the jobs the dead one was running failed and runs the queued ones), as a
    child of the caller (the gunicorn master), unless the settings say it runs on its own."""
    settings = settings or Settings()
    if settings.jobs_runner != "spawn":
        return None
    return supervise.spawn([sys.executable, "-m", "services.processing.runner",
                            "--with-parent"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eoscope jobs", description=__doc__)
    parser.add_argument("--with-parent", action="store_true",
                        help="stop when the process that started this one exits")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [jobs] %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serve(Settings(), stop, os.getppid() if args.with_parent else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
