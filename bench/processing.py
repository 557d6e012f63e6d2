"""Processing: the ``histogram`` job on Dask (2 workers, 1 worker) against a serial rasterio
loop, and a synchronous execution over HTTP (``/ogcapi``) against the process in process.

``python -m bench.processing`` — on a PROBA-V archive of ``DAYS`` daily S1 TOC syntheses over
Belgium (1 344 × 706 px a file, generated once under <bench dir>/processing):

* throughput, one pass each, interleaved: the histogram of every NDVI file summed,
  (a) in a plain serial loop here (``rasterio.open`` + ``np.histogram``, the floor), (b) as a
  job of the ``histogram`` process run by the job runner's own code (``runner.execute``: plan,
  one Dask task per file, progress written to the job store, result stored) on a LocalCluster
  of 1 worker and (c) of 2 workers (clusters started before timing);
* latency, sequential: ``POST /ogcapi/processes/histogram/execution`` (sync, one product)
  to the real gateway (gunicorn, 1 worker, its job runner on a LocalCluster of 2 workers)
  against plan + run of the process in this process (serial ``map``); and a sync ``echo``
  (no task) over HTTP, the cost of the job round trip alone.

Targets (issue #9): 2 workers ≥ 1.7 × faster than 1; 1 worker ≤ 1.2 × the serial loop; the
sync histogram over HTTP ≤ 1.5 × the process in process. Every answer is checked against the
serial loop's counts.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import rasterio
import requests

from bench.common import (
    Answer,
    Report,
    Stats,
    bind,
    gateway,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
)
from bench.common import archive as common_archive
from services.demo import sources as demo_sources
from services.demo.vgt.specs import ProbaVSpec
from services.processing import runner
from services.processing.service import ProcessingService
from services.settings import Settings

DAYS = 120
SPEC = demo_sources.ArchiveSpec(probav=ProbaVSpec(
    seed=2018, region=demo_sources.BELGIUM, s10_dekads=0, s1_start=date(2018, 3, 1),
    s1_days=DAYS)).only(("probav",))
COLLECTION = "PROBAV_L3_S1_TOC_333M"
BBOX = [2.5, 49.5, 6.5, 51.5]
ALL = {"collection": COLLECTION, "bbox": BBOX, "start": "2018-01-01", "end": "2018-12-31",
       "band": "NDVI"}
ONE = {**ALL, "start": "2018-03-01", "end": "2018-03-01"}
TARGETS = {"1 worker / 2 workers": (">=", 1.7), "1 worker / serial loop": ("<=", 1.2),
           "sync over HTTP / in process": ("<=", 1.5)}
COMMAND = "python -m bench.processing"


def archive() -> tuple[Settings, dict[str, str]]:
    return common_archive(SPEC, "processing")


def serial_loop(paths: list[str]) -> list[int]:
    """The floor: each NDVI file opened and its histogram taken, one after the other."""
    total = np.zeros(256, np.int64)
    for path in paths:
        with rasterio.open(path) as dataset:
            total += np.histogram(dataset.read(1), bins=256, range=(0, 256))[0]
    return total.tolist()


class JobOnDask:
    """A ``histogram`` job run by the job runner's code on a LocalCluster of ``workers``."""

    def __init__(self, settings: Settings, workers: int, inputs: dict):
        self.settings = settings.model_copy(update={"dask_workers": workers})
        self.service = ProcessingService.create(self.settings)
        self.cluster = runner.Cluster(self.settings)
        self.cluster.client().wait_for_workers(workers)
        self.inputs = inputs

    def __call__(self) -> list[int]:
        self.service.store.create("histogram", self.inputs, max_queued=1000)
        job = self.service.store.claim(max_running=1000)
        runner.execute(job, self.service, self.cluster)
        done = self.service.store.get(job.id)
        assert done.status == "successful", done.message
        return json.loads(done.result)["counts"]

    def close(self) -> None:
        self.cluster.close()


def in_process(settings: Settings, inputs: dict) -> Callable[[], list[int]]:
    """The process called here: plan and run with the serial ``map``."""
    service = ProcessingService.create(settings)
    process = service.process("histogram")

    def call() -> list[int]:
        return process.run(process.plan(process.check(dict(inputs)), service.context),
                           service.context)["counts"]

    return call


def over_http(session: requests.Session, url: str, process: str, inputs: dict) -> Answer:
    response = session.post(f"{url}/ogcapi/processes/{process}/execution",
                            json={"inputs": inputs}, timeout=120)
    return Answer(response.status_code, response.headers.get("Content-Type", ""),
                  response.content)


def wait_for_runner(session: requests.Session, url: str, timeout: float = 60) -> None:
    """The gateway answers before its job runner's first heartbeat: wait for that (503)."""
    deadline = time.monotonic() + timeout
    while over_http(session, url, "echo", {"message": "up?"}).status == 503:
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway's job runner did not start")
        time.sleep(0.5)


def as_answer(function: Callable[[], list[int]]) -> Callable[[], Answer]:
    return lambda: Answer(200, "application/json", json.dumps(function()).encode())


def run(repeat: int = 3, latency_repeat: int = 30) -> Report:
    load_before = os.getloadavg()
    settings, env = archive()
    work_dir = Path(tempfile.mkdtemp(prefix="bench-processing-"))
    settings = settings.model_copy(update={"jobs_path": work_dir / "jobs.sqlite"})
    service = ProcessingService.create(settings)
    plan = service.process("histogram").plan(dict(ALL), service.context)
    paths = [path for _name, path, _index in plan.files]
    log(f"{len(paths)} NDVI files")
    truth = serial_loop(paths)
    one_truth = serial_loop([path for _name, path, _index in service.process(
        "histogram").plan(dict(ONE), service.context).files])
    report = Report("processing", COMMAND)

    jobs = {workers: JobOnDask(settings, workers, ALL) for workers in (1, 2)}
    try:
        ways = {"serial loop (rasterio + numpy, here)": [as_answer(lambda: serial_loop(paths))],
                "histogram job, Dask 1 worker": [as_answer(jobs[1])],
                "histogram job, Dask 2 workers": [as_answer(jobs[2])]}

        def check_all(way: str, number: int, answer: Answer) -> None:
            assert json.loads(answer.body) == truth, way

        timings = run_interleaved(ways, check_all, warmup=1, repeat=repeat)
    finally:
        for job in jobs.values():
            job.close()
    stats = {name: Stats.of(f"{len(paths)} products: {name}", t) for name, t in timings.items()}
    report.stats += stats.values()
    serial, one, two = stats.values()
    report.ratios["1 worker / 2 workers"] = ratio(one, two)
    report.ratios["1 worker / serial loop"] = ratio(one, serial)
    report.ratios["2 workers / serial loop"] = ratio(two, serial)

    with requests.Session() as session, gateway(env) as url:
        wait_for_runner(session, url)
        ways = {"sync histogram over HTTP (/ogcapi)": [bind(over_http, session, url,
                                                            "histogram", ONE)],
                "histogram in process (plan + run)": [as_answer(in_process(settings, ONE))],
                "sync echo over HTTP (no task)": [bind(over_http, session, url, "echo",
                                                       {"message": "x"})]}

        def check_one(way: str, number: int, answer: Answer) -> None:
            assert answer.status == 200, (way, answer.body[:300])
            body = json.loads(answer.body)
            if "echo" in way:
                assert body["echo"] == "x", body
            else:   # the process's JSON over HTTP, its counts in process
                assert (body if isinstance(body, list) else body["counts"]) == one_truth

        timings = run_interleaved(ways, check_one, warmup=3, repeat=latency_repeat)
    latency = {name: Stats.of(f"1 product: {name}", t) for name, t in timings.items()}
    report.stats += latency.values()
    http, local, echo = latency.values()
    report.ratios["sync over HTTP / in process"] = ratio(http, local)
    report.ratios["sync echo over HTTP, ms"] = echo.median_ms
    for name, (sense, target) in TARGETS.items():
        report.targets[name] = f"{sense} {target}"
        value = report.ratios[name]
        report.met[name] = value >= target if sense == ">=" else value <= target
    report.notes += [
        f"{len(paths)} PROBA-V S1 NDVI files of {SPEC.probav.region} (one task a file); "
        f"throughput: {repeat} interleaved passes after a warm-up, clusters started before",
        f"latency: {latency_repeat} passes; the gateway has 1 gunicorn worker and its job "
        "runner a LocalCluster of 2 workers (EOSCOPE_DASK_WORKERS)",
        load_note(load_before)]
    path = save(report, {"spec": repr(SPEC)})
    log(f"results: {path}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="throughput passes (default 3)")
    parser.add_argument("--latency-repeat", type=int, default=30,
                        help="latency passes (default 30)")
    args = parser.parse_args(argv)
    print(run(args.repeat, args.latency_repeat).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
