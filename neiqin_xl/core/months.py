"""The month: one value type and the one parser of month text.

Its place in the process: plain data, used by every stage. The intake reads the month in a file name
(财务收款_2026-11.xlsx) and in 月份 cells through it; books/periods.py builds the report windows from it and
turns the ``--month`` option into a ``Month`` or a Problem; the reports key their months by it.

A ``Month`` is its own text, 'YYYY-MM' (a ``str``), so it sits in frames, file names, titles and
manifest.json as it is, and compares with the 月份 text the reader gives. ``Month.parse`` is the only reader
of month text: 2026-11, 2026-1, 2026/11, 2026.11, 2026_11, 2026年11月, 202611, full-width digits, spaces
around; nothing else (not a date, not 2026-13, not two months). ``Month.find`` finds the same forms inside
a longer text such as a file name.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

from .columns import each_once

EXAMPLE = "示例: 2026-11"
_FORM = r"(\d{4})\s*(?:(?:[-/._]|年)\s*(\d{1,2})(?!\d)\s*月?|(\d{2})(?!\d))"
_WHOLE = re.compile(rf"^{_FORM}$")
_INSIDE = re.compile(rf"(?<!\d){_FORM}")
_YEARS = range(1900, 3000)


class Month(str):
    """A calendar month, written 'YYYY-MM'. ``Month("2026/11")`` is '2026-11'; a text that is no month raises
    ValueError (``Month.parse`` returns None instead).

    >>> m = Month("2026年1月")
    >>> m, m.year, m.month, m.first, m.last
    ('2026-01', 2026, 1, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    >>> m.shift(-1), m.shift(13), Month.of(date(2028, 2, 29)).last
    ('2025-12', '2027-02', datetime.date(2028, 2, 29))
    >>> Month("2026-13")
    Traceback (most recent call last):
    ...
    ValueError: 不是有效月份: '2026-13' (示例: 2026-11)
    """

    __slots__ = ()

    def __new__(cls, text: object) -> Month:
        found = cls.parse(text)
        if found is None:
            raise ValueError(f"不是有效月份: {text!r} ({EXAMPLE})")
        return found

    @classmethod
    def of_parts(cls, year: int, month: int) -> Month | None:
        """The month ``year``-``month``; None when ``month`` is not 1-12 or the year not 1900-2999."""
        if 1 <= month <= 12 and year in _YEARS:
            return str.__new__(cls, f"{year:04d}-{month:02d}")
        return None

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` (a date, datetime or Timestamp) falls in."""
        return str.__new__(cls, f"{day.year:04d}-{day.month:02d}")

    @classmethod
    def parse(cls, text: object) -> Month | None:
        """The month a text says, None when it says none (the rule is in the module docstring).

        >>> [Month.parse(t) for t in ("2026-11", " 2026/1 ", "2026年11月", "202611", "２０２６－１１")]
        ['2026-11', '2026-01', '2026-11', '2026-11', '2026-11']
        >>> [Month.parse(t) for t in ("2026-13", "2026-00", "abc", "2026-1-5", "2026-11-05", "20261", "", None)]
        [None, None, None, None, None, None, None, None]
        """
        if text is None:
            return None
        return cls._from_match(_WHOLE.match(_fold(text)))

    @classmethod
    def find(cls, text: object) -> Month | None:
        """The first month written inside ``text`` (a file name), None when there is none.

        >>> Month.find("财务收款_2026-11"), Month.find("考勤 2026年3月 导出"), Month.find("财务收款_2026-13")
        ('2026-11', '2026-03', None)
        >>> Month.find("财务收款"), Month.find("v12026-11")
        (None, None)
        """
        for match in _INSIDE.finditer(_fold(text)):
            found = cls._from_match(match)
            if found is not None:
                return found
        return None

    @classmethod
    def _from_match(cls, match: re.Match | None) -> Month | None:
        if match is None:
            return None
        return cls.of_parts(int(match[1]), int(match[2] or match[3]))

    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def month(self) -> int:
        return int(self[5:7])

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative): ``shift(-1)`` is the month before."""
        index = self.year * 12 + self.month - 1 + months
        return str.__new__(type(self), f"{index // 12:04d}-{index % 12 + 1:02d}")


def month_texts(days: pd.Series) -> np.ndarray:
    """The 'YYYY-MM' text of every date, None for a missing one (each distinct date looked at once).

    >>> list(month_texts(pd.Series(pd.to_datetime(["2026-11-03", None, "2026-12-31"]))))
    ['2026-11', None, '2026-12']
    """
    return each_once(lambda day: None if pd.isna(day) else str(Month.of(day)), days)


def _fold(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()
