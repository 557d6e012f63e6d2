"""The demo archive of all six sources: which missions it holds and each one's spec.

``ArchiveSpec`` bundles one spec per mission (None leaves the mission out); the defaults make
the archive `make run` serves, :data:`TINY` the one the tests build (a few dates, small areas).
Every mission writes its own layout and naming; each is deterministic from its spec.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from services.demo.archive import generate as generate_sentinel2
from services.demo.sentinel1 import Sentinel1Spec
from services.demo.sentinel1 import generate as generate_sentinel1
from services.demo.sentinel5p import Sentinel5pSpec
from services.demo.sentinel5p import generate as generate_sentinel5p
from services.demo.spec import DemoSpec
from services.demo.vgt import (
    ProbaVSpec,
    Sentinel3Spec,
    SpotVgtSpec,
    generate_probav,
    generate_sentinel3,
    generate_spotvgt,
)

Progress = Callable[[int, int, str], None]
MISSIONS = ("sentinel2", "sentinel1", "sentinel3", "sentinel5p", "probav", "spotvgt")
BELGIUM = (2.5, 49.5, 6.5, 51.6)


@dataclass(frozen=True)
class ArchiveSpec:
    """One spec per mission; a mission whose spec is None is not written."""

    sentinel2: DemoSpec | None = field(default_factory=DemoSpec)
    sentinel1: Sentinel1Spec | None = field(default_factory=Sentinel1Spec)
    sentinel3: Sentinel3Spec | None = field(default_factory=Sentinel3Spec)
    sentinel5p: Sentinel5pSpec | None = field(default_factory=lambda: Sentinel5pSpec(days=4))
    probav: ProbaVSpec | None = field(default_factory=lambda: ProbaVSpec(region=BELGIUM,
                                                                         s1_days=4))
    spotvgt: SpotVgtSpec | None = field(default_factory=SpotVgtSpec)

    def only(self, missions: tuple[str, ...]) -> ArchiveSpec:
        """The same archive with the other missions left out."""
        unknown = set(missions) - set(MISSIONS)
        if unknown:
            raise ValueError(f"unknown mission(s) {', '.join(sorted(unknown))} (known: "
                             f"{', '.join(MISSIONS)})")
        return replace(self, **{f.name: None for f in fields(self) if f.name not in missions})

    def seeded(self, seed: int) -> ArchiveSpec:
        return replace(self, **{f.name: replace(spec, seed=seed) for f in fields(self)
                                if (spec := getattr(self, f.name)) is not None})


WRITERS: dict[str, Callable] = {
    "sentinel2": generate_sentinel2, "sentinel1": generate_sentinel1,
    "sentinel3": generate_sentinel3, "sentinel5p": generate_sentinel5p,
    "probav": generate_probav, "spotvgt": generate_spotvgt,
}


def generate_all(root: Path, spec: ArchiveSpec = ArchiveSpec(),
                 progress: Progress | None = None, workers: int | None = None
                 ) -> dict[str, list[Path]]:
    """Write every mission of ``spec`` under ``root``: mission → product folders. Missions
    are written side by side, one process each up to ``workers`` (default: the cores); each
    is deterministic on its own, so the bytes do not depend on the order."""
    chosen = [(m, s) for m in MISSIONS if (s := getattr(spec, m)) is not None]
    workers = max(1, min(workers or os.cpu_count() or 1, len(chosen)))
    if workers == 1:
        return {m: WRITERS[m](root, s, progress=progress) for m, s in chosen}
    with ProcessPoolExecutor(workers) as pool:
        futures = {m: pool.submit(WRITERS[m], root, s, progress=progress) for m, s in chosen}
        return {m: future.result() for m, future in futures.items()}


TINY = ArchiveSpec(
    sentinel2=DemoSpec(seed=7, size_km=2.0, dates=6, start=date(2018, 5, 1),
                       end=date(2018, 7, 31)),
    sentinel1=Sentinel1Spec(seed=7, size_km=1.0, start=date(2018, 6, 1), end=date(2018, 6, 19)),
    sentinel3=Sentinel3Spec(seed=7, region=(3.5, 50.8, 4.0, 51.2), dekads=2),
    sentinel5p=Sentinel5pSpec(seed=7, region=(3.0, 50.5, 5.5, 52.0), days=2),
    probav=ProbaVSpec(seed=7, region=(3.5, 50.8, 4.0, 51.2), s10_dekads=2, s1_days=2),
    spotvgt=SpotVgtSpec(seed=7, region=(3.5, 50.8, 4.0, 51.2),
                        dekads=(date(2004, 6, 1), date(2004, 6, 11))),
)
"""What the tests build: every source, a few dates each, small areas (a few seconds)."""
