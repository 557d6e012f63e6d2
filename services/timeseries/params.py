"""Query parameters: the date range, a point, the output format.

Dates are ``YYYY-MM-DD`` (a full ISO 8601 date-time is accepted and its UTC date used); both
ends are included. The span itself is not limited: what a request costs is its pixels × the
dates it reads, bounded by :attr:`TimeSeriesLimits.max_pixel_dates` once both are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from services.errors import InvalidParameterValue, MissingParameterValue
from services.numbers import strict_number

FORMATS = ("json", "csv")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def date_range(args: Mapping[str, str]) -> DateRange:
    """``startDate`` and ``endDate``: both required, start not after end."""
    start, end = (parse_date(args.get(name), name) for name in ("startDate", "endDate"))
    if start > end:
        raise InvalidParameterValue(f"startDate {start} is after endDate {end}", "startDate")
    return DateRange(start, end)


def parse_date(value: str | None, name: str) -> date:
    if value is None or not value.strip():
        raise MissingParameterValue(f"{name} is required (YYYY-MM-DD)", name)
    text = value.strip()
    try:
        if _DATE.match(text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    except ValueError:
        raise InvalidParameterValue(f"{name} '{_short(text)}' is not a date (YYYY-MM-DD)",
                                    name) from None
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidParameterValue(f"{name} '{_short(text)}' is outside the years 1 to 9999"
                                    " in UTC", name) from None


def lon_lat(args: Mapping[str, str]) -> tuple[float, float]:
    """``lon`` and ``lat`` in WGS 84 degrees."""
    values = []
    for name, bound in (("lon", 180), ("lat", 90)):
        text = args.get(name)
        if text is None or not text.strip():
            raise MissingParameterValue(f"{name} is required (WGS 84 degrees)", name)
        value = strict_number(text.strip())
        if value is None:
            raise InvalidParameterValue(f"{name} '{_short(text)}' is not a number", name)
        if not -bound <= value <= bound:  # also false for NaN
            raise InvalidParameterValue(f"{name} {_short(text)} is outside -{bound}..{bound}",
                                        name)
        values.append(value)
    return values[0], values[1]


def output_format(args: Mapping[str, str], accept: str | None) -> str:
    """``format=json|csv`` wins; otherwise CSV when the client accepts it and not JSON."""
    chosen = args.get("format")
    if chosen is not None:
        if chosen.lower() not in FORMATS:
            raise InvalidParameterValue(f"format '{_short(chosen)}' is not one of "
                                        f"{', '.join(FORMATS)}", "format")
        return chosen.lower()
    return accept if accept in FORMATS else "json"


def flag(args: Mapping[str, str], name: str) -> bool:
    value = args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0", ""):
        raise InvalidParameterValue(f"{name} must be true or false", name)
    return value in ("true", "1")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
