"""Submit, wait for, read and dismiss jobs: what both bindings (pygeoapi, PyWPS) call.

A submission is checked (JSON Schema), planned (registry, index, limits, the memory one task
needs against a Dask worker's limit) and only then queued, so a bad or too large request is
refused at once and never becomes a job; queueing rings the job runner's doorbell. A job
belongs to its submitter: others are told there is no such job (admins see all; a job
submitted anonymously, as in the open demo, is everyone's).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from services.catalogue.records import URN_PREFIX
from services.errors import (
    NoSuchJob,
    NoSuchProcess,
    QuotaExceeded,
    RequestTooLarge,
    ServerBusy,
    ServiceUnavailable,
)
from services.index.search import ProductSearch
from services.processing import catalog as catalog_module
from services.processing import doorbell
from services.processing.catalog import Catalog, Process
from services.processing.context import Context
from services.processing.store import Busy, Job, JobStore, OwnerBusy
from services.registry import Registry, load
from services.settings import Settings
from services.users.principal import Principal, may_see

RUNNER_SILENT_AFTER = 15.0   # seconds without a heartbeat: no job runner


def pause(waited: float) -> float:
    """Seconds to sleep before looking at a job again, having waited ``waited``: a short job
    is seen done within 2 ms (a look is a read of one row, ~20 µs); a long one is looked at
    four times a second."""
    return 0.002 if waited < 1.0 else 0.25


@dataclass
class ProcessingService:
    settings: Settings
    catalog: Catalog
    store: JobStore
    context: Context

    @classmethod
    def create(cls, settings: Settings, registry: Registry | None = None
               ) -> ProcessingService:
        registry = registry or load(settings.layers_dir)
        context = Context(registry, ProductSearch(settings.index), settings.limits,
                          URN_PREFIX, settings.layers_dir)
        return cls(settings, catalog_module.load(), JobStore(settings.jobs), context)

    def process(self, process_id: str) -> Process:
        process = self.catalog.get(process_id)
        if process is None:
            raise NoSuchProcess(f"no process '{process_id}' (processes: "
                                f"{', '.join(self.catalog.processes)})", "processId")
        return process

    def submit(self, process_id: str, inputs: object, submitter: Principal | None = None,
               client: str | None = None) -> Job:
        """Queue a job of ``submitter`` sent from ``client`` (an address; None: no
        per-client limit)."""
        process = self.process(process_id)
        checked = process.check(inputs)
        work = process.plan(checked, self.context)   # bounded before any work starts
        self.check_memory(process.task_memory(work))
        age = self.store.runner_age()
        if age is None or age > RUNNER_SILENT_AFTER:
            raise ServiceUnavailable("the job runner is not running; try again later")
        owner = submitter.name if submitter else None
        quotas = submitter.quotas if submitter else None
        limits = self.settings.limits
        try:
            job = self.store.create(process.id, checked, limits.max_jobs_queued,
                                    owner, quotas.jobs if quotas else 0,
                                    quotas.compute_seconds_per_day if quotas else 0,
                                    client=client, max_per_client=limits.max_jobs_per_client)
        except OwnerBusy as error:
            raise QuotaExceeded(f"{error}; try again when one has finished",
                                self.settings.retry_after) from None
        except Busy as error:
            raise ServerBusy(f"{error}; try again later") from None
        doorbell.ring(self.settings.jobs)
        return job

    def check_memory(self, task_bytes: int | None) -> None:
        """Refuse a job whose largest task would not fit in a Dask worker's memory limit."""
        limit = self.settings.dask_worker_memory
        if task_bytes is not None and task_bytes > limit:
            raise RequestTooLarge(f"one task of this job needs an estimated {task_bytes / 1e6:.1f}"
                                  f" MB, more than a Dask worker's memory limit of "
                                  f"{limit / 1e6:.1f} MB; narrow the bounding box", "bbox")

    def job(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NoSuchJob(f"no job '{job_id}'", "jobId")
        return job

    def job_for(self, job_id: str, viewer: Principal | None) -> Job:
        """The job if ``viewer`` may see it; NoSuchJob otherwise, as if it did not exist."""
        job = self.job(job_id)
        if not may_see(viewer, job.owner):
            raise NoSuchJob(f"no job '{job_id}'", "jobId")
        return job

    def jobs(self, viewer: Principal | None, limit: int = 100, offset: int = 0
             ) -> tuple[int, list[Job]]:
        """The jobs ``viewer`` may see, newest first, and how many there are."""
        everyone = viewer is not None and viewer.admin
        return self.store.list(limit, offset, everyone=everyone,
                               owner=viewer.name if viewer else None)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """The job once finished; a synchronous run that takes too long is dismissed."""
        started = time.monotonic()
        deadline = started + (timeout or self.settings.sync_timeout)
        while True:
            job = self.job(job_id)
            if job.done:
                return job
            if time.monotonic() > deadline:
                self.store.dismiss(job_id)
                raise ServiceUnavailable("the process took longer than a synchronous "
                                         "execution may; run it asynchronously")
            time.sleep(pause(time.monotonic() - started))

    def result(self, job: Job) -> object:
        """A JSON result as its value, any other as bytes."""
        if job.result is None:
            return None
        return json.loads(job.result) if job.mimetype == "application/json" else job.result

    def dismiss(self, job_id: str, viewer: Principal | None = None) -> bool:
        self.job_for(job_id, viewer)
        if self.store.dismiss(job_id) is None:
            raise NoSuchJob(f"no job '{job_id}'", "jobId")
        return True
