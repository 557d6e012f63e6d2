"""What a VGT-like sensor sees on one date: surface under the sky, and what it flags.

Observed TOC reflectance = snow over the surface, darkened in cloud shadow, mixed with cloud
by the cloud's opacity, plus a little sensor noise, clipped where a band saturates (thick
cloud cores in BLUE). The sky class is what a cloud screening would say: CLOUD for thick
cloud, UNCERTAIN for thin cloud edges, SHADOW, else CLEAR; snow is flagged where no cloud is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from services.demo.vgt.geofields import Field
from services.demo.vgt.sky import Resampler, Sky
from services.demo.vgt.surface import Surface, reflectance

CLEAR, SHADOW, UNCERTAIN, CLOUD = range(4)
CLOUD_EDGE_OPACITY = 0.1  # opacity right at the cloud edge; grows inwards
CLOUD_SOFTNESS = 0.35  # in standard deviations of the cloud field
CLOUD_SPECTRUM = (0.50, 0.52, 0.55, 0.35)  # in the order of BANDS
SNOW_SPECTRUM = (0.72, 0.65, 0.78, 0.08)
SNOW_COVER = 0.8  # of a snowy pixel (trees and roofs stick out)
SHADOW_DEPTH = 0.6  # light removed under an opaque cloud
SATURATION = (0.9, 0.9, 0.58, 0.9)  # reflectance where each band saturates
NOISE_RELATIVE, NOISE_ABSOLUTE = 0.008, 0.0008
CLOUD_MIN_OPACITY, UNCERTAIN_MIN_OPACITY, SHADOW_MIN_DEPTH = 0.3, 0.08, 0.15


@dataclass(frozen=True)
class SkyView:
    """A sky sampled on a product grid."""

    opacity: Field
    shadow: Field  # fraction of light removed
    snow: NDArray[np.bool_]


@dataclass(frozen=True)
class Observation:
    reflectance: NDArray[np.float32]  # (4, rows, cols) in the order of BANDS
    sky: NDArray[np.uint8]  # CLEAR, SHADOW, UNCERTAIN or CLOUD
    snow: NDArray[np.bool_]  # snow flagged (never under cloud)
    good: NDArray[np.bool_]  # (4, rows, cols) radiometry not saturated
    land: NDArray[np.bool_]

    def cut(self, window: tuple[slice, slice]) -> Observation:
        rows, cols = window
        return Observation(self.reflectance[:, rows, cols], self.sky[rows, cols],
                           self.snow[rows, cols], self.good[:, rows, cols],
                           self.land[rows, cols])


def opacity(excess: Field) -> Field:
    grown = 1 - np.exp(-np.maximum(excess, 0.0) / CLOUD_SOFTNESS)
    return np.where(excess > 0, CLOUD_EDGE_OPACITY + (1 - CLOUD_EDGE_OPACITY) * grown,
                    0.0).astype(np.float32)


def view(sky: Sky, resampler: Resampler) -> SkyView:
    return SkyView(
        opacity=opacity(resampler(sky.cloud)),
        shadow=SHADOW_DEPTH * opacity(resampler(sky.shadow)),
        snow=resampler(sky.snow) > 0,
    )


def observe(surface: Surface, day: date, sky: SkyView,
            rng: np.random.Generator) -> Observation:
    """The scene on ``day`` (the surface's state) under ``sky``."""
    bands = reflectance(surface, day)
    good = np.empty(bands.shape, dtype=bool)
    light = 1 - sky.shadow
    brightness = 0.8 + 0.25 * sky.opacity  # thick clouds are brighter
    for band, observed in enumerate(bands):  # band by band: 2-D temporaries only
        if sky.snow.any():
            snowy = SNOW_COVER * SNOW_SPECTRUM[band] + (1 - SNOW_COVER) * observed
            observed[...] = np.where(sky.snow, snowy, observed)
        observed *= light
        observed += sky.opacity * (CLOUD_SPECTRUM[band] * brightness - observed)
        spread = np.sqrt((NOISE_RELATIVE * observed) ** 2 + NOISE_ABSOLUTE**2)
        observed += spread * rng.standard_normal(observed.shape, dtype=np.float32)
        good[band] = observed < SATURATION[band]
        np.clip(observed, 0.0, SATURATION[band], out=observed)
    classes = np.select(
        [sky.opacity >= CLOUD_MIN_OPACITY, sky.opacity >= UNCERTAIN_MIN_OPACITY,
         sky.shadow >= SHADOW_MIN_DEPTH],
        [CLOUD, UNCERTAIN, SHADOW], default=CLEAR).astype(np.uint8)
    return Observation(bands, classes, sky.snow & (sky.opacity < UNCERTAIN_MIN_OPACITY), good,
                       surface.land)
