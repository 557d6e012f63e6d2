"""A read-only connection to the index that each process and thread keeps open.

Opening a SQLite connection and reading the schema costs about 0.3 ms, which requests that
ask the index on every call (the index version, a time series' products) should not pay each
time. Under WAL every statement outside a transaction sees the latest commit, so a kept
connection reads what a new one would; it is opened again when the index file is replaced
(another inode) and in a forked child (never its parent's connection).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

_INHERITED: list[sqlite3.Connection] = []  # a parent's, before a fork: never used nor closed


class KeptReader:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection; FileNotFoundError (an OSError) if the index is gone."""
        stat = os.stat(self.path)
        key = (os.getpid(), stat.st_ino, stat.st_dev)
        kept = self._local.__dict__
        if kept.get("key") != key:
            if kept.get("db") is not None:
                if kept["key"][0] == key[0]:
                    kept["db"].close()
                else:
                    _INHERITED.append(kept["db"])
            kept["db"] = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            kept["key"] = key
        return kept["db"]

    def identity(self) -> tuple[int, int]:
        """The index file this thread's connection reads (device, inode): with the index's
        version, what names a state of the index (a rebuilt index counts its versions
        afresh)."""
        self.connection()
        return self._local.key[2], self._local.key[1]

    def forget(self) -> None:
        """Drop this thread's connection (after an error: the next call opens a new one)."""
        self._local.__dict__.clear()
