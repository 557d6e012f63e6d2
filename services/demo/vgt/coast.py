"""Land and water: a crude, recognisable North Sea / Channel coastline around the Benelux.

Hand-made lon/lat polygons (the sea north-west of the coast from Picardy to the Elbe, south-
east England, the Wadden islands, the Zeeland and Holland estuaries and the IJsselmeer) are
roughened by midpoint displacement into a fractal coast about 0.5 km fine, then burned at the
pixel centres. Their vertices do not depend on the grid, so every grid sees the same coast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from rasterio.features import rasterize

from services.demo.vgt.geofields import KM_PER_DEG, KM_PER_DEG_LON
from services.demo.vgt.grid import GeoGrid

Ring = list[tuple[float, float]]

SEA: Ring = [
    (1.40, 50.05), (1.60, 50.40), (1.58, 50.85), (1.85, 50.97), (2.35, 51.05), (2.90, 51.23),
    (3.35, 51.37), (3.45, 51.55), (3.70, 51.72), (3.95, 51.84), (4.10, 51.98), (4.30, 52.12),
    (4.50, 52.40), (4.62, 52.70), (4.74, 52.96), (5.02, 52.94), (5.38, 53.08), (5.55, 53.30),
    (5.90, 53.38), (6.20, 53.40), (6.60, 53.45), (6.90, 53.35), (7.05, 53.25), (7.22, 53.35),
    (7.15, 53.55), (7.25, 53.65), (7.70, 53.70), (8.05, 53.62), (8.15, 53.45), (8.35, 53.55),
    (8.55, 53.55), (8.60, 53.88), (9.00, 54.00), (9.00, 56.50), (-2.00, 56.50), (-2.00, 50.10),
]
ENGLAND: Ring = [
    (-2.00, 50.65), (0.30, 50.75), (1.00, 50.92), (1.42, 51.15), (1.40, 51.38), (0.95, 51.50),
    (1.30, 51.85), (1.75, 52.45), (1.70, 52.75), (1.30, 52.95), (0.40, 52.95), (0.10, 53.45),
    (-0.20, 54.00), (-2.00, 54.50),
]
ISLANDS: list[Ring] = [
    [(4.72, 53.00), (4.80, 52.99), (4.91, 53.10), (4.88, 53.19), (4.77, 53.12)],  # Texel
    [(4.93, 53.24), (5.10, 53.29), (5.09, 53.32), (4.94, 53.28)],  # Vlieland
    [(5.15, 53.36), (5.45, 53.39), (5.60, 53.44), (5.58, 53.47), (5.30, 53.43), (5.17, 53.40)],
    [(5.63, 53.43), (5.90, 53.44), (5.91, 53.47), (5.65, 53.47)],  # Ameland
    [(6.10, 53.47), (6.32, 53.48), (6.31, 53.51), (6.12, 53.50)],  # Schiermonnikoog
    [(6.64, 53.57), (6.78, 53.58), (6.77, 53.62), (6.65, 53.61)],  # Borkum
    [(7.00, 53.67), (7.35, 53.69), (7.35, 53.72), (7.01, 53.70)],  # Juist, Norderney
]
INLAND_WATER: list[Ring] = [
    [(3.38, 51.39), (3.60, 51.37), (3.85, 51.35), (4.05, 51.36), (4.25, 51.36), (4.28, 51.40),
     (4.05, 51.42), (3.80, 51.43), (3.58, 51.46), (3.42, 51.45)],  # Westerschelde
    [(3.62, 51.62), (3.80, 51.59), (4.00, 51.54), (4.15, 51.49), (4.18, 51.55), (4.00, 51.63),
     (3.82, 51.67), (3.64, 51.68)],  # Oosterschelde
    [(3.90, 51.82), (4.20, 51.72), (4.45, 51.69), (4.63, 51.70), (4.63, 51.74), (4.40, 51.75),
     (4.20, 51.77), (4.00, 51.85)],  # Haringvliet, Hollands Diep
    [(5.00, 52.93), (5.35, 53.07), (5.45, 52.96), (5.72, 52.86), (5.62, 52.66), (5.45, 52.60),
     (5.28, 52.70), (5.15, 52.75)],  # IJsselmeer
    [(5.03, 52.38), (5.22, 52.45), (5.30, 52.68), (5.12, 52.62), (5.05, 52.52)],  # Markermeer
]
LEVELS = 6  # halvings of each edge
ROUGHNESS = 0.12  # displacement (standard deviation) per unit edge length


def roughen(ring: Ring, rng: np.random.Generator) -> Ring:
    """Midpoint displacement of a closed ring, isotropic in km."""
    points = np.array(ring, dtype=np.float64) * (KM_PER_DEG_LON, KM_PER_DEG)
    for _ in range(LEVELS):
        following = np.roll(points, -1, axis=0)
        edge = following - points
        normal = np.stack([-edge[:, 1], edge[:, 0]], axis=1)
        offset = ROUGHNESS * rng.standard_normal(len(points))[:, np.newaxis] * normal
        middle = (points + following) / 2 + offset
        points = np.stack([points, middle], axis=1).reshape(-1, 2)
    degrees = points / (KM_PER_DEG_LON, KM_PER_DEG)
    return [(float(lon), float(lat)) for lon, lat in degrees]


def land_mask(grid: GeoGrid, rng: np.random.Generator) -> NDArray[np.bool_]:
    """True where the pixel centre is on land (False on the sea, estuaries and lakes)."""
    shapes = [(SEA, 0), (ENGLAND, 1), *((ring, 1) for ring in ISLANDS),
              *((ring, 0) for ring in INLAND_WATER)]
    burned = [({"type": "Polygon", "coordinates": [roughen(ring, rng)]}, value)
              for ring, value in shapes]
    mask = rasterize(burned, out_shape=grid.shape, transform=grid.transform, fill=1,
                     dtype="uint8")
    return mask.astype(bool)

