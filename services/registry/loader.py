"""Load ``layers/*.yaml`` into one immutable :class:`Registry`, in named stages.

1. syntax: every file parses as YAML and holds a mapping;
2. schema: types, required and unknown keys (pydantic models);
3. references: band names a layer uses exist, style types fit the band count, names are unique.

Every problem is collected and reported with its file and path, e.g.
``s2_ndvi.yaml: layers[CGS_S2_NDVI].bands[0]: unknown band 'NDV' (known: NDVI)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import ValidationError

from services.registry.models import Collection, Layer, RampStyle, RgbStyle


class RegistryError(Exception):
    """The registry is invalid; ``problems`` lists every finding, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid layer registry:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Registry:
    """Every collection and layer, validated once; read by every service, never changed."""

    collections: MappingProxyType[str, Collection]
    layers: MappingProxyType[str, tuple[Collection, Layer]]

    def collection_for_product_type(self, product_type: str) -> Collection | None:
        return next((c for c in self.collections.values() if c.product_type == product_type),
                    None)

    def layer(self, name: str) -> tuple[Collection, Layer]:
        return self.layers[name]


def load(directory: Path) -> Registry:
    """Read and validate every ``*.yaml`` file of ``directory``; raise :class:`RegistryError`."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RegistryError([f"{directory}: no *.yaml layer files"])
    problems: list[str] = []
    documents = dict(_parse(files, problems))
    collections = dict(_validate(documents, problems))
    problems.extend(_check_references(collections))
    if problems:
        raise RegistryError(problems)
    ordered = sorted(collections.values(), key=lambda c: c.id)
    return Registry(
        collections=MappingProxyType({c.id: c for c in ordered}),
        layers=MappingProxyType({layer.name: (c, layer) for c in ordered for layer in c.layers}),
    )


def _parse(files: Iterable[Path], problems: list[str]) -> Iterator[tuple[str, dict]]:
    """Stage 1: YAML syntax."""
    for path in files:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            problems.append(f"{path.name}: not valid YAML: {error}".replace("\n", " "))
            continue
        if not isinstance(document, dict):
            problems.append(f"{path.name}: expected a mapping at the top level")
            continue
        yield path.name, document


def _validate(documents: dict[str, dict], problems: list[str]) -> Iterator[tuple[str, Collection]]:
    """Stage 2: the schema."""
    for filename, document in documents.items():
        try:
            yield filename, Collection.model_validate(document)
        except ValidationError as error:
            items = error.errors()
            for item in items:
                if _follows_from_items(item, items):
                    continue
                where = _path(item["loc"], document)
                problems.append(f"{filename}: {where}: {item['msg']}")


def _follows_from_items(item: dict, items: list[dict]) -> bool:
    """pydantic adds "too short" for a tuple whose items failed: the item errors say it all."""
    loc = item["loc"]
    return item["type"] == "too_short" and any(
        other["loc"][:len(loc)] == loc and len(other["loc"]) > len(loc) for other in items)


def _path(loc: tuple, document: dict) -> str:
    """``('layers', 0, 'bands')`` → ``layers[CGS_S2_NDVI].bands`` using names where known."""
    parts: list[str] = []
    node: object = document
    for key in loc:
        if isinstance(key, int):
            name = node[key].get("name") if isinstance(node, list) and isinstance(
                node[key], dict) else None
            parts[-1] += f"[{name or key}]"
        elif key in ("ramp", "rgb") and parts:  # pydantic's union tag: not a user key
            continue
        else:
            parts.append(str(key))
        node = node[key] if isinstance(node, (dict, list)) and _has(node, key) else None
    return ".".join(parts) or "(top)"


def _has(node: dict | list, key: object) -> bool:
    return key in node if isinstance(node, dict) else isinstance(key, int) and key < len(node)


def _check_references(collections: dict[str, Collection]) -> Iterator[str]:
    """Stage 3: cross-references and uniqueness."""
    seen_ids: dict[str, str] = {}
    seen_types: dict[str, str] = {}
    seen_layers: dict[str, str] = {}
    for filename, collection in collections.items():
        for seen, key, what in ((seen_ids, collection.id, "collection id"),
                                (seen_types, collection.product_type, "product_type")):
            if key in seen:
                yield f"{filename}: {what} '{key}' already used in {seen[key]}"
            seen[key] = filename
        band_names = [b.name for b in collection.bands]
        if len(set(band_names)) != len(band_names):
            yield f"{filename}: bands: duplicate band names"
        for layer in collection.layers:
            if layer.name in seen_layers:
                yield f"{filename}: layers[{layer.name}]: name already used in " \
                      f"{seen_layers[layer.name]}"
            seen_layers[layer.name] = filename
            yield from (f"{filename}: layers[{layer.name}].{p}"
                        for p in _layer_problems(layer, band_names))


def _layer_problems(layer: Layer, band_names: list[str]) -> Iterator[str]:
    known = ", ".join(band_names)
    for i, band in enumerate(layer.bands):
        if band not in band_names:
            yield f"bands[{i}]: unknown band '{band}' (known: {known})"
    style_names = [s.name for s in layer.styles]
    if len(set(style_names)) != len(style_names):
        yield "styles: duplicate style names"
    if "wms" in layer.services and not layer.styles:
        yield "styles: a WMS layer needs at least one style"
    for style in layer.styles:
        if isinstance(style, RampStyle) and len(layer.bands) != 1:
            yield f"styles[{style.name}]: a ramp style needs exactly 1 band, the layer has " \
                  f"{len(layer.bands)}"
        if isinstance(style, RgbStyle) and len(layer.bands) != 3:
            yield f"styles[{style.name}]: an rgb style needs exactly 3 bands, the layer has " \
                  f"{len(layer.bands)}"
