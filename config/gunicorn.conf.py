"""gunicorn settings for the eoscope gateway (see docs/operators.md)."""

import multiprocessing
import os
import shutil
import tempfile

from services.settings import Settings

# Web workers answer everything but draw nothing: maps and coverages are drawn by the render
# pool (services/ows/render_pool.py), since mapscript never releases the GIL.
workers = int(os.environ.get("EOSCOPE_WORKERS", multiprocessing.cpu_count()))
_render = Settings()  # the render pool's settings (EOSCOPE_RENDER_*), defaults in one place
RENDER_WORKERS = _render.render_workers
worker_class = "gthread"
# More threads than admission slots (services/admission.py), so a worker can refuse at once
# what it cannot start, and keep one thread for /healthz and /metrics.
threads = int(os.environ.get("EOSCOPE_THREADS", "16"))
os.environ.setdefault("EOSCOPE_ADMISSION_TOTAL", str(max(1, threads - 1)))
# Renders wait in the pool's socket backlog, first come first served across the web workers
# (whichever worker a client's keep-alive connection landed on), up to four per render process
# from each web worker; bench/README.md measured this against one or two. Without a pool, one
# render at a time per web worker (mapscript holds its GIL).
os.environ.setdefault("EOSCOPE_ADMISSION_RENDER",
                      f"[{4 * RENDER_WORKERS}, 2]" if RENDER_WORKERS > 0 else "[1, 4]")
# A worker that does not report for `timeout` s (mapscript holding the GIL) is killed and
# replaced; above EOSCOPE_SYNC_TIMEOUT (50 s) and the heaviest request the limits admit.
timeout = int(os.environ.get("EOSCOPE_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("EOSCOPE_GRACEFUL_TIMEOUT", "30"))
# Recycle workers now and then (GDAL caches, fragmentation), but rarely: at tile rates a worker
# serves 1,000+ requests a second, and 2,000 restarted each one every 1-2 s (-35 % req/s, p99 x3;
# bench/README.md). A memory ceiling is the better trigger; this count is the backstop.
max_requests = int(os.environ.get("EOSCOPE_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
accesslog = None  # the gateway writes one JSON line a request itself (EOSCOPE_ACCESS_LOG)
errorlog = "-"
loglevel = os.environ.get("EOSCOPE_LOG_LEVEL", "info")
control_socket_disable = True  # gunicorn 27 would share one under $HOME between instances


# The job runner (services/processing/runner.py) runs beside the web workers, started once by
# the master, so a job outlives any worker; EOSCOPE_JOBS_RUNNER=external leaves it to you.
def on_starting(server):
    from services.processing.runner import spawn

    _metrics_folder(server)
    server.eoscope_jobs = spawn()
    server.eoscope_render = None
    if RENDER_WORKERS > 0:  # EOSCOPE_RENDER_WORKERS=0: the web workers draw themselves
        from services.ows.render_pool import spawn as spawn_render_pool

        server.eoscope_render = spawn_render_pool(RENDER_WORKERS, _render.render_nice)


def on_reload(server):  # HUP (eoscope reload): the render pool takes the new registry too
    if getattr(server, "eoscope_render", None):
        server.eoscope_render.reload()


def on_exit(server):
    from services.supervise import stop

    stop(getattr(server, "eoscope_jobs", None))
    if getattr(server, "eoscope_render", None):
        server.eoscope_render.stop()
    if getattr(server, "eoscope_metrics", None):
        shutil.rmtree(server.eoscope_metrics, ignore_errors=True)


# Prometheus multiprocess mode: every worker writes its samples to files in one folder that
# /metrics sums. Made fresh here, before any worker starts (an operator's
# PROMETHEUS_MULTIPROC_DIR is emptied instead), removed at exit; a worker's live gauges
# go when it exits.
def _metrics_folder(server):
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        server.eoscope_metrics = None
    else:
        server.eoscope_metrics = tempfile.mkdtemp(prefix="eoscope-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = server.eoscope_metrics


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# The per-worker memory ceiling, EOSCOPE_WORKER_MAX_RSS_MB (services/worker_bounds.py).
def post_request(worker, req, environ, resp):
    from services.worker_bounds import recycle_if_over

    recycle_if_over(worker)
