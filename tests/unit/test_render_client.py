"""The render pool's client (services/ows/render_pool.py) when the pool fails it: a process
that dies mid-request, one that never answers, a pool that is not there. Each is a 503
(ServiceUnavailable with Retry-After), never a hang or a 500; a real Unix socket plays the
failing process."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from services.errors import ServiceUnavailable
from services.ows import render_pool
from services.ows.kvp import Params

GETMAP = Params((("SERVICE", "WMS"), ("REQUEST", "GetMap")))


def serve_once(path, behaviour) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        behaviour(connection)
        connection.close()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_process_dying_mid_request_is_a_503(tmp_path):
    path = tmp_path / "render.sock"
    serve_once(path, lambda connection: None)  # read the request, close without a word
    with pytest.raises(ServiceUnavailable) as raised:
        render_pool.RenderClient(path, timeout=5).handle(GETMAP)
    assert raised.value.retry_after


def test_a_process_that_never_answers_is_a_503_after_the_budget(tmp_path):
    path = tmp_path / "render.sock"
    serve_once(path, lambda connection: time.sleep(3))
    client = render_pool.RenderClient(path, timeout=1)
    client_wait = client.timeout + 5  # what the client allows beyond the pool's own budget
    began = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        client.handle(GETMAP)
    assert time.monotonic() - began < client_wait


def test_an_absent_pool_is_a_503_after_the_start_up_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(render_pool, "STARTUP_WAIT", 0.3)
    began = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        render_pool.RenderClient(tmp_path / "none.sock", timeout=5).handle(GETMAP)
    assert time.monotonic() - began < 2
