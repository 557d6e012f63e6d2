"""The demo landscape's streets, town and water as GeoJSON in lon/lat, for the viewer's
offline base map and street overlay.

The geometry follows :mod:`services.demo.landscape`: its road segments, town centre and
radius, canal, lake and meandering river, placed at the same fractions of the demo area. The
river's meander phase comes from the landscape's own random stream, replayed exactly as
:func:`~services.demo.landscape.build_landscape` draws it. A unit test checks that every line
lies on the rasters the demo writes, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from services.demo.geometry import CRS, area_bounds, area_grid
from services.demo.landscape import meandering_river_distance, voronoi_parcels
from services.demo.phenology import CROP_SHARES, Crop
from services.demo.randomness import generator
from services.demo.spec import DemoSpec

OVERLAY_FILE = "overlay.geojson"
"""Where the demo overlay is written, at the root of the demo archive."""

ROADS = (  # as in landscape.road_network: start, end (fractions of the side), half width m
    ("motorway", (-0.05, 0.10), (1.05, 0.16), 13.0),
    ("road", (-0.05, 0.34), (1.05, 0.27), 4.0),
    ("road", (0.45, -0.05), (0.52, 1.05), 4.0),
    ("road", (0.00, 0.98), (0.74, 0.30), 3.5),
)
CANAL = ((0.86, 0.30), (0.95, 1.05))
TOWN = ((0.74, 0.30), 0.11)  # centre, radius (fractions of the side)
LAKE = ((0.30, 0.80), (0.06, 0.04))  # centre, radii
TOWN_NAME = "Demo town"


def river_phase(spec: DemoSpec) -> np.ndarray:
    """The river's two meander phases, drawn from the landscape stream in the landscape's
    order (parcel jitter, crop choice, then the phases)."""
    grid = area_grid(spec)
    rng = generator(spec.seed, "landscape")
    east = (np.arange(grid.width, dtype=np.float32) + 0.5) * grid.resolution
    south = (np.arange(grid.height, dtype=np.float32) + 0.5) * grid.resolution
    _, parcel_count = voronoi_parcels(east[np.newaxis, :], south[:, np.newaxis], rng)
    rng.choice(len(Crop), size=parcel_count, p=list(CROP_SHARES.values()))
    return rng.uniform(0, 2 * np.pi, 2)


def river_line(side: float, phase: np.ndarray, samples: int = 200) -> list[tuple[float, float]]:
    """The river's centre line as (u, v) metres from the area's upper-left corner: where
    :func:`meandering_river_distance` is zero."""
    u = np.linspace(0.0, side, samples, dtype=np.float32)
    probe = np.linspace(0.40 * side, 0.75 * side, 4001, dtype=np.float32)[:, np.newaxis]
    distance = meandering_river_distance(u[np.newaxis, :], probe, side, phase)
    centre = probe[np.argmin(distance, axis=0), 0]
    return list(zip(u.tolist(), centre.tolist(), strict=True))


def _ellipse(centre: tuple[float, float], radii: tuple[float, float], side: float,
             points: int = 48) -> list[tuple[float, float]]:
    angles = np.linspace(0.0, 2 * np.pi, points + 1)
    return [(side * (centre[0] + radii[0] * np.cos(a)), side * (centre[1] + radii[1] * np.sin(a)))
            for a in angles]


def _feature(kind: str, geometry_type: str, coordinates: Any, **properties: Any) -> dict:
    return {"type": "Feature", "properties": {"kind": kind, **properties},
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def demo_overlay(spec: DemoSpec) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (EPSG:4326, lon/lat) of the demo area's outline, water,
    town and roads, each feature with a ``kind`` property."""
    area = area_bounds(spec)
    side = area.right - area.left
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)

    def lonlat(points: list[tuple[float, float]]) -> list[list[float]]:
        xs = [area.left + u for u, _ in points]
        ys = [area.top - v for _, v in points]
        lons, lats = to_lonlat.transform(xs, ys)
        return [[round(lon, 7), round(lat, 7)] for lon, lat in zip(lons, lats, strict=True)]

    def line(start: tuple[float, float], end: tuple[float, float]) -> list[list[float]]:
        steps = np.linspace(0.0, 1.0, 11)
        return lonlat([(side * (start[0] + t * (end[0] - start[0])),
                        side * (start[1] + t * (end[1] - start[1]))) for t in steps])

    outline = [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side), (0.0, 0.0)]
    features = [
        _feature("area", "Polygon", [lonlat(outline)]),
        _feature("water", "Polygon", [lonlat(_ellipse(*LAKE, side))], name="lake"),
        _feature("town", "Polygon", [lonlat(_ellipse(TOWN[0], (TOWN[1], TOWN[1]), side))],
                 name=TOWN_NAME),
        _feature("river", "LineString", lonlat(river_line(side, river_phase(spec))),
                 name="river"),
        _feature("canal", "LineString", line(*CANAL), name="canal"),
    ]
    features += [_feature(kind, "LineString", line(start, end), width_m=2 * half_width)
                 for kind, start, end, half_width in ROADS]
    centre = lonlat([(side * TOWN[0][0], side * TOWN[0][1])])[0]
    features.append(_feature("label", "Point", centre, name=TOWN_NAME))
    return {"type": "FeatureCollection", "name": "eoscope demo landscape", "features": features}


def write_overlay(archive: Path, spec: DemoSpec) -> Path:
    """Write :func:`demo_overlay` of ``spec`` into the demo archive; return the file."""
    target = Path(archive) / OVERLAY_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(demo_overlay(spec), separators=(",", ":")), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m services.viewer.overlay ARCHIVE [--seed N --size-km KM]``: write the overlay
    of the demo archive made with the same parameters (``eoscope demo-data``'s defaults)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--seed", type=int, default=DemoSpec.seed)
    parser.add_argument("--size-km", type=float, default=DemoSpec.size_km)
    parser.add_argument("--overlap", action="store_true")
    args = parser.parse_args(argv)
    spec = DemoSpec(seed=args.seed, size_km=args.size_km, overlap=args.overlap)
    print(write_overlay(args.archive, spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
