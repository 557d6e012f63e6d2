"""Time series latency: the gateway vs the floor of reading the same pixels with rasterio.

``python -m bench.timeseries`` — on a 72-date archive (3 x 3 km, one 31UES product a date),
CGS_S2_NDVI over the whole season, two kinds of request, sequentially:

* point: ``GET /timeseries/v1.0/ts/CGS_S2_NDVI/point`` at 4 points in different 256 x 256
  blocks; the floor opens each of the 72 NDVI files in this process and reads that one pixel
  (``rasterio.open`` + a 1 x 1 window read, inside one ``rasterio.Env``);
* polygon: ``POST .../geometry`` with 3 squares of 1 km² (100 x 100 pixels, their edges 0.5 m
  inside pixel edges, given in lon/lat); the floor opens each NDVI file and reads the square's
  100 x 100 window.

Targets (issue #14): the gateway within 1.5 x (point) and 2 x (polygon) of the warm floor:
the same NDVI and scene classification (SCL) reads with the files already open, as the service
keeps them; and a request whose files are not open yet (the gateway with its open-file cache
off, ``EOSCOPE_TS_OPEN_FILES=0``: every request is a first one) within 1.3 x of the cold floor
(open + read of the NDVI and SCL files). Also timed, for the record: the floor opening the NDVI
files only (the old target's), the same gateway through a bare ``http.client`` keep-alive
connection (no ``requests``, no gzip: the client's own cost), and with ``--variants`` gateways
with 1, 2 and 4 read threads (``EOSCOPE_TS_READ_THREADS``). Every gateway answer is checked
against values read from the files here: the dates, and per date the valid count (and the
point's value).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date

import rasterio
import requests
from pyproj import Transformer
from rasterio.windows import Window

from bench.common import (
    Answer,
    LeanClient,
    Report,
    Stats,
    bind,
    gateway_beside,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
)
from bench.common import archive as common_archive
from services.demo import DemoSpec
from services.index import ProductIndex
from services.registry import load
from services.settings import PROJECT_ROOT, Settings

SPEC = DemoSpec(seed=2018, size_km=3.0, dates=72, start=date(2018, 3, 1), end=date(2018, 10, 31))
LAYER = "CGS_S2_NDVI"
COLLECTION = "TERRASCOPE_S2_NDVI_V2"
SEASON = {"startDate": "2018-01-01", "endDate": "2018-12-31"}
POINTS = ((405, 2605), (1305, 1705), (2705, 2905), (2805, 205))  # metres from the SW corner
SQUARES = ((500, 500), (1000, 1700), (1900, 1000))  # SW corners, metres from the SW corner
COLD_FLOOR = "floor: open + read, NDVI + SCL files"
WARM_FLOOR = "floor: read only (files open), NDVI + SCL"
COLD_GATEWAY = "gateway, no open-file cache"
LEAN_GATEWAY = "gateway, http.client keep-alive (no requests, no gzip)"
TARGETS = {"point / warm floor": 1.5, "polygon / warm floor": 2.0,
           "point cold / cold floor": 1.3, "polygon cold / cold floor": 1.3}
COMMAND = "python -m bench.timeseries"
TO_LONLAT = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)


def archive() -> tuple[Settings, dict[str, str]]:
    """The 72-date archive under <bench dir>/timeseries (beside, not in place of, the other
    benchmarks' archive)."""
    return common_archive(SPEC, "timeseries")


@dataclass(frozen=True)
class Files:
    """Per date (oldest first) the NDVI file and the SCL file of the product."""

    dates: list[str]
    ndvi: list[str]
    scl: list[str]
    origin: tuple[float, float]  # SW corner of the area, EPSG:32631


def files(settings: Settings) -> Files:
    index = ProductIndex(settings.index)
    dates = index.dates(COLLECTION)
    ndvi, scl = [], []
    for day in dates:
        [(_, _, path)] = index.files(COLLECTION, day)
        ndvi.append(path)
        scl.append(next(p for _, b, p in index.files("TERRASCOPE_S2_TOC_V2", day) if b == "SCL"))
    with rasterio.open(ndvi[0]) as dataset:
        origin = (dataset.bounds.left, dataset.bounds.bottom)
    return Files(dates, ndvi, scl, origin)


# -- the floor -----------------------------------------------------------------------------


def floor_read(paths: list[str], windows: list[Window]) -> Answer:
    """Open each file and read its window, sequentially (the windows pair with the paths)."""
    out = []
    with rasterio.Env():
        for path, window in zip(paths, windows, strict=True):
            with rasterio.open(path) as dataset:
                out.append(dataset.read(1, window=window))
    return Answer(200, "dn", b"".join(a.tobytes() for a in out))


def open_read(datasets: list, windows: list[Window]) -> Answer:
    out = [d.read(1, window=w) for d, w in zip(datasets, windows, strict=True)]
    return Answer(200, "dn", b"".join(a.tobytes() for a in out))


def scl_window(window: Window) -> Window:
    """The 20 m scene classification window covering a 10 m window of the NDVI file (the demo
    SCL shares the NDVI file's origin)."""
    col0, row0 = window.col_off // 2, window.row_off // 2
    return Window(col0, row0, math.ceil((window.col_off + window.width) / 2) - col0,
                  math.ceil((window.row_off + window.height) / 2) - row0)


# -- the requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str  # point | polygon
    window: Window  # in the NDVI files
    query: dict
    body: dict | None
    expected: list[tuple[int, float | None]]  # per date: valid count, point value


def cases(data: Files) -> list[Case]:
    x0, y0 = data.origin
    with rasterio.open(data.ndvi[0]) as dataset:
        transform = dataset.transform
    result = []
    for east, north in POINTS:
        x, y = x0 + east + 2.5, y0 + north + 2.5
        row, col = rasterio.transform.rowcol(transform, x, y)
        window = Window(col, row, 1, 1)
        lon, lat = TO_LONLAT.transform(x, y)
        result.append(Case("point", window, {"lon": lon, "lat": lat, **SEASON}, None,
                           _expected(data, window, point=True)))
    for east, north in SQUARES:
        corners = [(x0 + east + dx, y0 + north + dy) for dx, dy in
                   ((0.5, 0.5), (999.5, 0.5), (999.5, 999.5), (0.5, 999.5), (0.5, 0.5))]
        row, col = rasterio.transform.rowcol(transform, corners[3][0], corners[3][1])
        window = Window(col, row, 100, 100)
        ring = [list(TO_LONLAT.transform(x, y)) for x, y in corners]
        result.append(Case("polygon", window, dict(SEASON),
                           {"type": "Polygon", "coordinates": [ring]},
                           _expected(data, window, point=False)))
    return result


def _expected(data: Files, window: Window, point: bool) -> list:
    band = load(PROJECT_ROOT / "layers").layer(LAYER)[0].band("NDVI")
    expected = []
    for path in data.ndvi:
        with rasterio.open(path) as dataset:
            dn = dataset.read(1, window=window)
        valid = (dn != band.nodata) & (dn <= band.valid_range[1])
        value = band.physical(float(dn[0, 0])) if point and valid.all() else None
        expected.append((int(valid.sum()), value))
    return expected


def gateway_case(session: requests.Session, url: str, case: Case) -> Answer:
    path = f"{url}/timeseries/v1.0/ts/{LAYER}/{case.kind if case.kind == 'point' else 'geometry'}"
    if case.body is None:
        response = session.get(path, params=case.query, timeout=120)
    else:
        response = session.post(path, params=case.query, json=case.body, timeout=120)
    return Answer(response.status_code, response.headers.get("Content-Type", ""),
                  response.content)


def lean_case(client: LeanClient, case: Case) -> Answer:
    path = f"/timeseries/v1.0/ts/{LAYER}/{case.kind if case.kind == 'point' else 'geometry'}"
    return client(path, case.query, None if case.body is None else json.dumps(case.body).encode())


def checker(data: Files, all_cases: list[Case]):
    def check(way: str, number: int, answer: Answer) -> None:
        if answer.status != 200:
            raise AssertionError(f"{way} #{number}: HTTP {answer.status}: {answer.body[:300]!r}")
        if answer.content_type == "dn":
            return
        case = all_cases[number]
        results = json.loads(answer.body)["results"]
        if [r["date"] for r in results] != data.dates:
            raise AssertionError(f"{way} #{number}: dates differ from the index")
        for entry, (valid, value) in zip(results, case.expected, strict=True):
            got = entry["result"]
            if got["validCount"] != valid or (value is not None and
                                              abs(got["average"] - value) > 1e-9):
                raise AssertionError(f"{way} #{number} {entry['date']}: {got} vs {valid}, "
                                     f"{value}")
    return check


# -- the run -------------------------------------------------------------------------------


def run(repeat: int = 10, warmup: int = 1, variants: bool = False) -> Report:
    load_before = os.getloadavg()
    settings, env = archive()
    data = files(settings)
    all_cases = cases(data)
    log(f"{len(data.dates)} dates; {len(all_cases)} requests a pass")
    # the gateway as configured, and one that opens every file on every request: what a first
    # request (files not yet open) costs, every time
    gateways = {"gateway": {}, COLD_GATEWAY: {"EOSCOPE_TS_OPEN_FILES": "0"}}
    if variants:
        gateways.update({f"gateway, {n} read thread{'s' * (n > 1)}":
                         {"EOSCOPE_TS_READ_THREADS": str(n)} for n in (1, 2, 4)})
    report = Report("timeseries", COMMAND)
    with ExitStack() as stack:
        kept = [stack.enter_context(rasterio.open(p)) for p in data.ndvi + data.scl]
        open_ndvi, open_scl = kept[:len(data.ndvi)], kept[len(data.ndvi):]
        session = stack.enter_context(requests.Session())
        ways_by_kind: dict[str, dict[str, list]] = {"point": {}, "polygon": {}}
        for number, (name, extra) in enumerate(gateways.items()):
            url = stack.enter_context(gateway_beside(
                {**env, **extra}, settings.var_dir / f"bench-gateway-{number}"))
            for kind in ways_by_kind:
                ways_by_kind[kind][name] = [bind(gateway_case, session, url, c)
                                            for c in all_cases if c.kind == kind]
            if name == "gateway":  # the same gateway through a lean client: the client's cost
                lean = LeanClient(url)
                stack.callback(lean.close)
                for kind in ways_by_kind:
                    ways_by_kind[kind][LEAN_GATEWAY] = [bind(lean_case, lean, c)
                                                        for c in all_cases if c.kind == kind]
        for kind, ways in ways_by_kind.items():
            mine = [c for c in all_cases if c.kind == kind]
            ways["floor: open + read, NDVI files"] = [
                bind(floor_read, data.ndvi, [c.window] * len(data.ndvi)) for c in mine]
            ways[COLD_FLOOR] = [
                bind(floor_read, data.ndvi + data.scl, [c.window] * len(data.ndvi) +
                     [scl_window(c.window)] * len(data.scl)) for c in mine]
            ways[WARM_FLOOR] = [
                bind(open_read, open_ndvi + open_scl, [c.window] * len(data.ndvi) +
                     [scl_window(c.window)] * len(data.scl)) for c in mine]
            check = checker(data, mine)
            timings = run_interleaved(ways, check, warmup, repeat)
            stats = {name: Stats.of(f"{kind}: {name}", t) for name, t in timings.items()}
            report.stats += stats.values()
            floor = stats["floor: open + read, NDVI files"]
            for name in gateways:
                key = f"{kind} / floor" if name == "gateway" else f"{kind} / floor ({name})"
                report.ratios[key] = ratio(stats[name], floor)
            report.ratios[f"{kind} / warm floor"] = ratio(stats["gateway"], stats[WARM_FLOOR])
            report.ratios[f"{kind} / warm floor (http.client)"] = ratio(stats[LEAN_GATEWAY],
                                                                       stats[WARM_FLOOR])
            report.ratios[f"{kind} cold / cold floor"] = ratio(stats[COLD_GATEWAY],
                                                               stats[COLD_FLOOR])
    for name, target in TARGETS.items():
        report.targets[name] = f"<= {target}"
        report.met[name] = report.ratios[name] <= target
    report.notes += [
        f"{len(data.dates)} dates, archive {SPEC.size_km:g} x {SPEC.size_km:g} km, gunicorn 1 "
        "worker; the service reads the NDVI and the SCL file of every date, the floor only the "
        "NDVI file",
        "the service keeps product files open between requests (EOSCOPE_TS_OPEN_FILES, default "
        "256): repeated requests read from open files and GDAL's block cache",
        load_note(load_before)]
    path = save(report, {"spec": repr(SPEC), "points": POINTS, "squares": SQUARES})
    log(f"results: {path}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed passes (default 10)")
    parser.add_argument("--variants", action="store_true",
                        help="also time gateways without the open-file cache, with 1 thread")
    args = parser.parse_args(argv)
    print(run(repeat=args.repeat, variants=args.variants).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
