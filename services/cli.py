"""``eoscope``: the operator's command (demo-data, ingest, generate, check, seed, serve, reload,
jobs, users, usage).

Every verb that reads the registry refuses an invalid one the same way: every problem on
standard error, exit status 2, no traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from services.registry import Registry, RegistryError, load
from services.settings import PROJECT_ROOT, Settings

EXIT_INVALID = 2


def _progress(i: int, n: int, name: str) -> None:
    width = len(str(n))
    print(f"  [{i:>{width}}/{n}] {name}", file=sys.stderr, flush=True)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from services.demo.sources import MISSIONS, ArchiveSpec, generate_all
    from services.demo.spec import DemoSpec

    root = args.output or settings.archive
    sentinel2 = DemoSpec(seed=args.seed, size_km=args.size_km, dates=args.dates,
                         start=args.start, end=args.end, overlap=args.overlap)
    spec = replace(ArchiveSpec().seeded(args.seed), sentinel2=sentinel2).only(
        tuple(args.missions.split(",")) if args.missions else MISSIONS)
    _say(f"writing a demo archive to {root} ({', '.join(m for m in MISSIONS if getattr(spec, m))})")
    written = generate_all(root, spec, progress=_progress)
    for mission, folders in written.items():
        _say(f"{mission}: {len(folders)} products written")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from services.index import ProductIndex
    from services.refresh import refresh

    registry = load(settings.layers_dir)
    paths = [Path(p) for p in args.paths] or [settings.archive]
    _say(f"ingesting {', '.join(map(str, paths))}")
    report = refresh(paths, registry, ProductIndex(settings.index), settings,
                     progress=_progress)
    for path in report.generated:
        _say(f"generated {path} (the registry changed)")
    if report.reloaded:
        _say("the running gateway was told to reload its registry")
    skipped = [s for r in report.ingested for s in r.skipped]
    for path, why in skipped:
        _say(f"  skipped {path}: {why}")
    indexed = sum(len(r.products) for r in report.ingested)
    changed = sum(len(r.changed) for r in report.ingested)
    _say(f"{indexed} products indexed ({changed} new or changed), {len(skipped)} files skipped")
    if report.tiles_invalidated:
        _say(f"{report.tiles_invalidated} cached tiles invalidated")
    return 1 if args.strict and skipped else 0


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from services.generate import generate_all

    for path in generate_all(load(settings.layers_dir), settings):
        _say(f"generated {path}")
    return 0


def cmd_reload(args: argparse.Namespace, settings: Settings) -> int:
    from services.refresh import reload_gateway, sync_configuration

    registry = load(settings.layers_dir)
    written, reloaded = sync_configuration(registry, settings)
    for path in written:
        _say(f"generated {path}")
    if not written:
        reloaded = reload_gateway(settings)
    _say("the gateway was told to reload" if reloaded else
         f"no running gateway (no live pid in {settings.pidfile})")
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    import hashlib

    from services.index import ProductIndex
    from services.index.live import LiveLayers
    from services.ows.mapserver import MapServer
    from services.ows.service import OwsService
    from services.tiles.cache import SeedTask, seed

    registry, index = load(settings.layers_dir), ProductIndex(settings.index)
    if args.layer not in registry.layers:
        _say(f"unknown layer {args.layer} (known: {', '.join(registry.layers)})")
        return EXIT_INVALID
    facts = LiveLayers(index).facts().get(args.layer)
    if facts is None:
        _say(f"layer {args.layer} has no products yet")
        return EXIT_INVALID
    collection = registry.layer(args.layer)[0]
    dates = [d for d in facts.dates if (args.start or "") <= d <= (args.end or "9999")]
    low, _, high = args.levels.partition("-")
    bbox = tuple(args.bbox) if args.bbox else index.extent(collection.id)
    task = SeedTask(args.layer, tuple(dates), tuple(range(int(low), int(high or low) + 1)),
                    bbox, args.grid)
    state = settings.tile_cache_dir / "seed" / (
        hashlib.sha256(repr(task).encode()).hexdigest()[:16] + ".json")
    renderer = OwsService(registry, index, MapServer(settings.mapfile), settings.limits)
    _say(f"seeding {len(dates)} dates, levels {args.levels} (state: {state})")
    count = seed(settings.mapproxy_config, renderer, task, state, progress=_progress)
    _say(f"{count} tiles seeded")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    registry = load(settings.layers_dir)
    for name, (collection, layer) in registry.layers.items():
        print(f"{name:28} {collection.id:30} {collection.profile:11} {','.join(layer.services)}")
    _say(f"registry OK: {len(registry.collections)} collections, {len(registry.layers)} "
         f"layers, profiles {', '.join(registry.profiles)}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from services.refresh import sync_configuration

    registry: Registry = load(settings.layers_dir)  # refuse a bad registry before starting
    for path in sync_configuration(registry, settings)[0]:
        _say(f"generated {path}")
    config = PROJECT_ROOT / "config" / "gunicorn.conf.py"
    bind = f"{args.host}:{args.port}"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", bind,
            "--pid", str(settings.pidfile), "services.gateway:create_app()"]
    settings.pidfile.parent.mkdir(parents=True, exist_ok=True)
    os.execv(sys.executable, argv)
    return 0  # not reached


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from services.processing.runner import main as run_jobs

    return run_jobs([])


def _users(settings: Settings):
    from services.users.store import UserStore

    return UserStore(settings.users)


def _password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise ValueError("no password on standard input")
    return password


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    store = _users(settings)
    if args.action == "add":
        key = store.add(args.name, args.organisation, args.email or "", args.country or "",
                        args.admin, _password(args))
        _set_quotas(store, args)
        _say(f"user {args.name} added; their API key (shown once, keep it):")
        print(key)
    elif args.action == "list":
        print(f"{'name':24} {'organisation':24} {'country':7} {'admin':5} {'state':8} "
              f"{'key':3} {'pwd':3} created")
        for user in store.list():
            print(f"{user.name:24} {user.organisation:24} {user.country:7} "
                  f"{'yes' if user.admin else '':5} "
                  f"{'disabled' if user.disabled else 'active':8} "
                  f"{'yes' if user.has_key else '':3} {'yes' if user.has_password else '':3} "
                  f"{user.created}")
    elif args.action == "disable":
        store.set_disabled(args.name, not args.enable)
        _say(f"user {args.name} {'enabled' if args.enable else 'disabled'}")
    elif args.action == "rotate-key":
        key = store.rotate_key(args.name)
        _say(f"new API key of {args.name} (the old one no longer works):")
        print(key)
    elif args.action == "quota":
        store.require(args.name)
        _set_quotas(store, args)
        _say(f"quotas of {args.name}: {store.require(args.name).quotas}")
    return 0


def _set_quotas(store, args: argparse.Namespace) -> None:
    store.set_quotas(args.name, products=args.products_per_day, bytes=args.bytes_per_day,
                     jobs=args.jobs, rate=args.requests_per_minute,
                     compute=args.compute_seconds_per_day)


def cmd_usage(args: argparse.Namespace, settings: Settings) -> int:
    import csv

    from services.users.usage import FIGURES, rows, summary

    since, until = args.since.isoformat(), (args.until or date.max).isoformat()
    store = _users(settings)
    if args.demo:
        from services.users import demo

        demo.fill(store, args.since.year)
        _say(f"demo usage of {args.since.year} added to {store.path}")
    figures = summary(store, since, until)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["user", "organisation", "country", "service", "requests", "bytes",
                         "products"])
        writer.writerows(rows(store, since, until))
        return 0
    labels = {"active_users": "active users", "organisations": "organisations",
              "countries": "countries", "requests": "requests", "bytes": "bytes delivered",
              "products": "products delivered",
              "anonymous_viewers": "anonymous viewers (distinct per day)"}
    print(f"usage from {since}" + (f" to {args.until}" if args.until else ""))
    for name in FIGURES:
        print(f"  {labels[name]:38} {figures[name]:>16,}")
    return 0


def _quota_options(parser: argparse.ArgumentParser) -> None:
    for flag, what in (("--products-per-day", "products downloaded a day"),
                       ("--bytes-per-day", "bytes downloaded a day"),
                       ("--jobs", "jobs queued or running at once"),
                       ("--requests-per-minute", "requests a minute"),
                       ("--compute-seconds-per-day", "seconds jobs may run a day")):
        parser.add_argument(flag, type=int, help=f"quota: {what} (0: none, -1: the default)")


def _users_parser(verbs) -> None:
    users = verbs.add_parser("users", help="manage the users (API keys, passwords, quotas)")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user; prints their API key")
    add.add_argument("name")
    add.add_argument("--organisation", default="")
    add.add_argument("--email")
    add.add_argument("--country", help="ISO 3166 code, e.g. BE")
    add.add_argument("--admin", action="store_true", help="may see every job")
    add.add_argument("--password-stdin", action="store_true",
                     help="read a password (for HTTP Basic) from standard input")
    _quota_options(add)
    actions.add_parser("list", help="list the users")
    disable = actions.add_parser("disable", help="refuse a user's credentials")
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="accept them again")
    rotate = actions.add_parser("rotate-key", help="a new API key; the old one stops working")
    rotate.add_argument("name")
    quota = actions.add_parser("quota", help="set a user's own quotas")
    quota.add_argument("name")
    _quota_options(quota)
    users.set_defaults(run=cmd_users)
    usage = verbs.add_parser("usage", help="usage statistics (users, organisations, bytes, "
                             "products, anonymous viewers)")
    usage.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    usage.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD (inclusive)")
    usage.add_argument("--csv", action="store_true", help="per user and service, as CSV")
    usage.add_argument("--demo", action="store_true", help="first add a demo year (that of "
                       "--since) of synthetic usage with the seed's figures")
    usage.set_defaults(run=cmd_usage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eoscope", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    demo = verbs.add_parser("demo-data", help="generate the demo archive (six sources)")
    demo.add_argument("--output", type=Path, help="archive folder (default: settings)")
    demo.add_argument("--missions", help="comma-separated: sentinel2, sentinel1, sentinel3, "
                      "sentinel5p, probav, spotvgt (default: all)")
    demo.add_argument("--seed", type=int, default=2018)
    demo.add_argument("--size-km", type=float, default=10.0, help="Sentinel-2 area side")
    demo.add_argument("--dates", type=int, default=24, help="Sentinel-2 acquisitions")
    demo.add_argument("--start", type=date.fromisoformat, default=date(2018, 3, 15))
    demo.add_argument("--end", type=date.fromisoformat, default=date(2018, 10, 31))
    demo.add_argument("--overlap", action="store_true",
                      help="straddle tiles 31UES and 31UFS (two products per date)")
    demo.set_defaults(run=cmd_demo_data)

    ingest = verbs.add_parser("ingest", help="index the products under PATH (default: archive)")
    ingest.add_argument("paths", nargs="*", type=Path)
    ingest.add_argument("--strict", action="store_true", help="exit 1 if any file was skipped")
    ingest.set_defaults(run=cmd_ingest)

    verbs.add_parser("generate", help="generate the mapfile and MapProxy's configuration"
                     ).set_defaults(run=cmd_generate)
    verbs.add_parser("check", help="validate the layer registry").set_defaults(run=cmd_check)
    verbs.add_parser("reload", help="regenerate after a registry change and reload the "
                     "running gateway gracefully").set_defaults(run=cmd_reload)

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

    verbs.add_parser("jobs", help="run the job runner (processes on Dask) in the foreground"
                     ).set_defaults(run=cmd_jobs)

    _users_parser(verbs)

    serve = verbs.add_parser("serve", help="serve the gateway with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    serve.set_defaults(run=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as error:  # an EOSCOPE_* variable is malformed
        _say(f"invalid settings: {error}")
        return EXIT_INVALID
    try:
        return args.run(args, settings)
    except RegistryError as error:
        _say(str(error))
        return EXIT_INVALID
    except ValueError as error:  # a demo spec or a mission list out of range, a user error
        _say(f"eoscope {args.verb}: {error}")
        return EXIT_INVALID
    except sqlite3.Error as error:  # e.g. a user store that cannot be written
        _say(f"eoscope {args.verb}: {error}")
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
