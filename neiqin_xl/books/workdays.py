"""Mainland China working days, including the swapped working weekends (调休) around holidays.

Uses the chinese-calendar package; ``calendar.extra_workdays`` / ``extra_holidays`` in config.yaml override
it, and for a year the package does not know yet, Monday to Friday are working days unless overridden.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from ..core.config import Settings
from ..core.months import Month


def is_workday(day: date, settings: Settings) -> bool:
    if day in settings.calendar.extra_workdays:
        return True
    if day in settings.calendar.extra_holidays:
        return False
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def previous_workday(day: date, settings: Settings) -> date:
    """The last working day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_workday(day, settings):
        day -= timedelta(days=1)
    return day


def workday_after(day: date, n: int, settings: Settings) -> date:
    """The ``n``-th working day after ``day`` (``n`` = 1: the next working day).

    >>> workday_after(date(2026, 9, 30), 1, Settings())  # the National Day holiday 10-01..10-07, then Thursday 10-08
    datetime.date(2026, 10, 8)
    """
    while n > 0:
        day += timedelta(days=1)
        n -= is_workday(day, settings)
    return day


def workdays_between(start: date, end: date, settings: Settings) -> int:
    """Working days in (start, end]: how many working days have passed since ``start``."""
    return sum(1 for n in range((end - start).days) if is_workday(start + timedelta(days=n + 1), settings))


def workdays_since(days: list[date], end: date, settings: Settings) -> list[int]:
    """``workdays_between(day, end)`` for each of ``days`` (0 for a day on or after ``end``), the calendar
    walked once for the whole list (a year of shipments costs one pass, not one per row).

    >>> workdays_since([date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 30)], date(2026, 11, 30), Settings())
    [5, 1, 0]
    """
    if not days:
        return []
    start = min(days)
    counts = [0]  # working days in (start, start + i]
    for n in range(1, (end - start).days + 1):
        counts.append(counts[-1] + is_workday(start + timedelta(days=n), settings))
    total = counts[-1]
    return [total - counts[(day - start).days] if day < end else 0 for day in days]


def first_workday_of_week(day: date, settings: Settings) -> date | None:
    """The first working day of ``day``'s week (Monday to Sunday): a Monday unless a holiday moves it, e.g.
    the Thursday after the National Day week; None for a week without one.

    >>> first_workday_of_week(date(2026, 10, 9), Settings()), first_workday_of_week(date(2026, 11, 30), Settings())
    (datetime.date(2026, 10, 8), datetime.date(2026, 11, 30))
    """
    monday = day - timedelta(days=day.weekday())
    return next((d for d in (monday + timedelta(days=n) for n in range(7)) if is_workday(d, settings)), None)


def last_workday_of_month(month: Month, settings: Settings) -> date:
    """The month's last working day (the commission is final from it on)."""
    return previous_workday(month.last + timedelta(days=1), settings)
