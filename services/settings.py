"""Deployment settings: where things live and how much a request may ask for.

Read from ``EOSCOPE_*`` environment variables (or a ``.env`` file); the layer registry is not a
setting, it lives in ``layers/``.
"""

from __future__ import annotations

import os
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


class Access(BaseSettings):
    """Who may use what (docs/operators.md, "Users and access"): the policy per service class,
    the OpenID Connect provider whose bearer tokens are accepted, API keys, quotas."""

    model_config = SettingsConfigDict(env_prefix="EOSCOPE_ACCESS_", frozen=True)

    policy: Literal["open", "terrascope"] = Field(
        "open", description="open: anyone may use everything (the demo); terrascope: viewing "
        "open, downloads and processing for registered users")
    view: Literal["open", "authenticated"] | None = Field(
        None, description="override the policy for viewing (WMS, WMTS, tiles, viewer, "
        "catalogues, STAC, time series, small WCS coverages)")
    data: Literal["open", "authenticated"] | None = Field(
        None, description="override the policy for data (/download, WCS coverages above "
        "wcs_open_pixels, /ogcapi execution and jobs, /wps Execute)")
    wcs_open_pixels: int = Field(1_000_000, description="a WCS GetCoverage that names its "
                                 "output size at most this many pixels is viewing; others "
                                 "(native resolution) are data")
    restricted_collections: tuple[str, ...] = Field(
        (), description="collection ids (e.g. TERRASCOPE_S2_TOC_V2) the catalogues (STAC, "
        "OpenSearch, MEP) hide from anonymous users")
    store_path: Path | None = Field(None, description="SQLite user and usage store; default "
                                    "var/users.sqlite")
    realm: str = Field("eoscope", description="realm of the WWW-Authenticate challenges")
    apikey_header: str = "X-API-Key"
    apikey_param: str = Field("apikey", description="query parameter carrying an API key "
                              "(GDAL, QGIS); removed before any service sees the query")
    oidc_issuer: str | None = Field(None, description="issuer URL of the OpenID Connect "
                                    "provider (e.g. https://sso.example.org/realms/eo); unset: "
                                    "no bearer tokens")
    oidc_audience: str | None = Field(None, description="audience a token must carry (the "
                                      "client id eoscope is registered as)")
    oidc_jwks_url: str | None = Field(None, description="the provider's JWKS; default: "
                                      "jwks_uri of its openid-configuration")
    oidc_algorithms: tuple[str, ...] = Field(("RS256", "PS256", "ES256"),
                                             description="signature algorithms accepted")
    oidc_leeway: float = Field(60.0, description="seconds of clock skew tolerated on exp/nbf")
    oidc_jwks_cooldown: float = Field(30.0, description="seconds between two JWKS fetches "
                                      "for an unknown key id (key rotation)")
    oidc_username_claim: str = "preferred_username"
    oidc_organisation_claim: str = "organisation"
    oidc_country_claim: str = "country"
    oidc_admin_role: str = Field("eoscope-admin", description="role (Keycloak realm or "
                                 "client role, or group) that makes a token's user an admin")
    quota_products_per_day: int = Field(0, description="products one user may download a "
                                        "day (0: no limit; users can have their own)")
    quota_bytes_per_day: int = Field(0, description="bytes one user may download a day")
    quota_jobs: int = Field(0, description="jobs one user may have queued or running")
    quota_requests_per_minute: int = Field(0, description="requests one user may make a "
                                           "minute")
    quota_compute_seconds_per_day: int = Field(0, description="seconds the jobs of one user "
                                               "may run a day (UTC)")
    usage_flush_seconds: float = Field(2.0, description="how long a worker batches usage "
                                       "records before writing them")

    def required(self, service_class: str) -> bool:
        """Whether ``service_class`` (view or data) asks for credentials."""
        override = self.view if service_class == "view" else self.data
        if override is not None:
            return override == "authenticated"
        return self.policy == "terrascope" and service_class == "data"


class AdmissionLimits(BaseSettings):
    """Admission control per worker process (services/admission.py): for each service class,
    [requests worked on at once, requests that may wait]; beyond, 503 + Retry-After."""

    model_config = SettingsConfigDict(env_prefix="EOSCOPE_ADMISSION_", frozen=True)

    render: tuple[int, int] = Field((1, 8), description="WMS GetMap/GetFeatureInfo/"
                                    "GetLegendGraphic, WCS GetCoverage")
    tiles: tuple[int, int] = Field((6, 6), description="WMTS GetTile, XYZ/TMS tiles (cache "
                                   "hits and misses)")
    catalogue: tuple[int, int] = Field((4, 4), description="CSW, OpenSearch, MEP, STAC, "
                                       "downloads")
    timeseries: tuple[int, int] = Field((2, 2), description="time series")
    processing: tuple[int, int] = Field((2, 2), description="OGC API - Processes, WPS")
    total: int = Field(15, ge=1, description="requests of all bounded classes held at once "
                       "(working or waiting); gunicorn.conf.py sets threads - 1, so one thread "
                       "is always free for /healthz and /metrics")
    wait: float = Field(2.0, ge=0, description="seconds a request may wait for a slot")
    client_share: float = Field(0.5, gt=0, le=1, description="share of a full class's "
                                "slots (working + waiting) one client may hold; more get 429")
    retry_after: int = Field(2, ge=1, description="Retry-After seconds on a shed request")


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
    access: Access = Field(default_factory=Access)
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
    admission: AdmissionLimits = Field(default_factory=AdmissionLimits)
    # the render pool (services/ows/render_pool.py, config/render.conf.py)
    render_workers: int = Field(os.cpu_count() or 1, ge=0, description="processes that draw "
                                "maps and coverages (MapServer), apart from the web workers; "
                                "0: draw in the web workers")
    render_nice: int = Field(0, ge=0, le=19, description="the render pool's CPU niceness "
                             "(bench/README.md: 10 starved the renders under load)")
    render_timeout: int = Field(30, ge=1, description="seconds one map or coverage may take; "
                                "then its process is killed and the request answered 503")
    render_socket: Path | None = Field(None, description="the render pool's Unix socket, set "
                                       "by the gateway's master for its workers; unset: draw "
                                       "in-process")
    trusted_proxies: tuple[str, ...] = Field(
        (), description="addresses or networks of reverse proxies whose X-Forwarded-For names "
        "the client (admission fairness, access log); empty: the peer address is the client")
    access_log: str = Field("-", description="structured access log (one JSON line a "
                            "request): '-' for standard error, a file path, or '' for none")

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
    def users(self) -> Path:
        return self.access.store_path or self.var_dir / "users.sqlite"

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
