"""Product files that became unreadable after ingest (truncated, overwritten, corrupt): found
when MapServer fails to draw a layer, skipped with a logged warning, so the map or coverage is
drawn from the other products of the date instead of failing (and no path reaches a client).

Each worker remembers what it found for a while (:data:`FORGET_AFTER`), so a repaired or
re-ingested file comes back without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import rasterio
from rasterio.errors import RasterioError

LOG = logging.getLogger("eoscope.ows")
FORGET_AFTER = 300.0  # seconds
DRAW_FAILED = (b"Failed to draw layer", b"Unable to access file", b"Unable to open")


def draw_failed(report: bytes) -> bool:
    """Whether an exception report says MapServer could not read a layer's data."""
    return any(marker in report for marker in DRAW_FAILED)


def readable(location: str) -> bool:
    """Whether every block of every band of ``location`` decodes (the whole file is read:
    this runs only after a failed draw)."""
    try:
        with rasterio.open(location) as dataset:
            for band in dataset.indexes:
                dataset.checksum(band)
    except (RasterioError, OSError):
        return False
    return True


class UnreadableSources:
    """The sources of a layer found unreadable, per worker, forgotten after a while."""

    def __init__(self, forget_after: float = FORGET_AFTER):
        self.forget_after = forget_after
        self._lock = threading.Lock()
        self._found: dict[str, float] = {}   # location → when it was found unreadable

    def known(self) -> set[str]:
        now = time.monotonic()
        with self._lock:
            self._found = {k: t for k, t in self._found.items() if now - t < self.forget_after}
            return set(self._found)

    def find(self, locations: Iterable[str]) -> set[str]:
        """Check ``locations`` (not already known bad); remember and log the unreadable."""
        known = self.known()
        bad = {location for location in locations
               if location not in known and not readable(location)}
        with self._lock:
            for location in bad:
                LOG.warning("skipping an unreadable product file (corrupt since ingest?): %s",
                            location)
                self._found[location] = time.monotonic()
        return bad
