"""The files of each Terrascope Sentinel-2 product: data type, nodata and DN scaling.

Physical value = DN * scale + offset, for DN in 0..valid_max (reflectance: any DN but nodata).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VERSION = "V200"
COLLECTION_ROOT = "TERRASCOPE_Sentinel2"


@dataclass(frozen=True)
class Layer:
    """One GeoTIFF of a product, e.g. ``TOC-B04`` of ``TOC`` or ``FAPAR`` of ``FAPAR``."""

    product: str  # TOC, NDVI, FAPAR, LAI, FCOVER
    name: str  # the layer token in the file name
    dtype: str
    nodata: int
    scale: float | None  # None: class codes, no physical scaling
    offset: float
    valid_max: int | None  # largest valid DN of a scaled byte layer
    coarse: bool = False  # at the 20 m classification resolution instead of the band one
    in_resolution_folder: bool = False  # FAPAR/LAI/FCOVER keep files in a 10M/ subfolder
    resampling: str = "average"  # overview resampling

    def resolution_token(self, band_resolution: int) -> str:
        metres = 2 * band_resolution if self.coarse and band_resolution < 20 else band_resolution
        return f"{metres}M"

    def to_dn(self, physical: np.ndarray, invalid: np.ndarray | None = None) -> np.ndarray:
        """Quantise physical values to DN (rounded, clipped to the valid range); NaN and
        ``invalid`` pixels become nodata."""
        if self.scale is None or self.valid_max is None:
            raise ValueError(f"{self.name} holds class codes, not scaled values")
        dn = np.rint((physical - self.offset) / self.scale)
        missing = np.isnan(dn) if invalid is None else np.isnan(dn) | invalid
        dn = np.clip(np.nan_to_num(dn), 0, self.valid_max)
        return np.where(missing, self.nodata, dn).astype(self.dtype)

    def to_physical(self, dn: np.ndarray) -> np.ndarray:
        """Physical values of ``dn``; nodata (and DN above ``valid_max``) become NaN."""
        if self.scale is None:
            raise ValueError(f"{self.name} holds class codes, not scaled values")
        values = dn.astype(np.float64) * self.scale + self.offset
        invalid = dn == self.nodata
        if self.valid_max is not None:
            invalid |= dn > self.valid_max
        return np.where(invalid, np.nan, values)


REFLECTANCE_BANDS = ("B02", "B03", "B04", "B08")
REFLECTANCE_SCALE = 1e-4
REFLECTANCE_NODATA = 32767

REFLECTANCE: dict[str, Layer] = {
    band: Layer("TOC", f"TOC-{band}", "int16", REFLECTANCE_NODATA, REFLECTANCE_SCALE, 0.0, None)
    for band in REFLECTANCE_BANDS
}
SCENE_CLASSIFICATION = Layer(
    "TOC", "SCENECLASSIFICATION", "uint8", 0, None, 0.0, None, coarse=True, resampling="mode"
)
NDVI = Layer("NDVI", "NDVI", "uint8", 255, 0.004, -0.08, 250)
FAPAR = Layer("FAPAR", "FAPAR", "uint8", 255, 0.005, 0.0, 200, in_resolution_folder=True)
LAI = Layer("LAI", "LAI", "uint8", 255, 1 / 30, 0.0, 250, in_resolution_folder=True)
FCOVER = Layer("FCOVER", "FCOVER", "uint8", 255, 0.004, 0.0, 250, in_resolution_folder=True)
BIOPHYSICAL: dict[str, Layer] = {"FAPAR": FAPAR, "LAI": LAI, "FCOVER": FCOVER}

ALL_LAYERS: tuple[Layer, ...] = (
    *REFLECTANCE.values(),
    SCENE_CLASSIFICATION,
    NDVI,
    *BIOPHYSICAL.values(),
)
PRODUCTS: tuple[str, ...] = ("TOC", "NDVI", "FAPAR", "LAI", "FCOVER")

# Sen2Cor scene classification codes written by the demo
SCL_NO_DATA = 0
SCL_CLOUD_SHADOW = 3
SCL_VEGETATION = 4
SCL_NOT_VEGETATED = 5
SCL_WATER = 6
SCL_CLOUD_MEDIUM = 8
SCL_CLOUD_HIGH = 9
SCL_THIN_CIRRUS = 10
SCL_MASKED = (SCL_NO_DATA, SCL_CLOUD_SHADOW, SCL_CLOUD_MEDIUM, SCL_CLOUD_HIGH, SCL_THIN_CIRRUS)
"""Classes whose pixels are nodata in NDVI, FAPAR, LAI and FCOVER."""
