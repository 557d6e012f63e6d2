"""Faults: kill -9 a web worker under load; how many requests fail and how soon the gateway
serves from a fresh worker again, compared with the same load without a fault in the same run.

``python -m bench.faults [--seconds 30] [--clients 8]`` — the gateway, archive and request mix of
``bench.load``. Two phases of ``--seconds`` each: without a fault (the baseline), then the same
load with SIGKILL sent to one gunicorn worker (the one that answered most of the phase so
far) a third of the way in. Reported per phase: answers,
failures (connection errors and 5xx other than a shed 503) and sheds; for the fault: the failed
requests (were they in progress at the kill, or later?), how long until each client that lost a
request had its next answer, the time until the master has started a replacement worker, and
the time until the replacement answers (probed on fresh connections, since the clients'
keep-alive connections stay with the surviving worker; the JSON access log names the pid).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import requests

from bench.load import WORKERS, drive, figures, prepared, save, table, warm
from tests.conftest import start_gateway, stop_gateway


def workers_of(master: int) -> set[int]:
    """The gunicorn web worker pids of ``master`` (not the job runner or the render pool it
    also started)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    found = set()
    for pid in map(int, children):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"gunicorn" in command and b"render.conf.py" not in command:
            found.add(pid)
    return found


def served_by(log: Path, offset: int, pid: int) -> float | None:
    """The time stamp of the first access line of ``pid`` after ``offset`` bytes of the log
    (None if none yet)."""
    with log.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if line.startswith(b'{"time"'):
                entry = json.loads(line)
                if entry["pid"] == pid:
                    return entry["time"]
    return None


def busiest(log: Path, offset: int, workers: set[int]) -> int:
    """The worker that answered the most requests logged after ``offset``."""
    counts = Counter()
    with log.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if line.startswith(b'{"time"'):
                counts[json.loads(line)["pid"]] += 1
    return max(workers, key=lambda pid: counts[pid])


def run(seconds: float, clients: int) -> dict[str, object]:
    env, mix = prepared()
    log = Path(env["EOSCOPE_VAR_DIR"]) / "gateway.log"
    process, url = start_gateway(env, workers=WORKERS)
    fault: dict[str, object] = {}
    try:
        warm(url, mix)
        baseline = drive(url, mix, clients, seconds)

        def kill_one(start: float) -> None:
            time.sleep(max(0.0, start + seconds / 3 - time.monotonic()))
            before = workers_of(process.pid)
            offset = log.stat().st_size
            victim = busiest(log, phase_offset, before)  # a worker holding clients' requests
            killed_at, killed_wall = time.monotonic(), time.time()
            os.kill(victim, signal.SIGKILL)
            replacement = None
            while replacement is None and time.monotonic() < killed_at + 60:
                fresh = workers_of(process.pid) - before
                replacement = min(fresh) if fresh else None
                time.sleep(0.01)
            respawned = time.monotonic() - killed_at
            answered, probe = None, 0
            while replacement and answered is None and time.monotonic() < killed_at + 60:
                probe += 1
                try:  # a fresh connection: the kernel hands it to either worker
                    requests.get(f"{url}/healthz", timeout=30,
                                 headers={"X-Request-Id": f"fault-probe-{probe}"})
                except requests.RequestException:
                    pass
                stamp = served_by(log, offset, replacement)
                if stamp is not None:
                    answered = _epoch(stamp) - killed_wall
                time.sleep(0.1)
            fault.update(victim=victim, replacement=replacement, killed_at=killed_at,
                         respawn_s=respawned, first_answer_s=answered)

        phase_offset = log.stat().st_size
        faulted = drive(url, mix, clients, seconds, during=kill_one)
    finally:
        stop_gateway(process)
    results: dict[str, object] = {"seconds": seconds, "clients": clients, "workers": WORKERS}
    for name, outcomes in (("no fault", baseline), ("kill -9 of one worker", faulted)):
        rows = figures(outcomes)
        failed = [o for o in outcomes if o.status == "error"
                  or (isinstance(o.status, int) and o.status >= 500 and o.status != 503)]
        results[name] = {"classes": rows, "answers": len(outcomes), "failed": len(failed)}
        print(table(f"{name}: {clients} clients, {seconds:.0f} s", rows, {}, seconds))
        print(f"   failed requests: {len(failed)} of {len(outcomes)}")
        if name != "no fault":
            killed = fault["killed_at"]
            in_progress = [o for o in failed if o.started <= killed <= o.started + o.seconds]
            results[name]["failed_in_progress_at_kill"] = len(in_progress)
            results[name]["failed_after_kill"] = len(failed) - len(in_progress)
            print(f"   of which in progress at the kill: {len(in_progress)}; started later: "
                  f"{len(failed) - len(in_progress)}")
            back = [min((o.started + o.seconds for o in outcomes if o.client == lost.client
                         and o.status == 200 and o.started >= lost.started), default=None)
                    for lost in failed]
            gaps = [b - killed for b in back if b is not None]
            results[name]["clients_back_after_s"] = max(gaps) if gaps else None
            if gaps:
                print(f"   every client that lost a request had its next answer within "
                      f"{max(gaps):.2f} s of the kill")
            print(f"   replacement worker started {fault['respawn_s']:.2f} s after the kill, "
                  f"first answered {fault['first_answer_s'] or float('nan'):.2f} s after it")
    results["fault"] = {k: v for k, v in fault.items() if k != "killed_at"}
    save("faults", results)
    return results


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    run(args.seconds, args.clients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
