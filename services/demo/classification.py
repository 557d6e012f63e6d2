"""A Sen2Cor-like scene classification (SCL) at 20 m from the simulated scene."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from services.demo import clouds
from services.demo.layers import (
    SCL_CLOUD_HIGH,
    SCL_CLOUD_MEDIUM,
    SCL_CLOUD_SHADOW,
    SCL_MASKED,
    SCL_NOT_VEGETATED,
    SCL_THIN_CIRRUS,
    SCL_VEGETATION,
    SCL_WATER,
)

VEGETATION_MIN_NDVI = 0.4
SCL_OF_SKY_RANK = {
    clouds.SHADOW: SCL_CLOUD_SHADOW,
    clouds.CIRRUS: SCL_THIN_CIRRUS,
    clouds.CLOUD_MEDIUM: SCL_CLOUD_MEDIUM,
    clouds.CLOUD_HIGH: SCL_CLOUD_HIGH,
}


def block_reduce(array: NDArray, factor: int, how: str) -> NDArray:
    """Aggregate ``factor`` x ``factor`` blocks with ``how`` ("max" or "mean")."""
    if factor == 1:
        return array
    rows, cols = array.shape
    blocks = array.reshape(rows // factor, factor, cols // factor, factor)
    return getattr(blocks, how)(axis=(1, 3))


def upsample(array: NDArray, factor: int) -> NDArray:
    """Repeat each pixel into a ``factor`` x ``factor`` block."""
    if factor == 1:
        return array
    return np.repeat(np.repeat(array, factor, axis=0), factor, axis=1)


def scene_classification(
    red: NDArray[np.float32],
    nir: NDArray[np.float32],
    water_fraction: NDArray[np.float32],
    sky_rank: NDArray[np.uint8],
    factor: int,
) -> NDArray[np.uint8]:
    """SCL codes on a grid ``factor`` times coarser than the inputs.

    A coarse pixel is cloud/cirrus/shadow if any of its fine pixels is (worst wins, as a
    conservative mask); otherwise water, vegetation (NDVI > 0.4) or not vegetated.
    """
    red_c, nir_c = block_reduce(red, factor, "mean"), block_reduce(nir, factor, "mean")
    ndvi = (nir_c - red_c) / np.maximum(nir_c + red_c, 1e-6)
    is_water = block_reduce(water_fraction, factor, "mean") >= 0.5
    surface = np.where(
        is_water, SCL_WATER, np.where(ndvi > VEGETATION_MIN_NDVI, SCL_VEGETATION, SCL_NOT_VEGETATED)
    )
    rank = block_reduce(sky_rank, factor, "max")
    scl = surface
    for sky, code in SCL_OF_SKY_RANK.items():
        scl = np.where(rank == sky, code, scl)
    return scl.astype(np.uint8)


def masked_pixels(scl: NDArray[np.uint8], factor: int) -> NDArray[np.bool_]:
    """Pixels at the band resolution that NDVI/FAPAR/LAI/FCOVER leave as nodata."""
    return upsample(np.isin(scl, SCL_MASKED), factor)
