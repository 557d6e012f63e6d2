"""Terrascope product names, folders and file names.

``<root>/TERRASCOPE_Sentinel2/<PRODUCT>_V2/YYYY/MM/DD/<product name>/[10M/]<file>``, with
product name ``S2A_20180602T105031_31UES_NDVI_V200`` and file name
``S2A_20180602T105031_31UES_NDVI_10M_V200.tif``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from services.demo.layers import COLLECTION_ROOT, VERSION, Layer


def timestamp(sensing_time: datetime) -> str:
    """``YYYYMMDDTHHMMSS`` as in the file names."""
    return sensing_time.strftime("%Y%m%dT%H%M%S")


def product_name(platform: str, sensing_time: datetime, tile: str, product: str) -> str:
    return f"{platform}_{timestamp(sensing_time)}_{tile}_{product}_{VERSION}"


def product_folder(
    root: Path, platform: str, sensing_time: datetime, tile: str, product: str
) -> Path:
    day = sensing_time.strftime("%Y/%m/%d")
    name = product_name(platform, sensing_time, tile, product)
    return Path(root) / COLLECTION_ROOT / f"{product}_V2" / day / name


def layer_path(
    root: Path, platform: str, sensing_time: datetime, tile: str, layer: Layer, resolution: int
) -> Path:
    """Full path of one layer file, e.g. ``.../10M/S2A_..._31UES_FAPAR_10M_V200.tif``."""
    folder = product_folder(root, platform, sensing_time, tile, layer.product)
    token = layer.resolution_token(resolution)
    if layer.in_resolution_folder:
        folder = folder / token
    stem = f"{platform}_{timestamp(sensing_time)}_{tile}_{layer.name}_{token}_{VERSION}"
    return folder / f"{stem}.tif"
