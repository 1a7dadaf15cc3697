"""账龄: the aging buckets and the as-of aged views of the allocation's open items, one home for the receivables
ledger (应收账款明细账) and the 对账函 (its aging strip at the period's end).

Age = day − item date, bucketed by ``receivables.aging_buckets`` (upper bounds, inclusive: age 30 is 0-30天, age
31 is 31-60天); overdue days = day − 到期日 when positive (a 回款计划 part with no 到期日 is not overdue).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .allocation import Allocation, due_parts_as_of, open_items_as_of


def bucket_labels(bounds: list[int]) -> list[str]:
    """[30, 60, 90, 180, 365] -> 0-30天, 31-60天, 61-90天, 91-180天, 181-365天, 365天以上."""
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}天")
        low = high + 1
    return labels + [f"{bounds[-1]}天以上"]


def buckets_of(ages: pd.Series, bounds: list[int]) -> np.ndarray:
    """The aging bucket of every age in days: bounds are inclusive upper bounds (the first bound at or above
    the age; past the last one, the last bucket)."""
    labels = np.array(bucket_labels(bounds), dtype=object)
    return labels[np.searchsorted(np.asarray(bounds), ages.to_numpy(dtype="int64"), side="left")]


def figure_key(label: str) -> str:
    """'0-30天' -> 'aging_0_30_fen'; '365天以上' -> 'aging_365_plus_fen' (manifest keys)."""
    core = label.replace("天以上", "_plus").replace("天", "").replace("-", "_")
    return f"aging_{core}_fen"


def aged(items: pd.DataFrame, day: date, bounds: list[int]) -> pd.DataFrame:
    """``items`` (an as-of view of the allocation's items) with 账龄天数, 账龄区间 and 逾期天数 (0 when not past due,
    or not due at all: a 回款计划 line whose event has not happened has no 到期日)."""
    items = items.reset_index(drop=True)
    cutoff = pd.Timestamp(day)
    items["账龄天数"] = (cutoff - items["日期"]).dt.days
    items["账龄区间"] = buckets_of(items["账龄天数"], bounds)
    items["逾期天数"] = (cutoff - items["到期日"]).dt.days.clip(lower=0).fillna(0)
    return items.astype({"账龄天数": "int64", "逾期天数": "int64"})


def aged_open_items(alloc: Allocation, day: date, bounds: list[int]) -> pd.DataFrame:
    """Items dated up to ``day`` with 未收 on ``day``, 账龄天数, 账龄区间 and 逾期天数 (0 when not past due)."""
    return aged(open_items_as_of(alloc, day), day, bounds)


def aged_due_parts(alloc: Allocation, day: date, bounds: list[int]) -> pd.DataFrame:
    """``aged_open_items`` with the open amounts of contracts with a 回款计划 split by plan line
    (``allocation.due_parts_as_of``): each part ages from its item's date and is overdue after its own 到期日."""
    return aged(due_parts_as_of(alloc, day), day, bounds)


