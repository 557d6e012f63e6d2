"""Regenerate every service configuration from the registry (and the settings)."""

from __future__ import annotations

from pathlib import Path

from services.ows import mapfile
from services.registry import Registry
from services.settings import Settings
from services.tiles import config as mapproxy_config


def generate_all(registry: Registry, settings: Settings) -> list[Path]:
    """The mapfile and MapProxy's configuration; each is validated by the tool that reads it
    before it replaces the running one. The registry's fingerprint is written last, so a
    gateway knows which registry the configurations are for (see services.refresh)."""
    paths = [mapfile.generate(registry, settings), mapproxy_config.generate(registry, settings)]
    stamp = settings.generated_dir / "registry.fingerprint"
    stamp.parent.mkdir(parents=True, exist_ok=True)
    if not stamp.exists() or stamp.read_text() != registry.fingerprint:
        stamp.write_text(registry.fingerprint)
    return paths


def generated_for(settings: Settings) -> str | None:
    """The fingerprint of the registry the configurations were generated from, if any."""
    stamp = settings.generated_dir / "registry.fingerprint"
    return stamp.read_text() if stamp.exists() else None
