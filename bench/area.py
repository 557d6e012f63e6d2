"""Cost flat in area: one Sentinel-2 date over Benelux drawn whole at low zooms, and seeded.

``python -m bench.area [--repeat 5] [--z9 24] [--no-seed] [--breakdown]``

The archive (generated once under ``$EOSCOPE_BENCH_DIR/area``, about a minute, then
re-ingested on each run): :class:`services.demo.region.RegionSpec` — every Sentinel-2 tile
touching Belgium, the Netherlands and Luxembourg (36 tiles in UTM zones 31 and 32, with their
real footprints and overlaps) on one date, 366 x 366 pixels of 300 m a tile, COGs with
overviews. The gateway (gunicorn, 1 worker) is asked, interleaved, sequentially:

* **z13, one S2 tile**: 256 x 256 EPSG:3857 GetMaps of web zoom 13 inside tile 31UES (the
  baseline: one source file a request);
* **z7, z8, z9**: every 256 x 256 web tile of that zoom lying 90 % or more inside the tiles'
  union at z7 and z8,
  ``--z9`` of them spread over it at z9 (each draws from up to 9-16 source tiles at z7);
* **whole region in one 256 x 256** (about zoom 5.5, informative).

Every answer must be a 256 x 256 PNG, mostly opaque and not one flat colour. Target (issue
14): the median at each of z7, z8, z9 <= 2 x the z13 median, on CGS_S2_RADIOMETRY and
CGS_S2_NDVI. Then ``eoscope seed CGS_S2_RADIOMETRY --levels 0-9`` of the date over the region,
timed ("in minutes"). ``--breakdown``: the same requests through mapscript in this process
with MapServer's debug log (``MS_ERRORFILE``): per-layer draw times and the source windows
MapServer reads (full resolution or decimated, i.e. overviews), plus cProfile of the gateway's
Python side on z7. Writes ``bench/results/area-<time>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
import requests
from pyproj import Transformer
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from bench.common import (
    Answer,
    Report,
    Stats,
    WsgiInProcess,
    archive,
    bench_dir,
    bind,
    gateway,
    http_get,
    load_note,
    log,
    ratio,
    run_interleaved,
    save,
)
from bench.wms_getmap import ORIGIN, Bbox, InProcess, check_png, decode, getmap, tiles
from services.demo.region import RegionSpec, tile_grid, tiles_over
from services.index import ProductIndex
from services.settings import PROJECT_ROOT, Settings

COMMAND = "python -m bench.area"
SPEC = RegionSpec()
LAYERS = ("CGS_S2_RADIOMETRY", "CGS_S2_NDVI")
DATE = SPEC.sensing_time.date().isoformat()
BASELINE_TILE = "31UES"
BASELINE_ZOOM, AREA_ZOOMS = 13, (7, 8, 9)
SEED_LAYER, SEED_LEVELS = "CGS_S2_RADIOMETRY", "0-9"
TARGET = 2.0
MIN_OPAQUE = {"CGS_S2_RADIOMETRY": 0.85, "CGS_S2_NDVI": 0.45}  # NDVI leaves clouds out


def coverage(spec: RegionSpec) -> Polygon:
    """The union of the S2 tiles' footprints, in EPSG:3857."""
    parts = []
    for item in tiles_over(spec.region):
        b = tile_grid(item, spec.pixel_m).bounds
        xs, ys = box(b.left, b.bottom, b.right, b.top).segmentize(5_000).exterior.xy
        to_mercator = Transformer.from_crs(item.crs, "EPSG:3857", always_xy=True)
        parts.append(Polygon(np.column_stack(to_mercator.transform(xs, ys))))
    return unary_union(parts)


def web_tiles(covered: Polygon, zoom: int, count: int | None = None, share: float = 0.9
              ) -> list[Bbox]:
    """The EPSG:3857 bboxes of the zoom's web tiles lying inside ``covered`` for ``share`` of
    their area or more, all of them or ``count`` spread evenly over them (row by row): a
    deterministic list."""
    side = 2 * ORIGIN / 2**zoom
    minx, miny, maxx, maxy = covered.bounds
    found = []
    for row in range(math.floor((ORIGIN - maxy) / side), math.ceil((ORIGIN - miny) / side)):
        for column in range(math.floor((minx + ORIGIN) / side),
                            math.ceil((maxx + ORIGIN) / side)):
            x0, y1 = column * side - ORIGIN, ORIGIN - row * side
            bbox = (x0, y1 - side, x0 + side, y1)
            if covered.intersection(box(*bbox)).area >= share * box(*bbox).area:
                found.append(bbox)
    if count and len(found) > count > 1:
        step = (len(found) - 1) / (count - 1)
        found = [found[round(i * step)] for i in range(count)]
    return found


def whole_region(region: tuple[float, float, float, float]) -> Bbox:
    """The region's EPSG:3857 bbox made square (a 256 x 256 map of it all)."""
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = to_mercator.transform(region[::2], region[1::2])
    half = max(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - half, cy - half, cx + half, cy + half)


def zoom_of(bbox: Bbox) -> float:
    return math.log2(2 * ORIGIN / (bbox[2] - bbox[0]))


def requests_for(spec: RegionSpec, z9: int) -> dict[str, list[tuple[str, Bbox]]]:
    """way → (layer, bbox) of each request of one pass."""
    baseline = next(t for t in tiles_over(spec.region) if t.name == BASELINE_TILE)
    one_tile = tile_grid(baseline, spec.pixel_m).bounds
    sets = {f"z{BASELINE_ZOOM}, one S2 tile ({BASELINE_TILE})":
            [b for _, b in tiles((one_tile.left, one_tile.bottom, one_tile.right, one_tile.top),
                                 baseline.crs, (BASELINE_ZOOM,), 8)]}
    covered = coverage(spec)
    for zoom in AREA_ZOOMS:
        chosen = web_tiles(covered, zoom, z9 if zoom == 9 else None)
        sets[f"z{zoom}, web tiles ≥ 90 % inside the S2 tiles ({len(chosen)})"] = chosen
    whole = whole_region(spec.region)
    sets[f"whole region in one 256² (zoom {zoom_of(whole):.1f})"] = [whole]
    return {f"{layer}: {way}": [(layer, b) for b in boxes]
            for layer in LAYERS for way, boxes in sets.items()}


class Drawn:
    """Every answer a 256² PNG; the first of each request decoded: mostly opaque, not flat."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}

    def __call__(self, way: str, number: int, answer: Answer) -> None:
        check_png(way, number, answer)
        if (way, number) in self.seen:
            return
        image = decode(answer.body)
        alpha = image[3] > 0 if image.shape[0] == 4 else np.ones(image.shape[1:], bool)
        opaque = float(alpha.mean())
        layer = way.split(":")[0]
        flat = not alpha.any() or all(float(band[alpha].std()) == 0.0 for band in image[:3])
        least = MIN_OPAQUE[layer] / (2 if ": whole" in way else 1)  # its corners lie outside
        if opaque < least or flat:
            raise RuntimeError(f"{way}, request {number}: blank or mostly empty image "
                               f"(opaque {opaque:.0%}, flat {flat})")
        self.seen[(way, number)] = opaque

    def opaque(self, way: str) -> float:
        shares = [v for (w, _), v in self.seen.items() if w == way]
        return sum(shares) / len(shares)


def seed(env: dict[str, str], settings: Settings) -> tuple[float, int, str]:
    """``eoscope seed`` of the date over the region, on an emptied cache: (s, tiles, output)."""
    shutil.rmtree(settings.tile_cache_dir, ignore_errors=True)
    west, south, east, north = SPEC.region
    command = [sys.executable, "-m", "services.cli", "seed", SEED_LAYER, "--start", DATE,
               "--end", DATE, "--levels", SEED_LEVELS,
               "--bbox", str(west), str(south), str(east), str(north)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"eoscope seed failed:\n{done.stderr[-3000:]}")
    found = re.search(r"(\d+) tiles seeded", done.stderr + done.stdout)
    return seconds, int(found.group(1)) if found else -1, done.stderr[-500:]


# -- where the time goes --------------------------------------------------------------------


DRAW_TIME = re.compile(r"msDrawMap\(\): Layer \d+ \((\S+)\), ([\d.]+)s")
SOURCE_READ = re.compile(r"(?:RAW_WINDOW=|src=)(\d+)[ ,](\d+)[ ,](\d+)[ ,](\d+), "
                         r"dst=(\d+),(\d+),(\d+),(\d+)")
OPENED = re.compile(r"Filename is: (\S+)")


def mapserver_logs(settings: Settings, requests_: list[dict[str, str]], work: Path
                   ) -> list[dict[str, object]]:
    """Each request through mapscript here with MapServer's debug log on, as the gateway
    would draw it (the date chosen in the tile index): the layer's draw time as MapServer
    measures it, the files opened and each read's source and target sizes (a source window
    larger than its target is a decimated read: GDAL takes an overview)."""
    import mapscript

    logs = [work / f"mapserver-{n}.log" for n in range(len(requests_))]
    for path, params in zip(logs, requests_, strict=True):
        path.unlink(missing_ok=True)
        renderer = InProcess(settings.mapfile)
        map_ = renderer.template
        map_.setConfigOption("MS_ERRORFILE", str(path))  # a new file: the last one is closed
        map_.debug = 5
        for suffix in ("", "_index", "_areas_index"):
            layer = map_.getLayerByName(params["LAYERS"] + suffix)
            layer.debug = 5
            if suffix:
                layer.data = layer.data.replace("date = ''", f"date = '{DATE}'")
            else:
                for key in ("wms_timeitem", "wms_timeextent", "wms_timedefault"):
                    if layer.metadata.get(key) is not None:
                        layer.metadata.remove(key)
        renderer({k: v for k, v in params.items() if k != "TIME"})
        mapscript.msResetErrorList()
    InProcess(settings.mapfile).template.setConfigOption("MS_ERRORFILE", str(work / "end.log"))
    found = []
    for path in logs:
        text = path.read_text(errors="replace") if path.exists() else ""
        reads = [tuple(map(int, m.groups())) for m in SOURCE_READ.finditer(text)]
        found.append({
            "draw_s": sum(float(s) for _, s in DRAW_TIME.findall(text)), "reads": len(reads),
            "files": sorted({Path(f).name for f in OPENED.findall(text)}),
            "decimated": sum(1 for r in reads if r[2] > 1.5 * r[6] or r[3] > 1.5 * r[7]),
            "source_px": sum(r[2] * r[3] for r in reads),
            "target_px": sum(r[6] * r[7] for r in reads)})
    return found


def view_overviews(settings: Settings, layer: str) -> tuple[int, list[int], list[int]]:
    """How many sources the layer's tile index holds on the date, and the overview factors
    GDAL offers through the first one's view (the VRT MapServer opens) and its first file."""
    locations = ProductIndex(settings.index).layer_locations(layer, DATE)
    with rasterio.open(locations[0]) as view:
        factors, files = view.overviews(1), view.files
    with rasterio.open(next(f for f in files if f.endswith(".tif"))) as cog:
        return len(locations), factors, cog.overviews(1)


def profile_gateway(settings: Settings, params_list: list[dict[str, str]]) -> str:
    """cProfile of the gateway's WSGI app answering ``params_list`` in this process."""
    app = WsgiInProcess(settings)
    app("/ows", params_list[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for params in params_list:
        app("/ows", params)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()


# -- the benchmark --------------------------------------------------------------------------


def run(repeat: int = 5, z9: int = 24, with_seed: bool = True, breakdown: bool = False
        ) -> Report:
    load_before = os.getloadavg()
    settings, env = archive(SPEC, "area")
    index = ProductIndex(settings.index)
    for layer in LAYERS:
        if DATE not in index.layer_dates(layer):
            raise SystemExit(f"{layer} has no product on {DATE}: rebuild the area archive "
                             f"(remove {bench_dir() / 'area'})")
    plan = requests_for(SPEC, z9)
    report = Report("area", COMMAND)
    drawn = Drawn()
    with requests.Session() as session, gateway(env, workers=1) as url:
        ways = {way: [bind(http_get, session, f"{url}/ows", getmap(layer, bbox, DATE))
                      for layer, bbox in boxes] for way, boxes in plan.items()}
        timings = run_interleaved(ways, drawn, warmup=1, repeat=repeat)
    stats = {way: Stats.of(way, values) for way, values in timings.items()}
    report.stats += stats.values()
    for layer in LAYERS:
        baseline = next(s for w, s in stats.items() if w.startswith(f"{layer}: z13"))
        for zoom in AREA_ZOOMS:
            way = next(w for w in stats if w.startswith(f"{layer}: z{zoom},"))
            key = f"{layer} z{zoom} / z{BASELINE_ZOOM}"
            report.ratios[key] = ratio(stats[way], baseline)
            report.targets[key] = f"<= {TARGET}"
            report.met[key] = report.ratios[key] <= TARGET
        whole = next(w for w in stats if w.startswith(f"{layer}: whole"))
        report.ratios[f"{layer} whole region / z{BASELINE_ZOOM}"] = ratio(stats[whole], baseline)
    report.notes.append("opaque share of the answers: " + ", ".join(
        f"{way.split(' (')[0]} {drawn.opaque(way):.0%}" for way in plan))
    extra: dict[str, object] = {"spec": repr(SPEC), "tiles": [t.name for t in
                                                              tiles_over(SPEC.region)]}
    if with_seed:
        seconds, count, _ = seed(env, settings)
        report.notes.append(f"eoscope seed {SEED_LAYER} --levels {SEED_LEVELS} of {DATE} over "
                            f"the region: {count} tiles in {seconds:.1f} s "
                            f"({seconds / max(count, 1) * 1000:.0f} ms a tile)")
        extra["seed"] = {"seconds": seconds, "tiles": count}
    if breakdown:
        extra["breakdown"] = explain(settings, plan, report)
    report.notes.append(f"{len(tiles_over(SPEC.region))} S2 tiles of {SPEC.pixel_m} m pixels; "
                        f"{repeat} timed passes; gateway gunicorn 1 worker")
    report.notes.append(load_note(load_before))
    path = save(report, extra)
    log(f"results: {path}")
    return report


def explain(settings: Settings, plan: dict[str, list[tuple[str, Bbox]]], report: Report
            ) -> dict[str, object]:
    work = bench_dir() / "area" / "breakdown"
    work.mkdir(parents=True, exist_ok=True)
    found: dict[str, object] = {}
    for layer in LAYERS:
        count, view, cog = view_overviews(settings, layer)
        found[f"{layer} overviews"] = {"sources": count, "view": view, "cog": cog}
        report.notes.append(f"{layer}: {count} sources on {DATE}; overview factors of a "
                            f"source's view {view}, of its COG {cog}")
    chosen = {way: boxes[len(boxes) // 2] for way, boxes in plan.items()}
    logs = mapserver_logs(settings, [getmap(layer, bbox, DATE) for layer, bbox in
                                     chosen.values()], work)
    for way, facts in zip(chosen, logs, strict=True):
        found[way] = facts
        report.notes.append(
            f"breakdown {way.split(' (')[0]}: MapServer draw {facts['draw_s'] * 1000:.0f} ms, "
            f"{facts['reads']} source reads ({', '.join(facts['files'][:2])}"
            f"{', ...' if len(facts['files']) > 2 else ''}), {facts['decimated']} decimated, "
            f"{facts['source_px']:,} source px for {facts['target_px']:,} target px")
    z7 = [getmap(layer, bbox, DATE) for way, boxes in plan.items() if ": z7," in way
          for layer, bbox in boxes]
    found["profile_z7"] = profile_gateway(settings, z7)
    log(found["profile_z7"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--z9", type=int, default=24, help="z9 tiles a pass (default 24)")
    parser.add_argument("--no-seed", action="store_true", help="skip the seeding")
    parser.add_argument("--breakdown", action="store_true",
                        help="MapServer's debug log and cProfile: where the time goes")
    args = parser.parse_args(argv)
    print(run(args.repeat, args.z9, not args.no_seed, args.breakdown).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
