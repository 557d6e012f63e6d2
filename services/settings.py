"""Deployment settings: where things live and how much a request may ask for.

Read from ``EOSCOPE_*`` environment variables (or a ``.env`` file); the layer registry is not a
setting, it lives in ``layers/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Limits(BaseSettings):
    """Bounds checked before any work starts (advertised where the standard allows)."""

    model_config = SettingsConfigDict(env_prefix="EOSCOPE_LIMIT_", frozen=True)

    max_map_side: int = Field(4096, description="WMS MaxWidth and MaxHeight, pixels")
    max_coverage_pixels: int = Field(25_000_000, description="WCS output width × height")
    max_coverage_side: int = Field(10_000, description="WCS output width or height")
    max_process_products: int = Field(500, description="products one process may read")
    max_process_pixels: int = Field(4_000_000_000, description="pixels (products × pixels "
                                    "per file) one process may read")
    max_composite_values: int = Field(200_000_000, description="dates × pixels a temporal "
                                      "composite holds in memory")
    max_jobs_queued: int = Field(20, description="jobs waiting or running; more get 429")
    max_jobs_running: int = Field(2, description="jobs the runner executes at once")
    max_jobs_per_client: int = Field(5, description="jobs one client (address) may have "
                                     "waiting or running; more get 429")
    max_job_seconds: float = Field(3600.0, description="seconds a job may run; then it fails")


class Settings(BaseSettings):
    """Where the registry, the archive, the index and the generated files are."""

    model_config = SettingsConfigDict(env_prefix="EOSCOPE_", env_file=".env", frozen=True,
                                      extra="ignore")

    layers_dir: Path = PROJECT_ROOT / "layers"
    var_dir: Path = PROJECT_ROOT / "var"
    archive_dir: Path | None = Field(None, description="product archive; default var/archive")
    index_path: Path | None = Field(None,
                                    description="SQLite product index; default var/index.sqlite")
    mapfile_dir: Path = PROJECT_ROOT / "mapfiles"
    generated_dir: Path = Field(PROJECT_ROOT / "config" / "generated",
                                description="generated service configurations (MapProxy)")
    tile_cache: Path | None = Field(None, description="tile cache folder; default var/tiles")
    public_url: str | None = Field(
        None, description="base URL clients reach us at; default: the Host of each request")
    service_title: str = "eoscope"
    service_abstract: str = Field(
        "Earth-observation products served by eoscope: maps, coverages in physical units, "
        "cached tiles, a catalogue and time series.", description="capabilities abstract")
    crs_list: tuple[str, ...] = Field(
        ("EPSG:3857", "EPSG:4326", "CRS:84", "EPSG:31370", "EPSG:3035", "EPSG:32631"),
        description="CRSs every layer is offered in (each grid's own CRS is added)")
    contact_organization: str = "eoscope"
    contact_person: str = "eoscope operators"
    contact_email: str = "operators@example.org"
    limits: Limits = Field(default_factory=Limits)
    viewer_dist: Path = Field(PROJECT_ROOT / "viewer" / "dist",
                              description="the built web viewer (make viewer)")
    viewer_base_url: str | None = Field(
        None, description="XYZ tile URL template of the viewer's base map, e.g. "
                          "https://tiles.example.org/{z}/{x}/{y}.png; default: a plain "
                          "background under the overlay")
    viewer_base_attribution: str = ""
    viewer_overlay_url: str | None = Field(
        None, description="GeoJSON (lon/lat) of the viewer's street overlay; default: the "
                          "demo landscape's, /viewer/overlay.geojson")
    viewer_overlay_attribution: str = "eoscope demo landscape"
    viewer_attribution: str = "Contains modified Copernicus Sentinel data"
    cors_origins: tuple[str, ...] = Field(
        ("*",), description="origins whose browser pages may read the responses (CORS); '*'"
        " for any, empty for none")
    # processing (OGC API - Processes and WPS; docs/processing.md)
    jobs_path: Path | None = Field(None, description="SQLite job store shared by every web "
                                   "worker and the job runner; default var/jobs.sqlite")
    jobs_runner: Literal["spawn", "external"] = Field(
        "spawn", description="spawn: the gateway's master starts the job runner; external: "
        "run `eoscope jobs` yourself (e.g. its own service unit)")
    jobs_keep_days: float = Field(7.0, description="finished jobs and their results are "
                                  "deleted after this many days")
    dask_scheduler: str | None = Field(None, description="address of a Dask scheduler; "
                                       "default: a LocalCluster inside the job runner")
    dask_workers: int = Field(2, description="LocalCluster worker processes")
    dask_worker_memory: int = Field(2_000_000_000, description="bytes a Dask worker may use "
                                    "(the LocalCluster's memory limit); a job whose task is "
                                    "estimated above it is refused (413)")
    sync_timeout: float = Field(50.0, description="seconds a synchronous execution may take "
                                "(below gunicorn's timeout); then 503")
    retry_after: int = Field(10, description="Retry-After seconds on 429/503")

    @property
    def archive(self) -> Path:
        return self.archive_dir or self.var_dir / "archive"

    @property
    def index(self) -> Path:
        return self.index_path or self.var_dir / "index.sqlite"

    @property
    def tile_cache_dir(self) -> Path:
        return self.tile_cache or self.var_dir / "tiles"

    @property
    def derived_dir(self) -> Path:
        """Derived per-product views (VRTs in physical units) made by ingest."""
        return self.var_dir / "derived"

    @property
    def jobs(self) -> Path:
        return self.jobs_path or self.var_dir / "jobs.sqlite"

    @property
    def mapfile(self) -> Path:
        return self.mapfile_dir / "eoscope.map"

    @property
    def pidfile(self) -> Path:
        """The gunicorn master's pid, so ``eoscope`` can reload a running gateway."""
        return self.var_dir / "gateway.pid"

    @property
    def mapproxy_config(self) -> Path:
        """MapProxy's generated configuration."""
        return self.generated_dir / "mapproxy.yaml"
