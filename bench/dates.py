"""Cost as dates grow: capabilities, GetMap and the ingest's index writes at 24 to 10,000 dates.

``python -m bench.dates [--dates 24,120,600,10000] [--repeat 5]``

Synthetic indexes (as ``bench.missions`` part 2: rows through ``ProductIndex.upsert_many``
in ingest's batches, each source naming a real view file of the small six-source demo archive),
one layer of each of the six collections with N dates each, N = 24, 120, 600 and 10,000. One
gateway per index (gunicorn, 1 worker), asked in turn (interleaved passes):

* WMS 1.3.0 GetCapabilities, checked: six time dimensions of exactly N values;
* WMTS GetCapabilities (``/wmts/1.0.0/WMTSCapabilities.xml``), checked: N time values a layer;
* WMS GetMap 256 x 256 of ``PROBAV_S10_TOC_333M_NDVI`` on its latest date, checked: the same
  PNG bytes at every N;
* the floor of sending the WMTS document to this client: the gateway's own document at each N
  as a static file, with its gzipped form beside it (nginx ``gzip_static``, gzip level 5 as the
  gateway), through the same ``requests`` session.

The ingest's share: the time of the index writes for the 6 x N products (the metadata path's
``upsert_many``), and products per second, which should not fall as N grows (linear).
Targets (issue 14): at the largest N, capabilities p50 <= 2 x and GetMap <= 1.1 x their 24-date
figures; ingest linear. Writes ``bench/results/dates-<time>.json``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from bench.common import (
    Report,
    Stats,
    bind,
    gateway,
    http_get,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
    static_server,
)
from bench.missions import (
    ARCHIVE,
    LAYERS_DIR,
    MISSIONS,
    places,
    recognise_all,
    records,
    synthetic_paths,
    upsert_batches,
)
from bench.wms_getmap import check_png, getmap, tiles
from services.demo.sources import generate_all
from services.generate import generate_all as generate_configs
from services.index import ProductIndex, ingest
from services.registry import load
from tests.conftest import settings_for

COMMAND = "python -m bench.dates"
DATES = (24, 120, 600, 10_000)
LAYER = "PROBAV_S10_TOC_333M_NDVI"
WMS_DIMENSION = re.compile(rb'<Dimension name="time"[^>]*>([^<]*)</Dimension>')
WMTS_VALUES = re.compile(rb"<Value>(\d{4}-\d\d-\d\d)</Value>")
TARGET_CAPS, TARGET_GETMAP = 2.0, 1.1
STATIC_CAPS = "WMTS GetCapabilities document as a static file (nginx)"


def build(root: Path, registry, where, dates: int) -> tuple[dict[str, str], float, str, float]:
    """A deployment whose index holds ``dates`` dates of one layer of each collection:
    (environment, seconds of the index writes, latest date of LAYER, seconds of writing them
    all again: every product replaced, as a re-ingest of changed products does)."""
    settings, env = settings_for(root)
    generate_configs(registry, settings)
    found = recognise_all(synthetic_paths(dates * len(MISSIONS), tiles_per_date=False),
                          registry)
    pairs = records(found, where)
    started = time.perf_counter()
    upsert_batches(ProductIndex(settings.index), pairs)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    upsert_batches(ProductIndex(settings.index), pairs)
    again = time.perf_counter() - started
    latest = max(p.date for p, sources in pairs if sources[0].layer == LAYER)
    return env, seconds, latest, again


def check_for(dates: dict[str, int], getmap_bytes: dict[str, bytes]):
    def check(way: str, number: int, answer) -> None:
        expected = dates[way]
        if way.startswith("WMS GetCapabilities"):
            lists = WMS_DIMENSION.findall(answer.body)
            ok = answer.status == 200 and len(lists) == len(MISSIONS) and \
                all(len(v.split(b",")) == expected for v in lists)
        elif way.startswith("WMTS GetCapabilities"):
            values = WMTS_VALUES.findall(answer.body)
            ok = answer.status == 200 and len(values) == expected * len(MISSIONS)
        else:
            check_png(way, number, answer)
            first = getmap_bytes.setdefault("first", answer.body)
            ok = answer.body == first
        if not ok:
            raise RuntimeError(f"{way}: unexpected answer (status {answer.status}): "
                               f"{answer.body[:300]!r}")
    return check


def run(counts: tuple[int, ...] = DATES, repeat: int = 5) -> Report:
    load_before = os.getloadavg()
    registry = load(LAYERS_DIR)
    report = Report("dates", COMMAND)
    with tempfile.TemporaryDirectory(prefix="eoscope-bench-dates-") as name:
        tmp = Path(name)
        settings, _ = settings_for(tmp / "tiny")
        generate_all(settings.archive, ARCHIVE)
        ingest(settings.archive, registry, ProductIndex(settings.index), settings.derived_dir)
        where = places(ProductIndex(settings.index))
        extent = where[LAYER].bounds
        bbox = tiles(extent, registry.layer(LAYER)[0].grid.crs, (11,), 1)[0][1]
        built = {}
        for count in counts:
            built[count] = build(tmp / f"d{count}", registry, where, count)
            log(f"dates: {count} dates x {len(MISSIONS)} layers written in "
                f"{built[count][1]:.1f} s")
        wms_caps = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}
        low, high = min(counts), max(counts)
        ways, expected = {}, {}
        with requests.Session() as session, ExitStack() as stack:
            urls = {count: stack.enter_context(gateway(env, workers=1))
                    for count, (env, *_) in built.items()}
            for count, url in urls.items():
                latest = built[count][2]
                for kind, path, params in (
                        ("WMS GetCapabilities", "/ows", wms_caps),
                        ("WMTS GetCapabilities", "/wmts/1.0.0/WMTSCapabilities.xml", {}),
                        ("WMS GetMap 256", "/ows", getmap(LAYER, bbox, latest))):
                    way = f"{kind}, {count} dates"
                    ways[way] = [bind(http_get, session, url + path, params)] * 5
                    expected[way] = count
            # the floor of sending a WMTS document to this client: the gateway's own bytes as a
            # static file, gzipped as the gateway does (nginx gzip_static)
            static = tmp / "static"
            static.mkdir()
            for count, url in urls.items():
                document = session.get(url + "/wmts/1.0.0/WMTSCapabilities.xml", timeout=120)
                (static / f"wmts-{count}.xml").write_bytes(document.content)
                (static / f"wmts-{count}.xml.gz").write_bytes(
                    gzip.compress(document.content, compresslevel=5, mtime=0))
            by_nginx, static_url = stack.enter_context(static_server(
                static, tmp / "nginx", f"/wmts-{low}.xml", gzip_static=True))
            for count in counts:
                way = f"{STATIC_CAPS}, {count} dates"
                ways[way] = [bind(http_get, session, f"{static_url}/wmts-{count}.xml", {})] * 5
                expected[way] = count
            # same-kind ways side by side: interleaving is per way, over all of them
            timings = run_interleaved(ways, check_for(expected, {}), warmup=1, repeat=repeat)
    stats = {way: Stats.of(way, values) for way, values in timings.items()}
    report.stats += stats.values()
    for kind, target in (("WMS GetCapabilities", TARGET_CAPS),
                         ("WMTS GetCapabilities", TARGET_CAPS), ("WMS GetMap 256", TARGET_GETMAP)):
        for count in counts[1:]:
            key = f"{kind} {count}/{low} dates"
            report.ratios[key] = ratio(stats[f"{kind}, {count} dates"],
                                       stats[f"{kind}, {low} dates"])
        key = f"{kind} {high}/{low} dates"
        report.targets[key] = f"<= {target}"
        report.met[key] = report.ratios[key] <= target
    for count in counts:
        report.ratios[f"WMTS GetCapabilities {count} dates, gateway/static file"] = ratio(
            stats[f"WMTS GetCapabilities, {count} dates"], stats[f"{STATIC_CAPS}, {count} dates"])
    report.ratios[f"{STATIC_CAPS} {high}/{low} dates"] = ratio(
        stats[f"{STATIC_CAPS}, {high} dates"], stats[f"{STATIC_CAPS}, {low} dates"])
    if not by_nginx:
        report.notes.append("nginx is not installed: the static file is sent by Python's "
                            "http.server, without gzip")
    for what, at in (("index writes", 1), ("index rewrites", 3)):
        rates = {count: count * len(MISSIONS) / built[count][at] for count in counts}
        for count in counts[1:]:
            report.ratios[f"{what}, products/s {count}/{low} dates"] = rates[count] / rates[low]
        key = f"{what}, products/s {high}/{low} dates"
        report.targets[key] = ">= 0.8 (linear)"
        report.met[key] = report.ratios[key] >= 0.8
        report.notes.append(f"{what}: " + ", ".join(
            f"{c * len(MISSIONS):,} products {built[c][at]:.2f} s ({rates[c]:,.0f}/s)"
            for c in counts))
    report.notes.append(f"{len(MISSIONS)} layers with N dates each; 5 requests x {repeat} passes "
                        "a way; gateways gunicorn 1 worker")
    report.notes.append(load_note(load_before))
    path = save(report, {"counts": list(counts)})
    log(f"results: {path}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--dates", default=",".join(map(str, DATES)),
                        help="date counts, comma-separated (default 24,120,600,10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (default 5)")
    args = parser.parse_args(argv)
    counts = tuple(sorted(int(c) for c in args.dates.split(",")))
    print(run(counts, args.repeat).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
