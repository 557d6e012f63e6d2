"""Acquisition periods shared by the missions' names: a day, a dekad, a month, a year."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta


def utc(text: str, pattern: str = "%Y%m%dT%H%M%S") -> datetime:
    return datetime.strptime(text, pattern).replace(tzinfo=UTC)


def day_span(day: date, days: int = 1) -> tuple[datetime, datetime]:
    """From the first to the last second of ``days`` days starting at ``day``."""
    start = datetime.combine(day, time(), UTC)
    return start, start + timedelta(days=days, seconds=-1)


def dekad_span(day: date) -> tuple[datetime, datetime]:
    """The dekad (days 1–10, 11–20, 21–end of month) that starts on ``day``."""
    if day.day not in (1, 11, 21):
        raise ValueError(f"{day} does not start a dekad")
    last = calendar.monthrange(day.year, day.month)[1] if day.day == 21 else day.day + 9
    return day_span(day, last - day.day + 1)


def month_span(day: date) -> tuple[datetime, datetime]:
    return day_span(day.replace(day=1), calendar.monthrange(day.year, day.month)[1])


def year_span(day: date) -> tuple[datetime, datetime]:
    return day_span(day.replace(month=1, day=1), 366 if calendar.isleap(day.year) else 365)
