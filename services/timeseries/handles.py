"""Open product files kept between requests: opening a GeoTIFF costs about 1 ms (mostly under
the GIL), reading a pixel from an open one about 20 µs.

A handle is lent to one thread at a time (GDAL datasets are not thread-safe) and returned
after use; at most ``size`` idle handles are kept, the least recently used closed first. A
handle is keyed by the file's path, inode, size and modification time, so a file replaced
or rewritten by a new ingest is opened afresh and the stale handles are closed.

A thread asking for a file whose handles are all lent opens another (:meth:`DatasetPool.lend`)
or is told the file is busy and comes back to it later (:meth:`DatasetPool.lend_idle`). When
the pool is full, such a second handle is closed as it comes back rather than kept at the cost
of another file's only one: concurrent requests on the same files would otherwise push each
other's files out and reopen them, round after round.

Checking a file (``os.stat``, ~8 µs among a request's ~150 files) is skipped when the caller
vouches for the index version its paths come from and the file was checked at that version
already: ingest replaces a product's files before it commits the version that announces them,
so a file checked after a version was committed is still the same until the next one.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

import numpy as np
import rasterio
from rasterio.io import DatasetReader
from rasterio.windows import Window

Key = tuple[str, int, int, int]
Version = Hashable  # the index version a caller's paths come from (compared, never ordered)


class DatasetPool:
    def __init__(self, size: int):
        self.size = size
        self._idle: OrderedDict[Key, list[DatasetReader]] = OrderedDict()
        self._current: dict[str, tuple[Key, Version | None]] = {}  # and the version checked at
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def open(self, path: str) -> Iterator[DatasetReader]:
        key, dataset = self.lend(path)
        try:
            yield dataset
        finally:
            self.give_back(key, dataset)

    def lend(self, path: str, version: Version | None = None) -> tuple[Key, DatasetReader]:
        """An open handle of ``path`` for this thread, until :meth:`give_back` (what
        :meth:`open` does, without a context manager's cost: a request lends ~150 handles).
        ``version``: the index version ``path`` was read from, read after it (None: always
        check the file)."""
        lent = self._lend(path, version, open_another=True)
        assert lent is not None
        return lent

    def lend_idle(self, path: str, version: Version | None = None
                  ) -> tuple[Key, DatasetReader] | None:
        """:meth:`lend`, or None where every handle of ``path`` is lent now (to another
        request): rather than open a second one, the caller can come back to it later."""
        return self._lend(path, version, open_another=False)

    def _lend(self, path: str, version: Version | None, open_another: bool
              ) -> tuple[Key, DatasetReader] | None:
        current = self._current.get(path)
        if version is not None and current is not None and current[1] == version:
            key = current[0]
        else:
            status = os.stat(path)
            key = (path, status.st_ino, status.st_size, status.st_mtime_ns)
        dataset, stale, busy = self._take(key, version, open_another)
        if stale:
            _close(stale)
        if busy:
            return None
        if dataset is None:
            dataset = rasterio.open(path)
        return key, dataset

    def give_back(self, key: Key, dataset: DatasetReader) -> None:
        evicted = self._give(key, dataset)
        if evicted:
            _close(evicted)

    def discard(self, key: Key, dataset: DatasetReader) -> None:
        """Close ``dataset`` instead of giving it back (a read from it failed): the next lend
        of its path checks the file again, so a file repaired in place is read afresh."""
        with self._lock:
            current = self._current.get(key[0])
            if current is not None and current[0] == key:
                del self._current[key[0]]
        dataset.close()

    def close(self) -> None:
        with self._lock:
            handles = [d for idle in self._idle.values() for d in idle]
            self._idle.clear()
            self._current.clear()
            self._count = 0
        _close(handles)

    def _take(self, key: Key, version: Version | None, open_another: bool
              ) -> tuple[DatasetReader | None, list[DatasetReader], bool]:
        """An idle handle of ``key`` (or None: open one), the stale handles to close, and
        whether the file is busy (known, no idle handle, and ``open_another`` False)."""
        if self.size <= 0:  # nothing kept: nothing to find, nor to remember
            return None, [], False
        with self._lock:
            stale = []
            previous = self._current.get(key[0])
            if previous is not None and previous[0] != key:
                stale = self._idle.pop(previous[0], [])
                self._count -= len(stale)
                previous = None
            idle = self._idle.get(key)
            if not idle:
                if previous is not None and not open_another:  # its handles are lent
                    return None, stale, True
                self._current[key[0]] = (key, version)
                return None, stale, False
            self._current[key[0]] = (key, version)
            self._count -= 1
            dataset = idle.pop()
            if idle:
                self._idle.move_to_end(key)
            else:  # no empty list is kept: eviction takes the oldest entry's handles
                del self._idle[key]
            return dataset, stale, False

    def _give(self, key: Key, dataset: DatasetReader) -> list[DatasetReader]:
        """Keep ``dataset`` idle; return the handles to close."""
        if self.size <= 0:
            return [dataset]
        with self._lock:
            current = self._current.get(key[0])
            if current is None or current[0] != key:  # replaced while we read it
                return [dataset]
            if self._count >= self.size and key in self._idle:
                return [dataset]  # full: a file's second idle handle is not kept
            self._idle.setdefault(key, []).append(dataset)
            self._idle.move_to_end(key)
            self._count += 1
            evicted = []
            while self._count > self.size:
                oldest, idle = next(iter(self._idle.items()))
                evicted.append(idle.pop())
                self._count -= 1
                if not idle:
                    del self._idle[oldest]
                    current = self._current.get(oldest[0])
                    if current is not None and current[0] == oldest:
                        del self._current[oldest[0]]
            return evicted


def _close(handles: list[DatasetReader]) -> None:
    for dataset in handles:
        dataset.close()


def read_window(dataset: DatasetReader, band: int, window: Window) -> np.ndarray:
    """``dataset.read(band, window=window)``: the same array, through the call that ``read``
    ends in (rasterio's ``_read``, one GDAL ``RasterIO``) without ``read``'s ~40 µs of Python
    per call (band types and nodata ranges, mask flags, the window's crop), which are a point
    request's largest cost (~150 reads). A window not wholly within the dataset (never asked
    by the reader) takes ``read`` itself, which crops it."""
    col, row, width, height = window.col_off, window.row_off, window.width, window.height
    if col < 0 or row < 0 or col + width > dataset.width or row + height > dataset.height:
        return dataset.read(band, window=window)
    out = np.empty((1, int(height), int(width)), dtype=dataset.dtypes[band - 1])
    return dataset._read((band,), out, window, out.dtype)[0]
