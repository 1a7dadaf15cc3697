"""Mainland China working days, including the swapped working weekends (调休) around holidays.

Uses the chinese-calendar package; ``calendar.extra_workdays`` / ``extra_holidays`` in config.yaml override
it, and for a year the package does not know yet, Monday to Friday are working days unless overridden.

``Workdays`` is that calendar as one value, built once from the settings (``Workdays.of(settings)``; a report
finds it as ``ctx.workdays``): every "working days in [a, b]", "last working day on or before", "next working
day" of the package is one of its methods, so a function that only needs working days takes the calendar, not
the whole settings. ``is_workday(day, settings)`` is the one-off question for callers that hold only settings
(the command line, the scheduler, the mail job).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from ..core.config import Settings
from ..core.months import Month


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week (Monday to Sunday).

    >>> monday_of(date(2026, 12, 6)), monday_of(date(2026, 11, 30)), monday_of(date(2026, 10, 1))
    (datetime.date(2026, 11, 30), datetime.date(2026, 11, 30), datetime.date(2026, 9, 28))
    """
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Workdays:
    """The working-day calendar of a run: chinese-calendar with config.yaml's overrides.

    >>> cal = Workdays()
    >>> cal.is_workday(date(2026, 10, 1)), cal.is_workday(date(2026, 9, 20)), cal.is_workday(date(2026, 11, 28))
    (False, True, False)
    >>> Workdays(extra_holidays=frozenset({date(2026, 11, 30)})).is_workday(date(2026, 11, 30))
    False
    """

    extra_workdays: frozenset[date] = frozenset()
    extra_holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, settings: Settings) -> "Workdays":
        return cls(frozenset(settings.calendar.extra_workdays), frozenset(settings.calendar.extra_holidays))

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return _package_workday(day)

    def in_range(self, start: date, end: date) -> int:
        """Working days in [start, end], both included; 0 when end is before start.

        >>> cal = Workdays()
        >>> cal.in_range(date(2026, 11, 1), date(2026, 11, 30)), cal.in_range(date(2026, 10, 1), date(2026, 10, 9))
        (21, 2)
        >>> cal.in_range(date(2026, 11, 30), date(2026, 11, 30)), cal.in_range(date(2026, 12, 1), date(2026, 11, 30))
        (1, 0)
        """
        return self.since(start - timedelta(days=1), end) if start <= end else 0

    def since(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days have passed since ``start`` (0 when end <= start).

        >>> Workdays().since(date(2026, 11, 27), date(2026, 11, 30)), Workdays().since(date(2026, 11, 30), date(2026, 11, 27))
        (1, 0)
        """
        return sum(1 for n in range((end - start).days) if self.is_workday(start + timedelta(days=n + 1)))

    def since_each(self, days: list[date], end: date) -> list[int]:
        """``since(day, end)`` for each of ``days`` (0 for a day on or after ``end``), the calendar walked once
        for the whole list (a year of shipments costs one pass, not one per row).

        >>> Workdays().since_each([date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 30)], date(2026, 11, 30))
        [5, 1, 0]
        """
        if not days:
            return []
        start = min(days)
        counts = [0]  # working days in (start, start + i]
        for n in range(1, (end - start).days + 1):
            counts.append(counts[-1] + self.is_workday(start + timedelta(days=n)))
        total = counts[-1]
        return [total - counts[(day - start).days] if day < end else 0 for day in days]

    def previous(self, day: date, count: int = 1) -> date:
        """The ``count``-th working day strictly before ``day`` (``day`` itself for a count of 0).

        >>> cal = Workdays()
        >>> cal.previous(date(2026, 11, 30)), cal.previous(date(2026, 10, 8)), cal.previous(date(2026, 12, 2), 2)
        (datetime.date(2026, 11, 27), datetime.date(2026, 9, 30), datetime.date(2026, 11, 30))
        """
        for _ in range(count):
            day -= timedelta(days=1)
            while not self.is_workday(day):
                day -= timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        """``day`` when it is a working day, else the last working day before it.

        >>> Workdays().on_or_before(date(2026, 11, 29)), Workdays().on_or_before(date(2026, 11, 30))
        (datetime.date(2026, 11, 27), datetime.date(2026, 11, 30))
        """
        return day if self.is_workday(day) else self.previous(day)

    def following(self, day: date, count: int = 1) -> date:
        """The ``count``-th working day strictly after ``day`` (``day`` itself for a count of 0).

        >>> cal = Workdays()
        >>> cal.following(date(2026, 11, 27)), cal.following(date(2026, 9, 30)), cal.following(date(2026, 9, 30), 3)
        (datetime.date(2026, 11, 30), datetime.date(2026, 10, 8), datetime.date(2026, 10, 10))
        """
        for _ in range(count):
            day += timedelta(days=1)
            while not self.is_workday(day):
                day += timedelta(days=1)
        return day

    def first_of_week(self, day: date) -> date | None:
        """The first working day of ``day``'s week (Monday to Sunday): a Monday unless a holiday moves it, e.g.
        the Thursday after the National Day week; None for a week without one.

        >>> Workdays().first_of_week(date(2026, 10, 9)), Workdays().first_of_week(date(2026, 11, 30))
        (datetime.date(2026, 10, 8), datetime.date(2026, 11, 30))
        """
        monday = monday_of(day)
        return next((d for d in (monday + timedelta(days=n) for n in range(7)) if self.is_workday(d)), None)

    def last_of_month(self, month: Month) -> date:
        """The month's last working day (the commission is final from it on).

        >>> Workdays().last_of_month(Month("2026-05")), Workdays().last_of_month(Month("2026-02"))
        (datetime.date(2026, 5, 29), datetime.date(2026, 2, 28))
        """
        return self.previous(month.last + timedelta(days=1))


@functools.cache
def _package_workday(day: date) -> bool:
    """chinese-calendar's answer for ``day`` (Monday to Friday for a year it does not know), asked once per day:
    the package checks each date against the min and max of its whole holiday table, and the 对账函 ask the
    same few dates for every customer."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: date, settings: Settings) -> bool:
    """Is ``day`` a working day under ``settings``' calendar (for a caller that holds only the settings)?"""
    return Workdays.of(settings).is_workday(day)
