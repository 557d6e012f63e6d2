"""The layer registry: the shipped layers/ are valid; each mistake gets a precise message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.registry import RegistryError, load
from services.settings import PROJECT_ROOT

LAYERS = PROJECT_ROOT / "layers"


def test_the_shipped_registry_is_valid_and_immutable():
    registry = load(LAYERS)
    assert registry.languages == ("en", "fr", "nl")
    for collection, layer in registry.layers.values():
        assert all(layer.title.get(language) for language in registry.languages)
        assert registry.collection_for(collection.profile, collection.product_key) is collection
    collection, layer = registry.layer("CGS_S2_NDVI")
    assert collection.band("NDVI").physical(250) == pytest.approx(0.92)
    assert layer.title.get("de") == layer.title.en  # a language without a text: English
    with pytest.raises(TypeError):
        registry.layers["X"] = None  # type: ignore[index]
    with pytest.raises(Exception):  # noqa: B017 — pydantic's frozen-instance error
        layer.name = "other"  # type: ignore[misc]


def _write(directory: Path, name: str, document: dict) -> None:
    (directory / name).write_text(yaml.safe_dump(document, allow_unicode=True))


def _ndvi() -> dict:
    return yaml.safe_load((LAYERS / "s2_ndvi.yaml").read_text())


def _with_toc(directory: Path) -> Path:
    """The TOC collection whose scene classification the indicator collections use."""
    (directory / "s2_toc.yaml").write_text((LAYERS / "s2_toc.yaml").read_text())
    return directory


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load(directory)
    return caught.value.problems


@pytest.fixture
def folder(tmp_path) -> Path:
    return _with_toc(tmp_path)


def test_unknown_band_names_the_layer_and_the_known_bands(folder):
    tmp_path = folder
    document = _ndvi()
    document["layers"][0]["bands"] = ["NDV"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].bands[0]: unknown band 'NDV' (known: NDVI)"]


def test_unknown_and_missing_keys_are_errors_with_their_path(folder):
    tmp_path = folder
    document = _ndvi()
    document["layers"][0]["colour"] = "green"
    del document["bands"][0]["dtype"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: bands[NDVI].dtype: Field required",
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].colour: Extra inputs are not permitted",
    ]


def test_style_kind_must_fit_the_bands_and_names_be_unique(folder):
    tmp_path = folder
    document = _ndvi()
    document["layers"][0]["styles"][1]["type"] = "rgb"
    document["layers"][0]["styles"][1]["ranges"] = [[0, 1], [0, 1], [0, 1]]
    del document["layers"][0]["styles"][1]["stops"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    copy = _ndvi()
    copy["id"] = "OTHER"
    copy["product"] = "OTHER"
    _write(tmp_path, "z_copy.yaml", copy)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].styles[greyscale]: an rgb style needs exactly 3 "
        "bands, the layer has 1",
        "z_copy.yaml: layers[CGS_S2_NDVI]: name already used in s2_ndvi.yaml",
        "z_copy.yaml: layers[CGS_S2_NDVI].timeseries_names: 'TERRASCOPE_S2_NDVI_V2' already "
        "used in s2_ndvi.yaml",
        "z_copy.yaml: layers[CGS_S2_NDVI].timeseries_names: 'S2_NDVI' already used in "
        "s2_ndvi.yaml",
    ]


def test_yaml_syntax_errors_name_the_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    (problem,) = problems_of(tmp_path)
    assert problem.startswith("broken.yaml: not valid YAML:")


def test_ramp_stops_must_increase(folder):
    tmp_path = folder
    document = _ndvi()
    stops = document["layers"][0]["styles"][0]["stops"]
    stops[1]["value"] = -0.5
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].styles[ndvi].stops: Value error, stop values must "
        "increase strictly"]


def test_empty_directory(tmp_path):
    assert problems_of(tmp_path) == [f"{tmp_path}: no *.yaml layer files"]


def _toc() -> dict:
    return yaml.safe_load((LAYERS / "s2_toc.yaml").read_text())


def test_profiles_masks_and_products_are_checked(tmp_path):
    document = _ndvi()
    document["profile"] = "sentinel9"
    document["masks"] = [{"rule": "cloudiness", "band": "SCL", "collection": "NOWHERE"}]
    _write(tmp_path, "s2_ndvi.yaml", document)
    twin = _ndvi()
    twin["id"] = "TWIN"
    twin["layers"] = []
    twin["masks"] = [{"rule": "cloudiness", "band": "NDVI"}]
    _write(tmp_path, "twin.yml", twin)
    _write(tmp_path, "u_twin.yaml", {**_ndvi(), "id": "TWIN2", "layers": []})
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: profile: unknown profile 'sentinel9' (known: probav, sentinel1, "
        "sentinel2, sentinel3, sentinel5p, spotvgt)",
        "s2_ndvi.yaml: masks[0]: unknown collection 'NOWHERE'",
        "twin.yml: masks[0]: unknown rule 'cloudiness' of profile sentinel2 (known: "
        "scene_classification)",
        "u_twin.yaml: product 'NDVI' of profile sentinel2 already used in twin.yml",
        "u_twin.yaml: masks[0]: unknown collection 'TERRASCOPE_S2_TOC_V2'",
    ]


def test_expressions_use_the_layers_bands_and_the_language(tmp_path):
    document = yaml.safe_load((LAYERS / "s1_grd_sigma0.yaml").read_text())
    style = document["layers"][0]["styles"][0]
    style["expressions"] = ["db(VV)", "db(HH)", "__import__('os')"]
    _write(tmp_path, "s1.yaml", document)
    assert problems_of(tmp_path) == [
        "s1.yaml: layers[CGS_S1_GRD_SIGMA0].styles[default].expressions[1]: band HH is not a "
        "band of the layer (its bands: VV, VH)",
        "s1.yaml: layers[CGS_S1_GRD_SIGMA0].styles[default].expressions[2]: "
        "'__import__('os')': only band names, numbers, db(), log10() and + - * / are allowed",
    ]


def test_exact_grids(tmp_path):
    registry = load(LAYERS)
    grid = registry.collections["PROBAV_L3_S10_TOC_333M"].grid
    assert grid.resolution * 336 == 1 and grid.geographic and grid.units == "degree"
    tile = (-1 / 672, 45 - 1 / 672, 10 + 1 / 672, 55 + 1 / 672)  # pixel centres on the degrees
    assert grid.snap((0.0, 45.0, 10.0, 55.0)) == pytest.approx(tile, abs=1e-12)
    document = _ndvi()
    document["grid"]["resolution"] = "1/112x"
    _write(tmp_path, "s2_ndvi.yaml", document)
    (problem,) = problems_of(tmp_path)
    assert problem.startswith("s2_ndvi.yaml: grid.resolution: Value error, '1/112x' is not a")


def test_a_missing_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: no such layer "
                                                 "registry folder"]
