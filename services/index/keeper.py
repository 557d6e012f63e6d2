"""Keep the product index's write-ahead log alive while GDAL reads the index.

MapServer reads the index through GDAL/OGR (the tile indexes of the generated mapfile), and
GDAL first opens the file with a plain ``open()`` to recognise its format. Closing that file
descriptor drops every POSIX lock the process holds on the file, the SQLite ones included
(https://www.sqlite.org/howtocorrupt.html, 2.2). A web worker then holds no lock, so a writer
(``eoscope ingest``) closing its connection thinks it is the last one and deletes the WAL under
the worker's open connection: the worker's next read is "database disk image is malformed" or,
worse, the index as it was before the WAL.

A connection in WAL mode keeps a shared lock on the file for as long as it is open; one held
by a process that never runs GDAL on the index is enough for no writer ever to delete the WAL
while the gateway serves. The job runner, which runs beside the web workers, holds it
(:meth:`IndexKeeper.hold` in its loop), and opens it again when the index is replaced.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

LOG = logging.getLogger("eoscope.index")


class IndexKeeper:
    """One read-only connection to the index, kept open (and its shared lock with it)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None

    def hold(self) -> bool:
        """Hold the index open (reopening it if it was replaced); False when there is none."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self.release()
            return False
        if self._db is not None and self._file == (stat.st_ino, stat.st_dev):
            return True
        self.release()
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL
        except sqlite3.Error as error:
            LOG.warning("cannot hold the product index open: %s", error)
            return False
        self._db, self._file = db, (stat.st_ino, stat.st_dev)
        return True

    def release(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = self._file = None
