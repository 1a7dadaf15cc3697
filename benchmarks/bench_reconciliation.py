"""Matching speed of the month-end reconciliation (财务对账): 2,000 rep 回款 lines against 2,000 finance lines.

    python benchmarks/bench_reconciliation.py [--lines 2000] [--customers 200] [--seed 7]

Builds one month of collections for many customers from a seeded random generator: about half carry the
bank reference on both sides (level 1), the rest are booked by finance up to 3 days later, some under a
name written differently (brackets, 有限公司, a dropped 市: level 2), some split or merged (level 3), a few
amounts differ and a few lines are on one side only. Prints the time of ``match_lines`` and what matched.
Not a test; the target is well under a second.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import pandas as pd

from neiqin_xl.core.config import Settings
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.books.matching import COLLECTION, match_lines

_CITIES = ("上海", "杭州", "苏州", "南京", "宁波", "合肥", "深圳市", "广州", "武汉", "成都")
_WORDS = ("明达", "恒远", "华星", "瑞丰", "金桥", "宏图", "东升", "永泰", "中联", "天成", "佳禾", "新锐")
_TRADES = ("贸易", "科技", "机电", "电子科技", "建材", "实业")


def customer_names(n: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(_CITIES)}{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.choice(_TRADES)}有限公司"
        if name not in names:
            names.append(name)
    return names


def finance_spelling(name: str, rng: random.Random) -> str:
    """How finance may write the same customer: as is, without 有限公司, without 市."""
    return rng.choice((name, name, name.replace("有限公司", ""), name.replace("市", "")))


def generate(lines: int, customers: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rng = random.Random(seed)
    names = customer_names(customers, rng)
    first = date(2026, 11, 1)
    sales, finance = [], []

    def add_sales(day: date, name: str, amount: int, ref: str) -> None:
        sales.append({"回款日期": pd.Timestamp(day), "客户名称": name, "回款金额": amount, "银行流水号": ref,
                      "业务员": "张伟", "来源工作簿": "张伟.xlsx", "来源工作表": "回款", "来源行": len(sales) + 2})

    def add_finance(day: date, name: str, amount: int, ref: str) -> None:
        finance.append({"日期": pd.Timestamp(day), "客户名称": name, "金额": amount, "银行流水号": ref,
                        "凭证号": f"收-{len(finance) + 1:04d}", "摘要": "收货款", "月份": "2026-11",
                        "来源工作簿": "财务收款_2026-11.xlsx", "来源工作表": "收款明细", "来源行": len(finance) + 3})

    while len(sales) < lines:
        name = rng.choice(names)
        day = first + timedelta(days=rng.randrange(27))
        later = day + timedelta(days=rng.randrange(4))
        amount = rng.randrange(1_000, 500_000) * 100 + rng.randrange(100)
        roll = rng.random()
        ref = f"HX{len(sales):06d}"
        if roll < 0.5:  # same reference
            add_sales(day, name, amount, ref)
            add_finance(later, finance_spelling(name, rng), amount, ref)
        elif roll < 0.85:  # no reference on finance's side, same amount
            add_sales(day, name, amount, ref)
            add_finance(later, finance_spelling(name, rng), amount, "")
        elif roll < 0.92:  # two rep lines, one finance receipt
            part = amount // 3
            add_sales(day, name, part, "")
            add_sales(day, name, amount - part, "")
            add_finance(later, name, amount, "")
        elif roll < 0.95:  # amount mismatch on the same reference
            add_sales(day, name, amount, ref)
            add_finance(later, name, amount + 10_000, ref)
        elif roll < 0.975:
            add_sales(day, name, amount, "")
        else:
            add_finance(later, name, amount, "")
    return pd.DataFrame(sales), pd.DataFrame(finance), names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sales, finance, names = generate(args.lines, args.customers, args.seed)
    customers = CustomerIndex(names)
    start = time.perf_counter()
    result = match_lines(sales, finance, COLLECTION, Settings(), customers)
    elapsed = time.perf_counter() - start
    print(f"match_lines: {len(sales)} 销售行 × {len(finance)} 财务行, {args.customers} 客户: {elapsed:.3f} 秒")
    print(f"  已匹配 (级别 1/2/3): {result.level_counts()}, 金额不符 {len(result.mismatches)}, "
          f"销售有财务无 {len(result.unmatched('sales'))}, 财务有销售无 {len(result.unmatched('finance'))}")


if __name__ == "__main__":
    main()
