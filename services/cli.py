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
    from services.index import ProductIndex, ingest
    from services.registry import load

    registry = load(settings.layers_dir)
    index = ProductIndex(settings.index)
    status = 0
    for path in args.paths or [settings.archive]:
        print(f"ingesting {path}", file=sys.stderr)
        report = ingest(Path(path), registry, index, settings.derived_dir, progress=_progress)
        for skipped, why in report.skipped:
            print(f"  skipped {skipped}: {why}", file=sys.stderr)
        print(f"{len(report.products)} products indexed, {len(report.skipped)} files skipped",
              file=sys.stderr)
        status = status or (1 if args.strict and report.skipped else 0)
    if not args.no_generate:
        status = cmd_generate(args, settings) or status
    return status


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from services.index import ProductIndex
    from services.ows.mapfile import generate
    from services.registry import load

    path = generate(load(settings.layers_dir), ProductIndex(settings.index), settings)
    print(f"mapfile: {path}", file=sys.stderr)
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
                        help="do not regenerate the mapfile afterwards")
    ingest.set_defaults(run=cmd_ingest)

    verbs.add_parser("generate", help="generate the mapfile").set_defaults(run=cmd_generate)
    verbs.add_parser("check", help="validate the layer registry").set_defaults(run=cmd_check)

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
