"""Bring the services up to date with the archive: ingest, and drop the cached tiles that new
or replaced products made stale. The services read dates and extents from the index at request
time, so an ingest rewrites no configuration. Only a registry change does: then the
configurations are regenerated and a running gateway is reloaded gracefully (gunicorn's HUP:
new workers with the new registry, old ones finish their requests)."""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from services.generate import generate_all, generated_for
from services.index import IngestReport, ProductIndex, ingest
from services.index.ingest import Progress
from services.registry import Registry
from services.settings import Settings
from services.tiles.cache import changes_for, invalidate

LOG = logging.getLogger("eoscope.refresh")


@dataclass
class RefreshReport:
    ingested: list[IngestReport] = field(default_factory=list)
    generated: list[Path] = field(default_factory=list)
    reloaded: bool = False
    tiles_invalidated: int = 0


def refresh(paths: list[Path], registry: Registry, index: ProductIndex, settings: Settings,
            progress: Progress | None = None) -> RefreshReport:
    report = RefreshReport()
    report.generated, report.reloaded = sync_configuration(registry, settings)
    for path in paths:
        report.ingested.append(ingest(path, registry, index, settings.derived_dir, progress))
    changed = [p for r in report.ingested for p in r.changed]
    if changed and settings.mapproxy_config.exists():
        report.tiles_invalidated = invalidate(settings.mapproxy_config,
                                              changes_for(registry, changed))
    return report


def sync_configuration(registry: Registry, settings: Settings) -> tuple[list[Path], bool]:
    """Regenerate the configurations if they are not those of ``registry``, and then reload
    a running gateway. Returns (files written, whether a gateway was told to reload)."""
    if generated_for(settings) == registry.fingerprint and settings.mapfile.exists() and \
            settings.mapproxy_config.exists():
        return [], False
    return generate_all(registry, settings), reload_gateway(settings)


def reload_gateway(settings: Settings) -> bool:
    """HUP the gunicorn master named in the pid file, if it runs (a stale pid file naming
    another process is left alone: SIGHUP would end most programs)."""
    try:
        pid = int(settings.pidfile.read_text().strip())
        if b"gunicorn" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return False
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    LOG.info("gateway %d told to reload", pid)
    return True
