"""Catalogue benchmark: 1,000,000 synthetic products in the default SQLite index.

    .venv/bin/python -m bench.catalogue [--products 1000000] [--repeat 40]

Loads the products (bulk ``executemany`` in one transaction, and the ingest's own per-product
``ProductIndex.upsert`` on a sample), then times typical searches through
:mod:`services.index.search` and a few through OpenSearch in-process (werkzeug's test client),
and writes a JSON report to ``bench/results/catalogue-<time>.json``.

The synthetic archive: about 1,300 tiles of 1.2° x 0.9° over Europe, one NDVI product per tile
every 5 days from 2015, uniform cloud cover, one file each.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shapely import wkb
from shapely.geometry import box
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from services.catalogue.opensearch import OpenSearchService
from services.index.ingest import BATCH
from services.index.search import Interval, ProductQuery, ProductSearch
from services.index.store import LayerSource, Product, ProductIndex
from services.registry import load
from services.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
COLLECTION = "TERRASCOPE_S2_NDVI_V2"
URN = f"urn:eop:VITO:{COLLECTION}"
EPOCH = datetime(2015, 7, 1, 10, 30, tzinfo=UTC)
TILES = [(round(-10 + 1.2 * i, 2), round(35 + 0.9 * j, 2)) for i in range(34) for j in range(39)]
BELGIUM = (2.5, 49.5, 6.4, 51.5)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic(count: int, seed: int = 1) -> Iterator[tuple]:
    """(id, product row, file row) tuples, tile-major within each date as ingest would add;
    generated lazily (the same seed gives the same rows)."""
    rng = random.Random(seed)
    footprints = [wkb.dumps(box(x, y, x + 1.2, y + 0.9)) for x, y in TILES]
    for number in range(count):
        step, tile = divmod(number, len(TILES))
        x, y = TILES[tile]
        when = EPOCH + timedelta(days=5 * step, seconds=tile * 7)
        stamp = when.strftime("%Y%m%dT%H%M%S")
        name = f"S2{'AB'[step % 2]}_{stamp}_T{tile:04d}_NDVI_V200"
        folder = f"/archive/NDVI_V2/{when:%Y/%m/%d}/{name}"
        yield (number + 1, (
            number + 1, COLLECTION, name, f"S2{'AB'[step % 2]}", f"T{tile:04d}",
            when.strftime("%Y-%m-%dT%H:%M:%SZ"), when.strftime("%Y-%m-%d"), "200",
            round(rng.uniform(0, 100), 2), "EPSG:32631", x, y, x + 1.2, y + 0.9,
            footprints[tile], folder, "synthetic", "2024-01-01T00:00:00+00:00"),
            (number + 1, "NDVI", f"{folder}/{name.replace('_V200', '_10M_V200')}.tif",
             1_000_000))


def bulk_load(index: ProductIndex, count: int) -> float:
    """Seconds to generate and insert ``count`` products and their files in one transaction
    (generation included: a conservative figure)."""
    start = time.perf_counter()
    with sqlite3.connect(index.path) as db:
        db.executemany("INSERT INTO products (id, collection, name, platform, tile, time, date,"
                       " version, cloud_cover, crs, minx, miny, maxx, maxy, footprint, folder,"
                       " signature, ingested_at, end_time, properties) VALUES (?, ?, ?, ?, ?,"
                       " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
                       (r[1] + (r[1][5],) for r in synthetic(count)))
        db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)",
                       (r[2] for r in synthetic(count)))
    return time.perf_counter() - start


def upsert_rate(folder: Path, count: int) -> float:
    """Products per second through the ingest's own ``ProductIndex.upsert_many`` (batches of
    ``ingest.BATCH`` products per transaction, each with a layer source, as ingest writes
    them)."""
    index = ProductIndex(folder / "upsert.sqlite")
    items = []
    for _, p, f in synthetic(count, seed=2):
        product = Product(collection=p[1], name=p[2], platform=p[3], tile=p[4], time=p[5],
                          end=p[5], version=p[7], cloud_cover=p[8], crs=p[9],
                          bbox=tuple(p[10:14]), footprint=p[14], folder=p[15],
                          files=((f[1], f[2], f[3]),), signature=p[16])
        items.append((product, [LayerSource("CGS_S2_NDVI", f[2], "EPSG:32631",
                                            tuple(p[10:14]), p[14])], p[17]))
    start = time.perf_counter()
    for first in range(0, count, BATCH):
        chunk = items[first:first + BATCH]
        index.upsert_many([(product, sources) for product, sources, _ in chunk], chunk[0][2])
    return count / (time.perf_counter() - start)


def timed(function: Callable[[], object], repeat: int) -> dict:
    function()  # warm up (page cache, statement cache)
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    return {"p50_ms": round(1000 * statistics.median(seconds), 2),
            "p90_ms": round(1000 * seconds[int(0.9 * (len(seconds) - 1))], 2),
            "max_ms": round(1000 * seconds[-1], 2), "n": repeat}


def random_query(rng: random.Random, **overrides) -> ProductQuery:
    """A typical user search: a field-sized box, a month, at most 30 % clouds."""
    x, y = rng.uniform(-9, 29), rng.uniform(36, 68)
    start = EPOCH + timedelta(days=rng.randrange(0, 3000))
    values = {"collections": (COLLECTION,), "bbox": (x, y, x + 0.2, y + 0.2),
              "start": start, "end": start + timedelta(days=31),
              "cloud_cover": Interval(high=30.0), "limit": 100}
    return ProductQuery(**{**values, **overrides})


def search_cases(search: ProductSearch, seed: int) -> dict[str, Callable[[], object]]:
    rng = random.Random(seed)
    belgium_year = {"bbox": BELGIUM, "start": datetime(2020, 1, 1, tzinfo=UTC),
                    "end": datetime(2020, 12, 31, tzinfo=UTC)}
    return {
        "bbox+time+cloudCover, page of 100": lambda: search.search(random_query(rng)),
        "bbox+time+cloudCover, count=0": lambda: search.count(random_query(rng)),
        "Belgium, one year, page of 100": lambda: search.search(
            random_query(rng, **belgium_year, cloud_cover=None)),
        "Belgium, one year, count=0": lambda: search.count(
            random_query(rng, **belgium_year, cloud_cover=None)),
        "Belgium, all years, deep page (startIndex 10001)": lambda: search.search(
            random_query(rng, bbox=BELGIUM, start=None, end=None, cloud_cover=None,
                         offset=10_000)),
        "whole collection, count=0": lambda: search.count(
            ProductQuery(collections=(COLLECTION,))),
        "title (uid) lookup": lambda: search.search(ProductQuery(
            collections=(COLLECTION,), names=(f"S2A_20200101T103000_T{rng.randrange(1326):04d}"
                                              "_NDVI_V200",))),
    }


def http_cases(service: OpenSearchService, seed: int) -> dict[str, Callable[[], object]]:
    def app(environ, start_response):
        request = Request(environ)
        answer = service.handle(request.path.removeprefix("/catalogue/"),
                                request.args.to_dict(flat=True), "http://bench",
                                request.headers.get("Accept"))
        return Response(answer.body, answer.status, content_type=answer.content_type)(
            environ, start_response)

    client, rng = Client(app), random.Random(seed)

    def get(**params) -> None:
        response = client.get("/catalogue/products", query_string={"collection": URN, **params})
        assert response.status_code == 200, response.text

    def typical(**extra) -> dict:
        x, y = rng.uniform(-9, 29), rng.uniform(36, 68)
        day = (EPOCH + timedelta(days=rng.randrange(0, 3000))).date()
        return {"bbox": f"{x},{y},{x + 0.2},{y + 0.2}", "start": day.isoformat(),
                "end": (day + timedelta(days=31)).isoformat(), "cloudCover": "30]", **extra}

    def collections() -> None:
        assert client.get("/catalogue/collections").status_code == 200

    return {
        "HTTP collections (extent and count of 1,000,000)": collections,
        "HTTP GeoJSON bbox+time+cloudCover": lambda: get(**typical()),
        "HTTP count=0 bbox+time+cloudCover": lambda: get(**typical(count=0)),
        "HTTP GeoJSON Belgium 2020, 100 features": lambda: get(
            bbox=",".join(map(str, BELGIUM)), start="2020-01-01", end="2020-12-31"),
        "HTTP Atom Belgium 2020, 100 entries": lambda: get(
            bbox=",".join(map(str, BELGIUM)), start="2020-01-01", end="2020-12-31",
            httpAccept="application/atom+xml"),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--upserts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eoscope-bench-catalogue-") as tmp:
        folder = Path(tmp)
        index = ProductIndex(folder / "index.sqlite")
        log(f"loading {args.products:,} synthetic products ...")
        seconds = bulk_load(index, args.products)
        log(f"bulk insert: {args.products / seconds:,.0f} products/s")
        report = {"products": args.products, "bulk_insert_s": round(seconds, 2),
                  "bulk_insert_products_per_s": round(args.products / seconds),
                  "upsert_products_per_s": round(upsert_rate(folder, args.upserts)),
                  "index_mb": round((folder / "index.sqlite").stat().st_size / 2**20, 1),
                  "queries": {}}
        log(f"ingest upsert: {report['upsert_products_per_s']:,} products/s")
        search = ProductSearch(index.path)
        service = OpenSearchService(load(PROJECT_ROOT / "layers"), search, Path("/archive"))
        cases = {**search_cases(search, 3), **http_cases(service, 4)}
        for name, function in cases.items():
            report["queries"][name] = timed(function, args.repeat)
            log(f"{name:55s} {report['queries'][name]}")
    report["machine"] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                         "platform": platform.platform()}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    target = RESULTS_DIR / f"catalogue-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    log(f"written {target}")
    return report


if __name__ == "__main__":
    main()
