"""The schema of the layer registry: one collection per ``layers/*.yaml`` file.

Every model is frozen and forbids unknown keys, so a typo in a YAML file is an error, not a
silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LANGUAGES = ("en", "nl", "fr")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    """A text in English, Dutch and French."""

    en: str
    nl: str
    fr: str


class Band(Frozen):
    """One band of a product: which file holds it and how digital numbers become values."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    file: str = Field(description="file name token, e.g. NDVI_10M or TOC-B04_10M")
    dtype: Literal["uint8", "uint16", "int16", "float32"]
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    valid_range: tuple[float, float] | None = Field(None, description="valid digital numbers")
    unit: str = "1"
    description: str = ""

    def physical(self, dn: float) -> float:
        return dn * self.scale + self.offset


class Stop(Frozen):
    """A colour at a physical value; the label is what the legend shows."""

    value: float
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    label: str | None = None


class RampStyle(Frozen):
    """A colour ramp over a single band, interpolated between stops."""

    type: Literal["ramp"]
    name: str
    title: Text
    stops: tuple[Stop, ...] = Field(min_length=2)

    @field_validator("stops")
    @classmethod
    def _increasing(cls, stops: tuple[Stop, ...]) -> tuple[Stop, ...]:
        values = [s.value for s in stops]
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("stop values must increase strictly")
        return stops


class RgbStyle(Frozen):
    """Three bands, each stretched linearly from a physical range to 1..255."""

    type: Literal["rgb"]
    name: str
    title: Text
    ranges: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


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
    """The grid a collection is served on (WCS native CRS and resolution)."""

    crs: str = Field(pattern=r"^EPSG:\d+$")
    resolution: float = Field(gt=0)


class Collection(Frozen):
    """One product collection, e.g. Terrascope's Sentinel-2 NDVI V2."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    product_type: str = Field(description="token in product names, e.g. NDVI or TOC")
    title: Text
    abstract: Text
    platform: str
    instrument: str
    grid: Grid
    bands: tuple[Band, ...] = Field(min_length=1)
    layers: tuple[Layer, ...] = ()

    def band(self, name: str) -> Band:
        return next(b for b in self.bands if b.name == name)
