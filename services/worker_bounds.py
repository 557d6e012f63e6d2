"""A gateway worker's memory ceiling: after each request, a worker whose resident memory is
above ``EOSCOPE_WORKER_MAX_RSS_MB`` finishes its in-flight requests and exits, and gunicorn
starts a fresh one (the same graceful path as ``max_requests``).

Why resident memory checked after a request rather than an address-space limit
(``RLIMIT_AS``): a worker's virtual size is several times its RSS before it does anything
(glibc reserves a 64 MiB malloc arena per thread, GDAL, PROJ and MapServer map their
libraries and caches, numpy and dask more), so a limit loose enough to start is no bound,
and one that bites makes ``malloc`` fail inside MapServer or GDAL, whose C code does not
always check for NULL: a segfault instead of an answer. The size of one request is bounded
before any work starts by the request-cost limits (``EOSCOPE_LIMIT_*``); this ceiling catches
what accumulates across requests (caches, fragmentation, leaks).
"""

from __future__ import annotations

import logging
import os

LOG = logging.getLogger("eoscope.worker")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """This process's resident set size in MiB (from /proc/self/statm: no syscall beyond a
    read)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE / (1 << 20)


def max_rss_mb() -> float:
    """The ceiling from the environment (0: none)."""
    return float(os.environ.get("EOSCOPE_WORKER_MAX_RSS_MB", "2048") or 0)


def over_ceiling(limit_mb: float | None = None) -> float | None:
    """This worker's RSS if it is above the ceiling, else None."""
    limit = max_rss_mb() if limit_mb is None else limit_mb
    if limit <= 0:
        return None
    rss = rss_mb()
    return rss if rss > limit else None


def recycle_if_over(worker) -> None:
    """gunicorn's ``post_request``: ask ``worker`` to exit gracefully above the ceiling."""
    rss = over_ceiling()
    if rss is not None and worker.alive:
        LOG.warning("worker %s uses %.0f MiB, above EOSCOPE_WORKER_MAX_RSS_MB=%s: recycling it",
                    worker.pid, rss, os.environ.get("EOSCOPE_WORKER_MAX_RSS_MB", "2048"))
        worker.alive = False
