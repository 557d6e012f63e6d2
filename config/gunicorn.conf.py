"""gunicorn settings for the eoscope gateway (see docs/operators.md)."""

import multiprocessing
import os

# mapscript never releases the GIL: parallelism comes from processes, about one per core.
workers = int(os.environ.get("EOSCOPE_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("EOSCOPE_THREADS", "2"))
timeout = int(os.environ.get("EOSCOPE_TIMEOUT", "60"))
graceful_timeout = 10
max_requests = 2000          # recycle workers now and then (GDAL caches, fragmentation)
max_requests_jitter = 200
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
