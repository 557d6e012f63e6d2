"""gunicorn settings for the render pool (services/ows/render_pool.py; docs/operators.md).

The gateway's master starts it (config/gunicorn.conf.py) with ``--bind unix:<socket>`` and
``--workers``; run on its own, give both. Sync workers: one request each at a time, taken only
when idle, so work goes to a free process.
"""

from services.settings import Settings

_settings = Settings()
worker_class = "sync"
workers = max(1, _settings.render_workers)
# The wall-clock budget of one map or coverage: a worker that has not finished its request
# after `timeout` s is killed and replaced (the work abandoned); the web worker answers 503.
timeout = _settings.render_timeout
graceful_timeout = _settings.render_timeout
max_requests = 200000  # recycled by memory rather (post_request), as the web workers
max_requests_jitter = 20000
accesslog = None  # the web worker logs the request
errorlog = "-"
loglevel = "warning"
proc_name = "eoscope-render"
control_socket_disable = True


def post_request(worker, req, environ, resp):
    from services.worker_bounds import recycle_if_over

    recycle_if_over(worker)
