"""WCS 2.0.1 GetCoverage parameters MapServer 8.0 does not handle: a time subset (it rejects
them) and the output size (checked against our limits before any work starts)."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pyproj import CRS, Transformer

from services.errors import (
    InvalidAxisLabel,
    InvalidExtent,
    InvalidParameterValue,
    InvalidScaleFactor,
    InvalidSubsetting,
    OGCException,
    RequestTooLarge,
    ScaleAxisUndefined,
)
from services.ows.kvp import Params, strict_number
from services.ows.timeparam import contains
from services.settings import Limits

TIME_AXES = {"time", "ansi", "phenomenontime", "t", "date", "unix"}
X_AXES = {"x", "e", "long", "lon", "easting", "i"}
SPATIAL_AXES = {"x", "y", "e", "n", "easting", "northing", "long", "lon", "lat", "i", "j"}
_SUBSET = re.compile(r"^\s*([A-Za-z_][\w:.-]*)\s*\((.*)\)\s*$")
_AXIS_VALUE = re.compile(r"([A-Za-z_][\w:.-]*)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class Subset:
    axis: str
    low: str
    high: str | None   # None for a slice
    text: str          # as the client wrote it

    @property
    def is_time(self) -> bool:
        return self.axis.lower() in TIME_AXES


_SUBSET_KEY = re.compile(r"^SUBSET\d*$", re.IGNORECASE)


def is_subset_key(name: str) -> bool:
    """``SUBSET``, and the numbered ``SUBSET0``, ``SUBSET1`` … GDAL sends (MapServer takes any
    key that starts with SUBSET)."""
    return bool(_SUBSET_KEY.match(name))


def parse_subsets(params: Params) -> list[Subset]:
    subsets, seen = [], set()
    for text in (v for k, v in params.items if is_subset_key(k)):
        match = _SUBSET.match(text)
        if not match:
            raise InvalidSubsetting(f"SUBSET '{text}' is not axis(low,high) or axis(point)",
                                    "subset")
        axis, values = match[1], [v.strip().strip('"') for v in match[2].split(",")]
        if axis.lower() not in TIME_AXES | SPATIAL_AXES:
            raise InvalidAxisLabel(f"unknown axis '{axis}' (known: x, y, Long, Lat, time)",
                                   "subset")
        if axis.lower() in seen:
            raise InvalidAxisLabel(f"axis '{axis}' is subset twice", "subset")
        seen.add(axis.lower())
        if len(values) == 1:
            subsets.append(Subset(axis, values[0], None, text))
        elif len(values) == 2:
            subsets.append(Subset(axis, values[0], values[1], text))
        else:
            raise InvalidSubsetting(f"SUBSET '{text}' has {len(values)} values", "subset")
    return subsets


def select_date(subset: Subset | None, dates: Sequence[str]) -> str:
    """The date a time subset selects: a slice must name a date the coverage has; a trim
    selects the latest date inside it. Without a time subset: the latest date. ``dates`` are
    sorted (oldest first) and searched by bisection."""
    if subset is None:
        return dates[-1]
    low = subset.low[:10]
    if subset.high is None:
        if not contains(dates, low):
            raise InvalidSubsetting(f"no coverage on {subset.low}; dates run from {dates[0]}"
                                    f" to {dates[-1]}", "subset")
        return low
    high = subset.high[:10]
    if low > high:
        raise InvalidSubsetting("time subset: low is after high", "subset")
    last = bisect_right(dates, high)
    if last == 0 or dates[last - 1] < low:
        raise InvalidSubsetting(f"no coverage between {subset.low} and {subset.high}", "subset")
    return dates[last - 1]


def check_size(params: Params, subsets: list[Subset], extent: tuple[float, ...],
               resolution: float, native_crs: str, limits: Limits) -> None:
    """Estimate the output grid, with every scaling form (SCALEFACTOR, SCALEAXES, SCALESIZE,
    SCALEEXTENT), and refuse it (413) if it exceeds the limits, or if it is one pixel wide or
    high (below)."""
    exact = output_size(params, _subset_size(params, subsets, extent, resolution, native_crs))
    if not any(s.high is None for s in subsets if not s.is_time):
        _check_not_one_pixel(*exact)
    width, height = _whole(exact[0]), _whole(exact[1])
    pixels = width * height
    if max(width, height) > limits.max_coverage_side or pixels > limits.max_coverage_pixels:
        raise RequestTooLarge(
            f"the coverage asked for is {width} x {height} pixels; the limits are "
            f"{limits.max_coverage_side} a side and {limits.max_coverage_pixels} in all",
            "subset")


def estimated_size(params: Params, subsets: list[Subset], extent: tuple[float, ...],
                   resolution: float, native_crs: str) -> tuple[int, int]:
    """The output (width, height) in pixels a GetCoverage is estimated to make, before any
    work: the subset of the coverage's ``extent`` (snapped to its grid of ``resolution`` in
    ``native_crs``) and every scaling form. At least the size MapServer writes (tests/system/
    test_cost_estimates.py checks it, with the factor docs/operators.md states)."""
    width, height = output_size(params, _subset_size(params, subsets, extent, resolution,
                                                     native_crs))
    return _whole(width), _whole(height)


def _check_not_one_pixel(width: float, height: float) -> None:
    """MapServer 8.0 writes a coverage one pixel wide or high with an identity (or NaN)
    geotransform and NaN values: refused with a clear exception rather than answered wrong."""
    if round(width) < 2 or round(height) < 2:
        raise InvalidParameterValue(
            f"the coverage asked for is {max(round(width), 1)} x {max(round(height), 1)} "
            "pixels; at least 2 x 2 are needed (widen the SUBSET by a pixel and take the one "
            "you want)", "subset")


def output_size(params: Params, native: tuple[float, float]) -> tuple[float, float]:
    """The output (width, height) the scaling parameters make of the subset's ``native``
    size; a malformed scaling parameter is the Scaling extension's exception."""
    size = {"x": native[0], "y": native[1]}
    factor = params.get("SCALEFACTOR")
    if factor is not None:
        value = _positive(factor, "SCALEFACTOR", InvalidScaleFactor)
        size = {axis: n * value for axis, n in size.items()}
    for axis, text in _scaling(params, "SCALEAXES"):
        size[axis] *= _positive(text, "SCALEAXES", InvalidScaleFactor)
    for axis, text in _scaling(params, "SCALESIZE"):
        size[axis] = _positive(text, "SCALESIZE", InvalidExtent)
    for axis, text in _scaling(params, "SCALEEXTENT"):
        low, _, high = text.partition(":")
        low_value, high_value = strict_number(low.strip()), strict_number(high.strip())
        if low_value is None or high_value is None or high_value < low_value:
            raise InvalidExtent(f"SCALEEXTENT '{text}' is not low:high", "SCALEEXTENT")
        size[axis] = high_value - low_value + 1
    return size["x"], size["y"]


def _scaling(params: Params, name: str) -> list[tuple[str, str]]:
    """``axis(value),axis(value)`` of a scaling parameter as (x|y, value), each axis once."""
    text = params.get(name)
    if text is None:
        return []
    pairs = _pairs(text)
    if not pairs or _AXIS_VALUE.sub("", text).strip(" ,"):
        raise InvalidParameterValue(f"{name} '{text[:60]}' is not axis(value),...", name)
    result, seen = [], set()
    for axis, value in pairs:
        if axis.lower() not in SPATIAL_AXES:
            raise ScaleAxisUndefined(f"{name}: no axis '{axis}' (known: x, y, Long, Lat)",
                                     name)
        key = "x" if axis.lower() in X_AXES else "y"
        if key in seen:
            raise InvalidParameterValue(f"{name} scales axis '{axis}' twice", name)
        seen.add(key)
        result.append((key, value))
    return result


def _positive(text: str, name: str, error: type[OGCException]) -> float:
    value = strict_number(text.strip())
    if value is None or value <= 0:
        raise error(f"{name} '{text[:40]}' is not a positive number", name)
    return value


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in _AXIS_VALUE.finditer(text)]


def _subset_size(params: Params, subsets: list[Subset], extent: tuple[float, ...],
                 resolution: float, native_crs: str) -> tuple[float, float]:
    minx, miny, maxx, maxy = extent
    spatial = [s for s in subsets if not s.is_time]
    bounds = {"x": [minx, maxx], "y": [miny, maxy]}
    for subset in spatial:
        low = strict_number(subset.low)
        high = strict_number(subset.high) if subset.high is not None else low
        if low is None or high is None:
            raise InvalidSubsetting(f"SUBSET '{subset.text[:60]}': the bounds must be numbers",
                                    "subset")
        if high < low:
            raise InvalidSubsetting(f"SUBSET '{subset.text[:60]}': low is above high", "subset")
        key = "x" if subset.axis.lower() in X_AXES else "y"
        bounds[key] = [low, high]
    crs = params.get("SUBSETTINGCRS")
    if crs and spatial:
        code = crs.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        try:
            to_native = Transformer.from_crs(f"EPSG:{code}", native_crs, always_xy=True)
            # the box round the subset's edges (not its two corners: a rotated grid's
            # diagonal can be the short one)
            x0, y0, x1, y1 = to_native.transform_bounds(bounds["x"][0], bounds["y"][0],
                                                        bounds["x"][1], bounds["y"][1])
            bounds = {"x": [x0, x1], "y": [y0, y1]}
        except Exception:  # noqa: BLE001 — a CRS pyproj does not know (MapServer may)
            bounds = {"x": [minx, maxx], "y": [miny, maxy]}
    # MapServer clips a subset to the coverage: what lies outside costs nothing
    x0, x1 = max(min(bounds["x"]), minx), min(max(bounds["x"]), maxx)
    y0, y1 = max(min(bounds["y"]), miny), min(max(bounds["y"]), maxy)
    return max((x1 - x0) / resolution, 1.0), max((y1 - y0) / resolution, 1.0)


# -- WCS 1.0 -------------------------------------------------------------------------------


def wcs10_sizes(params: Params, extent: tuple[float, ...] | None, native_crs: str | None
                ) -> dict[str, float]:
    """Each output size a WCS 1.0 GetCoverage names: ``WIDTH``, ``HEIGHT``, and the sizes
    ``RESX``/``RESY`` make of the BBOX (or of the coverage's ``extent``, in ``native_crs``)
    in the response CRS (``RESPONSE_CRS``, else ``CRS``), whose units the resolutions are in.
    A size that is not positive is InvalidParameterValue."""
    sizes: dict[str, float] = {}
    for name in ("WIDTH", "HEIGHT"):
        value = params.integer(name)
        if value is not None and value <= 0:
            raise InvalidParameterValue(f"{name} must be positive, got {value}", name)
        if value is not None:
            sizes[name] = value
    box = _box(params.get("BBOX"))
    if params.get("BBOX") is not None and box is None:
        raise InvalidParameterValue(f"BBOX must be minx,miny,maxx,maxy, got "
                                    f"'{params.get('BBOX', '')[:60]}'", "BBOX")
    crs = params.get("CRS") if box else native_crs
    box = box or extent
    response_crs = params.get("RESPONSE_CRS")
    if box is not None and crs and response_crs and response_crs.upper() != crs.upper():
        try:
            box = Transformer.from_crs(crs, response_crs, always_xy=True).transform_bounds(*box)
        except Exception:  # noqa: BLE001 — a CRS pyproj does not know: MapServer reports it
            pass
    for index, name in ((0, "RESX"), (1, "RESY")):
        text = params.get(name)
        if text is None:
            continue
        resolution = strict_number(text)
        if resolution is None or resolution <= 0:
            raise InvalidParameterValue(f"{name} must be a positive number, got "
                                        f"'{text[:40]}'", name)
        if box is not None:
            sizes[name] = abs(box[index + 2] - box[index]) / resolution
    return sizes


def wcs11_estimated_size(params: Params, resolution: float | None, native_crs: str | None
                         ) -> tuple[int, int] | None:
    """The grid (width, height) of a WCS 1.1 GetCoverage: the BOUNDINGBOX (pixel centres at
    both ends, so a pixel more than its span) over GRIDOFFSETS, in the BOUNDINGBOX's CRS and
    axis order, as MapServer takes them; without GRIDOFFSETS, the coverage's ``resolution``
    (in ``native_crs``). None where MapServer will refuse the request anyway (no or a
    malformed BOUNDINGBOX, GRIDOFFSETS not two numbers, no resolution known)."""
    parts = (params.get("BOUNDINGBOX") or "").split(",")
    box = _box(",".join(parts[:4]))
    if box is None or len(parts) < 5:
        return None
    offsets = [strict_number(v.strip()) for v in (params.get("GRIDOFFSETS") or "").split(",")]
    if params.get("GRIDOFFSETS") is None:
        if resolution is None or native_crs is None:
            return None
        try:  # the box in the coverage's CRS (the CRS's own axis order: the urn's)
            box = Transformer.from_crs(parts[4].strip(), native_crs).transform_bounds(*box)
        except Exception:  # noqa: BLE001 — a CRS pyproj does not know: MapServer reports it
            return None
        offsets = [resolution, resolution]
    if len(offsets) != 2 or any(v is None or v == 0 for v in offsets):
        return None
    first, second = (math.floor(abs(box[i + 2] - box[i]) / abs(offsets[i]) + 1e-6) + 1
                     for i in (0, 1))
    return (second, first) if _northing_first(parts[4].strip()) else (first, second)


def _northing_first(crs: str) -> bool:
    """The CRS's first axis is a northing (a latitude: EPSG:4326 in its urn form)."""
    try:
        return CRS.from_user_input(crs).axis_info[0].direction in ("north", "south")
    except Exception:  # noqa: BLE001 — a CRS pyproj does not know: as written
        return False


def wcs10_estimated_size(sizes: dict[str, float]) -> tuple[int | None, int | None]:
    """The output (width, height) of :func:`wcs10_sizes`: MapServer takes WIDTH/HEIGHT when
    given, else RESX/RESY; the larger of the two on each axis is never below what it writes
    (a size RESX/RESY make is rounded up)."""
    width = max((_whole(sizes[n]) for n in ("WIDTH", "RESX") if n in sizes), default=None)
    height = max((_whole(sizes[n]) for n in ("HEIGHT", "RESY") if n in sizes), default=None)
    return width, height


def _whole(size: float) -> int:
    """A size in pixels rounded up (not for a float's last bit: 200.0000000001 is 200)."""
    return math.ceil(size - 1e-6) if math.isfinite(size) else 2 ** 62


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    """A BBOX's four numbers, or None if it has not four numbers (MapServer reports it)."""
    values = [strict_number(v.strip()) for v in (text or "").split(",")]
    if len(values) < 4 or any(v is None for v in values[:4]):
        return None
    return values[0], values[1], values[2], values[3]
