"""What a report hands to the later reports that declare it in their ``NEEDS`` (or ``USES``): typed, frozen.

Its place in the process: plain data, defined here (the earliest stage) because the report that produces a
value and the reports that read it must not import each other. The pipeline passes each one to ``build`` as
the keyword named after its report (``shipping.build(ctx, fulfilment=..., receivables=...)``). A report whose
``data`` no other report reads keeps its type in its own module.

Frozen means no field is reassigned after the report returned it; the frames inside are shared with the
readers, which only read them. Money is in fen.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FulfilmentData:
    """合同履行一览表 as of the run date (``reports.fulfilment``)."""

    contracts: pd.DataFrame  # one row per contract signed up to D: fulfilment.CONTRACT_COLUMNS
    events: pd.DataFrame  # 履行明细: fulfilment.EVENT_COLUMNS
    by_rep: pd.DataFrame  # 合同数 and the money columns per rep


@dataclass(frozen=True)
class ReceivablesData:
    """应收账款明细账 as of the run date (``reports.receivables``)."""

    aging: pd.DataFrame  # one row per customer: the 账龄分析 columns
    ledger: pd.DataFrame  # 明细账 rows: receivables.LEDGER_COLUMNS, a running 余额 per customer
    by_rep: pd.DataFrame  # 按业务员汇总
    open_items: pd.DataFrame  # items unpaid on D with 账龄天数, 账龄区间, 逾期天数
    credits: pd.DataFrame  # unapplied money on D: allocation.credits_as_of


REQUEST_DATE = "要求日期"  # a shipping request's column: the date it is wanted by (the 发货审核's and the 日报's)


@dataclass(frozen=True)
class ShippingData:
    """发货审核 of the run date (``reports.shipping``)."""

    requests: pd.DataFrame  # every 待发货 request with the sheet's columns (shipping.REQUEST_COLUMNS)
    held: pd.DataFrame  # the requests held (结论 暂缓), same columns
    finance_checked: bool  # whether finance's collections export covered D's month


@dataclass(frozen=True)
class TrackingData:
    """货物跟踪 of the run date (``reports.tracking``): what the 日报 counts in its 今日要点."""

    unsigned: pd.DataFrame  # shipments not signed for in time (tracking.UNSIGNED_COLUMNS), money in fen
    no_tracking_number: pd.DataFrame  # unsigned shipments without 物流单号 a working day after they left
    today: pd.DataFrame  # the day's shipments with the customer's contact: the phone list
