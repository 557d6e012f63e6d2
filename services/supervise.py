"""Keep one command running beside the gateway: started again whenever it dies (a crash, an OOM
kill), reloaded on HUP, stopped with its parent (the gateway's gunicorn master).

``python -m services.supervise [--nice N] -- COMMAND…``. The gateway's master starts the job
runner and the render pool this way (``config/gunicorn.conf.py``). The child gets SIGTERM if
this supervisor dies (Linux ``PR_SET_PDEATHSIG``); this supervisor stops, and its child with
it, when its own parent is gone or on SIGTERM/SIGINT; SIGHUP is passed on to the child.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading

LOG = logging.getLogger("eoscope.supervise")
RESTART_DELAY = 1.0  # seconds before a dead child is started again


def spawn(command: list[str], niceness: int = 0, cwd: str | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``command`` supervised, as a child of the caller."""
    return subprocess.Popen([sys.executable, "-m", "services.supervise", "--nice",
                             str(niceness), "--", *command], cwd=cwd, env=env)


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """Stop a supervisor started by :func:`spawn` (and so its child)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def supervise(command: list[str], niceness: int, stopping: threading.Event,
              reloading: threading.Event, parent: int) -> None:
    while not stopping.is_set():
        child = subprocess.Popen(command, preexec_fn=lambda: _in_child(niceness))
        while child.poll() is None and not stopping.is_set() and os.getppid() == parent:
            if reloading.is_set():
                reloading.clear()
                child.send_signal(signal.SIGHUP)
            stopping.wait(0.5)
        if child.poll() is None:  # we are stopping
            stop(child)
            return
        if os.getppid() != parent:
            return
        LOG.warning("%s exited (%s); starting it again", " ".join(command[:3]),
                    child.returncode)
        stopping.wait(RESTART_DELAY)


def _in_child(niceness: int) -> None:
    """In the child before exec: SIGTERM when this supervisor exits, and the priority."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if niceness:
        os.nice(niceness)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.supervise", description=__doc__)
    parser.add_argument("--nice", type=int, default=0, help="the child's niceness")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND…")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to supervise")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [supervise] %(message)s")
    stopping, reloading = threading.Event(), threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    signal.signal(signal.SIGHUP, lambda *_: reloading.set())
    supervise(command, args.nice, stopping, reloading, os.getppid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
