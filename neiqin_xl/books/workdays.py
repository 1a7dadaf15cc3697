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


def workdays_between(start: date, end: date, settings: Settings) -> int:
    """Working days in (start, end]: how many working days have passed since ``start``."""
    return sum(1 for n in range((end - start).days) if is_workday(start + timedelta(days=n + 1), settings))


def last_workday_of_month(month: Month, settings: Settings) -> date:
    """The month's last working day (the commission is final from it on)."""
    return previous_workday(month.last + timedelta(days=1), settings)
