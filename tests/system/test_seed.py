"""Seeding warms a layer's cache for dates, levels and an area, and resumes after interruption."""

from __future__ import annotations

import json
import struct

import pytest

from services.ows.mapserver import MapServer
from services.ows.service import OwsService
from services.tiles.cache import SeedTask, seed


def test_seed_fills_the_cache_per_date_and_resumes(gateway, tmp_path):
    settings = gateway.settings
    renderer = OwsService(gateway.registry, gateway.index, MapServer(settings.mapfile),
                          settings.limits)
    dates = gateway.index.layer_dates("CGS_S2_FAPAR")[:2]
    bbox = gateway.index.extent("TERRASCOPE_S2_FAPAR_V2")
    task = SeedTask("CGS_S2_FAPAR", tuple(dates), (12, 13, 14), bbox)
    state = tmp_path / "seed.json"
    calls: list[str] = []

    class Interrupt(Exception):
        pass

    def stop_after_three(i, n, what):
        calls.append(what)
        if i == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        seed(settings.mapproxy_config, renderer, task, state, progress=stop_after_three)
    assert json.loads(state.read_text()) == [f"{dates[0]}/12", f"{dates[0]}/13",
                                             f"{dates[0]}/14"]
    seeded = seed(settings.mapproxy_config, renderer, task, state)
    assert seeded > 0
    assert len(json.loads(state.read_text())) == 6
    for date in dates:
        folders = list(settings.tile_cache_dir.glob(f"CGS_S2_FAPAR_cache_EPSG3857/time-{date}/*"))
        assert {f.name for f in folders} >= {"12", "13", "14"}
    assert seed(settings.mapproxy_config, renderer, task, state) == 0, "nothing left to do"


class CountingRenderer:
    """The real renderer, counting the maps it is asked for."""

    def __init__(self, renderer: OwsService):
        self.renderer, self.maps = renderer, 0

    def handle(self, *args, **kwargs):
        self.maps += 1
        return self.renderer.handle(*args, **kwargs)


def zlib_level_flag(png: bytes) -> int:
    """FLEVEL of the first IDAT's zlib header: 0 for levels 0-1, 2 for zlib's default (6)."""
    at = 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"IDAT":
            return png[at + 9] >> 6
        at += 12 + length
    raise AssertionError("no IDAT chunk")


def test_seeding_draws_metatiles_and_writes_fast_png(gateway, tmp_path):
    settings = gateway.settings
    renderer = CountingRenderer(OwsService(gateway.registry, gateway.index,
                                           MapServer(settings.mapfile), settings.limits))
    date = gateway.index.layer_dates("CGS_S2_FAPAR")[-1]
    bbox = gateway.index.extent("TERRASCOPE_S2_FAPAR_V2")
    task = SeedTask("CGS_S2_FAPAR", (date,), (15,), bbox)
    seeded = seed(settings.mapproxy_config, renderer, task, tmp_path / "seed.json")
    assert seeded >= 16 and renderer.maps <= seeded / 4, \
        f"{renderer.maps} maps drawn for {seeded} tiles: not 4 x 4 metatiles"
    folder = settings.tile_cache_dir / "CGS_S2_FAPAR_cache_EPSG3857" / f"time-{date}" / "15"
    tiles = list(folder.rglob("*.png"))
    assert len(tiles) >= seeded, "whole metatiles are written, beyond the area too"
    assert {zlib_level_flag(t.read_bytes()) for t in tiles} == {0}, "PNG level 1, not 6"
