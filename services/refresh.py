"""Bring the services up to date with the archive: ingest, regenerate the configurations the
running gateway reloads, and drop the cached tiles that new or replaced products made stale."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from services.generate import generate_all
from services.index import IngestReport, ProductIndex, ingest
from services.index.ingest import Progress
from services.registry import Registry
from services.settings import Settings
from services.tiles.cache import changes_for, invalidate


@dataclass
class RefreshReport:
    ingested: list[IngestReport] = field(default_factory=list)
    generated: list[Path] = field(default_factory=list)
    tiles_invalidated: int = 0


def refresh(paths: list[Path], registry: Registry, index: ProductIndex, settings: Settings,
            progress: Progress | None = None, generate: bool = True) -> RefreshReport:
    report = RefreshReport()
    for path in paths:
        report.ingested.append(ingest(path, registry, index, settings.derived_dir, progress))
    if not generate:
        return report
    report.generated = generate_all(registry, index, settings)
    changed = [p for r in report.ingested for p in r.changed]
    if changed:
        report.tiles_invalidated = invalidate(settings.mapproxy_config,
                                              changes_for(registry, changed))
    return report
