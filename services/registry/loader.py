"""Load ``layers/*.yaml`` into one immutable :class:`Registry`, in named stages.

1. syntax: every file parses as YAML and holds a mapping (``*.yaml`` and ``*.yml``);
2. schema: types, required and unknown keys (pydantic models);
3. references: the profile exists, band names a layer or mask uses exist, masks name rules of
   the profile, style types fit the band count, expressions use the layer's bands, names and
   (profile, product) keys are unique.

Every problem is collected and reported with its file and path, e.g.
``s2_ndvi.yaml: layers[CGS_S2_NDVI].bands[0]: unknown band 'NDV' (known: NDVI)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import ValidationError

from services.registry.expressions import ExpressionError, parse_expression
from services.registry.models import DEFAULT_LANGUAGE, Collection, Layer, RampStyle, RgbStyle


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
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    fingerprint: str = ""   # changes with any file's content: what a running gateway serves
    by_product: MappingProxyType[tuple[str, str], Collection] = field(
        default_factory=lambda: MappingProxyType({}))

    def collection_for(self, profile: str, product_key: str) -> Collection | None:
        """The collection whose products the profile recognises under ``product_key``."""
        return self.by_product.get((profile, product_key))

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles the collections use, each once, by name."""
        return tuple(sorted({c.profile for c in self.collections.values()}))

    def layer(self, name: str) -> tuple[Collection, Layer]:
        return self.layers[name]

    def without(self, collection_ids: Iterable[str]) -> Registry:
        """The same registry without these collections (and their layers): what the
        catalogues show anonymous users when some collections are restricted."""
        hidden = set(collection_ids)
        if not hidden & set(self.collections):
            return self
        return replace(
            self,
            collections=MappingProxyType({k: c for k, c in self.collections.items()
                                          if k not in hidden}),
            layers=MappingProxyType({k: v for k, v in self.layers.items()
                                     if v[0].id not in hidden}),
            by_product=MappingProxyType({k: c for k, c in self.by_product.items()
                                         if c.id not in hidden}))



def load(directory: Path) -> Registry:
    """Read and validate every ``*.yaml`` (and ``*.yml``) file of ``directory``; raise
    :class:`RegistryError`."""
    if not directory.is_dir():
        raise RegistryError([f"{directory}: no such layer registry folder"])
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise RegistryError([f"{directory}: no *.yaml layer files"])
    problems: list[str] = []
    documents = dict(_parse(files, problems))
    collections = dict(_validate(documents, problems))
    problems.extend(_check_references(collections))
    if problems:
        raise RegistryError(problems)
    ordered = sorted(collections.values(), key=lambda c: c.id)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return Registry(
        collections=MappingProxyType({c.id: c for c in ordered}),
        layers=MappingProxyType({layer.name: (c, layer) for c in ordered for layer in c.layers}),
        languages=_languages(ordered), fingerprint=digest.hexdigest()[:16],
        by_product=MappingProxyType({(c.profile, c.product_key): c for c in ordered}),
    )


def _languages(collections: list[Collection]) -> tuple[str, ...]:
    """Every language some text is given in, English first."""
    found = {DEFAULT_LANGUAGE}
    for collection in collections:
        found.update(collection.title.languages)
        for layer in collection.layers:
            found.update(layer.title.languages)
    return (DEFAULT_LANGUAGE, *sorted(found - {DEFAULT_LANGUAGE}))


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
    from services.missions import PROFILES  # profiles are code; the registry names them

    seen_ids: dict[str, str] = {}
    seen_products: dict[tuple[str, str], str] = {}
    seen_layers: dict[str, str] = {}
    seen_series: dict[str, str] = {}
    by_id = {c.id: c for c in collections.values()}
    for filename, collection in collections.items():
        if collection.id in seen_ids:
            yield f"{filename}: collection id '{collection.id}' already used in " \
                  f"{seen_ids[collection.id]}"
        seen_ids[collection.id] = filename
        profile = PROFILES.get(collection.profile)
        if profile is None:
            yield f"{filename}: profile: unknown profile '{collection.profile}' (known: " \
                  f"{', '.join(sorted(PROFILES))})"
        key = (collection.profile, collection.product_key)
        if key in seen_products:
            yield f"{filename}: product '{key[1]}' of profile {key[0]} already used in " \
                  f"{seen_products[key]}"
        seen_products[key] = filename
        band_names = [b.name for b in collection.bands]
        if len(set(band_names)) != len(band_names):
            yield f"{filename}: bands: duplicate band names"
        for i, mask in enumerate(collection.masks):
            yield from (f"{filename}: masks[{i}]: {p}"
                        for p in _mask_problems(mask, collection, by_id, profile))
        for layer in collection.layers:
            if layer.name in seen_layers:
                yield f"{filename}: layers[{layer.name}]: name already used in " \
                      f"{seen_layers[layer.name]}"
            seen_layers[layer.name] = filename
            for alias in layer.timeseries_names:
                owner = seen_series.get(alias) or (alias in seen_layers and alias != layer.name
                                                   and seen_layers[alias])
                if owner:
                    yield f"{filename}: layers[{layer.name}].timeseries_names: '{alias}' " \
                          f"already used in {owner}"
                seen_series[alias] = filename
            yield from (f"{filename}: layers[{layer.name}].{p}"
                        for p in _layer_problems(layer, band_names))


def _mask_problems(mask, collection: Collection, by_id: dict[str, Collection],
                   profile) -> Iterator[str]:
    source = collection
    if mask.collection is not None:
        source = by_id.get(mask.collection)
        if source is None:
            yield f"unknown collection '{mask.collection}'"
            return
    if mask.band not in {b.name for b in source.bands}:
        yield f"unknown band '{mask.band}' of {source.id} (known: " \
              f"{', '.join(b.name for b in source.bands)})"
    if profile is not None and mask.rule not in profile.mask_rules:
        known = ", ".join(sorted(profile.mask_rules)) or "none"
        yield f"unknown rule '{mask.rule}' of profile {profile.name} (known: {known})"


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
        if isinstance(style, RgbStyle) and style.expressions is not None:
            for j, text in enumerate(style.expressions):
                try:
                    unknown = parse_expression(text).bands() - set(layer.bands)
                except ExpressionError as error:
                    yield f"styles[{style.name}].expressions[{j}]: {error}"
                    continue
                if unknown:
                    yield f"styles[{style.name}].expressions[{j}]: band " \
                          f"{', '.join(sorted(unknown))} is not a band of the layer " \
                          f"(its bands: {', '.join(layer.bands)})"
        elif isinstance(style, RgbStyle) and len(layer.bands) != 3:
            yield f"styles[{style.name}]: an rgb style needs exactly 3 bands, the layer has " \
                  f"{len(layer.bands)}"
