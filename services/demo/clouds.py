"""Clouds, their shadows and thin cirrus, as seen in Sentinel-2 L2A reflectance.

Clouds are thresholded multi-scale smooth noise; the threshold is the quantile that gives the
target cloud cover over the demo area. Shadows are the same field displaced away from the sun
by cloud height x tan(sun zenith), computed on a padded grid so that clouds just outside the
area still cast shadows into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.demo.randomness import smooth_noise

Array = NDArray[np.float32]

CLOUD_SCALES_M = (900.0, 250.0, 70.0)
CLOUD_SCALE_WEIGHTS = (1.0, 0.45, 0.2)
CLOUD_EDGE_OPACITY = 0.25  # opacity right at the cloud edge; grows inwards
CLOUD_CORE_SOFTNESS = 0.4  # in standard deviations of the cloud field
CLOUD_HEIGHT_M = (800.0, 2500.0)
MAX_SHADOW_OFFSET_M = 3000.0
SHADOW_DEPTH = 0.7  # fraction of light removed under an opaque cloud
CLOUD_SPECTRUM = (0.60, 0.57, 0.55, 0.58)  # B02, B03, B04, B08
CIRRUS_SPECTRUM = (1.0, 0.95, 0.9, 0.8)  # relative; scaled by the cirrus reflectance
CIRRUS_CHANCE = 0.35  # of a partly cloudy date
CIRRUS_REFLECTANCE = 0.07
CIRRUS_SCALES_M = (350.0, 90.0)
CIRRUS_STRETCH = 4.0

# Ranks of what the sky does to a pixel, in the order of precedence for classification.
CLEAR, SHADOW, CIRRUS, CLOUD_MEDIUM, CLOUD_HIGH = range(5)
SHADOW_RANK_MIN = 0.2
CIRRUS_RANK_MIN = 0.015
CLOUD_HIGH_MIN_OPACITY = 0.6


@dataclass(frozen=True)
class Sky:
    opacity: Array  # 0 clear, up to 1 for an opaque cloud
    shadow: Array  # fraction of light removed by cloud shadow
    cirrus: Array  # reflectance added by thin cirrus


def shadow_offset_px(
    height_m: float, sun_zenith: float, sun_azimuth: float, resolution: float
) -> tuple[int, int]:
    """(rows, cols) from a shadowed pixel to the cloud casting it (towards the sun)."""
    length = min(height_m * math.tan(math.radians(sun_zenith)), MAX_SHADOW_OFFSET_M)
    azimuth = math.radians(sun_azimuth)
    rows = round(-length * math.cos(azimuth) / resolution)
    cols = round(length * math.sin(azimuth) / resolution)
    return rows, cols


def simulate_sky(
    shape: tuple[int, int],
    resolution: float,
    cloud_cover: float,
    sun_zenith: float,
    sun_azimuth: float,
    rng: np.random.Generator,
) -> Sky:
    """Cloud opacity, shadow and cirrus over an area of ``shape`` pixels."""
    height, width = shape
    if cloud_cover <= 0:
        nothing = np.zeros(shape, dtype=np.float32)
        return Sky(nothing, nothing, nothing)
    cloud_height = rng.uniform(*CLOUD_HEIGHT_M)
    rows, cols = shadow_offset_px(cloud_height, sun_zenith, sun_azimuth, resolution)
    padded = (height + abs(rows), width + abs(cols))
    field = smooth_noise(rng, padded, [s / resolution for s in CLOUD_SCALES_M], CLOUD_SCALE_WEIGHTS)
    top, left = max(0, -rows), max(0, -cols)
    area = (slice(top, top + height), slice(left, left + width))
    caster = (slice(top + rows, top + rows + height), slice(left + cols, left + cols + width))
    if cloud_cover >= 1:
        threshold = float(field[area].min()) - 1e-3
    else:
        threshold = float(np.quantile(field[area], 1.0 - cloud_cover))
    excess = field - threshold
    opacity = np.where(
        excess > 0,
        CLOUD_EDGE_OPACITY + (1 - CLOUD_EDGE_OPACITY) * (1 - np.exp(-excess / CLOUD_CORE_SOFTNESS)),
        0.0,
    ).astype(np.float32)
    shadow = SHADOW_DEPTH * opacity[caster]

    cirrus = np.zeros(shape, dtype=np.float32)
    if cloud_cover < 1 and rng.random() < CIRRUS_CHANCE:
        streaks = smooth_noise(
            rng, shape, [s / resolution for s in CIRRUS_SCALES_M], stretch=CIRRUS_STRETCH
        )
        cirrus = CIRRUS_REFLECTANCE * np.clip((streaks - 1.0) / 1.2, 0.0, 1.0)
    return Sky(opacity[area], shadow.astype(np.float32), cirrus.astype(np.float32))


def apply_sky(reflectance: Array, sky: Sky) -> Array:
    """Observed reflectance (4, rows, cols): shadowed surface, plus cirrus, under clouds."""
    observed = reflectance * (1.0 - sky.shadow)
    observed += sky.cirrus * np.array(CIRRUS_SPECTRUM, dtype=np.float32)[:, None, None]
    cloud = np.array(CLOUD_SPECTRUM, dtype=np.float32)[:, None, None] * (0.8 + 0.25 * sky.opacity)
    observed = (1.0 - sky.opacity) * observed + sky.opacity * cloud
    return observed.astype(np.float32)


def sky_rank(sky: Sky) -> NDArray[np.uint8]:
    """Per pixel: CLEAR, SHADOW, CIRRUS, CLOUD_MEDIUM or CLOUD_HIGH (highest applicable)."""
    conditions = [
        sky.opacity >= CLOUD_HIGH_MIN_OPACITY,
        sky.opacity > 0,
        sky.cirrus > CIRRUS_RANK_MIN,
        sky.shadow > SHADOW_RANK_MIN,
    ]
    choices = [CLOUD_HIGH, CLOUD_MEDIUM, CIRRUS, SHADOW]
    return np.select(conditions, choices, default=CLEAR).astype(np.uint8)
