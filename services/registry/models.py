"""The schema of the layer registry: one collection per ``layers/*.yaml`` file.

Every model is frozen and forbids unknown keys, so a typo in a YAML file is an error, not a
silently ignored setting. What is true of a mission rather than of a collection (file naming,
acquisition properties, what a mask band's values mean) lives in the collection's ``profile``
(:mod:`services.missions`); the registry names the profile and the bands its rules apply to.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    field_validator,
)
from pyproj import CRS

DEFAULT_LANGUAGE = "en"
_TERM = re.compile(r"\s*([+-]?)\s*(\d+(?:\.\d+)?(?:/\d+)?)\s*")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def exact(value: object) -> Fraction:
    """An exact number: ``10``, ``0.05`` (its decimal, not its binary float), ``"1/112"`` or a
    sum such as ``"-180 - 1/224"``."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, int | float):
        return Fraction(str(value))
    if not isinstance(value, str):
        raise ValueError("expected a number or a fraction such as '1/112'")
    total, position = Fraction(0), 0
    while position < len(value):
        match = _TERM.match(value, position)
        if not match or (position and not match[1]):
            raise ValueError(f"'{value}' is not a number, a fraction or a sum of them")
        try:
            term = Fraction(match[2])
        except ZeroDivisionError:
            raise ValueError(f"'{value}' divides by zero") from None
        total += -term if match[1] == "-" else term
        position = match.end()
    if not value.strip():
        raise ValueError("expected a number")
    return total


Exact = Annotated[Fraction, BeforeValidator(exact), PlainSerializer(str, return_type=str)]
Code = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class Text(RootModel[dict[Code, str]]):
    """A text per language (ISO 639-1 codes); English is required, the rest falls back to it."""

    model_config = ConfigDict(frozen=True)

    @field_validator("root")
    @classmethod
    def _has_english(cls, texts: dict[str, str]) -> dict[str, str]:
        if DEFAULT_LANGUAGE not in texts:
            raise ValueError("an English text ('en') is required")
        return texts

    @property
    def en(self) -> str:
        return self.root[DEFAULT_LANGUAGE]

    def get(self, language: str | None) -> str:
        """The text in ``language``, or in English if it has none."""
        return self.root.get(language or DEFAULT_LANGUAGE, self.en)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.root)


Dtype = Literal["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32"]


class Band(Frozen):
    """One band of a product: which file (and which band of it) holds it, and how digital
    numbers become physical values: ``value = DN × scale + offset``. This is the one place
    the rule is written; views, coverages, time series and the demo all apply it from here."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    file: str = Field(description="file name token, e.g. NDVI_10M, TOC-B04_10M, VV, RADIOMETRY")
    index: int = Field(1, ge=1, description="band of that file (1-based)")
    dtype: Dtype
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    valid_range: tuple[float, float] | None = Field(None, description="valid digital numbers")
    unit: str = "1"
    description: str = ""
    role: Literal["data", "quality"] = Field(
        "data", description="quality bands (classifications, status maps, weights) are a "
        "product's related files in the catalogue")

    def physical(self, dn: float) -> float:
        return dn * self.scale + self.offset

    def valid(self, dn: np.ndarray) -> np.ndarray:
        """Where ``dn`` holds a value: finite, not nodata, inside the valid range."""
        ok = np.isfinite(dn) if dn.dtype.kind == "f" else np.ones(dn.shape, dtype=bool)
        if self.nodata is not None and not np.isnan(self.nodata):
            ok &= dn != self.nodata
        if self.valid_range is not None:
            ok &= (dn >= self.valid_range[0]) & (dn <= self.valid_range[1])
        return ok

    def to_physical(self, dn: np.ndarray) -> np.ndarray:
        """Physical values (float64) of ``dn``."""
        return dn.astype(np.float64) * self.scale + self.offset

    def to_dn(self, values: np.ndarray, invalid: np.ndarray | None = None) -> np.ndarray:
        """Digital numbers of physical ``values`` (rounded and clipped to the valid range for
        integer bands); NaN and ``invalid`` pixels become nodata."""
        dn = (np.asarray(values, dtype=np.float64) - self.offset) / self.scale
        missing = ~np.isfinite(dn) if invalid is None else ~np.isfinite(dn) | invalid
        if np.dtype(self.dtype).kind == "f":
            fill = np.nan if self.nodata is None else self.nodata
            return np.where(missing, fill, dn).astype(self.dtype)
        info = np.iinfo(self.dtype)
        low, high = self.valid_range or (info.min, info.max)
        dn = np.clip(np.rint(np.nan_to_num(dn)), low, high)
        return np.where(missing, self.nodata if self.nodata is not None else 0, dn
                        ).astype(self.dtype)


class Mask(Frozen):
    """Pixels to leave out: ``band`` (of this collection, or of the product of the same
    acquisition in ``collection``) read with the profile's ``rule`` (e.g. Sentinel-2's scene
    classification, PROBA-V's status map, Sentinel-5P's weight)."""

    rule: str
    band: str
    collection: str | None = None


class Stop(Frozen):
    """A colour at a value (in the style's ``scale``); the label is what the legend shows."""

    value: float
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    label: str | None = None


class RampStyle(Frozen):
    """A colour ramp over a single band, interpolated between stops. With ``scale: db`` the
    stops are in decibels (10·log10 of the physical value), as radar backscatter is drawn."""

    type: Literal["ramp"]
    name: str
    title: Text
    scale: Literal["linear", "db"] = "linear"
    stops: tuple[Stop, ...] = Field(min_length=2)

    @field_validator("stops")
    @classmethod
    def _increasing(cls, stops: tuple[Stop, ...]) -> tuple[Stop, ...]:
        values = [s.value for s in stops]
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("stop values must increase strictly")
        return stops


class RgbStyle(Frozen):
    """Three channels, each stretched linearly from a range to 1..255. A channel is a band of
    the layer, or with ``expressions`` a small expression over the layer's bands:
    ``db(VV)``, ``db(VV) / db(VH)`` (see :mod:`services.index.expressions`)."""

    type: Literal["rgb"]
    name: str
    title: Text
    ranges: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    expressions: tuple[str, str, str] | None = None


Style = Annotated[RampStyle | RgbStyle, Field(discriminator="type")]


class Layer(Frozen):
    """What a client sees: a WMS layer and/or a WCS coverage made of some of the bands."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    title: Text
    abstract: Text
    bands: tuple[str, ...] = Field(min_length=1)
    services: tuple[Literal["wms", "wcs"], ...] = ("wms", "wcs")
    styles: tuple[Style, ...] = ()
    keywords: tuple[str, ...] = ()
    timeseries_names: tuple[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")], ...] = \
        Field((), description="other names the time series service answers to, e.g. "
                  "Terrascope's TERRASCOPE_S2_NDVI_V2")

    @property
    def default_style(self) -> Style | None:
        return self.styles[0] if self.styles else None


class Grid(Frozen):
    """The grid a collection is served on (WCS native CRS and resolution): pixel edges lie at
    ``origin + k × resolution`` on both axes, in the CRS's units, exactly."""

    crs: str = Field(pattern=r"^EPSG:\d+$")
    resolution: Exact
    origin: tuple[Exact, Exact] = (Fraction(0), Fraction(0))

    @field_validator("resolution")
    @classmethod
    def _positive(cls, value: Fraction) -> Fraction:
        if value <= 0:
            raise ValueError("the resolution must be positive")
        return value

    @cached_property
    def geographic(self) -> bool:
        """Axes in degrees (plate carrée) rather than metres."""
        return CRS.from_user_input(self.crs).is_geographic

    @property
    def units(self) -> str:
        return "degree" if self.geographic else "metre"

    @property
    def step(self) -> float:
        """The resolution as a float, for GDAL and MapServer."""
        return float(self.resolution)

    def snap(self, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """``bounds`` (grid CRS) grown outwards to pixel edges (a bound within a millionth of
        a pixel of an edge is on it: floats do not hold 3.1 exactly)."""
        x0, y0 = self.origin
        r = self.resolution

        def edge(value: float, origin: Fraction, up: bool) -> float:
            k = float((Fraction(value) - origin) / r)
            steps = math.ceil(k - 1e-6) if up else math.floor(k + 1e-6)
            return float(origin + steps * r)

        return (edge(bounds[0], x0, False), edge(bounds[1], y0, False),
                edge(bounds[2], x0, True), edge(bounds[3], y0, True))


WORLD = (-180.0, -90.0, 180.0, 90.0)


class Collection(Frozen):
    """One product collection, e.g. Terrascope's Sentinel-2 NDVI V2."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    profile: str = Field(description="the mission profile that reads its products "
                         "(services/missions)")
    product: str | None = Field(
        None, description="the profile's product key its products carry, e.g. NDVI or "
        "S10_TOC_333M; default: product_type")
    product_type: str = Field(description="the catalogue's productType, e.g. NDVI or TOC")
    title: Text
    abstract: Text
    platform: str
    instrument: str
    sensor_type: Literal["OPTICAL", "RADAR", "ATMOSPHERIC", "ALTIMETRIC", "LIMB"] = "OPTICAL"
    grid: Grid
    extent: tuple[float, float, float, float] = Field(
        WORLD, description="lon/lat box the collection covers (capabilities before any "
        "product is ingested, tile coverage)")
    bands: tuple[Band, ...] = Field(min_length=1)
    masks: tuple[Mask, ...] = ()
    cloud_cover: bool = Field(True, description="whether a cloud cover means something for "
                              "its products (OpenSearch cloudCover, viewer filters)")
    attribution: str | None = Field(None, description="the credit its maps carry (viewer, "
                                    "exports); default: the settings' viewer_attribution")
    layers: tuple[Layer, ...] = ()

    @property
    def product_key(self) -> str:
        return self.product or self.product_type

    def band(self, name: str) -> Band:
        return next(b for b in self.bands if b.name == name)
