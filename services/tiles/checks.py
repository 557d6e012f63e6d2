"""WMTS request checks MapProxy 7.0 leaves out, made before it sees the request, so every error
has the code and locator of the OGC WMTS 1.0 tests (KVP: HTTP 400; REST: HTTP 404)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.errors import (
    InvalidDimensionValue,
    InvalidParameterValue,
    MissingParameterValue,
    OperationNotSupported,
    TileOutOfRange,
    VersionNegotiationFailed,
)
from services.ows.kvp import Params
from services.ows.timeparam import select

SECTIONS = ("All", "ServiceIdentification", "ServiceProvider", "OperationsMetadata",
            "Contents", "Themes")
STYLES = ("default", "")
FORMATS = {"image/png": "png"}
GETTILE_PARAMETERS = ("Version", "Layer", "Style", "Format", "TileMatrixSet", "TileMatrix",
                      "TileRow", "TileCol")
REST_TILE = re.compile(r"^/(?P<Layer>[^/]+)/(?P<Style>[^/]*)/(?P<TileMatrixSet>[^/]+)/"
                       r"(?P<Time>[^/]+)/(?P<TileMatrix>[^/]+)/(?P<TileRow>[^/]+)/"
                       r"(?P<TileCol>[^/.]+)\.(?P<Format>[A-Za-z]+)$")
CAPABILITIES_PATH = "/1.0.0/WMTSCapabilities.xml"


@dataclass(frozen=True)
class TileCatalog:
    """What the tile service offers: layer dates, and matrix ids per tile matrix set."""

    dates: Mapping[str, Sequence[str]]  # each layer's dates, oldest first
    matrices: dict[str, tuple[str, ...]]
    # (MatrixWidth, MatrixHeight) of each level, per tile matrix set
    sizes: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def levels(self, matrix_set: str) -> int:
        return len(self.sizes.get(matrix_set, ()))


def check_kvp(params: Params, catalog: TileCatalog) -> Params:
    """Check a KVP request; return it with TIME normalised to a layer date."""
    service = params.get("SERVICE")
    if not service:
        raise MissingParameterValue("SERVICE is required", "service")
    if service.upper() != "WMTS":
        raise InvalidParameterValue(f"SERVICE={service} is not WMTS", "service")
    request = params.get("REQUEST")
    if not request:
        raise MissingParameterValue("REQUEST is required", "request")
    if request.lower() == "getcapabilities":
        _check_capabilities(params)
        return params
    if request.lower() == "getfeatureinfo":
        raise OperationNotSupported("no layer of this service is queryable", "GetFeatureInfo")
    if request.lower() != "gettile":
        raise InvalidParameterValue(f"REQUEST={request} is not GetCapabilities or GetTile",
                                    "request")
    for name in GETTILE_PARAMETERS:
        if params.get(name) is None:
            raise MissingParameterValue(f"{name} is required", name)
    time = _check_tile(params.get("Layer"), params.get("Style"), params.get("Format"),
                       params.get("TileMatrixSet"), params.get("TileMatrix"),
                       params.get("TileRow"), params.get("TileCol"), params.get("Time"), catalog)
    return params.replaced("TIME", time)


def check_rest_tile(path: str, catalog: TileCatalog) -> str:
    """Check a REST tile path; return it with the Time segment normalised."""
    match = REST_TILE.match(path)
    if not match:
        raise MissingParameterValue(
            "a tile URL is /{Layer}/{Style}/{TileMatrixSet}/{Time}/{TileMatrix}/{TileRow}/"
            "{TileCol}.png", "TileCol")
    parts = match.groupdict()
    extension = parts["Format"].lower()
    media = next((m for m, e in FORMATS.items() if e == extension), f"image/{extension}")
    time = _check_tile(parts["Layer"], parts["Style"], media, parts["TileMatrixSet"],
                       parts["TileMatrix"], parts["TileRow"], parts["TileCol"], parts["Time"],
                       catalog)
    return path.replace(f"/{parts['Time']}/", f"/{time}/", 1)


def requested_sections(params: Params) -> set[str] | None:
    """The capabilities sections asked for, or None for all."""
    value = params.get("SECTIONS")
    if value is None:
        return None
    names = {s.strip() for s in value.split(",")}
    return None if "All" in names else names


def _check_capabilities(params: Params) -> None:
    versions = params.get("ACCEPTVERSIONS")
    if versions is not None and "1.0.0" not in [v.strip() for v in versions.split(",")]:
        raise VersionNegotiationFailed(f"AcceptVersions={versions}: only 1.0.0 is offered")
    sections = params.get("SECTIONS")
    if sections is not None:
        if not sections.strip():
            raise MissingParameterValue("Sections is empty", "sections")
        unknown = [s for s in sections.split(",") if s.strip() not in SECTIONS]
        if unknown:
            raise InvalidParameterValue(f"unknown section(s) {', '.join(unknown)} (known: "
                                        f"{', '.join(SECTIONS)})", "sections")


def _check_tile(layer: str, style: str, media: str, matrix_set: str, matrix: str, row: str,
                col: str, time: str | None, catalog: TileCatalog) -> str:
    if layer not in catalog.dates:
        raise InvalidParameterValue(f"unknown layer '{layer}'", "layer")
    if style not in STYLES:
        raise InvalidParameterValue(f"unknown style '{style}' (known: default)", "Style")
    if media not in FORMATS:
        raise InvalidParameterValue(f"unknown format '{media}' (known: image/png)", "format")
    if matrix_set not in catalog.matrices:
        raise InvalidParameterValue(f"unknown TileMatrixSet '{matrix_set}' (known: "
                                    f"{', '.join(catalog.matrices)})", "TileMatrixSet")
    if matrix not in catalog.matrices[matrix_set]:
        raise InvalidParameterValue(f"unknown TileMatrix '{matrix}' in {matrix_set}",
                                    "TileMatrix")
    _check_row_col(catalog, matrix_set, int(matrix), row, col)
    dates = catalog.dates[layer]
    if time in (None, "", "default"):
        return dates[-1]
    try:
        selection = select(time, dates, parameter="Time")
    except InvalidDimensionValue as error:
        raise InvalidParameterValue(error.message, "Time") from None
    if len(selection.dates) != 1 or "/" in selection.value or "," in selection.value:
        raise InvalidParameterValue("Time must be one date", "Time")
    return selection.dates[0]


def _check_row_col(catalog: TileCatalog, matrix_set: str, level: int, row: str,
                   col: str) -> None:
    """TileRow and TileCol: whole numbers (ASCII digits) inside the matrix (TileOutOfRange)."""
    sizes = catalog.sizes.get(matrix_set)
    width, height = sizes[level] if sizes and level < len(sizes) else (None, None)
    for name, value, count in (("TileRow", row, height), ("TileCol", col, width)):
        number = int(value) if value.isascii() and value.isdigit() else None
        if number is None:
            raise InvalidParameterValue(f"{name} must be a whole number, got '{value[:40]}'",
                                        name)
        if count is not None and number >= count:
            raise TileOutOfRange(f"{name}={number} is outside TileMatrix {level} of "
                                 f"{matrix_set} (0 to {count - 1})", name)


def catalog_of(config: dict) -> TileCatalog:
    """The catalogue of a generated MapProxy configuration."""
    dates = {layer["name"]: [str(d) for d in layer["dimensions"]["Time"]["values"]]
             for layer in config.get("layers", [])}
    # MapProxy advertises TileMatrix ids "00", "01" …; plain "0", "1" … are accepted too
    matrices = {name: tuple(f"{z:02d}" for z in range(grid["num_levels"])) +
                tuple(str(z) for z in range(grid["num_levels"]))
                for name, grid in config.get("grids", {}).items()}
    return TileCatalog(dates=dates, matrices=matrices)
