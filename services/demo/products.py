"""Derived products from the written (DN-rounded) reflectance: NDVI, FAPAR, LAI, FCOVER."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from services.biophysical import VARIABLES, Network
from services.demo.layers import BIOPHYSICAL, NDVI, REFLECTANCE_NODATA, REFLECTANCE_SCALE
from services.demo.solar import Angles

DN = NDArray[np.int16]


def reflectance_to_dn(reflectance: NDArray[np.float32]) -> DN:
    """Surface reflectance to TOC DN (reflectance x 10000, int16, below the nodata value)."""
    dn = np.rint(reflectance / REFLECTANCE_SCALE)
    return np.clip(dn, 0, REFLECTANCE_NODATA - 1).astype(np.int16)


def ndvi_dn(red: DN, nir: DN, invalid: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """Terrascope NDVI bytes (NDVI = DN x 0.004 - 0.08) from B04 and B08 DN."""
    red_f, nir_f = red.astype(np.float64), nir.astype(np.float64)
    total = red_f + nir_f
    missing = invalid | (total <= 0) | (red == REFLECTANCE_NODATA) | (nir == REFLECTANCE_NODATA)
    ndvi = (nir_f - red_f) / np.where(total > 0, total, 1.0)
    return NDVI.to_dn(ndvi, missing)


def biophysical_dn(
    green: DN, red: DN, nir: DN, angles: Angles, invalid: NDArray[np.bool_]
) -> dict[str, NDArray[np.uint8]]:
    """FAPAR, LAI and FCOVER bytes from B03, B04, B08 DN with the S2 10 m network.

    Only valid pixels are evaluated; masked, out-of-domain and NaN outputs are nodata.
    """
    bands = (green, red, nir)
    valid = ~invalid
    for band in bands:
        valid &= band != REFLECTANCE_NODATA
    reflectance = np.stack([band[valid] * REFLECTANCE_SCALE for band in bands], axis=-1)
    cosines = np.broadcast_to(angles.network_cosines(), (reflectance.shape[0], 3))
    inputs = np.concatenate([reflectance, cosines], axis=-1)
    results = {}
    for variable in VARIABLES:
        network = Network.load(variable)
        values = np.full(valid.shape, np.nan)
        values[valid] = np.where(network.in_domain(inputs), network.predict(inputs), np.nan)
        results[variable] = BIOPHYSICAL[variable].to_dn(values)
    return results
