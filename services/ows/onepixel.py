"""WCS 2.0 coverages one pixel wide or high: MapServer 8.0 writes them with an identity (or
NaN) geotransform and NaN values. For the plain case — a GeoTIFF in the coverage's own CRS,
trimmed on both axes, no scaling — eoscope asks MapServer for two pixels on each such axis
(widened towards the inside of the coverage) and crops the one asked for, with its
georeference; any other one-pixel request is refused by :func:`services.ows.wcs.check_size`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rasterio.io import MemoryFile
from rasterio.windows import Window

from services.numbers import strict_number
from services.ows.kvp import Params
from services.ows.wcs import X_AXES, Subset, is_subset_key

SCALING = ("SCALEFACTOR", "SCALEAXES", "SCALESIZE", "SCALEEXTENT")


@dataclass(frozen=True)
class Enlarged:
    """The request MapServer is given, and the window of its answer that was asked for."""

    params: Params
    window: tuple[int, int, int | None, int | None]   # column, row, width, height (None: all)


def plan(params: Params, subsets: list[Subset], extent: tuple[float, ...], step: float,
         native_crs: str) -> Enlarged | None:
    """The enlarged request for a plain one-pixel coverage, else None (not one pixel, or not
    plain)."""
    if not _plain(params, native_crs):
        return None
    spatial = {("x" if s.axis.lower() in X_AXES else "y"): s for s in subsets if not s.is_time}
    if set(spatial) != {"x", "y"} or any(s.high is None for s in spatial.values()):
        return None
    bounds = {axis: (strict_number(s.low), strict_number(s.high)) for axis, s in spatial.items()}
    if any(v is None for pair in bounds.values() for v in pair) or \
            any(high <= low for low, high in bounds.values()):
        return None  # not numbers, or low above high: InvalidSubsetting, from check_size
    if all(round((high - low) / step) >= 2 for low, high in bounds.values()):
        return None
    minx, miny, maxx, maxy = extent
    replaced, offsets = {}, {"x": 0, "y": 0}
    for axis, (low, high) in bounds.items():
        if round((high - low) / step) >= 2:
            continue
        if axis == "x":   # to the east, or (at the edge) to the west, keeping the pixel
            low, high, offsets["x"] = (low, low + 2 * step, 0) if low + 2 * step <= maxx \
                else (high - 2 * step, high, 1)
        else:             # to the south (rows count from the north), or to the north
            low, high, offsets["y"] = (high - 2 * step, high, 0) if high - 2 * step >= miny \
                else (low, low + 2 * step, 1)
        replaced[spatial[axis].text] = f"{spatial[axis].axis}({low!r},{high!r})"
    items = tuple((k, replaced.get(v, v) if is_subset_key(k) else v) for k, v in params.items)
    width = 1 if spatial["x"].text in replaced else None
    height = 1 if spatial["y"].text in replaced else None
    return Enlarged(Params(items), (offsets["x"], offsets["y"], width, height))


def _plain(params: Params, native_crs: str) -> bool:
    if any(params.get(name) is not None for name in SCALING):
        return False
    if "tiff" not in (params.get("FORMAT") or "image/tiff").lower() or \
            (params.get("MEDIATYPE") or "").lower().startswith("multipart"):
        return False
    code = native_crs.rsplit(":", 1)[-1]
    return all((params.get(name) or code).rsplit("/", 1)[-1].rsplit(":", 1)[-1] == code
               for name in ("SUBSETTINGCRS", "OUTPUTCRS"))


def crop(tiff: bytes, window: tuple[int, int, int | None, int | None]) -> bytes:
    """The ``window`` (column, row, width, height; None: the whole axis) of a GeoTIFF, as a
    GeoTIFF georeferenced."""
    col, row, width, height = window
    with MemoryFile(tiff) as source_file, source_file.open() as source:
        full = Window(col, row, width or source.width - col, height or source.height - row)
        data = source.read(window=full)
        profile = {k: v for k, v in source.profile.items()
                   if k not in ("blockxsize", "blockysize", "tiled")}
        profile.update(width=int(full.width), height=int(full.height),
                       transform=source.window_transform(full))
        tags = source.tags()
        descriptions = source.descriptions
        with MemoryFile() as out:
            with out.open(**profile) as target:
                target.write(data)
                target.update_tags(**tags)
                for index, text in enumerate(descriptions, start=1):
                    if text:
                        target.set_band_description(index, text)
            return out.read()
