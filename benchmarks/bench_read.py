"""Reading speed: python-calamine against openpyxl on the same rep workbooks (the figure quoted in README).

    python benchmarks/bench_read.py [--reps 20] [--scale 3]

Generates a demo workspace in a temporary folder, then reads every sheet of every rep workbook with
pandas.read_excel using each engine, and prints cells per second for both.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from neiqin_xl.tools.demo import generate_demo


def read_all(files: list[Path], engine: str) -> tuple[float, int]:
    start = time.perf_counter()
    cells = 0
    for path in files:
        for frame in pd.read_excel(path, sheet_name=None, header=None, engine=engine, dtype=object).values():
            cells += frame.size
    return time.perf_counter() - start, cells


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--scale", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        generate_demo(ws, date(2026, 11, 26), reps=args.reps, rows_scale=args.scale)
        files = sorted((ws / "reps").glob("*.xlsx"))
        results = {engine: read_all(files, engine) for engine in ("calamine", "openpyxl")}
    for engine, (seconds, cells) in results.items():
        print(f"{engine:9s} {cells:9,d} cells in {seconds:6.2f} s = {cells / seconds:11,.0f} cells/s")
    print(f"calamine is {results['openpyxl'][0] / results['calamine'][0]:.1f}x faster than openpyxl")


if __name__ == "__main__":
    main()
