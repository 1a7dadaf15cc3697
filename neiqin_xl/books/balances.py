"""A customer's balance, what is overdue and the aging, as of a day D: one rule, read from the allocation.

Its place in the process: the books, after the allocation (books/allocation.py and its as-of views). The
应收账款明细账 (reports/receivables.py: 账龄分析, 按业务员汇总), the 客户档案汇总 (reports/archive.py: 应收余额,
逾期金额) and the period reports' aging chart (reports/period_report.py, through the ledger's 按业务员汇总) all take
their figures and their bucket names from here.

- open amounts are by part (``allocation.due_parts_as_of``): the items dated up to D with what was unpaid on D,
  a contract with a 回款计划 split over its plan lines, each part due on its own line's date;
- age (账龄天数) = D − the item's date; its bucket (账龄区间) by ``receivables.aging_buckets``, inclusive upper
  bounds: with [30, 60, 90, 180, 365] age 30 is 0-30天, age 31 is 31-60天, age 366 is 365天以上;
- overdue days (逾期天数) = D − 到期日 when positive, else 0 (a part without a 到期日, its plan event not yet
  happened, is not overdue); 逾期金额 = what the overdue parts still owe (credits not netted: an overdue item
  is overdue until a collection is applied to it);
- 预收款 = the customer's unapplied money on D (``allocation.credits_as_of``); 应收余额 = open − 预收款
  (negative when the customer has paid in advance).

A period of the ledger (``period_balances``, ``period_lines``, ``statement_lines``): 期初余额 = 借方 − 贷方 before the period's first
day, the period's movements with the running 余额, 期末余额 = 期初 + 借方 − 贷方; read by the 对账函
(reports/statements.py) and the 明细账 sheet of the month (``receivables.month_ledger``).

A customer is named as the books name it: the 客户名称 of the allocation's rows, the archive's canonical name
where the archive knows the customer (books/validate.py makes it so).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .allocation import Allocation, credits_as_of, due_parts_as_of, open_items_as_of
from ..core.columns import texts
from ..core.schema import CLOSING_BALANCE, CONTRACT_NO, CUSTOMER

AGE_DAYS, BUCKET, OVERDUE_DAYS = "账龄天数", "账龄区间", "逾期天数"  # the columns ``aged`` adds to open items
OPEN, PREPAID, BALANCE, OVERDUE, LONGEST_OVERDUE = "未收", "预收款", "应收余额", "逾期金额", "最长逾期天数"
BALANCE_COLUMNS = [OPEN, PREPAID, BALANCE, OVERDUE, LONGEST_OVERDUE]  # ``customer_balances``, per 客户名称
BUCKET_UNIT, LAST_BUCKET_UNIT = "天", "天以上"  # 0-30天 … 365天以上


# ---------------------------------------------------------------- aging buckets

def bucket_labels(bounds: list[int]) -> list[str]:
    """The aging buckets' names, in order, from their inclusive upper bounds (``receivables.aging_buckets``).

    >>> bucket_labels([30, 60, 90, 180, 365])
    ['0-30天', '31-60天', '61-90天', '91-180天', '181-365天', '365天以上']
    """
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}{BUCKET_UNIT}")
        low = high + 1
    return labels + [f"{bounds[-1]}{LAST_BUCKET_UNIT}"]


def buckets_of(ages: pd.Series, bounds: list[int]) -> np.ndarray:
    """The aging bucket of every age in days: bounds are inclusive upper bounds (the first bound at or above
    the age; past the last one, the last bucket).

    >>> list(buckets_of(pd.Series([0, 30, 31, 61, 400]), [30, 60]))
    ['0-30天', '0-30天', '31-60天', '60天以上', '60天以上']
    """
    labels = np.array(bucket_labels(bounds), dtype=object)
    return labels[np.searchsorted(np.asarray(bounds), ages.to_numpy(dtype="int64"), side="left")]


def aged(items: pd.DataFrame, day: date, bounds: list[int]) -> pd.DataFrame:
    """``items`` (an as-of view of the allocation's items) with 账龄天数, 账龄区间 and 逾期天数 (0 when not past due,
    or not due at all: a 回款计划 line whose event has not happened has no 到期日)."""
    items = items.reset_index(drop=True)
    cutoff = pd.Timestamp(day)
    items[AGE_DAYS] = (cutoff - items["日期"]).dt.days
    items[BUCKET] = buckets_of(items[AGE_DAYS], bounds)
    items[OVERDUE_DAYS] = (cutoff - items["到期日"]).dt.days.clip(lower=0).fillna(0)
    return items.astype({AGE_DAYS: "int64", OVERDUE_DAYS: "int64"})


def aged_open_items(alloc: Allocation, day: date, bounds: list[int]) -> pd.DataFrame:
    """Items dated up to ``day`` with 未收 on ``day``, 账龄天数, 账龄区间 and 逾期天数 (0 when not past due)."""
    return aged(open_items_as_of(alloc, day), day, bounds)


def aged_due_parts(alloc: Allocation, day: date, bounds: list[int]) -> pd.DataFrame:
    """``aged_open_items`` with the open amounts of contracts with a 回款计划 split by plan line
    (``allocation.due_parts_as_of``): each part ages from its item's date and is overdue after its own 到期日."""
    return aged(due_parts_as_of(alloc, day), day, bounds)


# ---------------------------------------------------------------- balances

def sums_by(values: pd.Series, *keys: pd.Series) -> dict:
    """{key: sum of ``values``}, grouped by one key (or a tuple of keys, given two) per row; absent keys mean 0.

    >>> sums_by(pd.Series([5, 7, 1]), pd.Series(["A", "B", "A"]))
    {'A': 6, 'B': 7}
    """
    if values.empty:
        return {}
    return {k: int(v) for k, v in values.groupby(list(keys) if len(keys) > 1 else keys[0]).sum().items()}


def customer_balances(parts: pd.DataFrame, credits: pd.DataFrame, day: date) -> pd.DataFrame:
    """BALANCE_COLUMNS per 客户名称 (the index) with an open part or unapplied money on ``day``, in fen, in the
    order the customers first appear (parts, then credits).

    ``parts``: ``allocation.due_parts_as_of(alloc, day)`` (aged or not); ``credits``:
    ``allocation.credits_as_of(alloc, day)``.

    >>> parts = pd.DataFrame({"客户名称": ["甲", "甲", "乙"], "未收": [300, 200, 0],
    ...                       "到期日": pd.to_datetime(["2026-11-01", None, "2026-10-01"])})
    >>> credits = pd.DataFrame({"客户名称": ["丙", "甲"], "金额": [50, 100]})
    >>> customer_balances(parts, credits, date(2026, 11, 30)).reset_index().to_dict("records")
    [{'客户名称': '甲', '未收': 500, '预收款': 100, '应收余额': 400, '逾期金额': 300, '最长逾期天数': 29}, \
{'客户名称': '丙', '未收': 0, '预收款': 50, '应收余额': -50, '逾期金额': 0, '最长逾期天数': 0}]
    """
    own = parts[parts[OPEN] != 0]
    customer = pd.Series(texts(own[CUSTOMER]), index=own.index, dtype=object)
    overdue_days = (pd.Timestamp(day) - own["到期日"]).dt.days.fillna(0)
    overdue = overdue_days > 0
    open_amount = sums_by(own[OPEN], customer)
    overdue_amount = sums_by(own.loc[overdue, OPEN], customer[overdue])
    longest = overdue_days[overdue].groupby(customer[overdue]).max().to_dict() if overdue.any() else {}
    prepaid = sums_by(credits["金额"], pd.Series(texts(credits[CUSTOMER]), index=credits.index, dtype=object))
    names = list(dict.fromkeys([*customer, *prepaid]))
    frame = pd.DataFrame({OPEN: [open_amount.get(n, 0) for n in names], PREPAID: [prepaid.get(n, 0) for n in names],
                          OVERDUE: [overdue_amount.get(n, 0) for n in names],
                          LONGEST_OVERDUE: [int(longest.get(n, 0)) for n in names]},
                         index=pd.Index(names, name=CUSTOMER, dtype=object), dtype="int64")
    frame[BALANCE] = frame[OPEN] - frame[PREPAID]
    return frame[BALANCE_COLUMNS]


def balances_as_of(alloc: Allocation, day: date) -> pd.DataFrame:
    """``customer_balances`` of the allocation on ``day``."""
    return customer_balances(due_parts_as_of(alloc, day), credits_as_of(alloc, day), day)


# ---------------------------------------------------------------- a period of the ledger (对账函, 明细账)

def in_period(ledger: pd.DataFrame, start: date, end: date) -> pd.Series:
    """Which ledger rows are dated from ``start`` to ``end``."""
    return (ledger["日期"] >= pd.Timestamp(start)) & (ledger["日期"] <= pd.Timestamp(end))


def period_balances(ledger: pd.DataFrame, names: list[str], start: date, end: date) -> pd.DataFrame:
    """Per customer of ``names`` (index 客户名称, in that order): 期初余额 (debits − credits before ``start``: the
    previous period's 期末), 本期借方 and 本期贷方 (the movements from ``start`` to ``end``), 期末余额."""
    index = pd.Index(names, name=CUSTOMER)

    def total(values: pd.Series, rows: pd.Series) -> pd.Series:
        return values[rows].groupby(ledger.loc[rows, CUSTOMER]).sum().reindex(index, fill_value=0)

    before, moving = ledger["日期"] < pd.Timestamp(start), in_period(ledger, start, end)
    frame = pd.DataFrame({"期初余额": total(ledger["借方"] - ledger["贷方"], before),
                          "本期借方": total(ledger["借方"], moving), "本期贷方": total(ledger["贷方"], moving)})
    frame[CLOSING_BALANCE] = frame["期初余额"] + frame["本期借方"] - frame["本期贷方"]
    return frame.astype("int64")


def period_lines(ledger: pd.DataFrame, balances: pd.DataFrame, start: date, end: date,
                 extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every customer's lines of the period in one frame, customer by customer in ``balances``' order (column
    客户名称, last): 期初余额, every movement with the running 余额, 期末余额.

    ``balances`` is ``period_balances``. The 期初余额 / 期末余额 rows carry only 余额, so the 借方 / 贷方 columns
    add up to the period's movements; a zero 借方 or 贷方 is left blank. ``extra``: more ledger columns to keep
    (blank on the 期初余额 / 期末余额 rows).
    """
    names = balances.index.tolist()
    moves = ledger[in_period(ledger, start, end) & ledger[CUSTOMER].isin(names)]
    position = {name: i for i, name in enumerate(names)}
    customers = moves[CUSTOMER].map(position).to_numpy(dtype="int64")
    opening = balances["期初余额"].to_numpy()
    running = opening[customers] + (moves["借方"] - moves["贷方"]).groupby(customers).cumsum().to_numpy()
    n, blank = len(names), [np.nan] * len(names)
    lines = pd.DataFrame({
        "日期": np.concatenate([np.full(n, np.datetime64(start, "us")), moves["日期"].to_numpy(dtype="datetime64[us]"),
                              np.full(n, np.datetime64(end, "us"))]),
        **{c: blank + moves[c].tolist() + blank for c in ("单据类型", "单据号", CONTRACT_NO, *extra)},
        "摘要": ["期初余额"] * n + moves["摘要"].tolist() + [CLOSING_BALANCE] * n,
        **{c: np.concatenate([blank, moves[c].where(moves[c] != 0).to_numpy(dtype="float64"), blank])
           for c in ("借方", "贷方")},
        "余额": np.concatenate([opening, running, balances[CLOSING_BALANCE].to_numpy()]).astype("int64")})
    customer_of_row = np.concatenate([np.arange(n), customers, np.arange(n)])
    order = np.argsort(customer_of_row, kind="stable")
    lines = lines.take(order).reset_index(drop=True)
    lines[CUSTOMER] = np.asarray(names, dtype=object)[customer_of_row[order]]
    return lines


def statement_lines(ledger: pd.DataFrame, balances: pd.DataFrame, start: date, end: date,
                    extra: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """客户名称 -> the period's rows of its letter (``period_lines``, without the 客户名称 column)."""
    lines = period_lines(ledger, balances, start, end, extra)
    names = lines.pop(CUSTOMER)
    return {name: part.reset_index(drop=True) for name, part in lines.groupby(names.to_numpy(), sort=False)}
