"""What a process sees: the layer registry, the product index, the limits, and two hooks —
``map`` (run tasks, on Dask in the job runner) and ``progress`` (percent and message)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from services.errors import InvalidParameterValue, RequestTooLarge
from services.index.product import Product
from services.index.search import ProductQuery, ProductSearch
from services.registry import Collection, Registry
from services.settings import Limits

Mapper = Callable[[Callable, Sequence], list]
Reporter = Callable[[int, str], None]


def serial(function: Callable, items: Sequence) -> list:
    """Run tasks one after the other, here (planning, unit tests)."""
    return [function(item) for item in items]


@dataclass(frozen=True)
class Output:
    """A result that is not JSON (a COG …): its media type and its bytes."""

    mimetype: str
    data: bytes


@dataclass(frozen=True)
class Context:
    registry: Registry
    search: ProductSearch
    limits: Limits
    urn_prefix: str = "urn:eop:VITO:"
    layers_dir: Path | None = None   # where a Dask worker loads the registry from
    mapper: Mapper = serial
    reporter: Reporter = field(default=lambda percent, message: None)

    def map(self, function: Callable, items: Sequence) -> list:
        """``function`` over ``items`` (picklable module-level functions and values)."""
        return self.mapper(function, items)

    def progress(self, percent: int, message: str) -> None:
        self.reporter(percent, message)

    def catalogue_id(self, collection_id: str) -> str:
        return f"{self.urn_prefix}{collection_id}"

    def collection(self, name: str) -> Collection:
        """A collection by catalogue identifier or bare id."""
        bare = name.removeprefix(self.urn_prefix)
        if bare not in self.registry.collections:
            known = ", ".join(sorted(self.registry.collections))
            raise InvalidParameterValue(f"unknown collection '{name}' (known: {known})",
                                        "collection")
        return self.registry.collections[bare]


def instant(text: str, name: str, end: bool) -> datetime:
    """A date (its first or, for ``end``, last second) or an ISO 8601 date-time, in UTC."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end else time.min, UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValue(f"{name} '{text}' is not a date (YYYY-MM-DD) or an ISO "
                                    "8601 date-time", name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def bbox(values: Sequence[float]) -> tuple[float, float, float, float]:
    west, south, east, north = (float(v) for v in values)
    if not (-90 <= south < north <= 90) or west >= east:
        raise InvalidParameterValue("bbox must be west, south, east, north with west < east, "
                                    "south < north and latitudes within ±90", "bbox")
    return west, south, east, north


def products_in(inputs: dict, context: Context) -> tuple[Collection, list[Product]]:
    """The collection and its products meeting ``bbox`` between ``start`` and ``end``;
    refuses more than the limit allows before anything is read."""
    collection = context.collection(inputs["collection"])
    if "band" in inputs and inputs["band"] not in {b.name for b in collection.bands}:
        known = ", ".join(b.name for b in collection.bands)
        raise InvalidParameterValue(f"unknown band '{inputs['band']}' of {collection.id} "
                                    f"(known: {known})", "band")
    start = instant(inputs["start"], "start", end=False)
    end = instant(inputs["end"], "end", end=True)
    if start > end:
        raise InvalidParameterValue("start is after end", "start")
    limit = context.limits.max_process_products
    total, products = context.search.search(ProductQuery(
        collections=(collection.id,), start=start, end=end, bbox=bbox(inputs["bbox"]),
        limit=limit + 1))
    if total > limit:
        raise RequestTooLarge(f"{total} products match: more than {limit}; narrow the dates "
                              "or the bounding box", "start")
    return collection, products
