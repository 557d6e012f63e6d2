"""Run every benchmark and print one table: ``python -m bench.run`` (``make bench``).

Each benchmark also writes its JSON to bench/results/; this writes a summary beside them. The
exit status is 0 whatever the numbers: targets are reported, not asserted (timings depend on
the machine and on what else runs on it).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from bench import area, missions, wcs_getcoverage, wms_getmap, wms_throughput
from bench.common import RESULTS_DIR, Report, log, machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 timed passes instead of 10")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the gateway app without HTTP and with a lean client")
    parser.add_argument("--variants", action="store_true",
                        help="also time in-process variants of the WMS path (see README)")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 10
    started = time.perf_counter()
    reports: list[Report] = [
        wms_getmap.run(repeat=repeat, breakdown=args.breakdown, variants=args.variants),
        wms_throughput.run(passes=2 if args.quick else 5),
        wcs_getcoverage.run(repeat=repeat, breakdown=args.breakdown),
        missions.run(repeat=repeat),
        area.run(repeat=3 if args.quick else 5),
    ]
    elapsed = time.perf_counter() - started
    print("\n\n".join(r.table() for r in reports))
    print("\n## targets")
    for report in reports:
        for name, target in report.targets.items():
            verdict = "met" if report.met[name] else "MISSED"
            print(f"{report.benchmark:16} {name:24} {report.ratios[name]:6.3f}  "
                  f"(target {target})  {verdict}")
    print(f"\n{elapsed:.0f} s in all")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    summary = RESULTS_DIR / f"run-{stamp}.json"
    summary.write_text(json.dumps({
        "when": stamp, "machine": machine(), "seconds": elapsed,
        "ratios": {r.benchmark: r.ratios for r in reports},
        "met": {r.benchmark: r.met for r in reports},
        "medians_ms": {r.benchmark: {s.name: s.median_ms for s in r.stats} for r in reports},
    }, indent=2))
    log(f"summary: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
