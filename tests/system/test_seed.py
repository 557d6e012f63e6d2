"""Seeding warms a layer's cache for dates, levels and an area, and resumes after interruption."""

from __future__ import annotations

import json

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
