"""The render pool: MapServer's work (WMS, WCS, the metatiles of cold WMTS tiles) done in
processes of its own, so a map being drawn never stops a web worker from answering anything
else.

Why: mapscript never releases the GIL. Drawn inside a gthread web worker, a 150 ms GetMap
stops every other thread of that worker for 150 ms — the warm tiles, catalogue searches and
health checks it also holds — and a MapServer crash takes them all down. So the gateway's
master starts a second gunicorn (``config/render.conf.py``) of *sync* workers on a Unix socket
(:func:`spawn`): each draws one request at a time and takes the next only when idle, so work
goes to whichever process is free, whatever web worker it came from; gunicorn's ``timeout``
is the wall-clock budget of one request (the process is killed and replaced, the work really
abandoned), and a crash loses only that request.

A web worker reaches the pool through :class:`RenderClient`, which has the same
``handle(params, default_service, post, online_resource)`` as :class:`OwsService`, so the
gateway, MapProxy's source and the OGC API Maps provider use either one. One call is one
connection (the kernel hands it to a free process); the request and the answer's status and
headers cross the socket pickled, which is safe only because the socket lives in a folder only
this user can open. The answer's body (a 4 MB coverage) follows its small pickled head as it
is, not inside the pickle: pickling it copied it twice more (≈3 ms of a GetCoverage,
bench/README.md "WCS after wcs-speed").
"""

from __future__ import annotations

import dataclasses
import http.client
import logging
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from services import registry as registry_module
from services import supervise
from services.errors import ServiceUnavailable
from services.index import ProductIndex
from services.index.live import LiveLayers
from services.ows.kvp import Params
from services.ows.mapserver import MapServer
from services.ows.service import OwsService, Response
from services.settings import Settings

LOG = logging.getLogger("eoscope.render")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PATH = "/render"
HEAD_LENGTH = "X-Render-Head"  # bytes of the pickled head before the answer's own body
STARTUP_WAIT = 20.0  # seconds a call waits for a pool that is still starting
# glibc's malloc for the render processes: buffers up to 32 MiB (a 1000² float32 coverage is
# 4 MB, and MapServer and GDAL make several per request) come from the heap and are reused,
# not mapped afresh and page-faulted in each time, and up to 64 MiB of freed heap is kept
# rather than given back at once (bench/README.md "WCS after wcs-speed"; docs/operators.md)
MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}


class RenderFailed(Exception):
    """The pool could not answer (a bug there: see its log)."""


class RenderClient:
    """:class:`OwsService`'s ``handle``, done by the render pool behind ``socket_path``."""

    def __init__(self, socket_path: Path, timeout: float):
        self.socket_path = socket_path
        self.timeout = timeout

    def handle(self, params: Params, default_service: str = "WMS",
               post: tuple[bytes, str] | None = None, online_resource: str | None = None
               ) -> Response:
        call = pickle.dumps((params.items, default_service, post, online_resource), protocol=5)
        connection = self._connect()
        try:
            connection.request("POST", PATH, body=call,
                               headers={"Content-Type": "application/octet-stream"})
            answer = connection.getresponse()
            head = answer.read(int(answer.getheader(HEAD_LENGTH) or 0))
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:  # killed, crashed, timed out
            LOG.warning("render pool gave no answer: %s", error)
            raise ServiceUnavailable(
                f"the request could not be completed within {self.timeout:.0f} s; retry "
                "later, or ask for less") from None
        finally:
            connection.close()
        if answer.status == 200:
            return dataclasses.replace(pickle.loads(head), body=body)
        if answer.status == 503:
            raise ServiceUnavailable(body.decode("utf-8", "replace"))
        raise RenderFailed(f"the render pool answered {answer.status}")

    def _connect(self) -> _UnixConnection:
        """A connection to the pool, waiting while it starts (its socket not there yet)."""
        deadline = time.monotonic() + STARTUP_WAIT
        while True:
            connection = _UnixConnection(self.socket_path, self.timeout + 5)
            try:
                connection.connect()
                return connection
            except (FileNotFoundError, ConnectionRefusedError) as error:
                connection.close()
                if time.monotonic() > deadline:
                    LOG.warning("render pool unreachable: %s", error)
                    raise ServiceUnavailable("the map server is not available; retry later"
                                             ) from None
                time.sleep(0.05)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("render-pool", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.socket_path))


class RenderPool:
    """The pool's WSGI application: one :class:`OwsService` per process."""

    def __init__(self, settings: Settings):
        index = ProductIndex(settings.index, create=False)
        self.ows = OwsService(registry_module.load(settings.layers_dir), index,
                              MapServer(settings.mapfile), settings.limits, LiveLayers(index))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"the render pool answers POST /render only"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        items, service, post, online_resource = pickle.loads(environ["wsgi.input"].read(length))
        headers = [("Content-Type", "application/octet-stream")]
        try:
            answer = self.ows.handle(Params(tuple(items)), service, post, online_resource)
            head = pickle.dumps(dataclasses.replace(answer, body=b""), protocol=5)
            status, chunks = "200 OK", [head, answer.body]  # the body sent as it is
            headers.append((HEAD_LENGTH, str(len(head))))
        except sqlite3.Error as error:  # the index went away or broke during the request
            LOG.warning("product index unreadable: %s", error)
            status, chunks = "503 Service Unavailable", \
                [b"the product index cannot be read; try again later"]
        except Exception:  # noqa: BLE001 — the gateway turns it into a clean 500
            LOG.exception("unhandled error drawing %s", items)
            status, chunks = "500 Internal Server Error", [b"see the render pool's log"]
        headers.append(("Content-Length", str(sum(len(c) for c in chunks))))
        start_response(status, headers)
        return chunks


def create_app() -> RenderPool:
    """What the pool's gunicorn runs."""
    return RenderPool(Settings())


class Spawned:
    """A render pool started by :func:`spawn`: its supervisor and its socket's folder."""

    def __init__(self, supervisor: subprocess.Popen, folder: Path):
        self.supervisor, self.folder = supervisor, folder

    def reload(self) -> None:
        """New processes with the registry as it is now (gunicorn's graceful HUP, passed on
        by the supervisor)."""
        if self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        supervise.stop(self.supervisor)
        shutil.rmtree(self.folder, ignore_errors=True)


def spawn(workers: int, niceness: int = 0) -> Spawned:
    """Start the pool's gunicorn, supervised (services/supervise.py: started again if it
    dies, stopped with the caller), on a socket in a fresh private folder whose path is left
    in ``EOSCOPE_RENDER_SOCKET`` for the web workers the caller (the gateway's master) starts
    next. With ``niceness``, the kernel gives the web workers' cheap requests the CPU first
    when both want it."""
    folder = Path(tempfile.mkdtemp(prefix="eoscope-render-"))  # mode 0700
    path = folder / "render.sock"
    os.environ["EOSCOPE_RENDER_SOCKET"] = str(path)
    command = [sys.executable, "-m", "gunicorn", "-c",
               str(PROJECT_ROOT / "config" / "render.conf.py"), "--bind", f"unix:{path}",
               "--workers", str(workers), "services.ows.render_pool:create_app()"]
    env = {**MALLOC, **os.environ}  # an operator's own values win
    return Spawned(supervise.spawn(command, niceness, cwd=str(PROJECT_ROOT), env=env), folder)
