"""GeoJSON request bodies (RFC 7946, lon/lat WGS 84) → validated shapely geometries.

Every problem is an ``InvalidParameterValue`` naming where it is, e.g.
``geometries[2].coordinates[0][3]: latitude 91 is outside -90..90``; a body that is not JSON
is ``InvalidEncodingSyntax``. Nothing here raises anything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from services.errors import InvalidEncodingSyntax, InvalidParameterValue, RequestTooLarge

GEOMETRY_TYPES = ("Polygon", "MultiPolygon", "Point")
"""What ``geometry`` and each member of ``geometries`` may be (or a Feature holding one)."""
_GEOD = Geod(ellps="WGS84")


def parse_json(body: bytes) -> object:
    if not body.strip():
        raise InvalidEncodingSyntax("the request body is empty: send a GeoJSON document",
                                    "body")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidEncodingSyntax(f"the request body is not JSON: {error}", "body") from None


def geometry(document: object, where: str = "body") -> BaseGeometry:
    """One Polygon, MultiPolygon or Point, bare or wrapped in a Feature."""
    document = _unwrap_feature(_object(document, where), where)
    kind = document.get("type")
    if kind not in GEOMETRY_TYPES:
        raise InvalidParameterValue(f"{where}: type {_show(kind)} is not one of "
                                    f"{', '.join(GEOMETRY_TYPES)} or a Feature holding one",
                                    "body")
    coordinates = document.get("coordinates")
    if kind == "Point":
        return Point(_position(coordinates, f"{where}.coordinates"))
    if kind == "Polygon":
        shape = _polygon(coordinates, f"{where}.coordinates")
    else:
        parts = _array(coordinates, f"{where}.coordinates", minimum=1)
        shape = MultiPolygon([_polygon(p, f"{where}.coordinates[{i}]")
                              for i, p in enumerate(parts)])
    if not shape.is_valid:
        raise InvalidParameterValue(f"{where}: invalid {kind}: {shapely.is_valid_reason(shape)}",
                                    "body")
    return shape


def geometries(document: object, limit: int) -> list[BaseGeometry]:
    """The members of a GeometryCollection (or of a FeatureCollection), in order."""
    document = _object(document, "body")
    kind = document.get("type")
    if kind == "GeometryCollection":
        members, key = document.get("geometries"), "geometries"
    elif kind == "FeatureCollection":
        members, key = document.get("features"), "features"
    else:
        raise InvalidParameterValue(f"body: type {_show(kind)} is not a GeometryCollection "
                                    "(or a FeatureCollection)", "body")
    members = _array(members, f"body.{key}", minimum=1)
    if len(members) > limit:
        raise RequestTooLarge(f"{len(members)} geometries; at most {limit} per request",
                              "body")
    return [geometry(member, f"{key}[{i}]") for i, member in enumerate(members)]


def area_km2(shape: BaseGeometry) -> float:
    """Geodesic area on the WGS 84 ellipsoid, km²."""
    area, _ = _GEOD.geometry_area_perimeter(shape)
    return abs(area) / 1e6


# -- the pieces ----------------------------------------------------------------------------


def _object(document: object, where: str) -> dict:
    if not isinstance(document, dict):
        raise InvalidParameterValue(f"{where}: expected a GeoJSON object", "body")
    return document


def _unwrap_feature(document: dict, where: str) -> dict:
    if document.get("type") != "Feature":
        return document
    inner = document.get("geometry")
    if inner is None:
        raise InvalidParameterValue(f"{where}: the Feature has no geometry", "body")
    return _object(inner, f"{where}.geometry")


def _array(value: object, where: str, minimum: int) -> list:
    if not isinstance(value, list):
        raise InvalidParameterValue(f"{where}: expected an array", "body")
    if len(value) < minimum:
        raise InvalidParameterValue(f"{where}: expected at least {minimum} item(s)", "body")
    return value


def _polygon(value: object, where: str) -> Polygon:
    rings = [_ring(r, f"{where}[{i}]")
             for i, r in enumerate(_array(value, where, minimum=1))]
    return Polygon(rings[0], rings[1:])


def _ring(value: object, where: str) -> list[tuple[float, float]]:
    positions = [_position(p, f"{where}[{i}]")
                 for i, p in enumerate(_array(value, where, minimum=4))]
    if positions[0] != positions[-1]:
        raise InvalidParameterValue(f"{where}: the ring is not closed (its first and last "
                                    "positions differ)", "body")
    return positions


def _position(value: object, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) not in (2, 3) or not all(
            _is_number(v) for v in value):
        raise InvalidParameterValue(f"{where}: a position is [longitude, latitude]", "body")
    check_lon_lat(value[0], value[1], where, "body")
    return float(value[0]), float(value[1])


def check_lon_lat(lon: float, lat: float, where: str, locator: str) -> None:
    """Longitude in -180..180 and latitude in -90..90, both finite."""
    for name, value, bound in (("longitude", lon, 180), ("latitude", lat, 90)):
        if not (-bound <= value <= bound):  # also false for NaN
            raise InvalidParameterValue(f"{where}: {name} {_show(value)} is outside "
                                        f"-{bound}..{bound}", locator)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def polygons(shape: BaseGeometry) -> Iterator[Polygon]:
    """The polygons of a Polygon or MultiPolygon."""
    yield from (shape.geoms if isinstance(shape, MultiPolygon) else (shape,))
