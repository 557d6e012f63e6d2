"""How much one time series request may ask for, and how the service reads.

Read from ``EOSCOPE_TS_*`` environment variables, e.g. ``EOSCOPE_TS_MAX_AREA_KM2=250``.
Every limit is checked before any file is read; exceeding one answers HTTP 413.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TimeSeriesLimits(BaseSettings):
    """Bounds on a request (checked before work starts) and the reader's resources."""

    model_config = SettingsConfigDict(env_prefix="EOSCOPE_TS_", frozen=True, extra="ignore")

    max_area_km2: float = Field(100.0, gt=0, description="area of one polygon (geodesic)")
    max_total_area_km2: float = Field(1000.0, gt=0,
                                      description="summed area of all polygons of a request")
    max_extent_km2: float = Field(
        1000.0, gt=0, description="summed grid rectangles the pixels of a request are read"
        " from: each geometry's bounding box (per cluster of a MultiPolygon's parts)")
    max_geometries: int = Field(500, ge=1, description="geometries in one GeometryCollection")
    max_pixel_dates: int = Field(
        40_000_000, ge=1, description="pixels a request may read (its cost, estimated before"
        " reading): the geometries' pixel rectangles, as far as each product of each date"
        " covers them, × the band and its mask; a point over all time is cheap, a polygon"
        " over years is bounded")
    read_threads: int = Field(1, ge=1, description="threads reading products concurrently, per"
                              " request: 1 is fastest on local or cached files (bench/README.md);"
                              " more helps where opening a file waits on the network")
    open_files: int = Field(256, ge=0,
                            description="product files kept open between requests (0: none)")
