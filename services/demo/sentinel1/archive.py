"""Write the Sentinel-1 GRD sigma0 demo archive (VV, VH, angle COGs and a metadata XML)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.demo.cog import write_cog
from services.demo.geometry import CRS, Grid, area_grid
from services.demo.landscape import build_landscape
from services.demo.randomness import generator
from services.demo.sentinel1.backscatter import (
    Conditions,
    Ground,
    prepare_ground,
    sigma0,
    speckle,
    urban_texture,
)
from services.demo.sentinel1.metadata import write_metadata
from services.demo.sentinel1.orbits import incidence_grid
from services.demo.sentinel1.schedule import Sentinel1Acquisition, plan
from services.demo.sentinel1.spec import DEFAULT_SPEC, Sentinel1Spec
from services.demo.sentinel1.weather import soil_moisture, water_roughness
from services.demo.spec import DemoSpec

Progress = Callable[[int, int, str], None]
PIXEL_M = 10
ANGLE_SCALE = 0.01
ANGLE_NODATA = -32768


def demo_grid(spec: Sentinel1Spec) -> Grid:
    """The Sentinel-2 demo area (near Ghent, EPSG:32631) of ``spec.size_km`` at 10 m."""
    return area_grid(DemoSpec(seed=spec.seed, size_km=spec.size_km, resolution=PIXEL_M))


def generate(
    root: Path, spec: Sentinel1Spec = DEFAULT_SPEC, progress: Progress | None = None
) -> list[Path]:
    """Write the archive under ``root``; return the product folders written (plan order).

    Deterministic from ``spec``; existing files are overwritten. ``progress(i, n, name)`` is
    called after each product, with i counting from 1. Real products cover a whole IW slice
    (about 270 x 200 km); the demo clips every product to the demo area.
    """
    root = Path(root)
    acquisitions = plan(spec)
    grid = demo_grid(spec)
    ground = prepare_ground(build_landscape(grid, spec.seed), spec.seed)
    moisture = soil_moisture(spec.seed, [a.sensing_time for a in acquisitions])
    views: dict[int, tuple[NDArray[np.float32], NDArray[np.float32]]] = {}
    folders = []
    for index, (acquisition, wetness) in enumerate(zip(acquisitions, moisture, strict=True)):
        orbit = acquisition.relative_orbit
        if orbit not in views:
            views[orbit] = (incidence_grid(grid, acquisition.orbit),
                            urban_texture(grid.shape, spec.seed, orbit))
        folders.append(write_product(root, spec, acquisition, ground, wetness, views[orbit]))
        if progress is not None:
            progress(index + 1, len(acquisitions), acquisition.product_name())
    return folders


def write_product(root: Path, spec: Sentinel1Spec, acquisition: Sentinel1Acquisition,
                  ground: Ground, wetness: float,
                  view: tuple[NDArray[np.float32], NDArray[np.float32]]) -> Path:
    """Simulate one pass and write its three COGs and metadata; return the product folder."""
    incidence, urban_db = view
    when = acquisition.sensing_time
    conditions = Conditions(
        day_of_year=when.timetuple().tm_yday + when.hour / 24,
        soil_moisture=wetness,
        water_roughness=water_roughness(spec.seed, when, acquisition.relative_orbit),
    )
    grid = ground.landscape.grid
    for pol_index, (pol, values) in enumerate(sigma0(ground, conditions, incidence,
                                                     urban_db).items()):
        if spec.speckle:
            key = (when.date().toordinal(), acquisition.relative_orbit, pol_index)
            values = speckle(values, generator(spec.seed, "s1-speckle", *key), spec.enl)
        write_cog(acquisition.file_path(root, pol), values, crs=CRS, transform=grid.transform,
                  dtype="float32", nodata=float("nan"), descriptions=(pol,))
    angle = np.rint(incidence / ANGLE_SCALE).astype(np.int16)
    write_cog(acquisition.file_path(root, "angle"), angle, crs=CRS, transform=grid.transform,
              dtype="int16", nodata=ANGLE_NODATA, scales=(ANGLE_SCALE,), offsets=(0.0,),
              descriptions=("angle",))
    write_metadata(acquisition.metadata_path(root), acquisition, grid.bounds,
                   (float(incidence.min()), float(incidence.max())),
                   spec.enl if spec.speckle else None)
    return acquisition.folder(root)

