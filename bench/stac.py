"""STAC /search against OpenSearch on 1,000,000 synthetic products, in one run.

    .venv/bin/python -m bench.stac [--products 1000000] [--repeat 40] [--limit 10]

The index of :mod:`bench.catalogue` (the same generator and bulk load); both services answer
in-process through werkzeug's test client, the same sequence of typical searches (a 0.2° box,
a month, cloud cover ≤ 30 %), a page of ``--limit`` features, interleaved one STAC, one
OpenSearch. Reports p50/p90 of each, their ratio, and the STAC first page (no token) with the
filter in CQL2 text and in JSON; JSON goes to ``bench/results/stac-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from bench.catalogue import EPOCH, RESULTS_DIR, URN, bulk_load, log
from services.catalogue.opensearch import OpenSearchService
from services.catalogue.stac.service import StacService
from services.index.search import ProductSearch
from services.index.store import ProductIndex
from services.registry import load
from services.settings import PROJECT_ROOT

COLLECTION = URN.rsplit(":", 1)[1]


def queries(count: int, seed: int = 5) -> list[tuple[str, str, str]]:
    """(bbox, start, end) of typical searches."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        x, y = rng.uniform(-9, 29), rng.uniform(36, 68)
        day = EPOCH + timedelta(days=rng.randrange(0, 3000))
        end = day + timedelta(days=31)
        found.append((f"{x:.4f},{y:.4f},{x + 0.2:.4f},{y + 0.2:.4f}",
                      f"{day:%Y-%m-%d}T00:00:00Z", f"{end:%Y-%m-%d}T00:00:00Z"))
    return found


def clients(index: Path) -> tuple[Client, Client]:
    registry, search = load(PROJECT_ROOT / "layers"), ProductSearch(index)
    opensearch = OpenSearchService(registry, search, Path("/archive"))
    stac = StacService(registry, search, Path("/archive"))

    def opensearch_app(environ, start_response):
        request = Request(environ)
        answer = opensearch.handle(request.path.removeprefix("/catalogue/"),
                                   request.args.to_dict(flat=True), "http://bench",
                                   request.headers.get("Accept"))
        return Response(answer.body, answer.status, content_type=answer.content_type)(
            environ, start_response)

    def stac_app(environ, start_response):
        request = Request(environ)
        answer = stac.handle(request.path.removeprefix("/stac"), request.method,
                             request.args.to_dict(flat=True), request.get_data(),
                             "http://bench")
        return Response(answer.body, answer.status, content_type=answer.content_type)(
            environ, start_response)

    return Client(stac_app), Client(opensearch_app)


def _stats(seconds: list[float]) -> dict:
    seconds = sorted(seconds)
    return {"p50_ms": round(1000 * statistics.median(seconds), 2),
            "p90_ms": round(1000 * seconds[int(0.9 * (len(seconds) - 1))], 2),
            "max_ms": round(1000 * seconds[-1], 2), "n": len(seconds)}


def run(stac: Client, opensearch: Client, repeat: int, limit: int) -> dict:
    def stac_text(bbox, start, end):
        return stac.get("/stac/search", query_string={
            "collections": COLLECTION, "bbox": bbox, "datetime": f"{start}/{end}",
            "filter": "eo:cloud_cover <= 30", "filter-lang": "cql2-text", "limit": limit})

    def stac_json(bbox, start, end):
        return stac.post("/stac/search", json={
            "collections": [COLLECTION], "bbox": [float(v) for v in bbox.split(",")],
            "datetime": f"{start}/{end}", "filter-lang": "cql2-json", "limit": limit,
            "filter": {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 30]}})

    def open_search(bbox, start, end):
        return opensearch.get("/catalogue/products", query_string={
            "collection": URN, "bbox": bbox, "start": start, "end": end, "cloudCover": "30]",
            "count": limit})

    ways: dict[str, Callable] = {"STAC GET /search (CQL2 text)": stac_text,
                                 "STAC POST /search (CQL2 JSON)": stac_json,
                                 "OpenSearch /catalogue/products": open_search}
    cases = queries(repeat + 1)
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    matched: dict[str, list[int]] = {name: [] for name in ways}
    for number, case in enumerate(cases):
        for name, way in ways.items():
            start = time.perf_counter()
            response = way(*case)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.text
            body = response.get_json()
            matched[name].append(body.get("numberMatched", body.get("totalResults")))
            if number:  # the first pass warms up
                seconds[name].append(elapsed)
    assert len({tuple(m) for m in matched.values()}) == 1, "the services disagree on counts"
    report = {name: _stats(s) for name, s in seconds.items()}
    base = report["OpenSearch /catalogue/products"]["p50_ms"]
    for name in ways:
        report[name]["ratio_to_opensearch"] = round(report[name]["p50_ms"] / base, 2)
    report["mean_matched"] = round(statistics.mean(matched["OpenSearch /catalogue/products"]),
                                   1)
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eoscope-bench-stac-") as tmp:
        index = ProductIndex(Path(tmp) / "index.sqlite")
        log(f"loading {args.products:,} synthetic products ...")
        load_s = bulk_load(index, args.products)
        stac, opensearch = clients(index.path)
        report = {"products": args.products, "bulk_insert_s": round(load_s, 1),
                  "limit": args.limit, "queries": run(stac, opensearch, args.repeat, args.limit)}
    for name, figures in report["queries"].items():
        log(f"{name:35s} {figures}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    target = RESULTS_DIR / f"stac-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    log(f"written {target}")
    return report


if __name__ == "__main__":
    main()
