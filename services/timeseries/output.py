"""Result documents: Terrascope's JSON shapes, and CSV.

* point, geometry: ``{"results": [{"date": "2018-06-02", "result": {statistics}}, ...]}``
* geometries: ``{"results": {"2018-06-02": [{statistics of geometry 0}, ...], ...}}``
* histogram: ``{"results": {"2018-06-02": [[{"value": v, "count": n}, ...], ...], ...}}``

With ``provenance=true`` a top-level ``"products": {date: [product names]}`` names the products
each date was read from. CSV has one row per date (and geometry, and histogram value).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from services.timeseries.stats import COUNTS, STATISTICS


@dataclass(frozen=True)
class DateResult:
    date: str
    items: list  # one per geometry: a statistics dict or a histogram list
    products: list[str]
    pixels_read: int = 0   # of every product read (bands and masks)


def dump(document: dict) -> bytes:
    return json.dumps(document, allow_nan=False).encode("utf-8")


def _provenance(document: dict, dates: list[DateResult], provenance: bool) -> dict:
    if provenance:
        document["products"] = {d.date: d.products for d in dates}
    return document


def series_json(dates: list[DateResult], provenance: bool) -> bytes:
    results = [{"date": d.date, "result": d.items[0]} for d in dates]
    return dump(_provenance({"results": results}, dates, provenance))


def per_geometry_json(dates: list[DateResult], provenance: bool) -> bytes:
    results = {d.date: d.items for d in dates}
    return dump(_provenance({"results": results}, dates, provenance))


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def series_csv(dates: list[DateResult]) -> bytes:
    return _csv(["date", *STATISTICS, *COUNTS],
                [[d.date, *(d.items[0][k] for k in (*STATISTICS, *COUNTS))] for d in dates])


def per_geometry_csv(dates: list[DateResult]) -> bytes:
    return _csv(["date", "geometry", *STATISTICS, *COUNTS],
                [[d.date, i, *(item[k] for k in (*STATISTICS, *COUNTS))]
                 for d in dates for i, item in enumerate(d.items)])


def histogram_csv(dates: list[DateResult]) -> bytes:
    return _csv(["date", "geometry", "value", "count"],
                [[d.date, i, b["value"], b["count"]]
                 for d in dates for i, bins in enumerate(d.items) for b in bins])


def layer_entry(name: str, dates: list[str], bounds: tuple[float, ...] | None) -> dict:
    """One layer of ``GET /ts``: its name, dates (``YYYY-MM-DDT00:00:00Z``), lon/lat bounds."""
    entry: dict = {"name": name, "dates": [f"{d}T00:00:00Z" for d in dates]}
    if bounds is not None:
        entry["bounds"] = dict(zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True))
    return entry


def layers_json(entries: list[dict]) -> bytes:
    return dump({"layers": entries})
