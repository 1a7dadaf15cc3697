"""A generated workspace at scale, for the benchmark (benchmarks/run.py) and for trying the run on a big company.

    python benchmarks/make_workspace.py [--scenario S|M|L] [--reps N] [--rows R] [--customers C]
                                        [--years Y] [--seed S] OUT

The same generator as the demo (``neiqin_xl.tools.demo.generate_demo``): contracts with their shipments,
invoices and collections, activities and expenses, master data, attendance and Kingdee-style finance
exports for the last months, and a few data problems in every rep's workbook. ``--rows`` is the rows per
rep across their six sheets (about: the generator draws contracts, not rows). The scenarios:

    S:  10 reps,   200 customers, ~5,000 rows a rep, 3 years
    M:  30 reps,   600 customers, ~5,000 rows a rep, 3 years
    L: 100 reps, 2,000 customers, ~5,000 rows a rep, 3 years  (the default: 500,000 rows in all)

The same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's neiqin_xl, not an installed one
from neiqin_xl.tools.demo import generate_demo  # noqa: E402

RUN_DATE = date(2026, 11, 26)
# Rows per rep the generator gives, measured: ~198 per unit of rows_scale from contracts and their flows
# (over 3 years), ~1.18 a calendar day of activities and expenses (75 days per unit, at most the history).
_CONTRACT_ROWS_PER_SCALE_YEAR = 198 / 3
_ACTIVITY_ROWS_PER_DAY = 1.18


@dataclass(frozen=True)
class Scenario:
    reps: int
    customers: int
    rows: int = 5000  # per rep, across the six sheets
    years: float = 3.0
    finance_months: int = 3


SCENARIOS = {"S": Scenario(10, 200), "M": Scenario(30, 600), "L": Scenario(100, 2000)}


def rows_scale_for(rows: int, years: float) -> float:
    """The demo's ``rows_scale`` that gives about ``rows`` rows per rep over ``years`` of history."""
    def estimate(scale: float) -> float:
        days = min(round(365 * years), int(75 * scale))
        return _CONTRACT_ROWS_PER_SCALE_YEAR * years * scale + _ACTIVITY_ROWS_PER_DAY * days

    low, high = 0.01, 10_000.0
    for _ in range(60):  # bisection: estimate() grows with scale
        mid = (low + high) / 2
        low, high = (mid, high) if estimate(mid) < rows else (low, mid)
    return round(high, 3)


def make_workspace(out: Path, scenario: Scenario, seed: int = 7, run_date: date = RUN_DATE) -> dict:
    """Writes the workspace and returns the generator's summary plus the scale used and the seconds taken."""
    start = time.perf_counter()
    scale = rows_scale_for(scenario.rows, scenario.years)
    summary = generate_demo(Path(out), run_date, seed=seed, reps=scenario.reps, customers=scenario.customers,
                            rows_scale=scale, years=scenario.years, finance_months=scenario.finance_months,
                            problems_everywhere=True)
    summary["rows_scale"] = scale
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return summary


def parse_args(argv: list[str] | None) -> tuple[Path, Scenario, int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the workspace folder to write")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="L")
    parser.add_argument("--reps", type=int, help="number of reps (overrides the scenario)")
    parser.add_argument("--rows", type=int, help="rows per rep across their sheets (default 5000)")
    parser.add_argument("--customers", type=int, help="customers in the archive (default 20 a rep)")
    parser.add_argument("--years", type=float, help="years of history (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    base = SCENARIOS[args.scenario]
    reps = args.reps or base.reps
    customers = args.customers or (base.customers if args.reps is None else max(10, 20 * reps))
    scenario = Scenario(reps, customers, rows=args.rows or base.rows, years=args.years or base.years,
                        finance_months=base.finance_months)
    return args.out, scenario, args.seed


def main(argv: list[str] | None = None) -> dict:
    out, scenario, seed = parse_args(argv)
    summary = make_workspace(out, scenario, seed)
    total = sum(summary["rows"].values())
    print(f"{out}: {scenario.reps} 业务员, {summary['customers']} 客户, {total:,} 行 "
          f"({total / scenario.reps:,.0f} 行/人), {len(summary['files'])} 个文件, {summary['seconds']} 秒")
    print(json.dumps(summary["rows"], ensure_ascii=False))
    return summary


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
