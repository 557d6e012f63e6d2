"""gunicorn settings for the eoscope gateway (see docs/operators.md)."""

import multiprocessing
import os

# mapscript never releases the GIL: parallelism comes from processes, about one per core.
workers = int(os.environ.get("EOSCOPE_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("EOSCOPE_THREADS", "2"))
timeout = int(os.environ.get("EOSCOPE_TIMEOUT", "60"))
graceful_timeout = 10
# Recycle workers now and then (GDAL caches, fragmentation), but rarely: at tile rates a worker
# serves 1,000+ requests a second, and 2,000 restarted each one every 1-2 s (-35 % req/s, p99 x3;
# bench/README.md). A memory ceiling is the better trigger; this count is the backstop.
max_requests = int(os.environ.get("EOSCOPE_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("EOSCOPE_LOG_LEVEL", "info")
control_socket_disable = True  # gunicorn 27 would share one under $HOME between instances


# The job runner (services/processing/runner.py) runs beside the web workers, started once by
# the master, so a job outlives any worker; EOSCOPE_JOBS_RUNNER=external leaves it to you.
def on_starting(server):
    from services.processing.runner import spawn

    server.eoscope_jobs = spawn()


def on_exit(server):
    from services.processing.runner import stop_spawned

    stop_spawned(getattr(server, "eoscope_jobs", None))
