"""Shared fixtures: a tiny demo archive of all six sources, ingested, and the real gateway under
gunicorn.

The gateway runs as a separate process on a free loopback port, exactly as `make run` starts it,
so every system and interop test talks HTTP to real MapServer through the real WSGI stack.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from services.demo import DemoSpec, generate, plan
from services.demo import sources as demo_sources
from services.demo.region import RegionSpec, generate_region
from services.generate import generate_all
from services.index import ProductIndex, ingest
from services.refresh import refresh
from services.registry import Registry, load
from services.settings import PROJECT_ROOT, Settings

TINY_ARCHIVE = demo_sources.TINY
TINY: DemoSpec = TINY_ARCHIVE.sentinel2   # the Sentinel-2 part, which tests plan against


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regenerate-golden", action="store_true",
                     help="rewrite tests/golden/ from the current generators")


@dataclass(frozen=True)
class Deployment:
    """A running gateway and what it serves."""

    url: str
    settings: Settings
    registry: Registry
    index: ProductIndex
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(root: Path) -> tuple[Settings, dict[str, str]]:
    env = {"EOSCOPE_VAR_DIR": str(root / "var"), "EOSCOPE_ARCHIVE_DIR": str(root / "archive"),
           "EOSCOPE_MAPFILE_DIR": str(root / "mapfiles"),
           "EOSCOPE_GENERATED_DIR": str(root / "generated")}
    return Settings(var_dir=root / "var", archive_dir=root / "archive",
                    mapfile_dir=root / "mapfiles", generated_dir=root / "generated"), env


def prepare(root: Path, spec: DemoSpec | RegionSpec | demo_sources.ArchiveSpec
            ) -> tuple[Settings, dict[str, str]]:
    """Generate, ingest and configure an archive under ``root`` (a Sentinel-2 spec alone, one
    Sentinel-2 date over a region, or an archive of several sources)."""
    settings, env = settings_for(root)
    if isinstance(spec, DemoSpec):
        generate(settings.archive, spec)
    elif isinstance(spec, RegionSpec):
        generate_region(settings.archive, spec)
    else:
        demo_sources.generate_all(settings.archive, spec)
    registry = load(settings.layers_dir)
    index = ProductIndex(settings.index)
    ingest(settings.archive, registry, index, settings.derived_dir)
    generate_all(registry, settings)
    return settings, env


@pytest.fixture(scope="session")
def tiny_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    return prepare(tmp_path_factory.mktemp("tiny"), TINY_ARCHIVE)


def start_gateway(env: dict[str, str], workers: int = 2) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on a free port; its log goes to gateway.log beside the archive."""
    port = free_port()
    log = open(Path(env["EOSCOPE_VAR_DIR"]) / "gateway.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "config/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "/dev/null",
         "--pid", str(Path(env["EOSCOPE_VAR_DIR"]) / "gateway.pid"),
         "services.gateway:create_app()"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited, see {log.name}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:  # refused, or workers still booting (read timeout)
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gateway did not answer /healthz within 60 s")


def stop_gateway(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def served(root: Path, spec: DemoSpec) -> Iterator[tuple[str, Registry, ProductIndex]]:
    """An archive of ``spec`` prepared under ``root`` and served by its own one-worker
    gateway. Yields (url, registry, index)."""
    settings, env = prepare(root, spec)
    process, url = start_gateway(env, workers=1)
    try:
        yield url, load(settings.layers_dir), ProductIndex(settings.index)
    finally:
        stop_gateway(process)


@contextmanager
def newest_held_back(root: Path, spec: DemoSpec) -> Iterator[tuple]:
    """An archive of ``spec`` whose newest acquisition waits in ``root/staging`` (copy it into
    the archive and refresh to "receive" it), ingested and served by its own gateway. Yields
    (url, settings, registry, index, staging folder, newest acquisition)."""
    settings, env = settings_for(root)
    generate(settings.archive, spec)
    newest = plan(spec)[-1]
    staging = root / "staging"
    for folder in list(settings.archive.rglob(f"*{newest.sensing_time:%Y%m%dT%H%M%S}*_V200")):
        target = staging / folder.relative_to(settings.archive)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, target)
    registry, index = load(settings.layers_dir), ProductIndex(settings.index)
    refresh([settings.archive], registry, index, settings)
    process, url = start_gateway(env, workers=1)
    try:
        yield url, settings, registry, index, staging, newest
    finally:
        stop_gateway(process)


@pytest.fixture(scope="session")
def gateway(tiny_archive: tuple[Settings, dict[str, str]]) -> Iterator[Deployment]:
    settings, env = tiny_archive
    process, url = start_gateway(env)
    try:
        yield Deployment(url=url, settings=settings, registry=load(settings.layers_dir),
                         index=ProductIndex(settings.index), env=env)
    finally:
        stop_gateway(process)
