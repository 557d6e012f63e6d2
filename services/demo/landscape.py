"""A static Flemish-looking landscape: parcels, grassland, forest, town, river, canal, lake, roads.

Features are placed at fixed fractions of the demo area (so every area size shows them all)
and shaped by seeded smooth noise; parcels are a jittered, slightly rotated Voronoi grid of
about 4 ha cells. Everything is computed once per archive on the whole area grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from services.demo.geometry import Grid
from services.demo.phenology import CROP_SHARES, Crop, Parcels
from services.demo.randomness import generator, smooth_noise

Array = NDArray[np.float32]

PARCEL_CELL_M = (300.0, 140.0)  # along and across the rotated parcel grid
PARCEL_GRID_ROTATION_DEG = 14.0
PARCEL_JITTER = 0.22  # fraction of a cell
FLOODPLAIN_M = 300.0  # parcels this close to the river are permanent grassland


class Cover(IntEnum):
    CROPLAND = 1
    GRASSLAND = 2
    FOREST = 3
    BUILT_UP = 4
    WATER = 5


@dataclass(frozen=True)
class Landscape:
    grid: Grid
    cover: NDArray[np.uint8]  # dominant Cover per pixel
    parcel: NDArray[np.int32]  # parcel id of every pixel (meaningful on cropland/grassland)
    parcels: Parcels
    water_fraction: Array  # 0..1, sub-pixel for river banks and lake shores
    sealed_fraction: Array  # 0..1, roads and buildings
    vigour: Array  # static within-field growth variation (multiplies green cover)
    soil_brightness: Array  # multiplies the soil spectrum (parcel soil x field patterns)
    turbidity: Array  # 0..1, water colour


def build_landscape(grid: Grid, seed: int) -> Landscape:
    rng = generator(seed, "landscape")
    side = grid.width * grid.resolution
    east = (np.arange(grid.width, dtype=np.float32) + 0.5) * grid.resolution
    south = (np.arange(grid.height, dtype=np.float32) + 0.5) * grid.resolution
    u, v = east[np.newaxis, :], south[:, np.newaxis]  # metres from the upper-left corner

    def noise(*scales_m: float) -> Array:
        return smooth_noise(rng, grid.shape, [s / grid.resolution for s in scales_m])

    parcel, parcel_count = voronoi_parcels(u, v, rng)
    crop = rng.choice(len(Crop), size=parcel_count, p=list(CROP_SHARES.values())).astype(np.int8)

    river_distance = meandering_river_distance(u, v, side, rng.uniform(0, 2 * np.pi, 2))
    mean_river_distance = np.bincount(parcel.ravel(), river_distance.ravel()) / np.maximum(
        np.bincount(parcel.ravel()), 1
    )
    crop[mean_river_distance < FLOODPLAIN_M] = Crop.GRASSLAND
    parcels = Parcels.random(rng, crop)

    water = coverage(river_distance, 18.0, grid.resolution)
    canal = segment_distance(u, v, (0.86 * side, 0.30 * side), (0.95 * side, 1.05 * side))
    water = np.maximum(water, coverage(canal, 22.0, grid.resolution))
    lake = ellipse_radius(u, v, (0.30 * side, 0.80 * side), (0.06 * side, 0.04 * side))
    lake_edge = (1.0 - lake - 0.15 * noise(150.0)) * 0.04 * side
    water = np.maximum(water, coverage(-lake_edge, 0.0, grid.resolution))

    forest = ellipse_radius(u, v, (0.20 * side, 0.24 * side), (0.17 * side, 0.11 * side))
    is_forest = forest + 0.12 * noise(400.0, 100.0) < 1.0
    town = np.hypot(u - 0.74 * side, v - 0.30 * side) / (0.11 * side) + 0.12 * noise(300.0, 80.0)
    is_town = town < 1.0
    building_density = np.clip(0.9 - 0.55 * town + 0.2 * noise(30.0), 0.15, 0.95)
    sealed = np.maximum(np.where(is_town, building_density, 0.0), road_network(u, v, side, grid))

    cover = np.where(crop[parcel] == Crop.GRASSLAND, Cover.GRASSLAND, Cover.CROPLAND)
    cover = np.where(is_forest, Cover.FOREST, cover)
    cover = np.where(is_town, Cover.BUILT_UP, cover)
    cover = np.where(water >= 0.5, Cover.WATER, cover).astype(np.uint8)

    parcel_soil = rng.uniform(0.8, 1.25, parcel_count).astype(np.float32)
    return Landscape(
        grid=grid,
        cover=cover,
        parcel=parcel,
        parcels=parcels,
        water_fraction=water.astype(np.float32),
        sealed_fraction=sealed.astype(np.float32),
        vigour=(1.0 + 0.05 * noise(60.0, 20.0)).astype(np.float32),
        soil_brightness=(parcel_soil[parcel] * (1.0 + 0.06 * noise(120.0))).astype(np.float32),
        turbidity=np.clip(0.5 + 0.25 * noise(200.0), 0.0, 1.0).astype(np.float32),
    )


def voronoi_parcels(u: Array, v: Array, rng: np.random.Generator) -> tuple[NDArray[np.int32], int]:
    """Parcel id per pixel: nearest seed of a jittered, rotated grid (checked in the 3 x 3
    neighbouring cells), renumbered 0..n-1. Returns (ids, n)."""
    angle = np.radians(PARCEL_GRID_ROTATION_DEG)
    along = (u * np.cos(angle) + v * np.sin(angle)) / PARCEL_CELL_M[0]
    across = (v * np.cos(angle) - u * np.sin(angle)) / PARCEL_CELL_M[1]
    cell_a, cell_b = np.floor(along).astype(np.int64), np.floor(across).astype(np.int64)
    first_a, first_b = int(cell_a.min()) - 1, int(cell_b.min()) - 1
    count_a, count_b = int(cell_a.max()) - first_a + 2, int(cell_b.max()) - first_b + 2
    jitter = rng.uniform(-PARCEL_JITTER, PARCEL_JITTER, size=(2, count_a, count_b))

    best = np.full(np.broadcast_shapes(u.shape, v.shape), np.inf, dtype=np.float32)
    label = np.zeros(best.shape, dtype=np.int64)
    for step_a in (-1, 0, 1):
        for step_b in (-1, 0, 1):
            index_a, index_b = cell_a + step_a - first_a, cell_b + step_b - first_b
            seed_a = cell_a + step_a + 0.5 + jitter[0, index_a, index_b]
            seed_b = cell_b + step_b + 0.5 + jitter[1, index_a, index_b]
            squared = ((along - seed_a) * PARCEL_CELL_M[0]) ** 2 + (
                (across - seed_b) * PARCEL_CELL_M[1]
            ) ** 2
            closer = squared < best
            best = np.where(closer, squared, best)
            label = np.where(closer, index_a * count_b + index_b, label)
    _, compact = np.unique(label, return_inverse=True)
    ids = compact.reshape(label.shape).astype(np.int32)
    return ids, int(ids.max()) + 1


def meandering_river_distance(u: Array, v: Array, side: float, phase: NDArray) -> Array:
    """Approximate distance (m) to a river flowing west to east across the middle."""
    wave_long, wave_short = 2 * np.pi / (0.5 * side), 2 * np.pi / (0.17 * side)
    centre = (
        0.57 * side
        + 0.05 * side * np.sin(wave_long * u + phase[0])
        + 0.015 * side * np.sin(wave_short * u + phase[1])
    )
    slope = 0.05 * side * wave_long * np.cos(wave_long * u + phase[0]) + (
        0.015 * side * wave_short * np.cos(wave_short * u + phase[1])
    )
    return (np.abs(v - centre) / np.sqrt(1.0 + slope**2)).astype(np.float32)


def road_network(u: Array, v: Array, side: float, grid: Grid) -> Array:
    """Sealed fraction of a motorway and a few roads (some through the town centre)."""
    roads = [  # (start, end) as fractions of the side, half width in metres
        ((-0.05, 0.10), (1.05, 0.16), 13.0),
        ((-0.05, 0.34), (1.05, 0.27), 4.0),
        ((0.45, -0.05), (0.52, 1.05), 4.0),
        ((0.00, 0.98), (0.74, 0.30), 3.5),
    ]
    sealed = np.zeros(grid.shape, dtype=np.float32)
    for start, end, half_width in roads:
        a = (start[0] * side, start[1] * side)
        b = (end[0] * side, end[1] * side)
        distance = segment_distance(u, v, a, b)
        sealed = np.maximum(sealed, coverage(distance, half_width, grid.resolution))
    return sealed


def segment_distance(
    u: Array, v: Array, start: tuple[float, float], end: tuple[float, float]
) -> Array:
    """Distance (m) from each pixel centre to the segment ``start``-``end``."""
    du, dv = end[0] - start[0], end[1] - start[1]
    along = np.clip(((u - start[0]) * du + (v - start[1]) * dv) / (du * du + dv * dv), 0.0, 1.0)
    return np.hypot(u - start[0] - along * du, v - start[1] - along * dv).astype(np.float32)


def ellipse_radius(
    u: Array, v: Array, centre: tuple[float, float], radii: tuple[float, float]
) -> Array:
    """Normalised elliptical radius: < 1 inside the ellipse."""
    return np.hypot((u - centre[0]) / radii[0], (v - centre[1]) / radii[1]).astype(np.float32)


def coverage(distance: Array, half_width: float, resolution: float) -> Array:
    """Approximate fraction of a pixel covered by a feature of ``half_width`` around a line
    at ``distance`` (anti-aliased edges)."""
    return np.clip((half_width - distance) / resolution + 0.5, 0.0, 1.0).astype(np.float32)
