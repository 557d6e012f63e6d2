"""The job store: one SQLite file (WAL) shared by every web worker and the job runner.

A job is ``accepted`` (queued), ``running`` (claimed by the runner), then ``successful``,
``failed`` or ``dismissed``. Every change is one short transaction, so a web worker killed at
any moment loses nothing; the runner marks the jobs it was running ``failed`` when it starts
again (:meth:`JobStore.interrupt_running`). Each process and thread has its own connection,
kept open between calls (see :class:`KeptConnection`): safe across threads and forks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ACCEPTED, RUNNING, SUCCESSFUL, FAILED, DISMISSED = (
    "accepted", "running", "successful", "failed", "dismissed")
FINISHED = (SUCCESSFUL, FAILED, DISMISSED)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, process TEXT NOT NULL, status TEXT NOT NULL, inputs TEXT NOT NULL,
    created TEXT NOT NULL, started TEXT, finished TEXT, updated TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '',
    mimetype TEXT, result BLOB, owner TEXT, client TEXT);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created);
CREATE TABLE IF NOT EXISTS wps_outputs (name TEXT PRIMARY KEY, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runner (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER,
    heartbeat TEXT);
"""


class Busy(Exception):
    """More jobs queued (in all, or of one client) than the limits allow (HTTP 429)."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OwnerBusy(Busy):
    """The submitter has as many jobs queued or running as their quota allows (HTTP 429)."""


def now() -> str:
    return _stamp(datetime.now(UTC))


@dataclass(frozen=True)
class Job:
    id: str
    process: str
    status: str
    inputs: dict
    created: str
    started: str | None
    finished: str | None
    updated: str
    progress: int
    message: str
    mimetype: str | None
    result: bytes | None
    owner: str | None = None   # the submitter's user name; None: anonymous (everyone's)

    @property
    def done(self) -> bool:
        return self.status in FINISHED


_COLUMNS = ("id, process, status, inputs, created, started, finished, updated, progress, "
            "message, mimetype, result, owner")


_INHERITED: list[sqlite3.Connection] = []


class KeptConnection(sqlite3.Connection):
    """A connection kept for the next call of the same process and thread: ``close()`` only
    ends a transaction left open. Closing the last connection of a WAL database checkpoints
    and syncs it, ~20 ms a call; a kept connection makes a write a fraction of a millisecond
    (and a crash still loses no committed job: WAL with synchronous=NORMAL)."""

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()


def _job(row: tuple) -> Job:
    return Job(row[0], row[1], row[2], json.loads(row[3]), *row[4:])


def _compute_seconds(db: sqlite3.Connection, owner: str) -> float:
    """Seconds the jobs of ``owner`` ran today (UTC), the running ones until now."""
    midnight = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00.000000Z")
    return db.execute(
        "SELECT coalesce(sum((julianday(coalesce(finished, ?)) - julianday(max(started, ?)))"
        " * 86400), 0) FROM jobs WHERE owner = ? AND started IS NOT NULL AND"
        " coalesce(finished, ?) >= ?", (now(), midnight, owner, now(), midnight)).fetchone()[0]


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._kept = threading.local()
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            if "owner" not in columns:   # a store from before job ownership: its jobs stay
                db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")   # everyone's
            if "client" not in columns:  # the submitter's address (the per-client limit)
                db.execute("ALTER TABLE jobs ADD COLUMN client TEXT")

    def _connect(self) -> sqlite3.Connection:
        """This process's and thread's connection (a fork opens its own, never its parent's)."""
        kept = getattr(self._kept, "connection", None)
        if kept is not None and kept[0] == os.getpid():
            return kept[1]
        if kept is not None:   # a parent's, before a fork: never used, nor closed, here
            _INHERITED.append(kept[1])
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                             factory=KeptConnection, check_same_thread=True)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA synchronous = NORMAL")   # WAL: safe against kill -9, no fsync a commit
        self._kept.connection = (os.getpid(), db)
        return db

    def _write(self, sql: str, args: tuple) -> int:
        with closing(self._connect()) as db:
            return db.execute(sql, args).rowcount

    def create(self, process: str, inputs: dict, max_queued: int, owner: str | None = None,
               owner_limit: int = 0, owner_seconds: int = 0, client: str | None = None,
               max_per_client: int | None = None) -> Job:
        """Queue a job for ``owner``; :class:`Busy` when ``max_queued`` jobs already wait or
        run, or ``max_per_client`` of ``client``'s (its address), :class:`OwnerBusy` when
        ``owner`` has ``owner_limit`` of them or their jobs ran ``owner_seconds`` today (UTC)
        (0: no limit)."""
        job_id, stamp = str(uuid.uuid4()), now()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            waiting = db.execute("SELECT count(*) FROM jobs WHERE status IN (?, ?)",
                                 (ACCEPTED, RUNNING)).fetchone()[0]
            if waiting >= max_queued:
                db.execute("ROLLBACK")
                raise Busy(f"{waiting} jobs are queued or running (the limit is {max_queued})")
            if owner is not None and owner_limit:
                mine = db.execute("SELECT count(*) FROM jobs WHERE status IN (?, ?) AND"
                                  " owner = ?", (ACCEPTED, RUNNING, owner)).fetchone()[0]
                if mine >= owner_limit:
                    db.execute("ROLLBACK")
                    raise OwnerBusy(f"job concurrency quota: user {owner} has {mine} jobs "
                                    f"queued or running (the quota is {owner_limit})")
            if owner is not None and owner_seconds:
                used = _compute_seconds(db, owner)
                if used >= owner_seconds:
                    db.execute("ROLLBACK")
                    raise OwnerBusy(f"daily compute quota: the jobs of user {owner} ran "
                                    f"{used:.0f} s today (the quota is {owner_seconds} s)")
            if client is not None and max_per_client is not None:
                own = db.execute("SELECT count(*) FROM jobs WHERE client = ? AND status IN (?, ?)",
                                 (client, ACCEPTED, RUNNING)).fetchone()[0]
                if own >= max_per_client:
                    db.execute("ROLLBACK")
                    raise Busy(f"{own} of your jobs are queued or running (the limit is "
                               f"{max_per_client} a client)")
            db.execute("INSERT INTO jobs (id, process, status, inputs, created, updated, message,"
                       " owner, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, process, ACCEPTED, json.dumps(inputs), stamp, stamp,
                        "accepted, waiting for the job runner", owner, client))
            db.execute("COMMIT")
        return self.get(job_id)

    def counts(self) -> dict[str, int]:
        """Jobs by status (what /metrics reports)."""
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT status, count(*) FROM jobs GROUP BY status"))

    def get(self, job_id: str) -> Job | None:
        with closing(self._connect()) as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def list(self, limit: int = 100, offset: int = 0, *, everyone: bool = True,
             owner: str | None = None) -> tuple[int, list[Job]]:
        """Jobs, newest first: all of them, or (``everyone=False``) the anonymous ones and
        ``owner``'s."""
        where, args = ("", ()) if everyone else ("WHERE owner IS NULL OR owner = ?", (owner,))
        with closing(self._connect()) as db:
            total = db.execute(f"SELECT count(*) FROM jobs {where}", args).fetchone()[0]
            rows = db.execute(f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY created DESC"
                              " LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return total, [_job(r) for r in rows]

    def claim(self, max_running: int) -> Job | None:
        """The oldest queued job, now running; None if none waits or enough run."""
        with closing(self._connect()) as db:
            if not db.execute("SELECT 1 FROM jobs WHERE status = ? LIMIT 1",
                              (ACCEPTED,)).fetchone():
                return None   # the common case, answered without taking the write lock
            db.execute("BEGIN IMMEDIATE")
            running = db.execute("SELECT count(*) FROM jobs WHERE status = ?",
                                 (RUNNING,)).fetchone()[0]
            row = None if running >= max_running else db.execute(
                "SELECT id FROM jobs WHERE status = ? ORDER BY created LIMIT 1",
                (ACCEPTED,)).fetchone()
            if row:
                stamp = now()
                db.execute("UPDATE jobs SET status = ?, started = ?, updated = ?, message = ?"
                           " WHERE id = ?", (RUNNING, stamp, stamp, "running", row[0]))
            db.execute("COMMIT")
        return self.get(row[0]) if row else None

    def progress(self, job_id: str, percent: int, message: str) -> None:
        self._write("UPDATE jobs SET progress = ?, message = ?, updated = ? WHERE id = ? AND"
                    " status = ?", (max(0, min(99, int(percent))), message, now(), job_id,
                                    RUNNING))

    def finish(self, job_id: str, mimetype: str, result: bytes) -> bool:
        stamp = now()
        return bool(self._write(
            "UPDATE jobs SET status = ?, finished = ?, updated = ?, progress = 100, message = ?,"
            " mimetype = ?, result = ? WHERE id = ? AND status = ?",
            (SUCCESSFUL, stamp, stamp, "finished", mimetype, result, job_id, RUNNING)))

    def fail(self, job_id: str, message: str) -> bool:
        stamp = now()
        return bool(self._write(
            "UPDATE jobs SET status = ?, finished = ?, updated = ?, message = ? WHERE id = ?"
            " AND status IN (?, ?)", (FAILED, stamp, stamp, message, job_id, ACCEPTED,
                                     RUNNING)))

    def dismiss(self, job_id: str) -> bool | None:
        """Dismiss a job (the runner stops its work) and drop its result; None if unknown."""
        stamp = now()
        with closing(self._connect()) as db:
            if not db.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
                return None
            db.execute("UPDATE jobs SET status = ?, finished = coalesce(finished, ?),"
                       " updated = ?, message = ?, result = NULL WHERE id = ?",
                       (DISMISSED, stamp, stamp, "dismissed", job_id))
        return True

    def status(self, job_id: str) -> str | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    def interrupt_running(self) -> int:
        """At the runner's start-up: jobs left running by a previous runner have failed."""
        stamp = now()
        return self._write("UPDATE jobs SET status = ?, finished = ?, updated = ?, message = ?"
                           " WHERE status = ?", (FAILED, stamp, stamp, "interrupted: the job "
                                                 "runner restarted", RUNNING))

    def fail_overdue(self, max_seconds: float) -> list[str]:
        """Fail the jobs running for longer than ``max_seconds`` (the runner then stops their
        tasks); their ids."""
        cutoff = _stamp(datetime.now(UTC) - timedelta(seconds=max_seconds))
        with closing(self._connect()) as db:
            ids = [row[0] for row in db.execute(
                "SELECT id FROM jobs WHERE status = ? AND started < ?", (RUNNING, cutoff))]
        message = (f"NoApplicableCode: the job ran longer than the limit of {max_seconds:g} s;"
                   " narrow the inputs")
        return [job_id for job_id in ids if self.fail(job_id, message)]

    def forget(self, older_than_days: float) -> int:
        """Delete finished jobs (and their results) finished more than that long ago."""
        cutoff = _stamp(datetime.now(UTC) - timedelta(days=older_than_days))
        marks = ", ".join("?" * len(FINISHED))
        return self._write(f"DELETE FROM jobs WHERE status IN ({marks}) AND finished < ?",
                           (*FINISHED, cutoff))

    def own_output(self, name: str, owner: str) -> None:
        """A WPS status document (``/wps/outputs/<name>``) belongs to ``owner``."""
        self._write("INSERT OR REPLACE INTO wps_outputs (name, owner) VALUES (?, ?)",
                    (name, owner))

    def disown_outputs(self, names: list[str]) -> None:
        """Forget the owners of WPS status documents that were deleted."""
        with closing(self._connect()) as db:
            db.executemany("DELETE FROM wps_outputs WHERE name = ?", [(n,) for n in names])

    def output_owner(self, name: str) -> str | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT owner FROM wps_outputs WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def beat(self, pid: int) -> None:
        self._write("INSERT INTO runner (id, pid, heartbeat) VALUES (1, ?, ?) ON CONFLICT(id)"
                    " DO UPDATE SET pid = excluded.pid, heartbeat = excluded.heartbeat",
                    (pid, now()))

    def runner_age(self) -> float | None:
        """Seconds since the runner's last heartbeat; None if it never beat."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT heartbeat FROM runner WHERE id = 1").fetchone()
        if not row:
            return None
        beat = datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return (datetime.now(UTC) - beat).total_seconds()
