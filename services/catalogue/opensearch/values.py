"""Parsing of OpenSearch parameter values: times, intervals, boxes, geometries, circles.

Each parser raises :class:`OpenSearchError` naming the parameter, so a bad value becomes an
OGC 17-047 exception with HTTP 400.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TypeVar

from shapely import wkt
from shapely.errors import ShapelyError

from services.index.search import Interval
from services.numbers import strict_number

T = TypeVar("T", float, datetime)
EARTH_RADIUS_M = 6_371_008.8
_INTERVAL = re.compile(r"^(?P<open>[\[\]]?)(?P<a>[^\[\],]*)(?:,(?P<b>[^\[\],]*))?"
                       r"(?P<close>[\[\]]?)$")


@dataclass
class OpenSearchError(Exception):
    """A client error: an OGC 17-047 exception (code, locator, text) and its HTTP status."""

    text: str
    locator: str | None = None
    code: str = "InvalidParameterValue"
    status: int = 400

    def as_dict(self) -> dict:
        entry = {"exceptionCode": self.code, "exceptionText": self.text}
        if self.locator:
            entry["locator"] = self.locator
        return {"exceptions": [entry]}


def parse_time(text: str, name: str, end: bool = False) -> datetime:
    """ISO 8601 date or date-time; a date means its midnight (as Terrascope's catalogue), a
    time without zone is UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        # Python parses up to microseconds: openEO sends nanoseconds (…59.999999999Z)
        value = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise OpenSearchError(f"'{text[:60]}' is not an ISO 8601 date or date-time",
                              name) from None
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise OpenSearchError(f"'{text[:60]}' is outside the years 1 to 9999 in UTC",
                              name) from None


def parse_number(text: str, name: str, low: float | None = None,
                 high: float | None = None) -> float:
    value = strict_number(text.strip())
    if value is None:
        raise OpenSearchError(f"'{text[:40]}' is not a number", name)
    if (low is not None and value < low) or \
            (high is not None and value > high):
        raise OpenSearchError(f"{text} is outside [{low}, {high}]", name)
    return value


def parse_integer(text: str, name: str, low: int, high: int | None = None) -> int:
    if not re.fullmatch(r"[+]?\d+", text.strip(), re.ASCII):
        raise OpenSearchError(f"'{text[:40]}' is not an integer", name)
    value = int(text)
    if value < low or (high is not None and value > high):
        raise OpenSearchError(f"{value} is outside [{low}, {high if high else '∞'}]", name)
    return value


def parse_interval(text: str, name: str, kind: type[T], single_is_max: bool) -> Interval:
    """OpenSearch EO intervals: ``[a,b]``, ``[a,b[``, ``]a,b]``, ``a]`` (≤ a), ``a[`` (< a),
    ``[a`` (≥ a), ``]a`` (> a); a bare value means ``a]`` (``single_is_max``) or ``[a,a]``."""
    match = _INTERVAL.match(text.replace(" ", ""))
    if not match or (match["b"] is None and match["open"] and match["close"]) or \
            (match["b"] is not None and not (match["open"] and match["close"])):
        raise OpenSearchError(f"'{text}' is not an interval such as [a,b], [a,b[, a] or [a",
                              name)

    def bound(part: str) -> float | datetime:
        if kind is datetime:
            return parse_time(part, name)
        return parse_number(part, name)

    if match["b"] is not None:
        low, high = bound(match["a"]), bound(match["b"])
        if low > high:
            raise OpenSearchError(f"'{text}': the lower bound is above the upper bound", name)
        return Interval(low, high, match["open"] == "[", match["close"] == "]")
    value = bound(match["a"])
    if match["close"]:
        return Interval(high=value, high_closed=match["close"] == "]")
    if match["open"]:
        return Interval(low=value, low_closed=match["open"] == "[")
    return Interval(high=value) if single_is_max else Interval(value, value)


def parse_bbox(text: str, name: str = "bbox") -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees (EPSG:4326, longitude first)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise OpenSearchError(f"'{text}' is not west,south,east,north", name)
    west, south, east, north = (parse_number(p, name) for p in parts)
    if not all(-180 <= x <= 180 for x in (west, east)) or \
            not all(-90 <= y <= 90 for y in (south, north)):
        raise OpenSearchError(f"'{text}' is not in degrees (EPSG:4326 longitude/latitude)", name)
    if south > north:
        raise OpenSearchError(f"'{text}': south is above north", name)
    return west, south, east, north


def parse_geometry(text: str, name: str = "geometry") -> tuple[float, float, float, float]:
    """A WKT geometry in lon/lat; the search uses its bounding box."""
    try:
        geometry = wkt.loads(text)
    except (ShapelyError, ValueError, TypeError):
        raise OpenSearchError(f"'{text[:80]}' is not a WKT geometry", name) from None
    if geometry.is_empty:
        raise OpenSearchError("the geometry is empty", name)
    west, south, east, north = geometry.bounds
    return parse_bbox(f"{west},{south},{east},{north}", name)


def circle_bbox(lat: float, lon: float, radius: float) -> tuple[float, float, float, float]:
    """The lon/lat box around a circle of ``radius`` metres (OGC 10-032 geo:radius)."""
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if south <= -90 or north >= 90:
        return -180.0, south, 180.0, north
    dlon = min(180.0, dlat / max(math.cos(math.radians(abs(lat) + dlat)), 1e-9))
    if dlon >= 180:
        return -180.0, south, 180.0, north
    west, east = lon - dlon, lon + dlon
    return ((west + 540) % 360 - 180, south, (east + 540) % 360 - 180, north)
