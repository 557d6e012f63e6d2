"""A doorbell for the job runner: a web worker that queues a job rings it (one datagram on a
Unix socket beside the job store), so the runner claims the job at once instead of at its next
poll. Best effort: without the socket (no runner yet, a path too long for a Unix socket, the
runner on another machine) the runner still finds the job at its next poll.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from pathlib import Path


def path_for(store: Path) -> Path:
    return store.with_name(store.name + ".bell")


def ring(store: Path) -> None:
    """Wake the runner of the job store at ``store``, if it listens."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as bell:
        bell.setblocking(False)
        bell.sendto(b"!", os.fsencode(path_for(store)))


class Doorbell:
    """The runner's end: :meth:`wait` returns when rung or after ``timeout``."""

    def __init__(self, store: Path):
        self.path = path_for(store)
        self.socket: socket.socket | None = None
        try:
            self.path.unlink(missing_ok=True)
            self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.socket.bind(os.fsencode(self.path))
            self.socket.setblocking(False)
        except OSError:   # e.g. a path longer than a Unix socket's: poll only
            self.close()

    def wait(self, timeout: float) -> bool:
        """True if rung (all rings so far are consumed)."""
        if self.socket is None:
            select.select([], [], [], timeout)
            return False
        readable, _, _ = select.select([self.socket], [], [], timeout)
        rung = False
        while readable:
            try:
                self.socket.recv(64)
                rung = True
            except BlockingIOError:
                break
        return rung

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
            with contextlib.suppress(OSError):
                self.path.unlink()
