"""Backtest of the 销售预报 (books/forecast.py) over the demo's history: for each past month, the month-end
回款 forecast made at mid-month (the 15th, or the working day before) by each method, against what was collected.

    python benchmarks/backtest_forecast.py [--date 2026-11-30] [--seed 7] [--months 9]

Writes the demo workspace (seeded, a year of history up to --date) into a temporary folder, reads, validates
and allocates it as the day's run does, and prints one line per month and each method's mean absolute error
rate, so the choice of the headline (the weighted figure) is measured, not assumed. tests/books/test_forecast.py runs
``report`` on the same demo. Not a speed test.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from neiqin_xl.books import forecast as F
from neiqin_xl.books.allocation import Allocation, allocate
from neiqin_xl.books.validate import validate
from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import Tables, fmt_yuan
from neiqin_xl.core.months import Month
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.tools.demo import generate_demo


def demo_books(workspace: Path, run_date: date, seed: int = 7) -> tuple[Tables, Allocation, Settings]:
    """The demo written into ``workspace``, read, validated and allocated as the day's run does."""
    generate_demo(workspace, run_date, seed=seed)
    settings = Settings().with_workspace(workspace)
    tables, _ = read_workspace(settings)
    tables, _ = validate(tables, settings, run_date)
    return tables, allocate(tables, settings), settings


def report(tables: Tables, allocation: Allocation, settings: Settings, months: list[Month]
           ) -> tuple[pd.DataFrame, str]:
    """The backtest of ``months`` and its printout (amounts in yuan, error rates in %)."""
    result = F.backtest(tables, allocation, settings, months)
    shown = result.copy()
    for column in ("实际回款", "加权预报", "加权误差", "按进度预报", "按进度误差"):
        shown[column] = [fmt_yuan(v) for v in shown[column]]
    for column in ("加权误差率", "按进度误差率"):
        shown[column] = ["—" if v is None or pd.isna(v) else f"{v:+.1%}" for v in shown[column]]
    weighted, rate = F.mean_abs_error_rate(result["加权误差率"]), F.mean_abs_error_rate(result["按进度误差率"])
    text = "\n".join(["销售预报回测: 月中 (15 日或之前最后一个工作日) 预报月末回款, 全公司",
                      shown.to_string(index=False),
                      f"平均绝对误差率: 加权 (标题数) {weighted:.1%}, 按进度 {rate:.1%}"])
    return result, text


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
