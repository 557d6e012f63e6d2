"""The six sources: GetMap on Sentinel-5P and PROBA-V, GetCapabilities with long date lists,
and the ingest rate.

``python -m bench.missions [--repeat N] [--products 10000] [--dates 1000]``

1. WMS GetMap 256 x 256 PNG, EPSG:3857, on CGS_S5P_NO2 and PROBAV_S10_TOC_333M_NDVI over web
   mercator tiles inside a small demo archive of the six sources (``services.demo.sources.TINY``
   with a larger Sentinel-5P region, built into a temporary folder): the gateway (gunicorn,
   1 worker) against ``services.ows.mapserver.MapServer.dispatch`` called in this process with
   the gateway's own per-request tweak (``services.ows.live.select``: the tile index pointed at
   the date, the extent set) on the same single-layer template: MapServer's work exactly as the
   gateway asks for it, without the gateway's own logic and HTTP.
2. WMS GetCapabilities 1.3.0 through the gateway on a synthetic index (no rasters, rows put in
   with ``ProductIndex.upsert_many``): one layer of each of the six collections with 1,000 dates
   each, against the same with 24 dates each (a second gateway, interleaved).
3. Ingest: (a) the metadata path: ``Profile.recognise`` (in the registry's profile order, as
   ingest tries them) over 10,000 synthetic file paths of the six missions, the Product and
   LayerSource records, ``upsert_many`` in batches of ``ingest.BATCH``; against a bare SQLite
   ``executemany`` of the same rows in one transaction. (b) ``ingest`` of the tiny archive
   (rasters read, views written) into a fresh index, and again unchanged.

Writes ``bench/results/missions.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from shapely import wkb
from shapely.geometry import box

from bench.common import (
    RESULTS_DIR,
    Answer,
    Report,
    Stats,
    WsgiInProcess,
    bind,
    gateway,
    http_get,
    load_note,
    log,
    machine,
    percentile,
    ratio,
    run_interleaved,
)
from bench.wms_getmap import SamePixels, decode, getmap, tiles
from services.demo.sources import TINY, generate_all
from services.generate import generate_all as generate_configs
from services.index import ProductIndex, ingest
from services.index.ingest import BATCH
from services.index.live import LiveLayers
from services.index.product import LayerSource, Product
from services.missions import PROFILES
from services.ows import live
from services.ows.mapserver import MapServer
from services.registry import Registry, load
from services.settings import PROJECT_ROOT, Settings
from tests.conftest import settings_for

COMMAND = "python -m bench.missions"
GETMAP_ZOOMS = {"CGS_S5P_NO2": (6, 7, 8, 9), "PROBAV_S10_TOC_333M_NDVI": (10, 11, 12, 13)}
TARGET_GETMAP = 1.15
TARGET_CAPS_P50_MS = 150.0
TARGET_RATE = 2000.0
BASELINE_DATES = 24
LAYERS_DIR = PROJECT_ROOT / "layers"
# TINY's Sentinel-5P cut-out (2.5 x 1.5 degrees) is almost empty on its two days: a larger one,
# on a day with 81 % of the cells observed
ARCHIVE = replace(TINY, sentinel5p=replace(TINY.sentinel5p, region=(0.0, 47.0, 10.0, 55.0),
                                           start=date(2018, 6, 2), days=2))
DIMENSION = re.compile(rb'<Dimension name="time"[^>]*>([^<]*)</Dimension>')

Pairs = list[tuple[Product, list[LayerSource]]]


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    measure: str
    eoscope: float
    baseline: float | None
    unit: str
    ratio: float | None
    target: str = ""
    met: bool | None = None


@dataclass
class MissionsReport(Report):
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, row: Row, name: str | None = None, figure: float | None = None) -> None:
        """A table row; with ``name``, its ratio (or ``figure``, what its target is about)
        also goes to ``ratios`` (and its target to ``targets``) for ``bench.run``."""
        self.rows.append(row)
        value = row.ratio if figure is None else figure
        if name is not None and value is not None:
            self.ratios[name] = value
        if name is not None and row.met is not None:
            self.targets[name], self.met[name] = row.target, row.met

    def table(self) -> str:
        def number(value: float | None) -> str:
            return "—" if value is None else f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
        lines = [f"## {self.benchmark}   ({self.command})",
                 f"{'measure':50} {'eoscope':>10} {'baseline':>10} {'unit':>11} {'ratio':>7}"
                 f"  {'target':14} met?"]
        for r in self.rows:
            verdict = "" if r.met is None else "met" if r.met else "MISSED"
            lines.append(f"{r.measure:50} {number(r.eoscope):>10} {number(r.baseline):>10} "
                         f"{r.unit:>11} {number(r.ratio):>7}  {r.target:14} {verdict}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# -- synthetic products (no rasters) -------------------------------------------------------


@dataclass(frozen=True)
class Mission:
    """How one mission names a product file, the layer used for it and its cadence."""

    profile: str
    layer: str
    dekadal: bool
    tiles: int          # products per date (tiles; 1 where the products are not tiled)
    name: Callable[[date, int], str]


def _mgrs(tile: int) -> str:
    return f"31U{chr(65 + tile // 26 % 26)}{chr(65 + tile % 26)}"


def _vgt(prefix: str, resolution: str, version: str) -> Callable[[date, int], str]:
    def name(day: date, tile: int) -> str:
        d, t = f"{day:%Y%m%d}", f"X{18 + tile % 10:02d}Y{2 + tile // 10:02d}"
        return (f"{prefix}_S10_TOC_{d}_{resolution}_V{version}/"
                f"{prefix}_S10_TOC_{t}_{d}_{resolution}_V{version}_NDVI.tif")
    return name


def _s1(day: date, tile: int) -> str:
    product = f"S1A_IW_GRDH_SIGMA0_DV_{day:%Y%m%d}T172537_ASCENDING_88_{tile:04X}_V110"
    return f"{product}/{product}_VV.tif"


def _s2(day: date, tile: int) -> str:
    stem = f"S2A_{day:%Y%m%d}T105031_{_mgrs(tile)}"
    return f"{stem}_NDVI_V200/{stem}_NDVI_10M_V200.tif"


def _s3(day: date, tile: int) -> str:
    return f"S3_SY_2_V10_{day:%Y%m%d}_V100/S3_SY_2_V10_{day:%Y%m%d}_NDVI_V100.tif"


def _s5p(day: date, tile: int) -> str:
    d = f"{day:%Y%m%d}"
    return f"S5P_OFFL_L3_NO2_TD_{d}_V100/S5P_NO2_TD_{d}_NO2_V100.tif"


MISSIONS = (
    Mission("sentinel1", "CGS_S1_GRD_SIGMA0", False, 2, _s1),
    Mission("sentinel2", "CGS_S2_NDVI", False, 4, _s2),
    Mission("sentinel3", "CGS_S3_SY_2_V10_NDVI", True, 1, _s3),
    Mission("sentinel5p", "CGS_S5P_NO2", False, 1, _s5p),
    Mission("probav", "PROBAV_S10_TOC_333M_NDVI", True, 4, _vgt("PROBAV", "333M", "101")),
    Mission("spotvgt", "SPOTVGT_S10_TOC_1KM_NDVI", True, 4, _vgt("SPOTVGT", "1KM", "001")),
)


def _day(mission: Mission, step: int) -> date:
    if not mission.dekadal:
        return date(2015, 1, 1) + timedelta(days=step)
    month = 1970 * 12 + step // 3
    return date(month // 12, month % 12 + 1, (1, 11, 21)[step % 3])


def synthetic_paths(count: int, tiles_per_date: bool = True) -> list[tuple[Mission, Path]]:
    """``count`` product files, the six missions in turn; each mission's products date by
    date (``tiles`` of them a date, or one a date without ``tiles_per_date``)."""
    made: list[tuple[Mission, Path]] = []
    for number in range(count):
        mission = MISSIONS[number % len(MISSIONS)]
        step, tile = divmod(number // len(MISSIONS), mission.tiles if tiles_per_date else 1)
        day = _day(mission, step)
        made.append((mission, Path(f"/synthetic/{mission.profile}/{day:%Y/%m/%d}/"
                                   f"{mission.name(day, tile)}")))
    return made


@dataclass(frozen=True)
class Place:
    """Where a layer's synthetic products lie and the view file its sources name."""

    location: str
    srs: str
    bounds: tuple[float, float, float, float]
    geom: bytes


def places(index: ProductIndex) -> dict[str, Place]:
    """One real source per layer of ``index`` (a real view file and footprint)."""
    with sqlite3.connect(index.path) as db:
        rows = db.execute("SELECT layer, location, srs, minx, miny, maxx, maxy, geom"
                          " FROM layer_sources GROUP BY layer").fetchall()
    return {r[0]: Place(r[1], r[2], tuple(r[3:7]), r[7]) for r in rows}


FOOTPRINT = box(3.5, 50.8, 4.0, 51.2)
FOOTPRINT_WKB, FOOTPRINT_BOUNDS = wkb.dumps(FOOTPRINT), tuple(FOOTPRINT.bounds)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recognise_all(paths: list[tuple[Mission, Path]], registry: Registry) -> list[tuple]:
    """What ingest's walk does per file: the first profile (registry order) that recognises
    it, its collection, the bands the file holds."""
    profiles = [PROFILES[name] for name in registry.profiles]
    found = []
    for mission, path in paths:
        profile, match = next(((p.name, m) for p in profiles
                               if (m := p.recognise(path)) is not None), (None, None))
        if match is None:
            raise RuntimeError(f"no profile recognises {path}")
        collection = registry.collection_for(profile, match.key)
        if collection is None:
            raise RuntimeError(f"{profile}: no collection for {match.key} ({path})")
        bands = [b.name for b in collection.bands if b.file == match.token]
        found.append((mission, path, match, collection, bands))
    return found


def records(found: list[tuple], where: dict[str, Place]) -> Pairs:
    """Product and LayerSource records as ingest's ``_describe`` makes them, rasters aside."""
    pairs: Pairs = []
    for mission, path, match, collection, bands in found:
        acquisition, place = match.acquisition, where[mission.layer]
        product = Product(
            collection=collection.id, name=match.product, platform=acquisition.platform,
            tile=acquisition.tile, time=_iso(acquisition.start), end=_iso(acquisition.end),
            version=acquisition.version, cloud_cover=None, crs=collection.grid.crs,
            bbox=FOOTPRINT_BOUNDS, footprint=FOOTPRINT_WKB, folder=str(match.folder),
            files=tuple((band, str(path), 1_000_000) for band in bands),
            properties=dict(acquisition.properties),
            signature=hashlib.sha256(str(path).encode()).hexdigest())
        pairs.append((product, [LayerSource(mission.layer, place.location, place.srs,
                                            place.bounds, place.geom)]))
    return pairs


def upsert_batches(index: ProductIndex, pairs: Pairs) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for first in range(0, len(pairs), BATCH):
        index.upsert_many(pairs[first:first + BATCH], stamp)


def bare_insert(path: Path, pairs: Pairs) -> None:
    """The same rows with three ``executemany`` in one transaction: SQLite's floor."""
    index = ProductIndex(path)  # the same schema and indexes
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with sqlite3.connect(index.path) as db:
        db.executemany(
            "INSERT INTO products (id, collection, name, platform, tile, time, end_time, date,"
            " version, cloud_cover, crs, minx, miny, maxx, maxy, footprint, folder, properties,"
            " signature, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?)",
            [(i, p.collection, p.name, p.platform, p.tile, p.time, p.end, p.date, p.version,
              p.cloud_cover, p.crs, *p.bbox, p.footprint, p.folder, p.properties_json(),
              p.signature, stamp) for i, (p, _) in enumerate(pairs, 1)])
        db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)",
                       [(i, *f) for i, (p, _) in enumerate(pairs, 1) for f in p.files])
        db.executemany(
            "INSERT INTO layer_sources (product_id, layer, date, location, srs, minx, miny,"
            " maxx, maxy, geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, s.layer, p.date, s.location, s.srs, *s.bounds, s.geom)
             for i, (p, sources) in enumerate(pairs, 1) for s in sources])


# -- 1. GetMap -----------------------------------------------------------------------------


class Direct:
    """``MapServer.dispatch`` in this process with the gateway's per-request tweak
    (``live.select``) on the same single-layer template; the layers' facts read once."""

    def __init__(self, settings: Settings, registry: Registry):
        self.mapserver, self.registry = MapServer(settings.mapfile), registry
        self.facts = LiveLayers(ProductIndex(settings.index)).facts()

    def __call__(self, params: dict[str, str]) -> Answer:
        layer = params["LAYERS"]
        tweak = live.select(self.registry, self.facts, {layer: params["TIME"]})
        result = self.mapserver.dispatch([(k, v) for k, v in params.items() if k != "TIME"],
                                         [tweak], layer=layer)
        return Answer(result.status, result.content_type, result.body)


GATEWAY = "gateway (HTTP, gunicorn 1 worker)"
DIRECT = "in-process MapServer.dispatch + live.select"
WSGI = "gateway app in-process (no HTTP)"


def bench_getmap(settings: Settings, env: dict[str, str], registry: Registry, repeat: int,
                 report: MissionsReport) -> None:
    summaries = ProductIndex(settings.index).layer_summaries()[1]
    cases = [(layer, getmap(layer, bbox, summaries[layer][0][-1]))
             for layer, zooms in GETMAP_ZOOMS.items()
             for _, bbox in tiles(summaries[layer][1], registry.layer(layer)[0].grid.crs,
                                  zooms)]
    direct, wsgi, checker = Direct(settings, registry), WsgiInProcess(settings), SamePixels()
    drawn = [case for case in cases if (decode(direct(case[1]).body)[3] > 0).mean() >= 0.1]
    report.notes.append(f"GetMap: {len(cases) - len(drawn)} of {len(cases)} candidate tiles "
                        "left out, less than 10 % drawn (Sentinel-5P's unobserved cells)")
    cases = drawn
    log(f"getmap: {len(cases)} requests a pass, {repeat} passes")
    with gateway(env, workers=1) as url, requests.Session() as session:
        ways = {GATEWAY: [bind(http_get, session, f"{url}/ows", p) for _, p in cases],
                DIRECT: [bind(direct, p) for _, p in cases],
                WSGI: [bind(wsgi, "/ows", p) for _, p in cases]}
        timings = run_interleaved(ways, checker, warmup=1, repeat=repeat)
    differences = checker.differences(list(ways))
    if differences:
        raise RuntimeError("; ".join(differences[:5]))
    for layer in GETMAP_ZOOMS:
        stats = {way: Stats.of(f"{layer}: {way}", [t for i, t in enumerate(values)
                                                   if cases[i % len(cases)][0] == layer])
                 for way, values in timings.items()}
        report.stats += stats.values()
        value = ratio(stats[GATEWAY], stats[DIRECT])
        report.add(Row(f"GetMap {layer} median", stats[GATEWAY].median_ms,
                       stats[DIRECT].median_ms, "ms", value, f"<= {TARGET_GETMAP}",
                       value <= TARGET_GETMAP), f"getmap {layer} gateway/in-process")
        report.add(Row(f"  gateway app without HTTP ({layer})", stats[WSGI].median_ms,
                       stats[DIRECT].median_ms, "ms", ratio(stats[WSGI], stats[DIRECT])))
    report.notes.append(f"GetMap: {len(cases)} requests x {repeat} passes per way, identical "
                        f"pixels in every way, opaque share >= {min(checker.opaque):.2f}")
    report.extra["getmap"] = {"requests": [p for _, p in cases],
                              "samples_ms": {w: [t * 1000 for t in v]
                                             for w, v in timings.items()}}


# -- 2. GetCapabilities --------------------------------------------------------------------


def caps_root(root: Path, registry: Registry, where: dict[str, Place], dates: int
              ) -> tuple[Settings, dict[str, str]]:
    """A deployment whose index holds ``dates`` dates of one layer of each collection."""
    settings, env = settings_for(root)
    generate_configs(registry, settings)
    found = recognise_all(synthetic_paths(dates * len(MISSIONS), tiles_per_date=False),
                          registry)
    upsert_batches(ProductIndex(settings.index), records(found, where))
    return settings, env


def caps_check(expected: int) -> Callable[[str, int, Answer], None]:
    def check(way: str, number: int, answer: Answer) -> None:
        lists = DIMENSION.findall(answer.body)
        if answer.status != 200 or "xml" not in answer.content_type or \
                len(lists) != len(MISSIONS) or \
                any(len(v.split(b",")) != expected for v in lists):
            raise RuntimeError(f"{way}: unexpected capabilities (status {answer.status}, "
                               f"{[len(v.split(b',')) for v in lists]} dates per layer): "
                               f"{answer.body[:300]!r}")
    return check


def bench_capabilities(tmp: Path, registry: Registry, where: dict[str, Place], dates: int,
                       repeat: int, report: MissionsReport) -> None:
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}
    started = time.perf_counter()
    big = caps_root(tmp / "caps-big", registry, where, dates)
    small = caps_root(tmp / "caps-small", registry, where, BASELINE_DATES)
    log(f"capabilities: synthetic indexes ready in {time.perf_counter() - started:.1f} s")
    per_pass, wsgi = 5, WsgiInProcess(big[0])
    labels = (f"{dates} dates", f"{BASELINE_DATES} dates", f"{dates} dates, app in-process")
    expected = dict(zip(labels, (dates, BASELINE_DATES, dates), strict=True))
    with gateway(big[1]) as big_url, gateway(small[1]) as small_url, \
            requests.Session() as session:
        cases = (bind(http_get, session, f"{big_url}/ows", params),
                 bind(http_get, session, f"{small_url}/ows", params), bind(wsgi, "/ows", params))
        ways = {label: [case] * per_pass for label, case in zip(labels, cases, strict=True)}
        samples = run_interleaved(ways, lambda w, n, a: caps_check(expected[w])(w, n, a),
                                  warmup=1, repeat=repeat)
        sizes = {label: len(case().body) for label, case in zip(labels, cases, strict=True)}
    stats = {label: Stats.of(f"GetCapabilities, {label}", v) for label, v in samples.items()}
    report.stats += stats.values()
    p95 = {label: percentile(sorted(t * 1000 for t in v), 95.0) for label, v in samples.items()}
    big_stats, small_stats = stats[labels[0]], stats[labels[1]]
    report.add(Row(f"GetCapabilities 6 x {dates} dates p50", big_stats.median_ms,
                   small_stats.median_ms, "ms", ratio(big_stats, small_stats),
                   f"< {TARGET_CAPS_P50_MS:.0f} ms", big_stats.median_ms < TARGET_CAPS_P50_MS),
               f"capabilities {dates} dates p50 ms", big_stats.median_ms)
    report.ratios[f"capabilities {dates}/{BASELINE_DATES} dates p50"] = \
        ratio(big_stats, small_stats)
    report.add(Row(f"GetCapabilities 6 x {dates} dates p95", p95[labels[0]], p95[labels[1]],
                   "ms", p95[labels[0]] / p95[labels[1]]))
    report.add(Row("  app in-process (no HTTP) vs gateway, p50", stats[labels[2]].median_ms,
                   big_stats.median_ms, "ms", ratio(stats[labels[2]], big_stats)))
    report.notes.append(f"GetCapabilities: baseline = the same request on {BASELINE_DATES} "
                        f"dates a layer; {per_pass} x {repeat} requests a way; "
                        f"{sizes[labels[0]]:,} vs {sizes[labels[1]]:,} bytes")
    report.extra["capabilities"] = {"p95_ms": p95, "bytes": sizes, "samples_ms": {
        w: [t * 1000 for t in v] for w, v in samples.items()}}


# -- 3. ingest -----------------------------------------------------------------------------


PROFILE_GROUPS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("SQLite commit + close (WAL checkpoint) per batch",
     lambda f, n: "sqlite3.Connection" in n and ("close" in n or "__exit__" in n)),
    ("SQLite statements", lambda f, n: "sqlite3.Connection" in n and "execute" in n),
    ("datetime.strptime", lambda f, n: f.endswith(("_strptime.py", "/locale.py"))
     or "strptime" in n),
    ("pathlib", lambda f, n: f.endswith("pathlib.py")),
    ("Registry.collection_for", lambda f, n: f.endswith("loader.py")),
    ("regular expressions", lambda f, n: "re.Pattern" in n),
    ("json (properties)", lambda f, n: "/json/" in f),
)


def profile_metadata(paths: list[tuple[Mission, Path]], registry: Registry,
                     where: dict[str, Place], folder: Path) -> tuple[dict[str, float], str]:
    """cProfile of the metadata path: own time per group of functions (share of the total)
    and the top of the profile."""
    profiler = cProfile.Profile()
    profiler.enable()
    upsert_batches(ProductIndex(folder / "profiled.sqlite"),
                   records(recognise_all(paths, registry), where))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(15)
    own = {(f, n): row[2] for (f, _, n), row in stats.stats.items()}
    total, shares = sum(own.values()), {}
    for group, member in PROFILE_GROUPS:
        keys = [key for key in own if member(*key)]
        shares[group] = sum(own.pop(key) for key in keys) / total
    shares["the rest"] = sum(own.values()) / total
    return shares, out.getvalue()


def bench_ingest(tmp: Path, archive: Path, registry: Registry, where: dict[str, Place],
                 count: int, report: MissionsReport) -> None:
    paths = synthetic_paths(count)
    rounds: dict[str, list[float]] = {"recognise": [], "records": [], "upsert_many": [],
                                      "bare executemany": []}
    for number in range(3):
        started = time.perf_counter()
        found = recognise_all(paths, registry)
        rounds["recognise"].append(time.perf_counter() - started)
        started = time.perf_counter()
        pairs = records(found, where)
        rounds["records"].append(time.perf_counter() - started)
        started = time.perf_counter()
        upsert_batches(ProductIndex(tmp / f"upsert-{number}.sqlite"), pairs)
        rounds["upsert_many"].append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_insert(tmp / f"bare-{number}.sqlite", pairs)
        rounds["bare executemany"].append(time.perf_counter() - started)
    if len({p.name for p, _ in pairs}) != count:
        raise RuntimeError("synthetic products are not distinct")
    best = {stage: statistics.median(values) for stage, values in rounds.items()}
    metadata = best["recognise"] + best["records"] + best["upsert_many"]
    rate = count / metadata
    report.add(Row(f"ingest metadata path, {count:,} products", rate, None, "products/s",
                   None, f">= {TARGET_RATE:,.0f}/s", rate >= TARGET_RATE),
               "ingest metadata products/s", rate)
    for stage in ("recognise", "records"):
        report.add(Row(f"  {stage}", count / best[stage], None, "products/s", None))
    report.add(Row("  upsert_many (baseline: bare executemany)", count / best["upsert_many"],
                   count / best["bare executemany"], "products/s",
                   best["bare executemany"] / best["upsert_many"]))
    report.extra["ingest_stage_seconds"] = rounds
    shares, text = profile_metadata(paths, registry, where, tmp)
    report.extra["metadata_profile"] = {"own_time_shares": shares, "top": text}
    report.notes.append("metadata path, cProfile own time: " + ", ".join(
        f"{group} {share:.0%}" for group, share in shares.items()))
    if rate < TARGET_RATE:
        log(text)

    full, again, products = [], [], 0
    for number in range(2):
        index = ProductIndex(tmp / f"full-{number}" / "index.sqlite")
        started = time.perf_counter()
        products = len(ingest(archive, registry, index, tmp / f"full-{number}" / "derived")
                       .products)
        full.append(time.perf_counter() - started)
        started = time.perf_counter()
        changed = ingest(archive, registry, index, tmp / f"full-{number}" / "derived").changed
        again.append(time.perf_counter() - started)
        if changed:
            raise RuntimeError("an unchanged re-ingest changed products")
    rate_full = products / statistics.median(full)
    report.add(Row(f"full ingest, tiny archive ({products} products)", rate_full, rate,
                   "products/s", rate_full / rate), "full ingest / metadata path")
    report.add(Row("  re-ingest, unchanged", products / statistics.median(again), rate,
                   "products/s", products / statistics.median(again) / rate))
    report.extra["full_ingest_seconds"] = {"fresh": full, "unchanged": again}


# -- the benchmark -------------------------------------------------------------------------


def run(repeat: int = 10, products: int = 10_000, dates: int = 1000) -> MissionsReport:
    report, load_before = MissionsReport("missions", COMMAND), os.getloadavg()
    registry = load(LAYERS_DIR)
    with tempfile.TemporaryDirectory(prefix="eoscope-bench-missions-") as name:
        tmp = Path(name)
        settings, env = settings_for(tmp / "tiny")
        started = time.perf_counter()
        generate_all(settings.archive, ARCHIVE)
        log(f"tiny archive generated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        first = ingest(settings.archive, registry, ProductIndex(settings.index),
                       settings.derived_dir)
        report.extra["first_ingest_s"] = time.perf_counter() - started
        if first.skipped:
            raise RuntimeError(f"ingest skipped files: {first.skipped[:3]}")
        generate_configs(registry, settings)
        where = places(ProductIndex(settings.index))
        bench_getmap(settings, env, registry, repeat, report)
        bench_capabilities(tmp, registry, where, dates, repeat, report)
        bench_ingest(tmp, settings.archive, registry, where, products, report)
    report.notes.append(load_note(load_before))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "missions.json"
    path.write_text(json.dumps({
        "benchmark": report.benchmark, "command": report.command,
        "when": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"), "machine": machine(),
        "rows": [asdict(r) for r in report.rows], "stats": [asdict(s) for s in report.stats],
        "ratios": report.ratios, "targets": report.targets, "met": report.met,
        "notes": report.notes, **report.extra}, indent=2))
    log(f"results: {path}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed passes (default 10)")
    parser.add_argument("--products", type=int, default=10_000,
                        help="synthetic products for the ingest rate (default 10,000)")
    parser.add_argument("--dates", type=int, default=1000,
                        help="dates per layer for GetCapabilities (default 1,000)")
    args = parser.parse_args(argv)
    report = run(args.repeat, args.products, args.dates)
    print(report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
