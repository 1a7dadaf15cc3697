"""One customer's business in the notation of the reps' sheets: 明达's contracts, shipments and collections, the
common ground of the fulfilment, receivables and shipping tests. Every row names 明达 unless it says otherwise;
a contract is signed on 2026-01-01 for ``amount`` unless it says otherwise."""

from __future__ import annotations

import pandas as pd

from .helpers import table

CUSTOMER = "明达"


def contracts(*rows: dict, amount: str = "100,000") -> pd.DataFrame:
    return table("合同", [{"签订日期": "2026-01-01", "客户名称": CUSTOMER, "合同金额": amount, **r} for r in rows])


def ship(*rows: dict) -> pd.DataFrame:
    return table("发货", [{"客户名称": CUSTOMER, **r} for r in rows])


def paid(*rows: dict) -> pd.DataFrame:
    return table("回款", [{"客户名称": CUSTOMER, **r} for r in rows])
