"""Terrascope product and file names, e.g.

``S2A_20180602T105031_31UES_NDVI_V200/S2A_20180602T105031_31UES_NDVI_10M_V200.tif``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_PRODUCT = re.compile(
    r"^(?P<platform>S2[ABC])_(?P<time>\d{8}T\d{6})_(?P<tile>\d{2}[A-Z]{3})_"
    r"(?P<product_type>[A-Z0-9]+)_V(?P<version>\d{3})$")
_FILE = re.compile(
    r"^(?P<platform>S2[ABC])_(?P<time>\d{8}T\d{6})_(?P<tile>\d{2}[A-Z]{3})_"
    r"(?P<token>[A-Z0-9-]+_\d+M)_V(?P<version>\d{3})\.tif$")


@dataclass(frozen=True)
class ProductName:
    """What a Sentinel-2 product's folder name says."""

    name: str
    platform: str
    time: datetime
    tile: str
    product_type: str
    version: str


@dataclass(frozen=True)
class FileName:
    """What a product file's name says; ``token`` names the band, e.g. ``TOC-B04_10M``."""

    platform: str
    time: datetime
    tile: str
    token: str
    version: str


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def parse_product(name: str) -> ProductName | None:
    match = _PRODUCT.match(name)
    if not match:
        return None
    return ProductName(name=name, platform=match["platform"], time=_time(match["time"]),
                       tile=match["tile"], product_type=match["product_type"],
                       version=match["version"])


def parse_file(name: str) -> FileName | None:
    match = _FILE.match(name)
    if not match:
        return None
    return FileName(platform=match["platform"], time=_time(match["time"]), tile=match["tile"],
                    token=match["token"], version=match["version"])


def product_of(path: Path) -> ProductName | None:
    """The product a file belongs to: the nearest parent folder named like a product
    (FAPAR, LAI and FCOVER files sit one level deeper, in ``10M/`` or ``20M/``)."""
    for parent in list(path.parents)[:3]:
        product = parse_product(parent.name)
        if product:
            return product
    return None
