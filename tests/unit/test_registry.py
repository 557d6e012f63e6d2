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
    assert set(registry.layers) == {"CGS_S2_RADIOMETRY", "CGS_S2_NIR", "CGS_S2_REFLECTANCE",
                                    "CGS_S2_NDVI", "CGS_S2_FAPAR", "CGS_S2_LAI", "CGS_S2_FCOVER"}
    collection, layer = registry.layer("CGS_S2_NDVI")
    assert collection.band("NDVI").physical(250) == pytest.approx(0.92)
    assert {layer.title.en, layer.title.nl, layer.title.fr} and layer.abstract.fr
    with pytest.raises(TypeError):
        registry.layers["X"] = None  # type: ignore[index]
    with pytest.raises(Exception):  # noqa: B017 — pydantic's frozen-instance error
        layer.name = "other"  # type: ignore[misc]


def _write(directory: Path, name: str, document: dict) -> None:
    (directory / name).write_text(yaml.safe_dump(document, allow_unicode=True))


def _ndvi() -> dict:
    return yaml.safe_load((LAYERS / "s2_ndvi.yaml").read_text())


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load(directory)
    return caught.value.problems


def test_unknown_band_names_the_layer_and_the_known_bands(tmp_path):
    document = _ndvi()
    document["layers"][0]["bands"] = ["NDV"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].bands[0]: unknown band 'NDV' (known: NDVI)"]


def test_unknown_and_missing_keys_are_errors_with_their_path(tmp_path):
    document = _ndvi()
    document["layers"][0]["colour"] = "green"
    del document["bands"][0]["dtype"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: bands[NDVI].dtype: Field required",
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].colour: Extra inputs are not permitted",
    ]


def test_style_kind_must_fit_the_bands_and_names_be_unique(tmp_path):
    document = _ndvi()
    document["layers"][0]["styles"][1]["type"] = "rgb"
    document["layers"][0]["styles"][1]["ranges"] = [[0, 1], [0, 1], [0, 1]]
    del document["layers"][0]["styles"][1]["stops"]
    _write(tmp_path, "s2_ndvi.yaml", document)
    copy = _ndvi()
    copy["id"] = "OTHER"
    copy["product_type"] = "OTHER"
    _write(tmp_path, "z_copy.yaml", copy)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].styles[greyscale]: an rgb style needs exactly 3 "
        "bands, the layer has 1",
        "z_copy.yaml: layers[CGS_S2_NDVI]: name already used in s2_ndvi.yaml",
    ]


def test_yaml_syntax_errors_name_the_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    (problem,) = problems_of(tmp_path)
    assert problem.startswith("broken.yaml: not valid YAML:")


def test_ramp_stops_must_increase(tmp_path):
    document = _ndvi()
    stops = document["layers"][0]["styles"][0]["stops"]
    stops[1]["value"] = -0.5
    _write(tmp_path, "s2_ndvi.yaml", document)
    assert problems_of(tmp_path) == [
        "s2_ndvi.yaml: layers[CGS_S2_NDVI].styles[ndvi].stops: Value error, stop values must "
        "increase strictly"]


def test_empty_directory(tmp_path):
    assert problems_of(tmp_path) == [f"{tmp_path}: no *.yaml layer files"]
