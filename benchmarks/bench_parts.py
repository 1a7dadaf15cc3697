"""A big book written whole, in parts cold, and in parts again after one rep's rows changed (issue 34).

    python benchmarks/bench_parts.py [--rows 200000] [--reps 100] [--repeat 3]

A 合同履行一览表-like table (rows in rep order, 12 columns: texts, dates, money, a percentage) is written with
the one writer (``writer.write_workbook``):
- ``whole``: xlsxwriter's zip of the streamed rows, as before issue 34 (``render`` without parts);
- ``cold``: in parts, an empty ``.parts`` folder (parts compressed in threads while the next renders);
- ``one rep``: in parts again into the same folder, one rep's 回款 changed on all its rows.
Each figure is the fastest of ``--repeat``; the ratios are within one run, so they hold on a loaded machine
better than the seconds do. Also checked: the three files read the same (the changed one, its changed cells).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from neiqin_xl.core.sheets import DATE, MONEY, PCT, Col, Sheet, Table, WorkbookSpec  # noqa: E402
from neiqin_xl.deliver import writer  # noqa: E402


def book(rows: int, reps: int, changed: int | None = None) -> WorkbookSpec:
    per = -(-rows // reps)
    frame = pd.DataFrame({
        "业务员": [f"业务员{i // per:03d}" for i in range(rows)],
        "客户名称": [f"客户{(i * 7919) % (rows // 5 + 1):06d}有限公司" for i in range(rows)],
        "合同编号": [f"HT-2026-{i:07d}" for i in range(rows)],
        "产品": [f"产品{i % 300}" for i in range(rows)],
        "签订日期": [pd.Timestamp(2026, 1 + i % 12, 1 + i % 28) for i in range(rows)],
        "合同金额": [(i * 104_729) % 10_000_000 for i in range(rows)],
        "已发货金额": [(i * 7_919) % 5_000_000 for i in range(rows)],
        "回款金额": [(i * 3_571) % 4_000_000 + (100 if changed is not None and i // per == changed else 0)
                 for i in range(rows)],
        "应收余额": [(i * 1_117) % 3_000_000 for i in range(rows)],
        "回款率": [(i % 100) / 100 for i in range(rows)],
        "状态": ["执行中" if i % 3 else "已完成" for i in range(rows)],
        "备注": [f"备注{i % 1000}" for i in range(rows)],
    })
    columns = [Col("业务员"), Col("客户名称"), Col("合同编号"), Col("产品"), Col("签订日期", DATE),
               Col("合同金额", MONEY), Col("已发货金额", MONEY), Col("回款金额", MONEY), Col("应收余额", MONEY),
               Col("回款率", PCT), Col("状态"), Col("备注")]
    return WorkbookSpec("合同履行一览表.xlsx", [Sheet("合同履行一览表", [Table(columns, frame, totals=True)],
                                                      title="合同履行一览表")])


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base, changed = book(args.rows, args.reps), book(args.rows, args.reps, changed=args.reps // 2)
    times = {"whole": [], "cold": [], "one rep": []}
    with tempfile.TemporaryDirectory(prefix="neiqin_parts_") as tmp:
        tmp = Path(tmp)
        for _ in range(args.repeat):
            times["whole"].append(timed(lambda: writer.render(base, tmp / "whole.xlsx")))
            shutil.rmtree(tmp / "out", ignore_errors=True)
            times["cold"].append(timed(lambda: writer.write_workbook(base, tmp / "out")))
            times["one rep"].append(timed(lambda: writer.write_workbook(changed, tmp / "out")))
            writer.write_workbook(base, tmp / "out")  # back, for the next round's rerun to change again
        with zipfile.ZipFile(tmp / "whole.xlsx") as a, zipfile.ZipFile(tmp / "out" / "合同履行一览表.xlsx") as b:
            same = a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")
        parts = len(list((tmp / "out" / ".parts").glob("*.part")))
    best = {k: min(v) for k, v in times.items()}
    print(f"{args.rows:,} rows × 12 columns, {args.reps} reps, {parts} parts; fastest of {args.repeat}")
    for k, v in times.items():
        print(f"  {k:8s} {best[k]:7.2f} s   runs: {', '.join(f'{t:.2f}' for t in v)}")
    print(f"  cold / whole {best['cold'] / best['whole']:.3f}; one rep / whole {best['one rep'] / best['whole']:.3f}; "
          f"one rep / cold {best['one rep'] / best['cold']:.3f}; sheet XML of parts = whole: {same}")


if __name__ == "__main__":
    main()
