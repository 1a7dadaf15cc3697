"""Backtest of the 销售预报 (books/forecast.py) over the demo's history: for each past month, the month-end
回款 forecast made at mid-month (the 15th, or the working day before) by each method, against what was collected.

    python benchmarks/backtest_forecast.py [--date 2026-11-30] [--seed 7] [--months 9]

Writes the demo workspace (seeded, a year of history up to --date) into a temporary folder, reads, validates
and allocates it as the day's run does, and prints one line per month and each method's mean absolute error
rate, so the choice of the headline (the weighted figure) is measured, not assumed. tests/books/test_forecast.py runs
``report`` on the same demo. Not a speed test. The backtest itself (``backtest``, ``mean_abs_error_rate``) lives
here, not in the package: only this measurement uses it; the forecast it measures is books/forecast.py's.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from neiqin_xl.books import forecast as F
from neiqin_xl.books import periods as P
from neiqin_xl.books.allocation import Allocation
from neiqin_xl.books.workdays import Workdays
from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import Tables, fmt_yuan
from neiqin_xl.core.months import Month
from neiqin_xl.loader import open_books
from neiqin_xl.tools.demo import generate_demo

BACKTEST_COLUMNS = ["月份", "预报日", "实际回款", "加权预报", "加权误差", "加权误差率", "按进度预报", "按进度误差",
                    "按进度误差率"]


def demo_books(workspace: Path, run_date: date, seed: int = 7) -> tuple[Tables, Allocation, Settings]:
    """The demo written into ``workspace``, its books opened as the day's run does (``loader.open_books``)."""
    generate_demo(workspace, run_date, seed=seed)
    settings = Settings().with_workspace(workspace)
    books = open_books(settings, run_date)
    return books.tables, books.allocation, settings


def report(tables: Tables, allocation: Allocation, settings: Settings, months: list[Month]
           ) -> tuple[pd.DataFrame, str]:
    """The backtest of ``months`` and its printout (amounts in yuan, error rates in %)."""
    result = backtest(tables, allocation, Workdays.of(settings), months)
    shown = result.copy()
    for column in ("实际回款", "加权预报", "加权误差", "按进度预报", "按进度误差"):
        shown[column] = [fmt_yuan(v) for v in shown[column]]
    for column in ("加权误差率", "按进度误差率"):
        shown[column] = ["—" if v is None or pd.isna(v) else f"{v:+.1%}" for v in shown[column]]
    weighted, rate = mean_abs_error_rate(result["加权误差率"]), mean_abs_error_rate(result["按进度误差率"])
    text = "\n".join(["销售预报回测: 月中 (15 日或之前最后一个工作日) 预报月末回款, 全公司",
                      shown.to_string(index=False),
                      f"平均绝对误差率: 加权 (标题数) {weighted:.1%}, 按进度 {rate:.1%}"])
    return result, text


def mid_month(month: Month, calendar: Workdays, day: int = 15) -> date:
    """The day of ``month`` a mid-month forecast is made: the 15th, or the working day before it."""
    return calendar.on_or_before(month.first.replace(day=day))


def backtest(tables: Tables, allocation: Allocation, calendar: Workdays, months: list[Month]) -> pd.DataFrame:
    """BACKTEST_COLUMNS: for each month, the company's month-end 回款 forecast made at mid-month by each method,
    the actual, and each method's error (forecast − actual) and its rate (None when nothing was collected)."""
    rows = []
    for month in months:
        when = mid_month(month, calendar)
        actual = P.window_figures(tables, month.first, month.last)["回款金额"]
        by_rep = F.forecast(tables, allocation, calendar, when, month.first, month.last)
        weighted, rate = int(by_rep["回款预报"].sum()), int(by_rep["回款按进度"].sum())
        rows.append({"月份": str(month), "预报日": when, "实际回款": actual, "加权预报": weighted,
                     "加权误差": weighted - actual, "加权误差率": P.change(weighted, actual),
                     "按进度预报": rate, "按进度误差": rate - actual, "按进度误差率": P.change(rate, actual)})
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def mean_abs_error_rate(rates: pd.Series) -> Decimal | None:
    """The mean of |error rate| over the months that have one.

    >>> mean_abs_error_rate(pd.Series([Decimal("0.1"), Decimal("-0.3"), None]))
    Decimal('0.2')
    """
    values = [abs(Decimal(v)) for v in rates if v is not None and not pd.isna(v)]
    return sum(values) / len(values) if values else None


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=9, help="past months to test, ending with the month before --date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tables, allocation, settings = demo_books(Path(folder) / "demo", args.date, args.seed)
        months = [Month.of(args.date).shift(-n) for n in range(args.months, 0, -1)]
        result, text = report(tables, allocation, settings, months)
    print(text)
    return result


if __name__ == "__main__":
    main()
