"""What PyWPS keeps of asynchronous executions — status documents under ``var/wps/outputs``
and rows of its status database — deleted after the jobs' own retention
(``EOSCOPE_JOBS_KEEP_DAYS``), by the job runner's sweep."""

from __future__ import annotations

import shutil
import sqlite3
import time
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from services.settings import Settings

STATUS_DATABASE = "pywps-status.sqlite"


def wps_dir(settings: Settings) -> Path:
    """PyWPS's folder: ``outputs/`` (status documents), ``work/`` and its status database."""
    return settings.var_dir / "wps"


def forget_wps(folder: Path, older_than_days: float) -> list[str]:
    """Delete status documents (and output folders) last written more than that long ago,
    and the status database's rows of requests finished before; the names deleted."""
    cutoff = time.time() - older_than_days * 86400
    removed: list[str] = []
    outputs = folder / "outputs"
    for path in outputs.iterdir() if outputs.is_dir() else ():
        try:
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.name)
        except FileNotFoundError:   # a concurrent sweep or PyWPS got there first
            continue
    database = folder / STATUS_DATABASE
    if database.exists():
        # PyWPS writes naive local times (datetime.now()) in SQLAlchemy's text form
        finished = (datetime.now() - timedelta(days=older_than_days)).isoformat(sep=" ")
        with closing(sqlite3.connect(database, timeout=30)) as db:
            try:
                with db:
                    db.execute("DELETE FROM pywps_requests WHERE time_end IS NOT NULL AND "
                               "time_end < ?", (finished,))
            except sqlite3.OperationalError:   # no table yet: PyWPS never ran a request
                pass
    return removed
