"""The TIME of a request, checked against the dates a layer has.

Layers have one value per acquisition date (``YYYY-MM-DD``). A request may give a date, a
date-time (its date is used), ``current``, an interval ``start/end[/period]`` or a list of
those. Anything that matches no date is ``InvalidDimensionValue``, as WMS 1.3.0 (C.4.2) wants;
MapServer itself would silently fall back to the default.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from services.errors import InvalidDimensionValue

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})"
                   r"(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class TimeSelection:
    """The request's TIME, normalised to dates, and the layer dates it selects."""

    value: str               # what MapServer is given
    dates: tuple[str, ...]   # the layer dates selected, oldest first


def _date(text: str, latest: str) -> str:
    text = text.strip()
    if text.lower() in ("current", "now"):
        return latest
    match = _DATE.match(text)
    if not match:
        raise InvalidDimensionValue(f"TIME value '{text}' is not an ISO 8601 date", "TIME")
    return match[1]


def select(time: str, dates: Sequence[str], parameter: str = "TIME") -> TimeSelection:
    """Check ``time`` against a layer's ``dates`` (sorted, oldest first); raise
    InvalidDimensionValue if it selects none of them (each list item must select at least
    one). Dates are found by bisection: the cost does not grow with the layer's dates."""
    if not dates:
        raise InvalidDimensionValue("the layer has no dates yet", parameter)
    latest = dates[-1]
    values, selected = [], set()
    for item in time.split(","):
        parts = item.split("/")
        if len(parts) == 1:
            day = _date(parts[0], latest)
            hits = (day,) if contains(dates, day) else ()
            values.append(day)
        elif len(parts) in (2, 3):
            start, end = _date(parts[0], latest), _date(parts[1], latest)
            if start > end:
                raise InvalidDimensionValue(f"TIME interval '{item}' ends before it starts",
                                            parameter)
            hits = dates[bisect_left(dates, start):bisect_right(dates, end)]
            values.append(f"{start}/{end}")
        else:
            raise InvalidDimensionValue(f"TIME value '{item}' is not a date or interval",
                                        parameter)
        if not hits:
            raise InvalidDimensionValue(
                f"no data for TIME={item}; the layer has {len(dates)} dates from "
                f"{dates[0]} to {latest}", parameter)
        selected.update(hits)
    return TimeSelection(",".join(values), tuple(sorted(selected)))


def contains(dates: Sequence[str], day: str) -> bool:
    """Whether the sorted ``dates`` hold ``day`` (bisection)."""
    at = bisect_left(dates, day)
    return at < len(dates) and dates[at] == day


def latest_of(dates: Sequence[str], selected: Sequence[str]) -> str | None:
    """The newest of ``selected`` (sorted) that the sorted ``dates`` hold, if any."""
    return next((day for day in reversed(selected) if contains(dates, day)), None)
