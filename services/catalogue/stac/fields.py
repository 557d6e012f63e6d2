"""The STAC API Fields extension: ``fields`` names what an Item of a search keeps.

GET ``fields=id,properties.eo:cloud_cover,-assets`` (a leading ``-`` excludes), POST
``{"fields": {"include": [...], "exclude": [...]}}``; dotted names reach into objects. Without
an include list an Item is whole but for the exclusions; an empty (or null) include list
starts from :data:`DEFAULT`, a list of names from :data:`ALWAYS` and those names. A name both
included and excluded (or an excluded object with an included member) stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass

from services.catalogue.stac.query import StacError

ALWAYS = ("type", "stac_version", "id", "links")  # what pystac needs to read an Item
DEFAULT = ("type", "stac_version", "id", "collection", "geometry", "bbox", "links", "assets",
           "properties.datetime")


@dataclass(frozen=True)
class Fields:
    include: tuple[str, ...] | None = None   # None: not given
    exclude: tuple[str, ...] = ()

    def apply(self, item: dict) -> dict:
        if self.include is None and not self.exclude:
            return item
        if self.include is None:
            kept = deepcopy(item)
        else:
            kept = {}
            for name in (*(ALWAYS if self.include else DEFAULT), *self.include):
                _copy(item, kept, name.split("."))
        included = self.include or ()
        for name in self.exclude:
            if name not in ALWAYS and not any(n == name or n.startswith(f"{name}.")
                                              for n in included):
                _drop(kept, name.split("."))
        return kept


def parse_fields(request: Mapping[str, object], posted: bool) -> Fields:
    """The fields of a GET (comma-separated text) or POST (include/exclude object) search."""
    value = request.get("fields")
    if posted and "fields" in request and not isinstance(value, dict):
        raise StacError("fields in a POST body is {\"include\": [...], \"exclude\": [...]}",
                        "fields")
    if value is None or value == "":
        return Fields()
    if isinstance(value, dict):
        lists = [value.get("include") or [], value.get("exclude") or []]
        if set(value) - {"include", "exclude"} or not all(
                isinstance(v, list) and all(isinstance(n, str) for n in v) for v in lists):
            raise StacError("fields is {\"include\": [names], \"exclude\": [names]}", "fields")
        return Fields(tuple(lists[0]) if "include" in value else None, tuple(lists[1]))
    if not isinstance(value, str):
        raise StacError("fields is a comma-separated list of names", "fields")
    names = [n.strip() for n in value.split(",") if n.strip()]
    included = tuple(n.lstrip("+") for n in names if not n.startswith("-"))
    return Fields(included or None, tuple(n[1:] for n in names if n.startswith("-")))


def _copy(source: dict, target: dict, path: list[str]) -> None:
    key, rest = path[0], path[1:]
    if key not in source:
        return
    if not rest:
        target[key] = deepcopy(source[key])
    elif isinstance(source[key], dict):
        branch = target.setdefault(key, {})
        if isinstance(branch, dict):
            _copy(source[key], branch, rest)


def _drop(target: dict, path: list[str]) -> None:
    key, rest = path[0], path[1:]
    if not rest:
        target.pop(key, None)
    elif isinstance(target.get(key), dict):
        _drop(target[key], rest)
