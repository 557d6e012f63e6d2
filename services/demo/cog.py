"""Write Cloud-Optimized GeoTIFFs for any mission of the demo archive (GDAL's COG driver).

Tiled 256 x 256, DEFLATE (with a predictor for continuous data), internal overviews, nodata,
and each band's DN scale/offset in the GeoTIFF metadata so GDAL clients can unscale. One
thread, so the same arrays always give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray

BLOCK_SIZE = 256
COMPRESSION = "DEFLATE"


def overview_count(width: int, height: int) -> int:
    """Overview levels down to about one block (at least one, as long as 2 x 2 pixels fit)."""
    needed = math.ceil(math.log2(max(width, height) / BLOCK_SIZE)) if max(width, height) else 0
    possible = int(math.log2(min(width, height))) if min(width, height) >= 2 else 0
    return max(0, min(max(1, needed), possible))


def write_cog(path: Path, data: NDArray, *, crs: str, transform: Affine, dtype: str,
              nodata: float | None, scales: Sequence[float] | None = None,
              offsets: Sequence[float] | None = None, descriptions: Sequence[str] = (),
              resampling: str = "average", continuous: bool = True,
              compress: str = COMPRESSION) -> Path:
    """Write ``data`` — (rows, cols) or (bands, rows, cols) — to ``path`` (overwriting).

    ``continuous`` chooses the predictor (2 for integers, 3 for floats) and is False for class
    codes and flags, which also want ``resampling="mode"`` or ``"nearest"``; ``compress``
    "NONE" leaves the blocks uncompressed (fastest to read)."""
    array = np.asarray(data)
    if array.ndim == 2:
        array = array[np.newaxis]
    count, height, width = array.shape
    path.parent.mkdir(parents=True, exist_ok=True)
    floating = np.dtype(dtype).kind == "f"
    options: dict[str, object] = {
        "blocksize": BLOCK_SIZE,
        "compress": compress,
        "overview_resampling": resampling,
        "overview_count": overview_count(width, height),
        "num_threads": 1,  # byte-identical output
    }
    if compress != "NONE":
        options["predictor"] = (3 if floating else 2) if continuous else 1
    with rasterio.open(path, "w", driver="COG", width=width, height=height, count=count,
                       dtype=dtype, crs=crs, transform=transform, nodata=nodata,
                       **options) as dataset:
        dataset.write(array.astype(dtype, copy=False))
        for i, description in enumerate(descriptions, start=1):
            dataset.set_band_description(i, description)
        if scales is not None:
            dataset.scales = tuple(scales)
            dataset.offsets = tuple(offsets) if offsets is not None else (0.0,) * count
    return path
