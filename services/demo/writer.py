"""Write one Sentinel-2 layer as a Cloud-Optimized GeoTIFF (services.demo.cog)."""

from __future__ import annotations

from pathlib import Path

from numpy.typing import NDArray

from services.demo import cog
from services.demo.geometry import CRS, Grid
from services.demo.layers import Layer


def write_cog(path: Path, data: NDArray, grid: Grid, layer: Layer, crs: str = CRS) -> Path:
    """Write ``data`` (rows, cols) of ``layer`` on ``grid`` to ``path`` (overwriting), with the
    common demo COG writer: ``crs`` (EPSG:32631 unless told), nodata, and the DN scale/offset
    in the metadata."""
    if data.shape != grid.shape:
        raise ValueError(f"{path.name}: data {data.shape} does not match grid {grid.shape}")
    scaled = layer.scale is not None
    return cog.write_cog(path, data, crs=crs, transform=grid.transform, dtype=layer.dtype,
                         nodata=layer.nodata, scales=(layer.scale,) if scaled else None,
                         offsets=(layer.offset,) if scaled else None,
                         descriptions=(layer.name,), resampling=layer.resampling,
                         continuous=scaled)
