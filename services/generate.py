"""Regenerate every service configuration from the registry and the product index."""

from __future__ import annotations

from pathlib import Path

from services.index import ProductIndex
from services.ows import mapfile
from services.registry import Registry
from services.settings import Settings
from services.tiles import config as mapproxy_config


def generate_all(registry: Registry, index: ProductIndex, settings: Settings) -> list[Path]:
    """The mapfile and MapProxy's configuration; each is validated by the tool that reads it
    before it replaces the running one."""
    return [mapfile.generate(registry, index, settings),
            mapproxy_config.generate(registry, index, settings)]
