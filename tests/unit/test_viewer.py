"""The viewer's Python side: its configuration from the registry, its routes, the overlay."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from pyproj import Transformer
from werkzeug.test import Client
from werkzeug.wrappers import Request

from services.demo import DemoSpec
from services.demo.geometry import CRS, area_bounds, area_grid
from services.demo.landscape import build_landscape
from services.registry import load
from services.settings import Settings
from services.viewer import ViewerApp, demo_overlay, viewer_config, write_overlay
from services.viewer.config import text

SPEC = DemoSpec(seed=7, size_km=2.0, dates=1)


@pytest.fixture(scope="module")
def registry():
    return load(Settings().layers_dir)


def test_config_lists_every_wms_layer_grouped_by_platform(registry):
    config = viewer_config(registry, Settings())
    wms = [(c, layer) for c, layer in registry.layers.values() if "wms" in layer.services]
    assert [entry["name"] for entry in config["layers"]] == [layer.name for _, layer in wms]
    assert {g["id"]: g["layers"] for g in config["groups"]} == {
        platform: [layer.name for c, layer in wms if c.platform == platform]
        for platform in dict.fromkeys(c.platform for c, _ in wms)}
    for entry, (collection, layer) in zip(config["layers"], wms, strict=True):
        assert entry["collection"] == collection.id
        assert entry["title"] == {code: text(layer.title, code) for code in ("en", "nl", "fr")}
        assert entry["abstract"]["nl"] == text(layer.abstract, "nl")
        legend = entry["legend"]["fr"]
        assert "REQUEST=GetLegendGraphic" in legend and "LANGUAGE=fr" in legend
        assert f"LAYER={layer.name}" in legend


def test_config_takes_base_overlay_and_attribution_from_settings(registry):
    settings = Settings(viewer_base_url="https://tiles.example.org/{z}/{x}/{y}.png",
                        viewer_overlay_url="https://example.org/streets.geojson")
    config = viewer_config(registry, settings)
    assert config["base"]["url"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["overlay"]["url"] == "https://example.org/streets.geojson"
    assert viewer_config(registry, Settings())["overlay"]["url"] == "/viewer/overlay.geojson"
    assert config["attribution"] == "Contains modified Copernicus Sentinel data"


class _Texts:
    """A text with a ``get`` per language, as the registry's texts become."""

    def __init__(self, **texts: str):
        self.texts = texts

    def get(self, language: str) -> str:
        return self.texts.get(language, self.texts["en"])


def test_text_reads_objects_and_language_mappings():
    assert text(SimpleNamespace(en="Leaf", nl="Blad", fr="Feuille"), "nl") == "Blad"
    assert text(_Texts(en="Leaf", nl="Blad"), "nl") == "Blad"
    assert text(_Texts(en="Leaf", nl="Blad"), "fr") == "Leaf"
    assert text({"en": "Leaf", "fr": "Feuille"}, "nl") == "Leaf"
    assert text({"en": "Leaf", "fr": "Feuille"}, "fr") == "Feuille"


def _client(registry, settings):
    viewer = ViewerApp(settings, registry)

    def app(environ, start_response):
        request = Request(environ)
        path = request.path
        rest = None if path == "/viewer" else path.removeprefix("/viewer/")
        return viewer(request, rest)(environ, start_response)

    return Client(app)


def test_routes(registry, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    settings = Settings(viewer_dist=dist, archive_dir=tmp_path / "archive")
    client = _client(registry, settings)
    moved = client.get("/viewer?layer=CGS_S2_NDVI&bbox=3.6,51.0,3.7,51.1")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/viewer/?layer=CGS_S2_NDVI&bbox=3.6,51.0,3.7,51.1")
    unbuilt = client.get("/viewer/")
    assert unbuilt.status_code == 503 and "make viewer" in unbuilt.json["detail"]
    (dist / "index.html").write_text("<!doctype html>", encoding="utf-8")
    assert client.get("/viewer/").status_code == 200
    assert client.get("/viewer/../pyproject.toml").status_code == 404
    assert client.get("/viewer/config.json").json["layers"]
    assert client.get("/viewer/overlay.geojson").status_code == 404
    write_overlay(settings.archive, SPEC)
    overlay = client.get("/viewer/overlay.geojson")
    assert overlay.status_code == 200 and overlay.json["type"] == "FeatureCollection"


def _pixels(feature, spec):
    """(row, col) of the demo grid under every vertex of a line feature inside the area."""
    grid = area_grid(spec)
    to_utm = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    xs, ys = to_utm.transform(*zip(*feature["geometry"]["coordinates"], strict=True))
    cols = ((np.array(xs) - grid.left) / grid.resolution).astype(int)
    rows = ((grid.top - np.array(ys)) / grid.resolution).astype(int)
    inside = (cols >= 0) & (cols < grid.width) & (rows >= 0) & (rows < grid.height)
    return rows[inside], cols[inside]


def test_overlay_lines_lie_on_the_demo_rasters():
    landscape = build_landscape(area_grid(SPEC), SPEC.seed)
    overlay = demo_overlay(SPEC)
    kinds = [f["properties"]["kind"] for f in overlay["features"]]
    assert {"area", "river", "canal", "town", "road", "motorway", "label"} <= set(kinds)
    for feature in overlay["features"]:
        kind = feature["properties"]["kind"]
        if kind in ("road", "motorway"):
            rows, cols = _pixels(feature, SPEC)
            sealed = landscape.sealed_fraction[rows, cols]
            assert len(rows) and sealed.min() > 0.1 and np.median(sealed) > 0.5, kind
        if kind in ("river", "canal"):
            rows, cols = _pixels(feature, SPEC)
            assert len(rows) and np.median(landscape.water_fraction[rows, cols]) > 0.9, kind
    area = area_bounds(SPEC)
    outline = next(f for f in overlay["features"] if f["properties"]["kind"] == "area")
    lons = [p[0] for p in outline["geometry"]["coordinates"][0]]
    assert max(lons) - min(lons) == pytest.approx((area.right - area.left) / 70_000, rel=0.1)
    json.dumps(overlay)


def test_every_interface_text_is_translated():
    folder = Settings().viewer_dist.parent / "src" / "i18n"
    tables = {path.stem: json.loads(path.read_text(encoding="utf-8"))
              for path in folder.glob("*.json")}
    assert set(tables) == {"en", "nl", "fr"}
    for language, table in tables.items():
        assert set(table) == set(tables["en"]), language
        assert all(value.strip() for value in table.values()), language


def test_each_layer_carries_its_collections_attribution():
    from services.registry import load
    from services.settings import PROJECT_ROOT, Settings
    from services.viewer.config import viewer_config

    settings = Settings()
    layers = {entry["name"]: entry for entry in viewer_config(
        load(PROJECT_ROOT / "layers"), settings)["layers"]}
    assert layers["PROBAV_S10_TOC_333M_NDVI"]["attribution"].startswith("PROBA-V products")
    assert layers["CGS_S2_NDVI"]["attribution"] == settings.viewer_attribution
