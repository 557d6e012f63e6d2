"""``eoscope``: the operator's command (demo-data, ingest, generate, check, serve)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from services.settings import PROJECT_ROOT, Settings


def _progress(i: int, n: int, name: str) -> None:
    width = len(str(n))
    print(f"  [{i:>{width}}/{n}] {name}", file=sys.stderr, flush=True)


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import DemoSpec, generate

    root = args.output or settings.archive
    spec = DemoSpec(seed=args.seed, size_km=args.size_km, dates=args.dates,
                    start=args.start, end=args.end, overlap=args.overlap)
    print(f"writing a demo archive to {root} ({spec})", file=sys.stderr)
    products = generate(root, spec, progress=_progress)
    print(f"{len(products)} products written", file=sys.stderr)
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from services.index import ProductIndex
    from services.refresh import refresh
    from services.registry import load

    paths = [Path(p) for p in args.paths] or [settings.archive]
    print(f"ingesting {', '.join(map(str, paths))}", file=sys.stderr)
    report = refresh(paths, load(settings.layers_dir), ProductIndex(settings.index), settings,
                     progress=_progress, generate=not args.no_generate)
    skipped = [s for r in report.ingested for s in r.skipped]
    for path, why in skipped:
        print(f"  skipped {path}: {why}", file=sys.stderr)
    indexed = sum(len(r.products) for r in report.ingested)
    changed = sum(len(r.changed) for r in report.ingested)
    print(f"{indexed} products indexed ({changed} new or changed), {len(skipped)} files skipped",
          file=sys.stderr)
    for path in report.generated:
        print(f"generated {path}", file=sys.stderr)
    if report.tiles_invalidated:
        print(f"{report.tiles_invalidated} cached tiles invalidated", file=sys.stderr)
    return 1 if args.strict and skipped else 0


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from services.generate import generate_all
    from services.index import ProductIndex
    from services.registry import load

    for path in generate_all(load(settings.layers_dir), ProductIndex(settings.index), settings):
        print(f"generated {path}", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    import hashlib

    from services.index import ProductIndex
    from services.ows.mapserver import MapServer
    from services.ows.service import OwsService
    from services.registry import load
    from services.tiles.cache import SeedTask, seed

    registry, index = load(settings.layers_dir), ProductIndex(settings.index)
    if args.layer not in registry.layers:
        print(f"unknown layer {args.layer} (known: {', '.join(registry.layers)})",
              file=sys.stderr)
        return 2
    collection = registry.layer(args.layer)[0]
    dates = [d for d in index.layer_dates(args.layer)
             if (args.start or "") <= d <= (args.end or "9999")]
    low, _, high = args.levels.partition("-")
    bbox = tuple(args.bbox) if args.bbox else index.extent(collection.id)
    task = SeedTask(args.layer, tuple(dates), tuple(range(int(low), int(high or low) + 1)),
                    bbox, args.grid)
    state = settings.tile_cache_dir / "seed" / (
        hashlib.sha256(repr(task).encode()).hexdigest()[:16] + ".json")
    renderer = OwsService(registry, index, MapServer(settings.mapfile), settings.limits)
    print(f"seeding {len(dates)} dates, levels {args.levels} (state: {state})", file=sys.stderr)
    count = seed(settings.mapproxy_config, renderer, task, state, progress=_progress)
    print(f"{count} tiles seeded", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from services.registry import RegistryError, load

    try:
        registry = load(settings.layers_dir)
    except RegistryError as error:
        print(error, file=sys.stderr)
        return 2
    for name, (collection, layer) in registry.layers.items():
        print(f"{name:24} {collection.id:28} {','.join(layer.services)}")
    print(f"registry OK: {len(registry.collections)} collections, {len(registry.layers)} layers",
          file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    config = PROJECT_ROOT / "config" / "gunicorn.conf.py"
    bind = f"{args.host}:{args.port}"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", bind,
            "services.gateway:create_app()"]
    os.execv(sys.executable, argv)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eoscope", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    demo = verbs.add_parser("demo-data", help="generate the demo Sentinel-2 archive")
    demo.add_argument("--output", type=Path, help="archive folder (default: settings)")
    demo.add_argument("--seed", type=int, default=2018)
    demo.add_argument("--size-km", type=float, default=10.0)
    demo.add_argument("--dates", type=int, default=24)
    demo.add_argument("--start", type=date.fromisoformat, default=date(2018, 3, 15))
    demo.add_argument("--end", type=date.fromisoformat, default=date(2018, 10, 31))
    demo.add_argument("--overlap", action="store_true",
                      help="straddle tiles 31UES and 31UFS (two products per date)")
    demo.set_defaults(run=cmd_demo_data)

    ingest = verbs.add_parser("ingest", help="index the products under PATH (default: archive)")
    ingest.add_argument("paths", nargs="*", type=Path)
    ingest.add_argument("--strict", action="store_true", help="exit 1 if any file was skipped")
    ingest.add_argument("--no-generate", action="store_true",
                        help="do not regenerate the service configurations afterwards")
    ingest.set_defaults(run=cmd_ingest)

    verbs.add_parser("generate", help="generate the mapfile and MapProxy's configuration"
                     ).set_defaults(run=cmd_generate)
    verbs.add_parser("check", help="validate the layer registry").set_defaults(run=cmd_check)

    seeding = verbs.add_parser("seed", help="warm the tile cache of a layer (resumable)")
    seeding.add_argument("layer")
    seeding.add_argument("--start", help="first date (YYYY-MM-DD); default: the first")
    seeding.add_argument("--end", help="last date; default: the last")
    seeding.add_argument("--levels", default="0-12", help="zoom levels, e.g. 8-14")
    seeding.add_argument("--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"),
                         help="lon/lat area; default: the layer's extent")
    seeding.add_argument("--grid", default="GoogleMapsCompatible",
                         choices=["GoogleMapsCompatible", "EPSG:4326"])
    seeding.set_defaults(run=cmd_seed)

    serve = verbs.add_parser("serve", help="serve the gateway with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    serve.set_defaults(run=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args, Settings())


if __name__ == "__main__":
    sys.exit(main())
