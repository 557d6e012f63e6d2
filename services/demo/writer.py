"""Write one layer as a Cloud-Optimized GeoTIFF with GDAL's COG driver."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray

from services.demo.geometry import CRS, Grid
from services.demo.layers import Layer

BLOCK_SIZE = 256
COMPRESSION = "DEFLATE"


def overview_count(width: int, height: int) -> int:
    """Overview levels down to about one block (at least one, as long as 2 x 2 pixels fit)."""
    needed = math.ceil(math.log2(max(width, height) / BLOCK_SIZE)) if max(width, height) else 0
    possible = int(math.log2(min(width, height))) if min(width, height) >= 2 else 0
    return max(0, min(max(1, needed), possible))


def write_cog(path: Path, data: NDArray, grid: Grid, layer: Layer) -> Path:
    """Write ``data`` (rows, cols) of ``layer`` on ``grid`` to ``path`` (overwriting).

    Tiled 256 x 256, DEFLATE (with a horizontal predictor for continuous data), internal
    overviews, EPSG:32631, nodata, and the DN scale/offset in the GeoTIFF metadata so GDAL
    clients can unscale to physical values.
    """
    if data.shape != grid.shape:
        raise ValueError(f"{path.name}: data {data.shape} does not match grid {grid.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {
        "blocksize": BLOCK_SIZE,
        "compress": COMPRESSION,
        "predictor": 2 if layer.scale is not None else 1,
        "overview_resampling": layer.resampling,
        "overview_count": overview_count(grid.width, grid.height),
        "num_threads": 1,  # byte-identical output
    }
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=grid.width,
        height=grid.height,
        count=1,
        dtype=layer.dtype,
        crs=CRS,
        transform=grid.transform,
        nodata=layer.nodata,
        **options,
    ) as dataset:
        dataset.write(np.asarray(data, dtype=layer.dtype), 1)
        dataset.set_band_description(1, layer.name)
        if layer.scale is not None:
            dataset.scales = (layer.scale,)
            dataset.offsets = (layer.offset,)
    return path
