"""WCS 2.0.1 GetCoverage latency: the gateway vs ``gdal_translate`` vs rasterio in-process.

``python -m bench.wcs_getcoverage`` — a 1000 x 1000 window of CGS_S2_NDVI on its native grid
(EPSG:32631, 10 m) as a float32 GeoTIFF, for a few dates, asked three ways, sequentially:

* gateway: ``SUBSET=x(..)&SUBSET=y(..)&SUBSET=time("<date>")`` over HTTP (gunicorn, 1 worker,
  keep-alive session);
* gdal_translate: the Debian binary run per request on the same per-product VRT (the
  ``location`` of that date in ``layer_sources``), ``-srcwin`` of the same window, ``-ot
  Float32``, default GTiff creation options (as MapServer's output format), streamed to
  ``/vsistdout/`` and captured, as a CGI would;
* rasterio: the VRT opened in this process, the window read, nodata turned into NaN (what the
  gateway returns) and a GeoTIFF written to memory.

``--breakdown`` adds the gateway app without HTTP, the gateway through a bare ``http.client``,
MapServer alone (the gateway's mapfile through mapscript in this process, the date chosen as
the gateway chooses it, none of the gateway's checks) and rasterio's own steps done with
MapServer's GDAL (Debian's 3.6, through its ``osgeo`` bindings): what separates MapServer from
rasterio is then split into GDAL 3.6 against 3.10 and MapServer's own work.

In the warm-up pass every answer is decoded and compared with the VRT read directly: same grid
(size, transform) and the same values pixel for pixel, nodata and NaN counting as equal.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import requests
from rasterio.io import MemoryFile
from rasterio.windows import Window
from rasterio.windows import bounds as window_bounds

from bench.common import (
    Answer,
    LeanClient,
    Report,
    Stats,
    WsgiInProcess,
    archive,
    bind,
    gateway,
    http_get,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
)
from services.index import ProductIndex
from services.index.live import LiveLayers
from services.ows import live
from services.ows.mapserver import MapServer
from services.registry import load
from services.settings import Settings

LAYER = "CGS_S2_NDVI"
DATES = ("2018-05-24", "2018-07-03", "2018-09-01")  # 32 %, 0 %, 25 % cloud in the demo archive
SIDE = 1000
TARGET_GDAL = 1.3
TARGET_RASTERIO = 1.5  # issue 14: against the fair baseline, in-process rasterio
COMMAND = "python -m bench.wcs_getcoverage"
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class Coverage:
    """One request: a date, its per-product VRT, and the window in pixels and in metres."""

    date: str
    vrt: str
    window: Window
    bounds: tuple[float, float, float, float]
    transform: tuple[float, ...]
    nodata: float

    def params(self) -> dict[str, object]:
        minx, miny, maxx, maxy = self.bounds
        return {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage",
                "COVERAGEID": LAYER, "FORMAT": "image/tiff",
                "SUBSET": [f"x({minx:.6f},{maxx:.6f})", f"y({miny:.6f},{maxy:.6f})",
                           f'time("{self.date}")']}


def coverages(index: Path, dates: tuple[str, ...] = DATES, side: int = SIDE) -> list[Coverage]:
    """A ``side`` x ``side`` window centred in each date's product, from the tile index."""
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        rows = {d: db.execute("SELECT location FROM layer_sources WHERE layer = ? AND date = ?",
                              (LAYER, d)).fetchall() for d in dates}
    found = []
    for date, locations in rows.items():
        if len(locations) != 1:
            raise SystemExit(f"{LAYER} has {len(locations)} sources on {date}; the benchmark"
                             " expects the default demo archive (one product per date)")
        with rasterio.open(locations[0][0]) as vrt:
            if vrt.width < side or vrt.height < side:
                raise SystemExit(f"{locations[0][0]} is smaller than {side} x {side}")
            window = Window((vrt.width - side) // 2, (vrt.height - side) // 2, side, side)
            transform = vrt.window_transform(window)
            bounds = window_bounds(window, vrt.transform)
            found.append(Coverage(date, locations[0][0], window, bounds,
                                  tuple(transform)[:6], float(vrt.nodata)))
    return found


# -- the baselines -------------------------------------------------------------------------


def gdal_translate(coverage: Coverage) -> Answer:
    """``gdal_translate`` run as a subprocess, the GeoTIFF streamed to its stdout."""
    w = coverage.window
    done = subprocess.run(
        ["gdal_translate", "-q", "-of", "GTiff", "-ot", "Float32", "-srcwin",
         str(w.col_off), str(w.row_off), str(w.width), str(w.height), coverage.vrt,
         "/vsistdout/"], capture_output=True, check=False)
    return Answer(200 if done.returncode == 0 else 500, "image/tiff", done.stdout)


def rasterio_inprocess(coverage: Coverage) -> Answer:
    """Read the window with rasterio in this process and write a float32 GeoTIFF to memory,
    nodata as NaN like the gateway's answer."""
    with rasterio.open(coverage.vrt) as vrt:
        data = vrt.read(1, window=coverage.window)
        profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0],
                   "count": 1, "dtype": "float32", "crs": vrt.crs,
                   "transform": vrt.window_transform(coverage.window), "nodata": float("nan")}
    data[data == coverage.nodata] = np.nan
    with MemoryFile() as memory:
        with memory.open(**profile) as out:
            out.write(data, 1)
        return Answer(200, "image/tiff", memory.read())


def gdal36_inprocess(coverage: Coverage) -> Answer:
    """:func:`rasterio_inprocess`'s steps with MapServer's own GDAL (Debian's 3.6, its
    ``osgeo`` bindings; bytes, not ``gdal_array``, whose numpy may not be the venv's)."""
    from osgeo import gdal

    w = coverage.window
    dataset = gdal.OpenEx(coverage.vrt, gdal.OF_RASTER)
    raw = dataset.GetRasterBand(1).ReadRaster(w.col_off, w.row_off, w.width, w.height,
                                              buf_type=gdal.GDT_Float32)
    data = np.frombuffer(raw, dtype=np.float32).copy()
    data[data == coverage.nodata] = np.nan
    path = f"/vsimem/bench-wcs-{os.getpid()}.tif"
    out = gdal.GetDriverByName("GTiff").Create(path, w.width, w.height, 1, gdal.GDT_Float32)
    out.SetGeoTransform(_gdal_transform(coverage.transform))
    out.SetProjection(dataset.GetProjection())
    band = out.GetRasterBand(1)
    band.SetNoDataValue(float("nan"))
    band.WriteRaster(0, 0, w.width, w.height, data.tobytes())
    out = band = dataset = None  # closed: the file is complete
    handle = gdal.VSIFOpenL(path, "rb")
    try:
        gdal.VSIFSeekL(handle, 0, 2)
        size = gdal.VSIFTellL(handle)
        gdal.VSIFSeekL(handle, 0, 0)
        body = gdal.VSIFReadL(1, size, handle)
    finally:
        gdal.VSIFCloseL(handle)
        gdal.Unlink(path)
    return Answer(200, "image/tiff", body)


def _gdal_transform(affine: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = affine
    return c, a, b, f, d, e


class MapServerAlone:
    """The gateway's mapfile through mapscript in this process: the date's tile index chosen
    as the gateway chooses it, then ``OWSDispatch``; none of the gateway's checks, no HTTP."""

    def __init__(self, settings: Settings):
        index = ProductIndex(settings.index, create=False)
        self.registry, self.facts = load(settings.layers_dir), LiveLayers(index).facts()
        self.mapserver = MapServer(settings.mapfile)

    def __call__(self, coverage: Coverage) -> Answer:
        params = [(k, v) for k, values in coverage.params().items()
                  for v in (values if isinstance(values, list) else [values])
                  if not str(v).startswith("time(")]
        tweak = live.select(self.registry, self.facts, {LAYER: coverage.date})
        answer = self.mapserver.dispatch(params, [tweak], layer=LAYER)
        return Answer(answer.status, answer.content_type, answer.body)


# -- checks --------------------------------------------------------------------------------


def check_tiff(way: str, number: int, answer: Answer) -> None:
    """Cheap, after every call: a 200 TIFF at least as big as the float32 pixels."""
    if answer.status != 200 or answer.content_type.split(";")[0] != "image/tiff" or \
            answer.body[:4] not in TIFF_MAGIC or len(answer.body) < SIDE * SIDE * 4:
        raise RuntimeError(f"{way}, request {number}: not a {SIDE}x{SIDE} float32 GeoTIFF "
                           f"(status {answer.status}, {answer.content_type}, "
                           f"{len(answer.body)} bytes): {answer.body[:300]!r}")


class SameValues:
    """The first answer of every way to every request is decoded and compared with the VRT:
    same size and transform, equal values, NaN = NaN and nodata (-9999) = NaN."""

    def __init__(self, cases: list[Coverage]):
        self.cases = cases
        self.truth: dict[int, np.ndarray] = {}
        self.verified: set[tuple[str, int]] = set()
        self.missing: dict[str, float] = {}

    def expected(self, number: int) -> np.ndarray:
        if number not in self.truth:
            case = self.cases[number]
            with rasterio.open(case.vrt) as vrt:
                values = vrt.read(1, window=case.window).astype("float32")
            values[values == case.nodata] = np.nan
            self.truth[number] = values
            self.missing[case.date] = float(np.isnan(values).mean())
        return self.truth[number]

    def __call__(self, way: str, number: int, answer: Answer) -> None:
        check_tiff(way, number, answer)
        if (way, number) in self.verified:
            return
        case = self.cases[number]
        with MemoryFile(io.BytesIO(answer.body)) as memory, memory.open() as image:
            values, transform = image.read(1), tuple(image.transform)[:6]
            nodata, dtype = image.nodata, image.dtypes[0]
        if dtype != "float32" or values.shape != (SIDE, SIDE):
            raise RuntimeError(f"{way}, {case.date}: {dtype} {values.shape}")
        if not np.allclose(transform, case.transform, rtol=0, atol=1e-6):
            raise RuntimeError(f"{way}, {case.date}: transform {transform} != {case.transform}")
        if nodata is not None and not np.isnan(nodata):
            values = np.where(values == nodata, np.float32(np.nan), values)
        if not np.array_equal(values, self.expected(number), equal_nan=True):
            bad = int((~np.isclose(values, self.expected(number), equal_nan=True)).sum())
            raise RuntimeError(f"{way}, {case.date}: {bad} pixels differ from the VRT")
        self.verified.add((way, number))


# -- the benchmark -------------------------------------------------------------------------


GATEWAY = "gateway (HTTP, gunicorn 1 worker)"
GDAL = "gdal_translate (subprocess)"
RASTERIO = "rasterio in-process"
WSGI = "breakdown: gateway app in-process (no HTTP)"
LEAN = "breakdown: gateway, http.client keep-alive"
MAPSERVER = "breakdown: MapServer alone (mapscript in-process)"
GDAL36 = "breakdown: rasterio's steps with GDAL 3.6 (osgeo)"


def run(repeat: int = 10, warmup: int = 1, breakdown: bool = False) -> Report:
    """Measure the three ways (five with ``breakdown``); the report also goes to
    bench/results/."""
    settings, env = archive()
    cases = coverages(settings.index)
    log(f"wcs_getcoverage: {len(cases)} GetCoverage requests ({SIDE}x{SIDE} float32) per pass,"
        f" {max(warmup, 1)} warm-up + {repeat} timed passes per way")
    checker, load_before = SameValues(cases), os.getloadavg()
    with gateway(env, workers=1) as url, requests.Session() as session:
        ways = {GATEWAY: [bind(http_get, session, f"{url}/ows", c.params()) for c in cases],
                GDAL: [bind(gdal_translate, c) for c in cases],
                RASTERIO: [bind(rasterio_inprocess, c) for c in cases]}
        if breakdown:
            wsgi, lean = WsgiInProcess(settings), LeanClient(url)
            ways[WSGI] = [bind(wsgi, "/ows", c.params()) for c in cases]
            ways[LEAN] = [bind(lean, "/ows", c.params()) for c in cases]
            alone = MapServerAlone(settings)
            ways[MAPSERVER] = [bind(alone, c) for c in cases]
            ways[GDAL36] = [bind(gdal36_inprocess, c) for c in cases]
        timings = run_interleaved(ways, checker, warmup=max(warmup, 1), repeat=repeat)
    stats = {name: Stats.of(name, values) for name, values in timings.items()}
    report = Report("wcs_getcoverage", COMMAND, list(stats.values()))
    report.ratios["gateway/gdal_translate"] = ratio(stats[GATEWAY], stats[GDAL])
    report.ratios["gateway/rasterio"] = ratio(stats[GATEWAY], stats[RASTERIO])
    if breakdown:
        report.ratios["gateway app, no HTTP/gdal_translate"] = ratio(stats[WSGI], stats[GDAL])
        report.ratios["gateway app, no HTTP/rasterio"] = ratio(stats[WSGI], stats[RASTERIO])
        report.ratios["gateway, http.client/gdal_translate"] = ratio(stats[LEAN], stats[GDAL])
        report.ratios["gateway, http.client/rasterio"] = ratio(stats[LEAN], stats[RASTERIO])
        report.ratios["MapServer alone/rasterio"] = ratio(stats[MAPSERVER], stats[RASTERIO])
        report.ratios["MapServer alone/rasterio's steps on GDAL 3.6"] = \
            ratio(stats[MAPSERVER], stats[GDAL36])
        report.ratios["rasterio's steps: GDAL 3.6/GDAL 3.10"] = ratio(stats[GDAL36],
                                                                       stats[RASTERIO])
    report.targets = {"gateway/gdal_translate": f"<= {TARGET_GDAL}",
                      "gateway/rasterio": f"<= {TARGET_RASTERIO}"}
    report.met = {"gateway/gdal_translate":
                  report.ratios["gateway/gdal_translate"] <= TARGET_GDAL,
                  "gateway/rasterio": report.ratios["gateway/rasterio"] <= TARGET_RASTERIO}
    missing = ", ".join(f"{d} {100 * f:.0f} %" for d, f in checker.missing.items())
    report.notes.append(f"{len(cases)} requests x {repeat} passes per way; dates {DATES}; "
                        f"no-data share: {missing}")
    report.notes.append(f"{len(checker.verified)} (way, request) answers decoded: same grid "
                        "and values as the VRT, pixel for pixel (NaN-aware)")
    report.notes.append(load_note(load_before))
    path = save(report, {"requests": [{"date": c.date, "vrt": c.vrt, "bounds": c.bounds,
                                       "params": c.params()} for c in cases],
                         "samples_ms": {n: [t * 1000 for t in v] for n, v in timings.items()}})
    log(f"results: {path}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed passes (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes (min 1: verify)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the gateway app without HTTP and with a lean client")
    args = parser.parse_args(argv)
    print(run(args.repeat, args.warmup, args.breakdown).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
